package httpapi

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

func (p *pages) routes() {
	at := func(pattern string, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		p.mux.HandleFunc(method+" "+p.opts.Prefix+path, h)
	}
	at("GET /style.css", p.stylesheet)
	at("GET /login", p.loginPage)
	at("POST /login", p.login)
	at("GET /login/second-factor", p.secondFactorPage)
	at("POST /login/second-factor", p.secondFactor)
	at("POST /login/second-factor/send", p.sendCode)
	at("GET /login/link", p.loginLinkPage)
	at("POST /login/link", p.loginLink)
	at("GET /register", p.registerPage)
	at("POST /register", p.register)
	at("GET /confirm", p.confirmPage)
	at("POST /confirm", p.confirm)
	at("GET /password/forgot", p.forgotPage)
	at("POST /password/forgot", p.forgot)
	at("GET /password/reset", p.resetPage)
	at("POST /password/reset", p.reset)
	at("GET /account", p.accountPage)
	at("POST /account/profile", p.profile)
	at("POST /account/reauthenticate", p.reauthenticate)
	at("POST /account/two-factor/{method}/enroll", p.enroll)
	at("POST /account/two-factor/{method}/confirm", p.confirmFactor)
	at("POST /account/two-factor/{method}/disable", p.disableFactor)
	at("POST /account/two-factor/backup-codes", p.backupCodes)
	at("POST /logout", p.logout)
	at("POST /logout/everywhere", p.logoutEverywhere)
}

func (p *pages) stylesheet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(p.style)
}

func (p *pages) loginPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "login", PageData{Notice: p.notice(r), Next: localPath(r.FormValue("next"))})
}

// afterLogin is where a login goes: its local "next", or AfterLogin.
func (p *pages) afterLogin(r *http.Request) string {
	if next := localPath(r.FormValue("next")); next != "" {
		return next
	}
	return p.opts.AfterLogin
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	email := r.PostFormValue("email")
	err := a.Login(email, r.PostFormValue("password"), r.PostFormValue("remember") != "")
	var sf *authkit.SecondFactorRequiredError
	switch {
	case errors.As(err, &sf):
		http.Redirect(w, r, p.opts.Prefix+"/login/second-factor?next="+url.QueryEscape(localPath(r.FormValue("next"))), http.StatusSeeOther)
	case err != nil:
		p.fail(w, r, "login", PageData{Email: email, Next: localPath(r.FormValue("next"))}, err)
	default:
		http.Redirect(w, r, p.afterLogin(r), http.StatusSeeOther)
	}
}

func (p *pages) secondFactorPage(w http.ResponseWriter, r *http.Request) {
	p.renderSecondFactor(w, r, http.StatusOK, PageData{Notice: p.notice(r)}, nil)
}

// renderSecondFactor shows the second step with the pending login's
// methods; without a pending login it goes back to the login page.
func (p *pages) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, data PageData, err error) {
	methods, mErr := authkit.From(r).TwoFactor().PendingMethods()
	if mErr != nil {
		if errors.Is(mErr, authkit.ErrUnavailable) {
			p.fail(w, r, "message", data, mErr)
			return
		}
		if err == nil {
			err = mErr
		}
		// The login is over (expired, out of tries, revoked): start again.
		p.redirect(w, r, p.opts.Prefix+"/login", sentence(describeMessage(err)))
		return
	}
	data.Methods, data.Next = methods, localPath(r.FormValue("next"))
	if err != nil {
		p.fail(w, r, "second-factor", data, err)
		return
	}
	p.render(w, status, "second-factor", data)
}

func describeMessage(err error) string {
	_, e := describe(err)
	return e.Message
}

func (p *pages) secondFactor(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	m, err := method(r.PostFormValue("method"))
	if err == nil {
		err = a.TwoFactor().Verify(m, r.PostFormValue("code"))
	}
	if err == nil {
		err = a.CompleteTwoFactorLogin()
	}
	if err != nil {
		p.renderSecondFactor(w, r, 0, PageData{}, err)
		return
	}
	http.Redirect(w, r, p.afterLogin(r), http.StatusSeeOther)
}

func (p *pages) sendCode(w http.ResponseWriter, r *http.Request) {
	m, err := method(r.PostFormValue("method"))
	if err == nil {
		err = authkit.From(r).TwoFactor().SendCode(m)
	}
	if err != nil {
		p.renderSecondFactor(w, r, 0, PageData{}, err)
		return
	}
	p.redirect(w, r, p.opts.Prefix+"/login/second-factor?next="+url.QueryEscape(localPath(r.FormValue("next"))), "The code is on its way.")
}

func (p *pages) registerPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "register", PageData{})
}

func (p *pages) register(w http.ResponseWriter, r *http.Request) {
	email, name := r.PostFormValue("email"), r.PostFormValue("name")
	profile := authkit.UserUpdate{Name: &name}
	err := profile.Validate()
	var id int64
	if err == nil {
		id, err = authkit.From(r).Register(email, r.PostFormValue("password"))
	}
	if err == nil && name != "" {
		_, err = p.kit.Admin().UpdateUser(r.Context(), id, profile)
	}
	if err != nil {
		p.fail(w, r, "register", PageData{Email: email}, err)
		return
	}
	p.render(w, http.StatusOK, "message", PageData{Notice: "Your account is ready. We sent a link to " + email + ": open it to confirm your address, then log in."})
}

func (p *pages) confirmPage(w http.ResponseWriter, r *http.Request) {
	// A GET only shows a button: mail scanners that open links must not
	// use the token up.
	p.render(w, http.StatusOK, "confirm", PageData{Token: r.FormValue("token")})
}

func (p *pages) confirm(w http.ResponseWriter, r *http.Request) {
	if err := authkit.From(r).ConfirmEmail(r.PostFormValue("token")); err != nil {
		p.fail(w, r, "message", PageData{}, err)
		return
	}
	p.redirect(w, r, p.opts.Prefix+"/login", "Your address is confirmed.")
}

func (p *pages) forgotPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "forgot", PageData{})
}

func (p *pages) forgot(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := authkit.From(r).ForgotPassword(email); err != nil {
		p.fail(w, r, "forgot", PageData{Email: email}, err)
		return
	}
	p.render(w, http.StatusOK, "message", PageData{Notice: "If " + email + " has an account, a link to choose a new password is on its way."})
}

func (p *pages) resetPage(w http.ResponseWriter, r *http.Request) {
	tok := r.FormValue("token")
	if err := authkit.From(r).CheckResetToken(tok); err != nil {
		p.fail(w, r, "message", PageData{}, err)
		return
	}
	p.render(w, http.StatusOK, "reset", PageData{Token: tok})
}

func (p *pages) reset(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	if err := authkit.From(r).ResetPassword(tok, r.PostFormValue("password")); err != nil {
		name := "reset"
		if errors.Is(err, authkit.ErrTokenInvalid) || errors.Is(err, authkit.ErrTokenExpired) {
			name = "message"
		}
		p.fail(w, r, name, PageData{Token: tok}, err)
		return
	}
	p.redirect(w, r, p.opts.Prefix+"/login", "Your password is changed. Log in with the new one.")
}

// account loads what the account page shows. A request nobody is logged
// in for goes to the login page, and back here afterwards.
func (p *pages) account(w http.ResponseWriter, r *http.Request) (PageData, bool) {
	a := authkit.From(r)
	if !a.IsLoggedIn() {
		http.Redirect(w, r, p.opts.Prefix+"/login?next="+url.QueryEscape(p.opts.Prefix+"/account"), http.StatusSeeOther)
		return PageData{}, false
	}
	u, err := a.User()
	var methods []authkit.SecondFactor
	if err == nil {
		methods, err = a.TwoFactor().Methods()
	}
	if err != nil {
		p.fail(w, r, "message", PageData{}, err)
		return PageData{}, false
	}
	return PageData{User: &u, Methods: methods, Fresh: a.IsFresh()}, true
}

// accountAfter answers a form of the account page: the page again with
// the form's error, or a redirect to it with notice.
func (p *pages) accountAfter(w http.ResponseWriter, r *http.Request, err error, notice string) {
	if err == nil {
		p.redirect(w, r, p.opts.Prefix+"/account", notice)
		return
	}
	data, ok := p.account(w, r)
	if ok {
		p.fail(w, r, "account", data, err)
	}
}

func (p *pages) accountPage(w http.ResponseWriter, r *http.Request) {
	data, ok := p.account(w, r)
	if ok {
		data.Notice = p.notice(r)
		p.render(w, http.StatusOK, "account", data)
	}
}

func (p *pages) profile(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("name")
	_, err := authkit.From(r).UpdateUser(authkit.UserUpdate{Name: &name})
	p.accountAfter(w, r, err, "Your name is saved.")
}

func (p *pages) reauthenticate(w http.ResponseWriter, r *http.Request) {
	p.accountAfter(w, r, authkit.From(r).Reauthenticate(r.PostFormValue("password")), "Thank you. You can change your settings now.")
}

func (p *pages) enroll(w http.ResponseWriter, r *http.Request) {
	tf := authkit.From(r).TwoFactor()
	m, err := method(r.PathValue("method"))
	if err != nil {
		p.accountAfter(w, r, err, "")
		return
	}
	switch m {
	case twofactor.TOTP:
		e, err := tf.EnrollTOTP()
		if err != nil {
			p.accountAfter(w, r, err, "")
			return
		}
		data, ok := p.account(w, r)
		if ok {
			data.TOTP = &TOTPSetup{Secret: e.Secret, URI: e.URI,
				QRCode: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode))}
			p.render(w, http.StatusOK, "account", data)
		}
		return
	case twofactor.Email:
		err = tf.EnableEmail()
	case twofactor.SMS:
		err = tf.EnableSMS(r.PostFormValue("phone"))
	default:
		err = authkit.ErrMethodNotEnabled
	}
	p.accountAfter(w, r, err, "We sent you a code: enter it below to turn this on.")
}

func (p *pages) confirmFactor(w http.ResponseWriter, r *http.Request) {
	m, err := method(r.PathValue("method"))
	var codes []string
	if err == nil {
		codes, err = authkit.From(r).TwoFactor().Confirm(m, r.PostFormValue("code"))
	}
	if err != nil || codes == nil {
		p.accountAfter(w, r, err, methodName(m)+" is on.")
		return
	}
	p.showBackupCodes(w, r, methodName(m)+" is on.", codes)
}

// showBackupCodes renders the account page with new backup codes, which
// are shown this once.
func (p *pages) showBackupCodes(w http.ResponseWriter, r *http.Request, notice string, codes []string) {
	data, ok := p.account(w, r)
	if ok {
		data.Notice, data.BackupCodes = notice, codes
		p.render(w, http.StatusOK, "account", data)
	}
}

func (p *pages) disableFactor(w http.ResponseWriter, r *http.Request) {
	m, err := method(r.PathValue("method"))
	if err == nil {
		err = authkit.From(r).TwoFactor().Disable(m, r.PostFormValue("password"))
	}
	p.accountAfter(w, r, err, methodName(m)+" is off.")
}

func (p *pages) backupCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := authkit.From(r).TwoFactor().RegenerateBackupCodes()
	if err != nil {
		p.accountAfter(w, r, err, "")
		return
	}
	p.showBackupCodes(w, r, "Here are your new backup codes; the old ones no longer work.", codes)
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request) {
	if err := authkit.From(r).Logout(); err != nil {
		p.fail(w, r, "message", PageData{}, err)
		return
	}
	p.redirect(w, r, p.opts.Prefix+"/login", "You are logged out.")
}

func (p *pages) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	if err := authkit.From(r).LogoutEverywhere(); err != nil {
		p.accountAfter(w, r, err, "")
		return
	}
	p.redirect(w, r, p.opts.Prefix+"/login", "You are logged out on every device.")
}
