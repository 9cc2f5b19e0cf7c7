package authkit

import (
	"context"
	"errors"
	"strconv"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
	"github.com/authkit/authkit/twofactor"
)

// TOTPEnrollment is a TOTP factor being set up: show the QR code (or the
// secret, for typing in) and ask for a code to confirm it.
type TOTPEnrollment struct {
	// Secret is the base32 secret, for users who type it in.
	Secret string
	// URI is the otpauth:// URI the QR code encodes.
	URI string
	// QRCode is a PNG image of the URI.
	QRCode []byte
}

// requireFresh returns the logged-in user's state if the password was
// entered in this session within Config.ReauthenticationWindow. An
// anonymous user, who has no password to enter, gets ErrAnonymous (SEC-A1).
func (tf *TwoFactor) requireFresh() (*sessionState, error) {
	st, err := tf.a.requireLogin()
	if err != nil {
		return nil, err
	}
	if err := tf.a.refuseAnonymous(); err != nil {
		return nil, err
	}
	if !tf.a.IsFresh() {
		return nil, ErrReauthenticationRequired
	}
	return st, nil
}

// IsFresh reports whether the password was entered in this session within
// Config.ReauthenticationWindow, so that sensitive operations will not
// answer [ErrReauthenticationRequired]. A session restored from a
// remember-me cookie is not fresh until [Auth.Reauthenticate] (SEC-S7).
func (a *Auth) IsFresh() bool {
	return a.state != nil && !a.state.PasswordAt.IsZero() &&
		a.kit.now().Sub(a.state.PasswordAt) < a.kit.cfg.ReauthenticationWindow
}

// EnrollTOTP starts setting up an authenticator app for the logged-in
// user and returns the secret and its QR code. The factor works only after
// [TwoFactor.Confirm] with a code from the app. It needs a fresh password
// check ([ErrReauthenticationRequired], SEC-F5).
func (tf *TwoFactor) EnrollTOTP() (*TOTPEnrollment, error) {
	st, err := tf.requireFresh()
	if err != nil {
		return nil, err
	}
	k := tf.a.kit
	key, err := twofactor.NewTOTP(k.cfg.Issuer, tf.a.user.Email)
	if err != nil {
		return nil, internal("make TOTP secret", err)
	}
	png, err := twofactor.TOTPQRCode(key.URI, 256)
	if err != nil {
		return nil, internal("draw QR code", err)
	}
	secret, encrypted, err := k.sealSecret(st.UserID, key.Secret)
	if err != nil {
		return nil, internal("seal TOTP secret", err)
	}
	err = k.store.PutUnverifiedFactor(tf.a.ctx(), store.Factor{
		UserID: st.UserID, Method: int16(twofactor.TOTP), Secret: secret, Encrypted: encrypted, CreatedAt: k.now(),
	})
	if err != nil {
		return nil, factorError(err)
	}
	return &TOTPEnrollment{Secret: key.Secret, URI: key.URI, QRCode: png}, nil
}

// EnableEmail starts using email codes as a second factor: a code goes to
// the account's address, and [TwoFactor.Confirm] with it turns the factor
// on. It needs a fresh password check (SEC-F5).
func (tf *TwoFactor) EnableEmail() error {
	st, err := tf.requireFresh()
	if err != nil {
		return err
	}
	return tf.enableSent(st, twofactor.Email, tf.a.user.Email)
}

// EnableSMS starts using SMS codes sent to phone, in international form
// ("+1 555 123 4567"): a code goes there, and [TwoFactor.Confirm] with it
// turns the factor on. It needs a fresh password check (SEC-F5).
func (tf *TwoFactor) EnableSMS(phone string) error {
	st, err := tf.requireFresh()
	if err != nil {
		return err
	}
	phone, err = twofactor.NormalizePhone(phone)
	if err != nil {
		return ErrInvalidPhone
	}
	if tf.a.kit.cfg.SMS == nil {
		return ErrNoSMSSender
	}
	return tf.enableSent(st, twofactor.SMS, phone)
}

// enableSent sets up a factor whose codes go to contact. The new code is
// stored before the factor's contact changes, and Confirm turns the factor
// on only while its contact is still the one the code it got went to: a
// Confirm racing a change of number cannot turn on a number that never got
// a code.
func (tf *TwoFactor) enableSent(st *sessionState, method twofactor.Method, contact string) error {
	k, ctx := tf.a.kit, tf.a.ctx()
	if err := k.take(ctx, tf.a.sendBuckets(st.UserID, method, contact, false)...); err != nil {
		return err
	}
	code, err := k.storeCode(ctx, st.UserID, method, contact, enableBinding(st.UserID, method))
	if err != nil {
		return err
	}
	err = k.store.PutUnverifiedFactor(ctx, store.Factor{
		UserID: st.UserID, Method: int16(method), Contact: contact, CreatedAt: k.now(),
	})
	if err != nil {
		return factorError(err)
	}
	return k.deliverCode(ctx, method, contact, code, "turn on two-step login")
}

func enableBinding(userID int64, m twofactor.Method) string {
	return "enable:" + m.String() + ":" + strconv.FormatInt(userID, 10)
}

func factorError(err error) error {
	if errors.Is(err, store.ErrFactorEnabled) {
		return ErrMethodAlreadyEnabled
	}
	return unavailable("store second factor", err)
}

// Confirm finishes setting up a factor with a code from it: from the
// authenticator app for twofactor.TOTP, or the code sent by EnableEmail or
// EnableSMS. When this gives the user their first backup codes, they are
// returned — show them once; only hashes are kept. Five wrong codes void a
// sent code, even when they arrive in parallel: EnableEmail or EnableSMS
// sends a new one. The factor turns on only if its set-up was not replaced
// since the code was checked (a new TOTP secret, another phone number).
func (tf *TwoFactor) Confirm(method twofactor.Method, code string) ([]string, error) {
	st, err := tf.a.requireLogin()
	if err != nil {
		return nil, err
	}
	k, ctx := tf.a.kit, tf.a.ctx()
	norm, err := twofactor.NormalizeNumericCode(code, codeDigits)
	if err != nil {
		return nil, ErrSecondFactorInvalid
	}
	// Guesses are throttled per user (SEC-E6): a TOTP set-up has no
	// sent code whose tries run out, and a stolen session must not guess
	// its way to a factor of its own.
	perUser := userBucket("enrol-code", st.UserID, k.cfg.Limits.CodeEntryPerUser)
	if err := k.take(ctx, perUser); err != nil {
		tf.a.audit(auditEvent{event: eventTwoFactorChange, outcome: outcomeThrottled, userID: st.UserID, detail: "confirm " + method.String()})
		return nil, err
	}
	var step int64
	var contact string
	var secret []byte
	switch method {
	case twofactor.TOTP:
		step, secret, err = k.checkNewTOTP(ctx, st.UserID, norm)
	case twofactor.Email, twofactor.SMS:
		contact, err = k.checkEnableCode(ctx, st.UserID, method, norm)
	default:
		err = ErrMethodNotEnabled
	}
	if err != nil {
		if errors.Is(err, ErrSecondFactorInvalid) {
			tf.a.audit(auditEvent{event: eventTwoFactorChange, outcome: outcomeFailed, userID: st.UserID, detail: "confirm " + method.String()})
		}
		return nil, err
	}
	if err := k.store.VerifyFactor(ctx, st.UserID, int16(method), step, contact, secret); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrMethodNotEnabled
		}
		return nil, unavailable("enable second factor", err)
	}
	k.giveBack(ctx, perUser)
	tf.a.audit(auditEvent{event: eventTwoFactorChange, outcome: outcomeOK, userID: st.UserID, detail: "enabled " + method.String()})
	n, err := k.store.CountBackupCodes(ctx, st.UserID)
	if err != nil {
		return nil, unavailable("count backup codes", err)
	}
	if n > 0 {
		return nil, nil
	}
	return k.newBackupCodes(ctx, st.UserID)
}

// checkNewTOTP checks a code against the TOTP factor being set up and
// returns its time step and the stored (sealed) secret it checked.
func (k *Kit) checkNewTOTP(ctx context.Context, userID int64, code string) (int64, []byte, error) {
	rows, err := k.store.Factors(ctx, userID)
	if err != nil {
		return 0, nil, unavailable("load second factors", err)
	}
	for _, f := range rows {
		if f.Method != int16(twofactor.TOTP) {
			continue
		}
		if f.Verified {
			return 0, nil, ErrMethodAlreadyEnabled
		}
		secret, err := k.openSecret(f)
		if err != nil {
			return 0, nil, err
		}
		step, err := twofactor.ValidateTOTP(secret, code, k.now(), 0)
		if err != nil {
			return 0, nil, ErrSecondFactorInvalid
		}
		return step, f.Secret, nil
	}
	return 0, nil, ErrMethodNotEnabled
}

// checkEnableCode uses up the code sent to enable method and returns the
// contact it was sent to. Each code entered first counts as a try against
// the sent code, so that parallel requests cannot try more than
// maxCodeFailures codes between them; a wrong code that uses up the last
// try voids the sent code (SEC-F3).
func (k *Kit) checkEnableCode(ctx context.Context, userID int64, method twofactor.Method, code string) (string, error) {
	binding := enableBinding(userID, method)
	sent, err := k.store.ReserveOTPTry(ctx, binding, int16(method), k.now(), maxCodeFailures)
	if err != nil {
		return "", unavailable("count try", err)
	}
	c, ok, err := k.matchSentCode(ctx, binding, code, sent)
	if err != nil {
		return "", err
	}
	if ok {
		return c.Contact, nil
	}
	if err := k.store.DeleteSpentOTPCodes(ctx, binding, maxCodeFailures); err != nil {
		return "", unavailable("void code", err)
	}
	return "", ErrSecondFactorInvalid
}

// newBackupCodes gives the user a new set of backup codes, voiding the
// old set, and returns them. Each is stored as an argon2id key: codes of
// 50 bits need a slow, salted hash to resist offline guessing (NIST SP
// 800-63B asks for one below 112 bits).
func (k *Kit) newBackupCodes(ctx context.Context, userID int64) ([]string, error) {
	codes := twofactor.NewBackupCodes(backupCodeCount)
	salt := token.Bytes(16)
	hashes := make([][]byte, len(codes))
	for i, c := range codes {
		// Generated codes are already in normalised form.
		key, err := k.hasher.Key(ctx, c, salt)
		if err != nil {
			return nil, k.hashError(err)
		}
		hashes[i] = key
	}
	if err := k.store.ReplaceBackupCodes(ctx, userID, salt, hashes); err != nil {
		return nil, unavailable("store backup codes", err)
	}
	return codes, nil
}

// RegenerateBackupCodes replaces the user's backup codes with a new set
// and returns it; the old codes stop working (SEC-F4). It needs an enabled
// factor and a fresh password check.
func (tf *TwoFactor) RegenerateBackupCodes() ([]string, error) {
	st, err := tf.requireFresh()
	if err != nil {
		return nil, err
	}
	k := tf.a.kit
	_, list, err := k.userFactors(tf.a.ctx(), st.UserID)
	if err != nil {
		return nil, err
	}
	if len(enabledOnly(list)) == 0 {
		return nil, ErrMethodNotEnabled
	}
	codes, err := k.newBackupCodes(tf.a.ctx(), st.UserID)
	if err != nil {
		return nil, err
	}
	tf.a.audit(auditEvent{event: eventTwoFactorChange, outcome: outcomeOK, userID: st.UserID, detail: "new backup codes"})
	return codes, nil
}

// Disable turns a factor off (or abandons its set-up). Like setting one
// up, it needs a fresh password check ([ErrReauthenticationRequired] for a
// session restored from a remember-me cookie, or whose password was
// entered longer ago than Config.ReauthenticationWindow), and the password
// again (SEC-F5). Disabling the last factor deletes the backup codes, and
// logins no longer ask for a second factor.
func (tf *TwoFactor) Disable(method twofactor.Method, password string) error {
	st, err := tf.requireFresh()
	if err != nil {
		return err
	}
	a, k := tf.a, tf.a.kit
	if err := a.checkPassword(st.UserID, password); err != nil {
		return err
	}
	if method == twofactor.BackupCode {
		return ErrMethodNotEnabled
	}
	if err := k.store.DeleteFactor(a.ctx(), st.UserID, int16(method)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrMethodNotEnabled
		}
		return unavailable("disable second factor", err)
	}
	a.audit(auditEvent{event: eventTwoFactorChange, outcome: outcomeOK, userID: st.UserID, detail: "disabled " + method.String()})
	return nil
}

// Methods lists the logged-in user's second factors, including any still
// being set up (Enabled false), and the backup codes left.
func (tf *TwoFactor) Methods() ([]SecondFactor, error) {
	st, err := tf.a.requireLogin()
	if err != nil {
		return nil, err
	}
	_, list, err := tf.a.kit.userFactors(tf.a.ctx(), st.UserID)
	return list, err
}

// sealSecret encrypts a TOTP secret for storage when an EncryptionKey is
// set, bound to the user so it cannot be moved to another account.
func (k *Kit) sealSecret(userID int64, secret string) ([]byte, bool, error) {
	if k.cfg.EncryptionKey == nil {
		return []byte(secret), false, nil
	}
	sealed, err := twofactor.Seal(k.cfg.EncryptionKey, []byte(secret), secretAD(userID))
	return sealed, true, err
}

func (k *Kit) openSecret(f store.Factor) (string, error) {
	if !f.Encrypted {
		return string(f.Secret), nil
	}
	if k.cfg.EncryptionKey == nil {
		k.log.Error("authkit: a TOTP secret is encrypted but no EncryptionKey is configured", "user_id", f.UserID)
		return "", internal("open TOTP secret", errors.New("no EncryptionKey configured"))
	}
	b, err := twofactor.Open(k.cfg.EncryptionKey, f.Secret, secretAD(f.UserID))
	if err != nil {
		k.log.Error("authkit: a TOTP secret cannot be decrypted with the configured EncryptionKey", "user_id", f.UserID)
		return "", internal("open TOTP secret", err)
	}
	return string(b), nil
}

func secretAD(userID int64) []byte {
	return []byte("authkit totp secret for user " + strconv.FormatInt(userID, 10))
}
