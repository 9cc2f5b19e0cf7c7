package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestAccount_ListsDevicesAndLogsOutOneOfThem(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	laptop, phone := app.loggedInTwice(t, "devices@example.com")
	page := laptop.get("/account")
	expect(t, "account", page, http.StatusOK, "Where you are logged in")
	expect(t, "account", page, http.StatusOK, "this device")
	ids := regexp.MustCompile(`/account/sessions/([^/"]+)/revoke`).FindAllStringSubmatch(page.body, -1)
	if len(ids) != 1 {
		t.Fatalf("want one other device to log out, found %d:\n%s", len(ids), page.body)
	}
	r := laptop.post("/account/sessions/"+ids[0][1]+"/revoke", nil)
	if r.status != http.StatusSeeOther || r.location != "/account?done=session-revoked" {
		t.Fatalf("revoke: %d to %q", r.status, r.location)
	}
	expectLoggedOut(t, phone)
	expect(t, "account after", laptop.get("/account"), http.StatusOK, "devices@example.com")
}

func TestAccount_MakesAnAPIKeyThatScriptsUse(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.confirmedUser(t, "script@example.com")
	b := app.browser(t)
	b.login("script@example.com")
	r := b.post("/account/api-keys", url.Values{"name": {"deploy"}, "days": {"30"}})
	expect(t, "create a key", r, http.StatusOK, "not shown again")
	secret := regexp.MustCompile(`id="new-api-key">(ak_[^<]+)<`).FindStringSubmatch(r.body)
	if secret == nil {
		t.Fatalf("no key on the page:\n%s", r.body)
	}
	if strings.Contains(b.get("/account").body, secret[1]) {
		t.Fatal("the key's secret is shown again")
	}
	script := app.browser(t)
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret[1])
	me := script.do(req)
	expect(t, "GET /api/me with the key", me, http.StatusOK, `"via":"api_key"`)
	if me.header.Get("Set-Cookie") != "" {
		t.Fatal("a request with an API key got a cookie")
	}
	id := regexp.MustCompile(`/account/api-keys/([^/"]+)/revoke`).FindStringSubmatch(b.get("/account").body)
	b.post("/account/api-keys/"+id[1]+"/revoke", nil)
	if r := script.do(req); r.status != http.StatusUnauthorized {
		t.Fatalf("a revoked key: %d", r.status)
	}
}
