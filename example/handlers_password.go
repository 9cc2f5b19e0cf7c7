package main

import (
	"errors"
	"net/http"

	"github.com/authkit/authkit"
)

func (h *handlers) forgotPasswordForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "forgot-password", page{})
}

func (h *handlers) forgotPassword(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := authkit.From(r).ForgotPassword(email); err != nil {
		h.fail(w, r, "forgot-password", page{Email: email}, err)
		return
	}
	// The same answer whether or not the address has an account, so the
	// form cannot be used to find out who is registered.
	h.render(w, r, http.StatusOK, "forgot-password", page{
		Done:   true,
		Notice: "If " + email + " belongs to an account, we emailed it a link to choose a new password.",
	})
}

// resetPasswordForm is the page the reset link leads to. It only shows
// the form: the token is used up when the form is posted, so that mail
// scanners that fetch every link cannot use it up.
// resetPasswordForm shows the form for a new password. The token is only
// checked here, not used up: that happens when the form is posted.
func (h *handlers) resetPasswordForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := authkit.From(r).CheckResetToken(token); err != nil {
		h.fail(w, r, "reset-password", page{}, err) // a dead link: offer a new one
		return
	}
	h.render(w, r, http.StatusOK, "reset-password", page{Token: token})
}

func (h *handlers) resetPassword(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	err := authkit.From(r).ResetPassword(token, r.PostFormValue("password"))
	if err != nil {
		if errors.Is(err, authkit.ErrTokenInvalid) || errors.Is(err, authkit.ErrTokenExpired) {
			token = "" // the link is no good: offer a new one instead of the form
		}
		h.fail(w, r, "reset-password", page{Token: token}, err)
		return
	}
	h.render(w, r, http.StatusOK, "reset-password", page{
		Done:   true,
		Notice: "Your password is changed, and every device that was logged in is logged out.",
	})
}

// changePassword replaces the password of the logged-in user, who stays
// logged in on this device only.
func (h *handlers) changePassword(w http.ResponseWriter, r *http.Request) {
	err := authkit.From(r).ChangePassword(r.PostFormValue("current"), r.PostFormValue("new"))
	h.finish(w, r, wrongPassword(err), "/account?done=password-changed")
}
