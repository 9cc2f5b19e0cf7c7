package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authkit/authkit"
)

func TestAccount_ChangesTheEmailAddressOnceTheNewOneConfirms(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const oldEmail, newEmail = "ada@example.com", "ada@lovelace.example"
	app.confirmedUser(t, oldEmail)
	app.confirmedUser(t, "taken@example.com")
	b := app.browser(t)
	if r := b.post("/login", url.Values{"email": {oldEmail}, "password": {password}, "remember": {"on"}}); r.status != http.StatusSeeOther {
		t.Fatalf("login: got %d, want 303", r.status)
	}
	b.dropCookie(sessionCookie) // the browser restarts: remember me logs it in, not the password

	r := b.get("/account")
	expect(t, "account restored by remember me", r, http.StatusOK, "needs your password again")
	if strings.Contains(r.body, `action="/account/email"`) {
		t.Error("the account page offers to change the email address before the password is confirmed")
	}
	expect(t, "change without the password", b.post("/account/email", url.Values{"email": {newEmail}}),
		http.StatusForbidden, "Confirm your password")
	b.post("/account/reauthenticate", url.Values{"password": {password}})
	expect(t, "account after confirming the password", b.get("/account"), http.StatusOK, `action="/account/email"`)

	// An address with an account gets the same answer (SEC-E8); its owner
	// is told instead.
	r = b.post("/account/email", url.Values{"email": {"taken@example.com"}})
	if r.status != http.StatusSeeOther || r.location != "/account?done=email-link-sent" {
		t.Fatalf("change to a taken address: got %d to %q; page:\n%s", r.status, r.location, r.body)
	}
	if msg := app.awaitMail(t, "taken@example.com", authkit.MessageEmailTaken); msg.Link != "" {
		t.Fatalf("the owner of the taken address got a link: %+v", msg)
	}
	r = b.post("/account/email", url.Values{"email": {newEmail}})
	if r.status != http.StatusSeeOther || r.location != "/account?done=email-link-sent" {
		t.Fatalf("change email: got %d to %q; page:\n%s", r.status, r.location, r.body)
	}
	r = b.get(r.location)
	expect(t, "account before confirming", r, http.StatusOK, "We emailed a link to the new address")
	expect(t, "account before confirming", r, http.StatusOK, "<dd>"+oldEmail+"</dd>")

	msg := app.awaitMail(t, newEmail, authkit.MessageChangeEmail)
	expect(t, "confirm the new address", b.confirmEmail(msg.Link), http.StatusOK, "Your email address is confirmed.")
	expect(t, "account after confirming", b.get("/account"), http.StatusOK, "<dd>"+newEmail+"</dd>")

	b.post("/logout", nil)
	expect(t, "login with the old address", b.tryLogin(oldEmail, password), http.StatusUnauthorized, "Wrong email address or password")
	b.login(newEmail)
}
