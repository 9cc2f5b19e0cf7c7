package main

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"slices"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// twoFactorSettings is the two-factor part of the account page.
type twoFactorSettings struct {
	Factors         []factorSetting // one for each method that sends or shows codes
	BackupCodesLeft int
}

// factorSetting is one method on the account page. Present is false when
// the user has never set it up; then only Method is filled in.
type factorSetting struct {
	authkit.SecondFactor
	Present bool
}

// newTwoFactorSettings arranges the user's factors, as TwoFactor.Methods
// lists them, by method: one for each method this server offers, and any
// other the user has set up, so it can be turned off.
func newTwoFactorSettings(offered []twofactor.Method, factors []authkit.SecondFactor) *twoFactorSettings {
	s := &twoFactorSettings{}
	for _, m := range offered {
		s.Factors = append(s.Factors, factorSetting{SecondFactor: authkit.SecondFactor{Method: m}})
	}
	for _, f := range factors {
		if f.Method == twofactor.BackupCode {
			s.BackupCodesLeft = f.Remaining
			continue
		}
		if f.Method == twofactor.Passkey { // managed in the page's passkeys section
			continue
		}
		setting := factorSetting{SecondFactor: f, Present: true}
		if i := slices.IndexFunc(s.Factors, func(o factorSetting) bool { return o.Method == f.Method }); i >= 0 {
			s.Factors[i] = setting
		} else {
			s.Factors = append(s.Factors, setting)
		}
	}
	return s
}

// offeredMethods lists the second factors users can set up here: codes by
// text message need an SMS sender.
func (h *handlers) offeredMethods() []twofactor.Method {
	if h.smsAvailable {
		return []twofactor.Method{twofactor.TOTP, twofactor.Email, twofactor.SMS}
	}
	return []twofactor.Method{twofactor.TOTP, twofactor.Email}
}

// On reports whether logins ask for a second factor.
func (s *twoFactorSettings) On() bool {
	for _, f := range s.Factors {
		if f.Enabled {
			return true
		}
	}
	return false
}

// enrollTOTP shows a new secret as a QR code and as text, with the form
// for the first code from the app.
func (h *handlers) enrollTOTP(w http.ResponseWriter, r *http.Request) {
	enrollment, err := authkit.From(r).TwoFactor().EnrollTOTP()
	if err != nil {
		h.settingFailed(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "twofactor-confirm", page{
		Factor: authkit.SecondFactor{Method: twofactor.TOTP},
		// html/template would replace a data: URL with "#ZgotmplZ";
		// template.URL vouches for it. That is safe only because the
		// whole URL is built here from the PNG authkit made: never wrap
		// text from a request this way.
		QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(enrollment.QRCode)),
		Secret: enrollment.Secret,
	})
}

func (h *handlers) enableEmail(w http.ResponseWriter, r *http.Request) {
	h.codeSent(w, r, twofactor.Email, authkit.From(r).TwoFactor().EnableEmail())
}

func (h *handlers) enableSMS(w http.ResponseWriter, r *http.Request) {
	h.codeSent(w, r, twofactor.SMS, authkit.From(r).TwoFactor().EnableSMS(r.PostFormValue("phone")))
}

// codeSent shows the form for the code that enabling method sent, or
// the error that stopped it.
func (h *handlers) codeSent(w http.ResponseWriter, r *http.Request, method twofactor.Method, err error) {
	if err != nil {
		h.settingFailed(w, r, codeNotSent(err))
		return
	}
	h.confirmPage(w, r, method, nil)
}

// confirmPage shows the form that asks for method's first code, with
// err, if not nil.
func (h *handlers) confirmPage(w http.ResponseWriter, r *http.Request, method twofactor.Method, err error) {
	factors, loadErr := authkit.From(r).TwoFactor().Methods()
	if loadErr != nil {
		h.settingFailed(w, r, loadErr)
		return
	}
	data := page{Factor: authkit.SecondFactor{Method: method}}
	for _, f := range factors {
		if f.Method == method {
			data.Factor = f // with the masked contact the code went to
		}
	}
	if err != nil {
		h.fail(w, r, "twofactor-confirm", data, err)
		return
	}
	h.render(w, r, http.StatusOK, "twofactor-confirm", data)
}

// confirmFactor turns a method on with its first code. The first method
// turned on brings the backup codes, shown once.
func (h *handlers) confirmFactor(w http.ResponseWriter, r *http.Request) {
	// An unknown name gives the zero Method, which authkit refuses.
	method, _ := twofactor.ParseMethod(r.PathValue("method"))
	codes, err := authkit.From(r).TwoFactor().Confirm(method, r.PostFormValue("code"))
	switch {
	case errors.Is(err, authkit.ErrSecondFactorInvalid):
		h.confirmPage(w, r, method, err)
	case err != nil:
		h.settingFailed(w, r, err)
	case codes != nil:
		h.render(w, r, http.StatusOK, "twofactor-backup-codes", page{
			Notice:      "Two-step login is on.",
			BackupCodes: codes,
		})
	default:
		http.Redirect(w, r, "/account?done=two-factor-on", http.StatusSeeOther)
	}
}

func (h *handlers) disableFactor(w http.ResponseWriter, r *http.Request) {
	method, _ := twofactor.ParseMethod(r.PathValue("method"))
	if err := authkit.From(r).TwoFactor().Disable(method, r.PostFormValue("password")); err != nil {
		h.settingFailed(w, r, wrongPassword(err))
		return
	}
	http.Redirect(w, r, "/account?done=two-factor-off", http.StatusSeeOther)
}

func (h *handlers) regenerateBackupCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := authkit.From(r).TwoFactor().RegenerateBackupCodes()
	if err != nil {
		h.settingFailed(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "twofactor-backup-codes", page{
		Notice:      "Your old backup codes no longer work.",
		BackupCodes: codes,
	})
}
