package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/twofactor"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }

const password = "correct horse battery staple"

// testKey is the Kit's EncryptionKey in the tests.
var testKey = bytes.Repeat([]byte{7}, 32)

// clock is a clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// env is one test's world: a fresh database, a Kit and an Issuer on it
// with a movable clock, and an HTTPS test server running a small app
// inside the Kit's middleware.
type env struct {
	t     testing.TB
	db    *sqlx.DB
	probe *pgtest.Probe
	kit   *authkit.Kit
	iss   *Issuer
	clock *clock
	mail  *authkittest.Mailer
	srv   *httptest.Server
}

// option adjusts the configurations of an env.
type option func(kc *authkit.Config, tc *Config)

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	db, probe := pgtest.ProbedDB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, probe: probe, clock: &clock{now: time.Now().Truncate(time.Second)}, mail: &authkittest.Mailer{}}
	kc := authkit.Config{
		DB: db, Mailer: e.mail, EncryptionKey: testKey, Now: e.clock.Now,
		BaseURL: "https://auth.example.com", Logger: slog.New(slog.DiscardHandler),
		QueryTimeout: time.Minute, // the race tests hold statements
	}
	tc := Config{Audiences: []string{"mobile", "https://api.example.com"}}
	for _, o := range opts {
		o(&kc, &tc)
	}
	kit, err := authkit.New(kc)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := New(kit, tc)
	if err != nil {
		t.Fatal(err)
	}
	e.kit, e.iss = kit, iss
	e.srv = httptest.NewTLSServer(kit.Middleware(e.routes()))
	t.Cleanup(func() {
		e.srv.Close()
		iss.Close()
		kit.Close()
	})
	probe.Counter().Store(0)
	return e
}

// otherKit is another app instance on the env's database and clock, with
// the EncryptionKey key.
func (e *env) otherKit(key []byte) *authkit.Kit {
	e.t.Helper()
	kit, err := authkit.New(authkit.Config{
		DB: e.db, Mailer: e.mail, EncryptionKey: key, Now: e.clock.Now,
		BaseURL: "https://auth.example.com", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { kit.Close() })
	return kit
}

// routes is a small app: forms that call authkit and answer "ok" or the
// error, a login that can answer with tokens, the package's handlers, and
// /me that says who the request is.
func (e *env) routes() http.Handler {
	mux := http.NewServeMux()
	act := func(pattern string, f func(a *authkit.Auth, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := f(authkit.From(r), r); err != nil {
				http.Error(w, err.Error(), authkit.StatusCode(err))
				return
			}
			io.WriteString(w, "ok")
		})
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		a := authkit.From(r)
		if err := a.Login(r.FormValue("email"), r.FormValue("password"), r.FormValue("remember") == "on"); err != nil {
			http.Error(w, err.Error(), authkit.StatusCode(err))
			return
		}
		if r.FormValue("token") == "" {
			io.WriteString(w, "ok")
			return
		}
		e.exchange(w, r)
	})
	mux.HandleFunc("POST /exchange", e.exchange)
	mux.HandleFunc("POST /2fa/enroll", func(w http.ResponseWriter, r *http.Request) {
		enrol, err := authkit.From(r).TwoFactor().EnrollTOTP()
		if err != nil {
			http.Error(w, err.Error(), authkit.StatusCode(err))
			return
		}
		io.WriteString(w, enrol.Secret)
	})
	act("POST /2fa/confirm", func(a *authkit.Auth, r *http.Request) error {
		_, err := a.TwoFactor().Confirm(twofactor.TOTP, r.FormValue("code"))
		return err
	})
	mux.HandleFunc("POST /login/totp", func(w http.ResponseWriter, r *http.Request) {
		a := authkit.From(r)
		err := a.TwoFactor().VerifyTOTP(r.FormValue("code"))
		if err == nil {
			err = a.CompleteTwoFactorLogin()
		}
		if err != nil {
			http.Error(w, err.Error(), authkit.StatusCode(err))
			return
		}
		e.exchange(w, r)
	})
	act("POST /password", func(a *authkit.Auth, r *http.Request) error {
		return a.ChangePassword(r.FormValue("current"), r.FormValue("new"))
	})
	act("POST /logout-everywhere", func(a *authkit.Auth, r *http.Request) error { return a.LogoutEverywhere() })
	act("POST /logout-others", func(a *authkit.Auth, r *http.Request) error { return a.LogoutEverywhereElse() })
	act("POST /forgot", func(a *authkit.Auth, r *http.Request) error { return a.ForgotPassword(r.FormValue("email")) })
	act("POST /reset", func(a *authkit.Auth, r *http.Request) error {
		return a.ResetPassword(r.FormValue("token"), r.FormValue("password"))
	})
	act("POST /revoke", func(a *authkit.Auth, r *http.Request) error { return e.iss.Revoke(r, r.FormValue("refresh_token")) })
	mux.Handle("/token", e.iss.TokenHandler())
	mux.Handle("/jwks", e.iss.JWKSHandler())
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		a := authkit.From(r)
		if !a.IsLoggedIn() {
			http.Error(w, "nobody", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(me{ID: a.UserID(), Email: a.Email(), Via: string(a.Via()), Roles: a.Roles(), Admin: a.HasScope("admin")})
	})
	return mux
}

// me is what GET /me answers.
type me struct {
	ID    int64    `json:"id"`
	Email string   `json:"email"`
	Via   string   `json:"via"`
	Roles []string `json:"roles"`
	Admin bool     `json:"admin"` // HasScope("admin")
}

func (e *env) exchange(w http.ResponseWriter, r *http.Request) {
	t, err := e.iss.ExchangeSession(r, r.FormValue("audience"))
	if err != nil {
		http.Error(w, err.Error(), authkit.StatusCode(err))
		return
	}
	json.NewEncoder(w).Encode(t)
}

// user creates a verified user.
func (e *env) user(email string) int64 {
	e.t.Helper()
	id, err := e.kit.Admin().CreateUser(context.Background(), email, password, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// issue issues tokens for a user the app logged in.
func (e *env) issue(userID int64) *Tokens {
	e.t.Helper()
	t, err := e.iss.IssueTokens(context.Background(), userID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// client is one client of the test server, with its own cookies.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client() // a copy: the server's client is shared
	c.Jar = jar
	return &client{e: e, http: &c}
}

// do sends a request and returns the answer with its body read.
func (c *client) do(req *http.Request) (*http.Response, string) {
	c.e.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp, strings.TrimSpace(string(b))
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	req, err := newForm(c.e, path, form)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

// postJSON posts body, a string or a value to encode, as JSON.
func (c *client) postJSON(path string, body any) (*http.Response, string) {
	c.e.t.Helper()
	s, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			c.e.t.Fatal(err)
		}
		s = string(b)
	}
	req, err := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(s))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// get sends a GET, with an Authorization: Bearer header when bearer is
// not "".
func (c *client) get(path, bearer string) (*http.Response, string) {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.do(req)
}

// me asks GET /me with an access token; ok is false for an anonymous
// answer.
func (c *client) me(access string) (m me, ok bool) {
	c.e.t.Helper()
	resp, body := c.get("/me", access)
	if resp.StatusCode == http.StatusUnauthorized {
		return me{}, false
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		c.e.t.Fatalf("GET /me: %d %s", resp.StatusCode, body)
	}
	return m, true
}

// login logs the client in with its cookie session.
func (c *client) login(email string) {
	c.e.t.Helper()
	if resp, body := c.post("/login", url.Values{"email": {email}, "password": {password}}); resp.StatusCode != http.StatusOK {
		c.e.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
}

// loginForTokens logs in through the app's login handler asking for
// tokens.
func (c *client) loginForTokens(email string) *Tokens {
	c.e.t.Helper()
	resp, body := c.post("/login", url.Values{"email": {email}, "password": {password}, "token": {"1"}})
	if resp.StatusCode != http.StatusOK {
		c.e.t.Fatalf("login for tokens: %d %s", resp.StatusCode, body)
	}
	var t Tokens
	if err := json.Unmarshal([]byte(body), &t); err != nil {
		c.e.t.Fatal(err)
	}
	return &t
}

// request returns a request for r-taking methods, run inside the Kit's
// middleware from the client IP ip; f gets it.
func (e *env) request(ip string, f func(r *http.Request)) {
	req := httptest.NewRequest("POST", "https://auth.example.com/token", nil)
	req.RemoteAddr = ip + ":4711"
	e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(r) })).ServeHTTP(httptest.NewRecorder(), req)
}

// refresh calls Refresh from the client IP 192.0.2.1.
func (e *env) refresh(refreshToken string) (*Tokens, error) {
	var t *Tokens
	var err error
	e.request("192.0.2.1", func(r *http.Request) { t, err = e.iss.Refresh(r, refreshToken, "") })
	return t, err
}

// mustRefresh refreshes and fails the test on an error.
func (e *env) mustRefresh(refreshToken string) *Tokens {
	e.t.Helper()
	t, err := e.refresh(refreshToken)
	if err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
	return t
}

// count returns the result of a count(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	// Reading the audit log through the Admin API first writes the
	// entries of refused attempts still queued for the table.
	if _, err := e.kit.Admin().AuditLog(e.t.Context(), 0, 0, 1); err != nil {
		e.t.Fatal(err)
	}
	var n int
	if err := e.db.Get(&n, query, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

// newForm returns a form POST to path of the test server.
func newForm(e *env, path string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
