package main

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authkit/authkit"
)

const newPassword = "a new and better passphrase"

// tryLogin posts the login form with any password.
func (b *browser) tryLogin(email, pw string) reply {
	b.t.Helper()
	return b.post("/login", url.Values{"email": {email}, "password": {pw}})
}

func TestPassword_ForgottenPasswordIsResetThroughTheMailedLink(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	app.confirmedUser(t, email)
	b := app.browser(t)

	expect(t, "login page", b.get("/login"), http.StatusOK, `<a href="/forgot-password">Forgot your password?</a>`)
	expect(t, "forgot password", b.get("/forgot-password"), http.StatusOK, "Email me a link")
	expect(t, "ask for a link", b.post("/forgot-password", url.Values{"email": {email}}),
		http.StatusOK, "If ada@example.com belongs to an account, we emailed it a link")
	link := app.awaitMail(t, email, authkit.MessagePasswordReset).Link
	token := linkToken(t, link)

	// A mail scanner fetches the link before the user does.
	for range 2 {
		expect(t, "open the link", app.browser(t).get(link), http.StatusOK, `<input type="hidden" name="token"`)
	}
	r := b.post("/reset-password", url.Values{"token": {token}, "password": {"short"}})
	expect(t, "a password that is too short", r, http.StatusUnprocessableEntity, "too short")
	expect(t, "the form again, for another password", r, http.StatusUnprocessableEntity, `<input type="hidden" name="token"`)
	r = b.post("/reset-password", url.Values{"token": {token}, "password": {newPassword}})
	expect(t, "reset", r, http.StatusOK, "Your password is changed")
	expect(t, "reset", r, http.StatusOK, `<a href="/login">Log in with your new password</a>`)
	expect(t, "the link again", b.post("/reset-password", url.Values{"token": {token}, "password": {newPassword}}),
		http.StatusBadRequest, "not valid or was used already")

	expect(t, "login with the old password", b.tryLogin(email, password), http.StatusUnauthorized, "Wrong email address or password")
	if r := b.tryLogin(email, newPassword); r.status != http.StatusSeeOther || r.location != "/account" {
		t.Fatalf("login with the new password: got %d to %q, want 303 to /account", r.status, r.location)
	}
}

func TestPassword_ForgotGivesTheSameAnswerForUnknownAddresses(t *testing.T) {
	t.Parallel()
	b := newTestApp(t).browser(t)
	expect(t, "unknown address", b.post("/forgot-password", url.Values{"email": {"nobody@example.com"}}),
		http.StatusOK, "If nobody@example.com belongs to an account, we emailed it a link")
	expect(t, "malformed address", b.post("/forgot-password", url.Values{"email": {"nobody@"}}),
		http.StatusUnprocessableEntity, "valid email address")
}

func TestPassword_ResetRefusesAGarbageLink(t *testing.T) {
	t.Parallel()
	b := newTestApp(t).browser(t)
	r := b.post("/reset-password", url.Values{"token": {"garbage"}, "password": {newPassword}})
	expect(t, "garbage token", r, http.StatusBadRequest, "not valid")
	expect(t, "garbage token", r, http.StatusBadRequest, `<a href="/forgot-password">Ask for a new link</a>`)
	// Opening a dead link says so before the user types a new password.
	expect(t, "garbage link", b.get("/reset-password?token=garbage"), http.StatusBadRequest, "Ask for a new link")
}

func TestPassword_ChangeNeedsTheCurrentOneAndLogsOutOtherDevices(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	laptop, phone := app.loggedInTwice(t, email)

	expect(t, "a wrong current password", laptop.post("/account/password", url.Values{"current": {"not the password"}, "new": {newPassword}}),
		http.StatusUnauthorized, "That password is not right")
	expect(t, "a new password that is too common", laptop.post("/account/password", url.Values{"current": {password}, "new": {"password123"}}),
		http.StatusUnprocessableEntity, "too common")
	r := laptop.post("/account/password", url.Values{"current": {password}, "new": {newPassword}})
	if r.status != http.StatusSeeOther || r.location != "/account?done=password-changed" {
		t.Fatalf("change password: got %d to %q; page:\n%s", r.status, r.location, r.body)
	}
	expect(t, "account on this device", laptop.get(r.location), http.StatusOK, "Your password is changed")
	expectLoggedOut(t, phone)

	expect(t, "login with the old password", phone.tryLogin(email, password), http.StatusUnauthorized, "Wrong email address or password")
	if r := phone.tryLogin(email, newPassword); r.status != http.StatusSeeOther {
		t.Fatalf("login with the new password: got %d, want 303", r.status)
	}
}
