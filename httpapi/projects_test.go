package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/httpapi"
	"github.com/authkit/authkit/sqlschema"
)

// projects is one app serving two projects from one database, each with
// its own Kit (table prefix and cookie names) and API under
// /auth/{project}/, as the package documentation describes.
type projects struct {
	*server
	shop *authkit.Kit
}

func newProjects(t *testing.T) *projects {
	t.Helper()
	db := authkittest.DB(t) // the default prefix, for the "main" project
	if err := sqlschema.Apply(t.Context(), db, "shop_"); err != nil {
		t.Fatal(err)
	}
	p := &projects{server: &server{
		t: t, db: db, mail: &authkittest.Mailer{}, sms: &authkittest.SMS{}, clock: &clock{now: time.Now()},
		logs: &lockedWriter{}, srv: httptest.NewUnstartedServer(nil),
		prefixes: []string{"/auth/main", "/auth/shop"},
	}}
	base := authkit.Config{
		DB: db, Mailer: p.mail, BaseURL: "https://" + p.srv.Listener.Addr().String(),
		Limits: authkit.Limits{LoginPerIP: authkit.Limit{Burst: 2, Every: time.Hour}},
	}
	var err error
	if p.kit, err = authkit.New(base); err != nil {
		t.Fatal(err)
	}
	shop := base
	shop.TablePrefix, shop.SessionCookieName, shop.RememberCookieName = "shop_", "shop_session", "shop_remember"
	if p.shop, err = authkit.New(shop); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/main/", httpapi.New(p.kit, httpapi.Options{Prefix: "/auth/main"}))
	mux.Handle("/auth/shop/", httpapi.New(p.shop, httpapi.Options{Prefix: "/auth/shop"}))
	p.srv.Config.Handler = mux
	p.srv.StartTLS()
	t.Cleanup(func() {
		p.srv.Close()
		p.kit.Close()
		p.shop.Close()
	})
	return p
}

func TestProjects_NeverSeeEachOthersUsersSessionsCookiesTokensOrThrottles(t *testing.T) { // SEC-X1
	t.Parallel()
	p := newProjects(t)
	b := p.client() // one browser, visiting both projects
	ada := map[string]any{"email": "ada@example.com", "password": password}

	// Users: the same address makes two unrelated accounts.
	b.do("POST", "/auth/main/register", ada).want(201)
	mainToken := p.mailToken("ada@example.com")
	b.do("POST", "/auth/shop/register", ada).want(201)
	shopToken := p.mailToken("ada@example.com")

	// Tokens: a project's link means nothing to the other.
	b.do("POST", "/auth/shop/confirm", map[string]any{"token": mainToken}).wantError(400, "token_invalid")
	b.do("POST", "/auth/main/confirm", map[string]any{"token": mainToken}).want(204)
	b.do("POST", "/auth/shop/login", ada).wantError(403, "email_not_verified")

	// Sessions and cookies: logged in to one project is not logged in to
	// the other, even with the other's cookie value under its own name.
	b.do("POST", "/auth/main/login", ada).want(200)
	b.do("GET", "/auth/shop/session", nil).wantError(401, "not_logged_in")
	mainCookie := b.cookie("__Host-authkit_session")
	if mainCookie == nil || b.cookie("__Host-shop_session") != nil {
		t.Fatalf("cookies after logging in to main: %v", b.http.Jar.Cookies(mustURL(t, p.srv.URL)))
	}
	b.do("GET", "/auth/shop/session", nil, "Cookie", "__Host-shop_session="+mainCookie.Value).wantError(401, "not_logged_in")

	b.do("POST", "/auth/shop/confirm", map[string]any{"token": shopToken}).want(204)
	shopUser := b.do("POST", "/auth/shop/login", ada).want(200).user()
	mainUser := b.do("GET", "/auth/main/session", nil).want(200).user()
	if shopUser.Email != mainUser.Email || b.cookie("__Host-shop_session").Value == mainCookie.Value {
		t.Fatalf("users %+v and %+v", mainUser, shopUser)
	}

	// Revocations stay in their project.
	b.do("POST", "/auth/main/logout/everywhere", nil).want(204)
	b.do("GET", "/auth/main/session", nil).wantError(401, "not_logged_in")
	b.do("GET", "/auth/shop/session", nil).want(200)

	// Throttles: spending one project's budget leaves the other's.
	wrong := map[string]any{"email": "ada@example.com", "password": "wrong password"}
	other := p.client()
	other.do("POST", "/auth/main/login", wrong).wantError(401, "invalid_credentials")
	other.do("POST", "/auth/main/login", wrong).wantError(401, "invalid_credentials")
	other.do("POST", "/auth/main/login", wrong).wantError(429, "too_many_requests")
	other.do("POST", "/auth/shop/login", wrong).wantError(401, "invalid_credentials")
	other.do("POST", "/auth/shop/login", ada).want(200)

	for _, table := range []string{"authkit_users", "shop_users"} {
		var n int
		if err := p.db.Get(&n, "SELECT count(*) FROM "+table); err != nil || n != 1 {
			t.Errorf("%s has %d rows (%v), want 1", table, n, err)
		}
	}
}
