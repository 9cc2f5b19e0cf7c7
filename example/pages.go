package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/twofactor"
)

//go:embed templates/*.html
var templateFiles embed.FS

// parsePages parses each page together with the layout it fills in.
func parsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template)
	for _, name := range []string{
		"home", "register", "confirm", "login", "second-factor", "account",
		"reauthenticate", "twofactor-confirm", "twofactor-backup-codes",
		"forgot-password", "reset-password", "admin-users", "admin-user",
		"outbox", "problem", "link-account",
	} {
		pages[name] = template.Must(template.New("").Funcs(templateFuncs).
			ParseFS(templateFiles, "templates/layout.html", "templates/passkeys.html", "templates/"+name+".html"))
	}
	return pages
}

var templateFuncs = template.FuncMap{"methodName": methodName, "datetime": datetime, "isAdmin": isAdmin, "providerTitle": providerTitle}

// datetime shows a time to the minute, in UTC, or "never" for the zero
// time.
func datetime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// methodName names a second factor for the user.
func methodName(m twofactor.Method) string {
	switch m {
	case twofactor.TOTP:
		return "Authenticator app"
	case twofactor.Email:
		return "Codes by email"
	case twofactor.SMS:
		return "Codes by text message"
	case twofactor.BackupCode:
		return "Backup code"
	case twofactor.Passkey:
		return "Passkey"
	}
	return m.String()
}

// page is what the templates show. It never holds a password.
type page struct {
	Auth        *authkit.Auth // who is logged in; render fills it in
	DevMode     bool          // development mode is on; render fills it in
	Providers   []string      // the providers to sign in with; render fills them in
	Notice      string        // a success message
	Error       string        // a failure, in words for the user
	Email       string        // to fill in the form again
	Next        string        // where to go after logging in
	Token       string        // the token of an emailed link, for the form that uses it
	Unconfirmed bool          // the login failed for want of a confirmed address
	Done        bool          // the page's form did its work: show no form again

	Methods     []authkit.SecondFactor // the second factors a login offers
	Factor      authkit.SecondFactor   // the one the page is about
	Settings    *twoFactorSettings     // the account page's, once loaded
	QRCode      template.URL           // a new TOTP secret's QR code, as a data: URL
	Secret      string                 // the same secret, for typing in
	BackupCodes []string               // new backup codes, shown once

	Devices   []authkit.Device // where the user is logged in
	APIKeys   []authkit.APIKey // the user's API keys
	NewAPIKey string           // a new API key's secret, shown once

	Passkeys []passkey.Passkey // the user's passkeys

	Admin  *adminView  // what an admin page shows
	Outbox *outboxView // what the development outbox shows
}

// render writes the page name with the given status. It renders into a
// buffer first so that a template error can still answer 500.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, name string, data page) {
	data.Auth = authkit.From(r)
	data.DevMode = h.outbox != nil
	data.Providers = h.providerNames()
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		slog.ErrorContext(r.Context(), "rendering page failed", "page", name, "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Pages depend on who is logged in: keep them out of every cache, so
	// that the back button cannot show /account after logging out.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail shows the page name with err explained to the user.
func (h *handlers) fail(w http.ResponseWriter, r *http.Request, name string, data page, err error) {
	status, msg := describe(err)
	if tm, ok := errors.AsType[*authkit.TooManyRequestsError](err); ok && tm.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(tm)))
	}
	if status >= http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "error", err)
	}
	data.Error = msg
	h.render(w, r, status, name, data)
}

// retryAfterSeconds is how long to wait, in whole seconds rounded up.
func retryAfterSeconds(tm *authkit.TooManyRequestsError) int {
	return int((tm.RetryAfter + time.Second - 1) / time.Second)
}

// Errors of the app's own, for authkit errors that need other words where
// they happen, and for the app's own checks.
var (
	// errWrongPassword is ErrInvalidCredentials where the email address
	// is known: asking for the password again.
	errWrongPassword = errors.New("wrong password")
	// errCodeNotSent is ErrMailNotSent or ErrSMSNotSent for a two-factor
	// code.
	errCodeNotSent = errors.New("code not sent")
	// errConfirmationNotSent is ErrMailNotSent for the confirmation link
	// of a new account.
	errConfirmationNotSent = errors.New("confirmation not sent")
	// errLogInAsRefused is the *StatusError of LogInAsUser: the user's
	// status, not the admin's, is in the way.
	errLogInAsRefused = errors.New("cannot log in as this user")
	// errOwnAccount refuses admin actions that would lock the acting
	// admin out.
	errOwnAccount = errors.New("not on your own account")
	// errNotAdmin is a logged-in user without the admin role on an admin
	// page.
	errNotAdmin = errors.New("not an administrator")
	// errNoSuchPage is a path the app does not serve.
	errNoSuchPage = errors.New("no such page")
)

func wrongPassword(err error) error {
	if errors.Is(err, authkit.ErrInvalidCredentials) {
		return fmt.Errorf("%w: %w", errWrongPassword, err)
	}
	return err
}

func codeNotSent(err error) error {
	if errors.Is(err, authkit.ErrMailNotSent) || errors.Is(err, authkit.ErrSMSNotSent) {
		return fmt.Errorf("%w: %w", errCodeNotSent, err)
	}
	return err
}

// describe turns an error from authkit into an HTTP status and a message
// for the user.
func describe(err error) (status int, message string) {
	if status, msg, ok := describeSocial(err); ok {
		return status, msg
	}
	switch {
	// The app's own errors wrap authkit's, so they come first.
	case errors.Is(err, errWrongPassword):
		return http.StatusUnauthorized, "That password is not right."
	case errors.Is(err, errCodeNotSent):
		return http.StatusServiceUnavailable, "The code could not be sent. Please try again in a moment."
	case errors.Is(err, errConfirmationNotSent):
		return http.StatusServiceUnavailable, "Your account is created, but the confirmation email could not be sent. Ask for a new one below."
	case errors.Is(err, errLogInAsRefused):
		return http.StatusConflict, "Only users whose status is normal can be logged in as."
	case errors.Is(err, errOwnAccount):
		return http.StatusUnprocessableEntity, "You cannot do that to your own account."
	case errors.Is(err, errNotAdmin):
		return http.StatusForbidden, "This page is for administrators only."
	case errors.Is(err, errNoSuchPage):
		return http.StatusNotFound, "There is no such page."
	}
	if se, ok := errors.AsType[*authkit.StatusError](err); ok {
		return http.StatusForbidden, "Your account is " + se.Status.String() + ", so you cannot log in."
	}
	if tm, ok := errors.AsType[*authkit.TooManyRequestsError](err); ok {
		if tm.RetryAfter <= 0 { // waiting will not help
			return http.StatusTooManyRequests, "Too many attempts. Please log in again to start over."
		}
		return http.StatusTooManyRequests, fmt.Sprintf("Too many attempts. Please try again in %d seconds.", retryAfterSeconds(tm))
	}
	switch {
	case errors.Is(err, authkit.ErrSecondFactorInvalid):
		return http.StatusUnauthorized, "That code is not right. Please check it and try again."
	case errors.Is(err, authkit.ErrMethodNotEnabled):
		return http.StatusUnprocessableEntity, "That method is not turned on for your account."
	case errors.Is(err, authkit.ErrMethodAlreadyEnabled):
		return http.StatusConflict, "That method is on already. Turn it off first to set it up again."
	case errors.Is(err, authkit.ErrInvalidPhone):
		return http.StatusUnprocessableEntity, "Please enter the phone number in international form: + and the country code, for example +44 20 7946 0958."
	case errors.Is(err, authkit.ErrNoSMSSender):
		return http.StatusServiceUnavailable, "Codes by text message are not available on this server."
	case errors.Is(err, authkit.ErrInvalidCredentials):
		return http.StatusUnauthorized, "Wrong email address or password."
	case errors.Is(err, authkit.ErrEmailNotVerified):
		return http.StatusForbidden, "Please confirm your email address first: open the link we emailed you, or ask for a new one below."
	case errors.Is(err, authkit.ErrNotLoggedIn):
		return http.StatusUnauthorized, "Please log in first."
	case errors.Is(err, authkit.ErrReauthenticationRequired):
		return http.StatusForbidden, "Please confirm your password first."
	case errors.Is(err, authkit.ErrUserNotFound):
		return http.StatusNotFound, "There is no such user."
	case errors.Is(err, authkit.ErrNotFound):
		return http.StatusNotFound, "That is gone already."
	case errors.Is(err, authkit.ErrInvalidAPIKeySpec):
		return http.StatusUnprocessableEntity, "Give the key a name (up to 100 characters); scopes are single words, and a lifetime is whole days."
	case errors.Is(err, authkit.ErrTooManyAPIKeys):
		return http.StatusConflict, "You have 100 API keys. Revoke some first."
	case errors.Is(err, authkit.ErrInvalidEmail):
		return http.StatusUnprocessableEntity, "Please enter a valid email address."
	case errors.Is(err, authkit.ErrEmailTaken):
		return http.StatusConflict, "An account with this email address exists already."
	case errors.Is(err, authkit.ErrPasswordTooShort):
		return http.StatusUnprocessableEntity, "That password is too short: use at least 8 characters."
	case errors.Is(err, authkit.ErrPasswordTooLong):
		return http.StatusUnprocessableEntity, "That password is too long."
	case errors.Is(err, authkit.ErrPasswordTooCommon):
		return http.StatusUnprocessableEntity, "That password is too common. Please choose one that is harder to guess."
	case errors.Is(err, authkit.ErrPasswordMalformed):
		return http.StatusUnprocessableEntity, "That password contains characters that cannot be used."
	case errors.Is(err, authkit.ErrTokenExpired):
		return http.StatusBadRequest, "This link has expired. Please ask for a new one."
	case errors.Is(err, authkit.ErrTokenInvalid):
		return http.StatusBadRequest, "This link is not valid or was used already. Please ask for a new one if you still need it."
	case errors.Is(err, authkit.ErrMailNotSent):
		return http.StatusServiceUnavailable, "The email could not be sent. Please try again in a moment."
	case errors.Is(err, authkit.ErrUnavailable):
		return http.StatusServiceUnavailable, "The service is unavailable right now. Please try again in a moment."
	}
	return http.StatusInternalServerError, "Something went wrong. Please try again."
}
