package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

func TestGuest_TryAsGuestThenRegisterKeepsTheSameUser(t *testing.T) { // SEC-A1
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	expect(t, "login page", b.get("/login"), http.StatusOK, "Try as guest")
	r := b.post("/login/anonymous", nil)
	if r.status != http.StatusSeeOther || r.location != "/account" {
		t.Fatalf("try as guest: got %d to %q; page:\n%s", r.status, r.location, r.body)
	}
	users, err := app.kit.Admin().Users(t.Context(), 0, 10)
	if err != nil || len(users) != 1 || !users[0].Anonymous {
		t.Fatalf("users after a guest login: %+v %v", users, err)
	}
	guest := users[0].ID
	r = b.get("/account")
	expect(t, "guest's account", r, http.StatusOK, "You are a guest")
	expect(t, "guest's account", r, http.StatusOK, fmt.Sprintf("<dd>%d</dd>", guest))

	expect(t, "register", b.post("/register", url.Values{"email": {"guest@example.com"}, "password": {password}}), http.StatusOK, "confirm")
	u, err := app.kit.Admin().UserByEmail(t.Context(), "guest@example.com")
	if err != nil || u.ID != guest || u.Anonymous {
		t.Fatalf("registered user: %+v %v, want the guest %d upgraded", u, err, guest)
	}
}
