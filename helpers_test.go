package authkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/twofactor"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one test's world: a fresh database with the schema, a Kit on it,
// a mailer to read, a movable clock, captured logs and an HTTPS test
// server running a tiny app.
type env struct {
	t     testing.TB
	db    *sqlx.DB
	kit   *Kit
	mail  *DevMailer
	clock *testClock
	logs  *syncBuffer
	srv   *httptest.Server
}

const testPassword = "correct horse battery staple"

// newEnv makes an env; opts adjust the Config before New.
func newEnv(t testing.TB, opts ...func(*Config)) *env {
	t.Helper()
	db := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	return newEnvOn(t, db, opts...)
}

// newEnvOn makes an env on a database that already has the schema.
func newEnvOn(t testing.TB, db *sqlx.DB, opts ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, db: db, mail: NewDevMailer(nil), clock: newTestClock(), logs: &syncBuffer{}}
	cfg := Config{
		DB:      db,
		Mailer:  e.mail,
		BaseURL: "http://localhost:8080",
		Now:     e.clock.Now,
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	kit, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.kit = kit
	e.srv = httptest.NewTLSServer(kit.Middleware(testApp(kit)))
	t.Cleanup(func() {
		e.srv.Close()
		kit.Close()
	})
	return e
}

// testApp is a small app exposing authkit's actions over HTTP. Actions
// answer 200 with "ok" or 4xx with the error text.
func testApp(kit *Kit) http.Handler {
	mux := http.NewServeMux()
	act := func(path string, f func(a *Auth, r *http.Request) error) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			if err := f(From(r), r); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			io.WriteString(w, "ok")
		})
	}
	act("/register", func(a *Auth, r *http.Request) error {
		_, err := a.Register(r.FormValue("email"), r.FormValue("password"))
		return err
	})
	act("/login", func(a *Auth, r *http.Request) error {
		return a.Login(r.FormValue("email"), r.FormValue("password"), r.FormValue("remember") == "on")
	})
	act("/confirm", func(a *Auth, r *http.Request) error { return a.ConfirmEmail(r.FormValue("token")) })
	mux.HandleFunc("POST /2fa/enroll", func(w http.ResponseWriter, r *http.Request) {
		enrol, err := From(r).TwoFactor().EnrollTOTP()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, enrol.Secret)
	})
	act("/2fa/confirm", func(a *Auth, r *http.Request) error {
		_, err := a.TwoFactor().Confirm(twofactor.TOTP, r.FormValue("code"))
		return err
	})
	act("/2fa/verify", func(a *Auth, r *http.Request) error { return a.TwoFactor().VerifyTOTP(r.FormValue("code")) })
	act("/2fa/complete", func(a *Auth, r *http.Request) error { return a.CompleteTwoFactorLogin() })
	act("/logout", func(a *Auth, r *http.Request) error { return a.Logout() })
	act("/logout-everywhere", func(a *Auth, r *http.Request) error { return a.LogoutEverywhere() })
	act("/logout-everywhere-else", func(a *Auth, r *http.Request) error { return a.LogoutEverywhereElse() })
	mux.Handle("GET /me", kit.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := From(r)
		io.WriteString(w, strconv.FormatInt(a.UserID(), 10)+" "+a.Email()+" "+strings.Join(a.Roles(), ","))
	})))
	mux.Handle("GET /admin", kit.RequireRole("admin", "support")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "admin page")
	})))
	mux.HandleFunc("GET /visit", func(w http.ResponseWriter, r *http.Request) {
		kit.Sessions().Put(r.Context(), "visited", true)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		a := From(r)
		fmt.Fprintf(w, "%d remembered=%v fresh=%v", a.UserID(), a.IsRemembered(), a.IsFresh())
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strconv.FormatInt(From(r).UserID(), 10))
	})
	mux.HandleFunc("GET /via", func(w http.ResponseWriter, r *http.Request) {
		a := From(r)
		fmt.Fprintf(w, "%d %s deploy=%v admin=%v", a.UserID(), a.Via(), a.HasScope("deploy"), a.HasScope("admin"))
	})
	mux.HandleFunc("GET /scopes", func(w http.ResponseWriter, r *http.Request) {
		a := From(r)
		fmt.Fprintf(w, "read=%v write=%v", a.HasScope("read"), a.HasScope("write"))
	})
	mux.HandleFunc("GET /cookie-only", func(w http.ResponseWriter, r *http.Request) {
		for _, err := range cookieOnlyActions(From(r)) {
			fmt.Fprintln(w, err)
		}
	})
	return mux
}

// browser is one HTTP client with its own cookie jar: one device.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.srv.Client()
	return &browser{e: e, client: &http.Client{
		Transport: c.Transport,
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// post sends a form and returns the status and body.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.e.t.Helper()
	resp, err := b.client.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return readResponse(b.e.t, resp)
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	resp, err := b.client.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return readResponse(b.e.t, resp)
}

func readResponse(t testing.TB, resp *http.Response) (int, string) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func (b *browser) login(email, password string) {
	b.e.t.Helper()
	if code, body := b.post("/login", url.Values{"email": {email}, "password": {password}}); code != 200 {
		b.e.t.Fatalf("login: %d %s", code, body)
	}
}

// userID returns the id of the user this browser is logged in as, or 0.
func (b *browser) userID() int64 {
	b.e.t.Helper()
	_, body := b.get("/whoami")
	id, err := strconv.ParseInt(body, 10, 64)
	if err != nil {
		b.e.t.Fatalf("whoami: %q", body)
	}
	return id
}

// cookie returns this browser's cookie of the given name for the server.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// withCookie returns a fresh browser that holds a copy of one cookie, as
// an attacker who stole it would.
func (e *env) withCookie(c *http.Cookie) *browser {
	b := e.browser()
	u, _ := url.Parse(e.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/", Secure: true}})
	return b
}

// user registers and confirms an account through the Admin API and
// returns its id.
func (e *env) user(email string) int64 {
	e.t.Helper()
	id, err := e.kit.Admin().CreateUser(context.Background(), email, testPassword, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// confirmLink returns the token from the newest confirmation mail to addr.
func (e *env) mailToken(addr string) string {
	e.t.Helper()
	e.kit.mailWG.Wait() // some mail goes in the background
	msg, ok := e.mail.Last(addr)
	msgs := e.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- { // the newest with a link: not a notice sent since
		if msgs[i].To == addr && msgs[i].Link != "" {
			msg, ok = msgs[i], true
			break
		}
	}
	if !ok {
		e.t.Fatalf("no mail to %s", addr)
	}
	u, err := url.Parse(msg.Link)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Query().Get("token")
}

// request runs f with the Auth of a synthetic request through the
// middleware, for tests that call the Go API directly.
func (e *env) request(f func(a *Auth)) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "https://example.com/", nil)
	e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(From(r)) })).ServeHTTP(rec, req)
	return rec
}

func sessionCookieName(e *env) string { return e.kit.Sessions().Cookie.Name }

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

// dropCookie removes a cookie from the browser, as closing the browser
// does for a session cookie.
func (b *browser) dropCookie(name string) {
	u, _ := url.Parse(b.e.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Path: "/", MaxAge: -1}})
}

func (b *browser) loginRemembered(email string) {
	b.e.t.Helper()
	form := url.Values{"email": {email}, "password": {testPassword}, "remember": {"on"}}
	if code, body := b.post("/login", form); code != 200 {
		b.e.t.Fatalf("login: %d %s", code, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// device is one client calling the Go API through the middleware, with
// its cookies kept between calls, for flows that span requests.
type device struct {
	e       *env
	mu      sync.Mutex // tests send requests of one device in parallel
	cookies map[string]*http.Cookie
	ip      string // the client's address; httptest's 192.0.2.1 when empty
}

func (e *env) device() *device { return &device{e: e, cookies: map[string]*http.Cookie{}} }

// do runs f in a request of this device and keeps the cookies the
// response sets.
func (d *device) do(f func(a *Auth)) {
	d.e.t.Helper()
	req := httptest.NewRequest("POST", "https://example.com/", nil)
	if d.ip != "" {
		req.RemoteAddr = net.JoinHostPort(d.ip, "1234")
	}
	d.mu.Lock()
	for _, c := range d.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	d.mu.Unlock()
	rec := httptest.NewRecorder()
	d.e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(From(r)) })).ServeHTTP(rec, req)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(d.cookies, c.Name)
		} else {
			d.cookies[c.Name] = c
		}
	}
}

// err runs f in a request of this device and returns its error.
func (d *device) err(f func(a *Auth) error) error {
	d.e.t.Helper()
	var err error
	d.do(func(a *Auth) { err = f(a) })
	return err
}

func (d *device) userID() int64 {
	var id int64
	d.do(func(a *Auth) { id = a.UserID() })
	return id
}

// rememberedBrowser makes a user and a browser logged in as them with
// remember-me, and returns both.
func (e *env) rememberedBrowser(email string) (int64, *browser) {
	e.t.Helper()
	id := e.user(email)
	b := e.browser()
	b.loginRemembered(email)
	return id, b
}
