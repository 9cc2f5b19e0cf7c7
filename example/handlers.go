package main

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/alexedwards/scs/v2"

	"github.com/authkit/authkit"
)

// handlers serves the app's pages. Each one reaches authkit through
// authkit.From(r); no handler ever writes a password back to the page.
type handlers struct {
	pages    map[string]*template.Template
	sessions *scs.SessionManager // authkit's, for the app's own session values
}

// notices are the messages a redirect can ask the next page to show, by
// key, so that no text from the URL is ever shown.
var notices = map[string]string{
	"logout":                 "You are logged out.",
	"logout-everywhere":      "You are logged out on every device.",
	"logout-everywhere-else": "Every other device is logged out; this one stays logged in.",
	"code-sent":              "A new code is on its way.",
	"two-factor-on":          "Two-step login is on for that method.",
	"two-factor-off":         "That method is turned off.",
	"reauthenticated":        "Password confirmed. You can change your two-step login settings now.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }

func (h *handlers) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "home", page{Notice: notice(r)})
}

func (h *handlers) registerForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "register", page{})
}

func (h *handlers) register(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	_, err := authkit.From(r).Register(email, r.PostFormValue("password"))
	switch {
	case errors.Is(err, authkit.ErrMailNotSent):
		// The account exists; the confirmation page offers to resend.
		h.fail(w, r, "confirm", page{Email: email}, err)
	case err != nil:
		h.fail(w, r, "register", page{Email: email}, err)
	default:
		h.render(w, r, http.StatusOK, "confirm", page{
			Email:  email,
			Notice: "Your account is created. Open the link we emailed you to confirm your address, then log in.",
		})
	}
}

// confirmEmail is the page the confirmation link leads to. Without a
// token it only offers to send a new link.
func (h *handlers) confirmEmail(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		h.render(w, r, http.StatusOK, "confirm", page{})
		return
	}
	if err := authkit.From(r).ConfirmEmail(token); err != nil {
		h.fail(w, r, "confirm", page{}, err)
		return
	}
	h.render(w, r, http.StatusOK, "confirm", page{Confirmed: true, Notice: "Your email address is confirmed. You can log in now."})
}

func (h *handlers) resendConfirmation(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	if err := authkit.From(r).ResendConfirmation(email); err != nil {
		h.fail(w, r, "confirm", page{Email: email}, err)
		return
	}
	// The same answer whether or not the address has an account, so the
	// form cannot be used to find out who is registered.
	h.render(w, r, http.StatusOK, "confirm", page{
		Email:  email,
		Notice: "If " + email + " has an account that still needs confirming, a new link is on its way.",
	})
}

func (h *handlers) loginForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.render(w, r, http.StatusOK, "login", page{Next: safeNext(q.Get("next")), Error: loginProblems[q.Get("problem")]})
}

func (h *handlers) login(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	next := safeNext(r.PostFormValue("next"))
	remember := r.PostFormValue("remember") == "on"
	err := authkit.From(r).Login(email, r.PostFormValue("password"), remember)
	if sf, ok := errors.AsType[*authkit.SecondFactorRequiredError](err); ok {
		h.beginSecondStep(w, r, sf.Methods, next)
		return
	}
	if err != nil {
		h.fail(w, r, "login", page{Email: email, Next: next, Unconfirmed: errors.Is(err, authkit.ErrEmailNotVerified)}, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handlers) logout(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, authkit.From(r).Logout(), "/?done=logout")
}

func (h *handlers) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, authkit.From(r).LogoutEverywhere(), "/?done=logout-everywhere")
}

func (h *handlers) logoutEverywhereElse(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, authkit.From(r).LogoutEverywhereElse(), "/account?done=logout-everywhere-else")
}

// finish redirects to the page named by to after a successful action, or
// shows the account page with the error.
func (h *handlers) finish(w http.ResponseWriter, r *http.Request, err error, to string) {
	if err != nil {
		h.accountPage(w, r, page{}, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, and "/account"
// otherwise, so that a crafted login link cannot send the user to another
// site after logging in (an open redirect). Browsers read "/\" like "//".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/account"
	}
	return next
}
