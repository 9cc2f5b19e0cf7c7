package main

import (
	"errors"
	"net/http"

	"github.com/authkit/authkit"
)

func (h *handlers) account(w http.ResponseWriter, r *http.Request) {
	h.accountPage(w, r, page{Notice: notice(r)}, nil)
}

// accountPage shows the account page with the user's two-factor settings
// and err, if not nil.
func (h *handlers) accountPage(w http.ResponseWriter, r *http.Request, data page, err error) {
	a := authkit.From(r)
	factors, loadErr := a.TwoFactor().Methods()
	if loadErr == nil {
		data.Settings = newTwoFactorSettings(h.offeredMethods(), factors)
		data.Devices, loadErr = a.Sessions()
	}
	if loadErr == nil {
		data.APIKeys, loadErr = a.APIKeys().List()
	}
	if loadErr == nil {
		data.Passkeys, loadErr = h.passkeys.List(r)
	}
	if loadErr != nil && err == nil {
		err = loadErr
	}
	if err != nil {
		h.fail(w, r, "account", data, err)
		return
	}
	h.render(w, r, http.StatusOK, "account", data)
}

// settingFailed asks for the password again when err says so, and shows
// the account page with err otherwise.
func (h *handlers) settingFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, authkit.ErrReauthenticationRequired) {
		h.render(w, r, http.StatusForbidden, "reauthenticate", page{})
		return
	}
	h.accountPage(w, r, page{}, err)
}

// reauthenticate confirms the password of a session that is not fresh
// (restored by remember me, or logged in a while ago), for the changes
// that need it: the email address, two-step login and the admin actions.
// It goes back to the page in next, or to the account page.
func (h *handlers) reauthenticate(w http.ResponseWriter, r *http.Request) {
	next := r.PostFormValue("next")
	if err := authkit.From(r).Reauthenticate(r.PostFormValue("password")); err != nil {
		h.fail(w, r, "reauthenticate", page{Next: next}, wrongPassword(err))
		return
	}
	if next == "" {
		next = "/account?done=reauthenticated"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// changeEmail mails a confirmation link to the new address; the address
// changes when the link's page posts its token to ConfirmEmail.
func (h *handlers) changeEmail(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	err := authkit.From(r).ChangeEmail(email)
	switch {
	case errors.Is(err, authkit.ErrReauthenticationRequired):
		h.settingFailed(w, r, err)
	case err != nil:
		h.accountPage(w, r, page{Email: email}, err)
	default:
		http.Redirect(w, r, "/account?done=email-link-sent", http.StatusSeeOther)
	}
}
