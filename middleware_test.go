package authkit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func TestFrom_OutsideTheMiddlewareIsLoggedOutAndNeverPanics(t *testing.T) {
	t.Parallel()
	a := From(httptest.NewRequest("GET", "/", nil))
	if a == nil || a.IsLoggedIn() || a.UserID() != 0 || a.Email() != "" || a.HasRole("admin") || a.Roles() != nil {
		t.Fatal("an Auth outside the middleware must look logged out")
	}
	wantErr(t, a.Login("a@example.com", "password", false), ErrNoMiddleware)
	wantErr(t, a.Logout(), ErrNoMiddleware)
	_, err := a.Register("a@example.com", "password")
	wantErr(t, err, ErrNoMiddleware)
	if FromContext(context.Background()) == nil {
		t.Fatal("FromContext returned nil")
	}
}

func TestRequireLogin_Answers401ToAnonymousRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if code, _ := e.browser().get("/me"); code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", code)
	}
}

func TestRequireLogin_RedirectsToTheLoginPageWhenConfigured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.LoginURL = "/login" })
	resp, err := e.browser().client.Get(e.srv.URL + "/me?tab=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fme%3Ftab%3D2" {
		t.Fatalf("got %d to %q", resp.StatusCode, loc)
	}
}

func TestSession_EndsAfterTheIdleTimeout(t *testing.T) { // SEC-S4
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.IdleTimeout = 20 * time.Minute })
	id := e.user("idle@example.com")
	b := e.browser()
	b.login("idle@example.com", testPassword)
	// Active every 4 minutes for an hour: stays logged in.
	for range 15 {
		e.clock.Advance(4 * time.Minute)
		if b.userID() != id {
			t.Fatal("an active session ended")
		}
	}
	e.clock.Advance(20 * time.Minute)
	if got := b.userID(); got != 0 {
		t.Fatalf("a session idle for the whole IdleTimeout is still logged in as %d", got)
	}
}

func TestSession_EndsAfterTheAbsoluteLifetimeHoweverActive(t *testing.T) { // SEC-S4
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SessionLifetime = 2 * time.Hour; c.IdleTimeout = 30 * time.Minute })
	id := e.user("absolute@example.com")
	b := e.browser()
	b.login("absolute@example.com", testPassword)
	for range 11 {
		e.clock.Advance(10 * time.Minute)
		if b.userID() != id {
			t.Fatal("the session ended before its lifetime")
		}
	}
	e.clock.Advance(10 * time.Minute)
	if got := b.userID(); got != 0 {
		t.Fatalf("the session outlived SessionLifetime (user %d)", got)
	}
}

func TestSession_SQLChangesToTheUserArriveAtTheNextRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("resync@example.com")
	b := e.browser()
	b.login("resync@example.com", testPassword)
	e.db.Exec(`UPDATE authkit_users SET roles = '{editor}', email = 'renamed@example.com' WHERE id = $1`, id)
	if _, body := b.get("/me"); !strings.Contains(body, "renamed@example.com editor") {
		t.Fatalf("the next request still sees the old user: %q", body)
	}
	e.db.Exec(`UPDATE authkit_users SET status = $2 WHERE id = $1`, id, StatusBanned)
	if got := b.userID(); got != 0 {
		t.Fatal("a user banned in SQL is still logged in at the next request")
	}
	e.db.Exec(`UPDATE authkit_users SET status = 0 WHERE id = $1`, id)
	if got := b.userID(); got != 0 {
		t.Fatal("lifting the ban brought the ended session back")
	}
}

func TestSession_RoleChangesThroughAuthkitArriveAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("roles@example.com")
	b := e.browser()
	b.login("roles@example.com", testPassword)
	if err := e.kit.Admin().AddRole(context.Background(), id, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get("/me"); !strings.HasSuffix(body, " admin") {
		t.Fatalf("role not seen at once: %q", body)
	}
	if err := e.kit.Admin().RemoveRole(context.Background(), id, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get("/me"); strings.Contains(body, "admin") {
		t.Fatalf("removed role still seen: %q", body)
	}
}

func TestMiddleware_AnonymousRequestsDoNotCreateSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	for range 3 {
		b.get("/whoami")
	}
	var n int
	e.db.QueryRow(`SELECT count(*) FROM authkit_sessions`).Scan(&n)
	if n != 0 || b.cookie(sessionCookieName(e)) != nil {
		t.Fatal("anonymous requests created a session")
	}
}

// Not parallel: it counts the goroutines of the whole test binary, which
// is only meaningful while no other test runs.
func TestDatabaseFailures_AreErrUnavailableAnd503WithoutLeaks(t *testing.T) { // SEC-I4
	db := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db)
	e.user("outage@example.com")
	b := e.browser()
	b.login("outage@example.com", testPassword)
	before := runtime.NumGoroutine()

	db.Close() // the database goes away

	var err error
	e.request(func(a *Auth) { err = a.Login("outage@example.com", testPassword, false) })
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Login with the database down = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "sql:") {
		t.Fatalf("the driver's message reached the caller: %q", err)
	}
	if code, _ := b.get("/whoami"); code != http.StatusServiceUnavailable {
		t.Fatalf("a logged-in request with the database down answered %d, want 503", code)
	}
	for range 20 {
		b.get("/whoami")
	}
	// Connections wind down asynchronously; give them a moment.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		t.Fatalf("goroutines grew from %d to %d after failed requests", before, after)
	}
}
