package main

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/authkit/authkit"
)

//go:embed templates/*.html
var templateFiles embed.FS

// parsePages parses each page together with the layout it fills in.
func parsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template)
	for _, name := range []string{"home", "register", "confirm", "login", "account"} {
		pages[name] = template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// page is what the templates show. It never holds a password.
type page struct {
	Auth        *authkit.Auth // who is logged in; render fills it in
	Notice      string        // a success message
	Error       string        // a failure, in words for the user
	Email       string        // to fill in the form again
	Next        string        // where to go after logging in
	Confirmed   bool          // the email address was just confirmed
	Unconfirmed bool          // the login failed for want of a confirmed address
}

// render writes the page name with the given status. It renders into a
// buffer first so that a template error can still answer 500.
func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, name string, data page) {
	data.Auth = authkit.From(r)
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
	if status >= http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "error", err)
	}
	data.Error = msg
	h.render(w, r, status, name, data)
}

// describe turns an error from authkit into an HTTP status and a message
// for the user.
func describe(err error) (status int, message string) {
	if se, ok := errors.AsType[*authkit.StatusError](err); ok {
		return http.StatusForbidden, "Your account is " + se.Status.String() + ", so you cannot log in."
	}
	switch {
	case errors.Is(err, authkit.ErrInvalidCredentials):
		return http.StatusUnauthorized, "Wrong email address or password."
	case errors.Is(err, authkit.ErrEmailNotVerified):
		return http.StatusForbidden, "Please confirm your email address first: open the link we emailed you, or ask for a new one below."
	case errors.Is(err, authkit.ErrNotLoggedIn):
		return http.StatusUnauthorized, "Please log in first."
	case errors.Is(err, authkit.ErrInvalidEmail):
		return http.StatusUnprocessableEntity, "Please enter a valid email address."
	case errors.Is(err, authkit.ErrEmailTaken):
		return http.StatusConflict, "An account with this email address exists already. Log in instead."
	case errors.Is(err, authkit.ErrPasswordTooShort):
		return http.StatusUnprocessableEntity, "That password is too short: use at least 8 characters."
	case errors.Is(err, authkit.ErrPasswordTooLong):
		return http.StatusUnprocessableEntity, "That password is too long."
	case errors.Is(err, authkit.ErrPasswordTooCommon):
		return http.StatusUnprocessableEntity, "That password is too common. Please choose one that is harder to guess."
	case errors.Is(err, authkit.ErrPasswordMalformed):
		return http.StatusUnprocessableEntity, "That password contains characters that cannot be used."
	case errors.Is(err, authkit.ErrTokenExpired):
		return http.StatusBadRequest, "This confirmation link has expired. Ask for a new one below."
	case errors.Is(err, authkit.ErrTokenInvalid):
		return http.StatusBadRequest, "This confirmation link is not valid or was used already. Ask for a new one below if you still need one."
	case errors.Is(err, authkit.ErrMailNotSent):
		return http.StatusServiceUnavailable, "Your account is created, but the confirmation email could not be sent. Ask for a new one below."
	case errors.Is(err, authkit.ErrUnavailable):
		return http.StatusServiceUnavailable, "The service is unavailable right now. Please try again in a moment."
	}
	return http.StatusInternalServerError, "Something went wrong. Please try again."
}
