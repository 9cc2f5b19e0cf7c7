package httpapi

import (
	"encoding/base64"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

func (a *api) twoFactorRoutes() []route {
	return []route{
		{"GET", "two-factor", a.twoFactor},
		{"POST", "two-factor/{method}/enroll", a.enroll},
		{"POST", "two-factor/{method}/confirm", a.confirmFactor},
		{"DELETE", "two-factor/{method}", a.disableFactor},
		{"POST", "two-factor/backup-codes", a.backupCodes},
	}
}

// twoFactor lists the logged-in user's second factors, those being set
// up included, and the backup codes left: 200.
func (a *api) twoFactor(c *call) (any, error) {
	factors, err := c.auth.TwoFactor().Methods()
	if err != nil {
		return nil, err
	}
	return twoFactorOf(factors), nil
}

// enroll starts setting up a factor; it needs a fresh session. For totp
// it answers 200 with the secret, its otpauth:// URI and the QR code as a
// data: URL; for email and sms it sends the code that confirms the
// factor, to the account's address or to "phone": 204.
func (a *api) enroll(c *call) (any, error) {
	var in struct {
		Phone string `json:"phone"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m, err := method(c.param("method"))
	if err != nil {
		return nil, err
	}
	if in.Phone != "" && m != twofactor.SMS {
		return nil, &requestError{`"phone" is only for sms`}
	}
	tf := c.auth.TwoFactor()
	switch m {
	case twofactor.TOTP:
		e, err := tf.EnrollTOTP()
		if err != nil {
			return nil, err
		}
		return totpEnrollmentResponse{
			Secret: e.Secret, URI: e.URI,
			QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode),
		}, nil
	case twofactor.Email:
		return nil, tf.EnableEmail()
	case twofactor.SMS:
		return nil, tf.EnableSMS(in.Phone)
	}
	return nil, authkit.ErrMethodNotEnabled
}

// confirmFactor turns a factor being set up on with a code from it: 200
// {"backup_codes":[…]} when these are the user's first backup codes
// (shown once), {} otherwise.
func (a *api) confirmFactor(c *call) (any, error) {
	var in struct {
		Code string `json:"code"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m, err := method(c.param("method"))
	if err != nil {
		return nil, err
	}
	codes, err := c.auth.TwoFactor().Confirm(m, in.Code)
	if err != nil {
		return nil, err
	}
	return backupCodesResponse{BackupCodes: codes}, nil
}

// disableFactor turns a factor off after checking the password: 204.
func (a *api) disableFactor(c *call) (any, error) {
	var in struct {
		Password string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m, err := method(c.param("method"))
	if err != nil {
		return nil, err
	}
	return nil, c.auth.TwoFactor().Disable(m, in.Password)
}

// backupCodes replaces the user's backup codes with a new set, shown
// once; it needs a fresh session: 200 {"backup_codes":[…]}.
func (a *api) backupCodes(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	codes, err := c.auth.TwoFactor().RegenerateBackupCodes()
	if err != nil {
		return nil, err
	}
	return backupCodesResponse{BackupCodes: codes}, nil
}
