package main

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
)

// handlers serves the app's pages. Each one reaches authkit through
// authkit.From(r); no handler ever writes a password back to the page.
type handlers struct {
	pages        map[string]*template.Template
	kit          *authkit.Kit     // for the Admin API
	outbox       *devOutbox       // nil unless in development mode
	smsAvailable bool             // whether an SMS sender is configured
	social       *oauth.Service   // sign-in with providers; nil without any
	passkeys     *passkey.Service // passkey sign-in and settings
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
	"reauthenticated":        "Password confirmed. You can change your email address and two-step login settings now.",
	"password-changed":       "Your password is changed. Every other device is logged out.",
	"email-link-sent":        "We emailed a link to the new address. Your address changes when you open it.",
	"linked":                 "The provider account is linked: you can sign in with it now.",
	"ban":                    "The user is banned and logged out on every device.",
	"unban":                  "The user's status is normal again: they can log in.",
	"force-logout":           "The user is logged out on every device.",
	"make-admin":             "The user is an administrator now, once they log in again: their sessions ended, so the role comes with a new one.",
	"remove-admin":           "The user is no longer an administrator.",
	"session-revoked":        "That device is logged out.",
	"api-key-revoked":        "That API key no longer works.",
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
		h.fail(w, r, "confirm", page{Email: email}, fmt.Errorf("%w: %w", errConfirmationNotSent, err))
	case err != nil:
		h.fail(w, r, "register", page{Email: email}, err)
	default:
		h.render(w, r, http.StatusOK, "confirm", page{
			Email:  email,
			Notice: "Your account is created. Open the link we emailed you to confirm your address, then log in.",
		})
	}
}

// confirmEmailForm is the page the confirmation link leads to, for a new
// account and for an email change alike. It shows a button that posts the
// token rather than confirming at once, so that mail scanners that fetch
// every link cannot use it up. Without a token it only offers to send a
// new link.
func (h *handlers) confirmEmailForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "confirm", page{Token: r.URL.Query().Get("token")})
}

func (h *handlers) confirmEmail(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	if err := a.ConfirmEmail(r.PostFormValue("token")); err != nil {
		h.fail(w, r, "confirm", page{}, err)
		return
	}
	notice := "Your email address is confirmed. You can log in now."
	if a.IsLoggedIn() {
		notice = "Your email address is confirmed."
	}
	h.render(w, r, http.StatusOK, "confirm", page{Done: true, Notice: notice})
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
	if _, ok := errors.AsType[*authkit.SecondFactorRequiredError](err); ok {
		http.Redirect(w, r, withNext("/login/second-factor", next, nil), http.StatusSeeOther)
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

// withNext returns path with the query q and next, the page to go to once
// logged in; the pages that read next check it with safeNext.
func withNext(path, next string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	q.Set("next", next)
	return path + "?" + q.Encode()
}
