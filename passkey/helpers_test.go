package passkey_test

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/twofactor"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }

const (
	password   = "correct horse battery staple"
	rpID       = "localhost"
	testOrigin = "https://localhost:8443"
)

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

// env is one test's world: a fresh database whose statements a probe can
// hold, a Kit and a passkey Service on it with a movable clock, and an
// HTTPS server running the package's routes and a few of authkit's.
type env struct {
	t     testing.TB
	db    *sqlx.DB
	probe *pgtest.Probe
	kit   *authkit.Kit
	pk    *passkey.Service
	clock *clock
	mail  *authkittest.Mailer
	srv   *httptest.Server
}

// option adjusts the configurations of an env.
type option func(kc *authkit.Config, pc *passkey.Config)

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	db, probe := pgtest.ProbedDB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, probe: probe, clock: &clock{now: time.Now()}, mail: &authkittest.Mailer{}}
	kc := authkit.Config{
		DB: db, Mailer: e.mail, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
		BaseURL:      "http://localhost:8080",
		QueryTimeout: time.Minute, // the race tests hold statements
	}
	pc := passkey.Config{RPID: rpID, RPDisplayName: "authkit tests", Origins: []string{testOrigin}}
	for _, o := range opts {
		o(&kc, &pc)
	}
	kit, err := authkit.New(kc)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := passkey.New(kit, pc)
	if err != nil {
		t.Fatal(err)
	}
	e.kit, e.pk = kit, pk
	e.srv = httptest.NewTLSServer(kit.Middleware(e.routes()))
	t.Cleanup(func() {
		e.srv.Close()
		kit.Close()
	})
	return e
}

// preferUV makes the env's policy VerificationPreferred.
func preferUV(_ *authkit.Config, pc *passkey.Config) {
	pc.UserVerification = passkey.VerificationPreferred
}

// routes is the package's Handler and a small app: forms that call
// authkit and answer "ok" or the error's code, and /me, which says who
// the request is.
func (e *env) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", e.pk.Handler(""))
	act := func(pattern string, f func(a *authkit.Auth, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := f(authkit.From(r), r); err != nil {
				http.Error(w, passkey.ErrorCode(err), passkey.StatusCode(err))
				return
			}
			io.WriteString(w, "ok")
		})
	}
	act("POST /password/login", func(a *authkit.Auth, r *http.Request) error {
		return a.Login(r.FormValue("email"), password, r.FormValue("remember") == "on")
	})
	act("POST /logout", func(a *authkit.Auth, r *http.Request) error { return a.Logout() })
	act("POST /logout-everywhere", func(a *authkit.Auth, r *http.Request) error { return a.LogoutEverywhere() })
	act("POST /logout-everywhere-else", func(a *authkit.Auth, r *http.Request) error { return a.LogoutEverywhereElse() })
	act("POST /change-password", func(a *authkit.Auth, r *http.Request) error {
		return a.ChangePassword(password, "a new horse battery staple")
	})
	act("POST /totp/verify", func(a *authkit.Auth, r *http.Request) error {
		return a.TwoFactor().VerifyTOTP(r.FormValue("code"))
	})
	act("POST /complete", func(a *authkit.Auth, r *http.Request) error { return a.CompleteTwoFactorLogin() })
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		a := authkit.From(r)
		io.WriteString(w, strconv.FormatInt(a.UserID(), 10)+" fresh="+strconv.FormatBool(a.IsFresh())+
			" remembered="+strconv.FormatBool(a.IsRemembered())+" pending="+strconv.FormatBool(a.AwaitingSecondFactor()))
	})
	return mux
}

// user creates an account that can log in, and returns its id.
func (e *env) user(email string) int64 {
	e.t.Helper()
	id, err := e.kit.Admin().CreateUser(context.Background(), email, password, true)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// withTOTP gives the user a confirmed TOTP factor and returns its secret.
// The clock then moves a step on, so the next code is a new one.
func (e *env) withTOTP(email string) string {
	e.t.Helper()
	cl := e.client()
	cl.login(email)
	var enrol *authkit.TOTPEnrollment
	cl.call(func(a *authkit.Auth) (err error) { enrol, err = a.TwoFactor().EnrollTOTP(); return err })
	code, _ := twofactor.TOTPCode(enrol.Secret, e.clock.Now())
	cl.call(func(a *authkit.Auth) error { _, err := a.TwoFactor().Confirm(twofactor.TOTP, code); return err })
	e.clock.Advance(30 * time.Second)
	return enrol.Secret
}

// client is one browser: an HTTP client with its own cookie jar.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.srv.Client()
	return &client{e: e, c: &http.Client{Transport: c.Transport, Jar: jar}}
}

// reply is an answer of the server.
type reply struct {
	status int
	body   []byte
	header http.Header
}

// code is the "code" of a JSON error, or the text of a plain one.
func (r reply) code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(r.body, &e) == nil && e.Error.Code != "" {
		return e.Error.Code
	}
	return strings.TrimSpace(string(r.body))
}

func (cl *client) do(method, path string, body io.Reader, contentType string) reply {
	cl.e.t.Helper()
	req, err := http.NewRequest(method, cl.e.srv.URL+path, body)
	if err != nil {
		cl.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := cl.c.Do(req)
	if err != nil {
		cl.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, body: b, header: resp.Header}
}

// post sends v as JSON (nil for no body).
func (cl *client) post(path string, v any) reply {
	cl.e.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			cl.e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return cl.do(http.MethodPost, path, body, "application/json")
}

func (cl *client) form(path string, values url.Values) reply {
	cl.e.t.Helper()
	return cl.do(http.MethodPost, path, strings.NewReader(values.Encode()), "application/x-www-form-urlencoded")
}

// begin asks for the options of a ceremony and fails the test unless it
// gets them.
func (cl *client) begin(path string) []byte {
	cl.e.t.Helper()
	r := cl.post(path, nil)
	if r.status != http.StatusOK {
		cl.e.t.Fatalf("POST %s: %d %s", path, r.status, r.body)
	}
	return r.body
}

// login logs in with the password, with no second factor.
func (cl *client) login(email string) {
	cl.e.t.Helper()
	if r := cl.form("/password/login", url.Values{"email": {email}}); r.status != http.StatusOK {
		cl.e.t.Fatalf("login: %d %s", r.status, r.body)
	}
}

// me says who the client is logged in as: "id fresh=… remembered=…
// pending=…".
func (cl *client) me() string {
	cl.e.t.Helper()
	return string(cl.do(http.MethodGet, "/me", nil, "").body)
}

// userID returns the id of the user the client is logged in as, or 0.
func (cl *client) userID() int64 {
	cl.e.t.Helper()
	id, err := strconv.ParseInt(strings.Fields(cl.me())[0], 10, 64)
	if err != nil {
		cl.e.t.Fatal(err)
	}
	return id
}

// register registers a new passkey of a on the client's fresh session and
// returns the answer.
func (cl *client) register(a *authenticator, name string) reply {
	cl.e.t.Helper()
	opts := cl.begin("/passkeys/register/begin")
	return cl.post("/passkeys/register/finish", map[string]any{"name": name, "credential": json.RawMessage(a.create(opts))})
}

// mustRegister registers a passkey and fails the test if that fails.
func (cl *client) mustRegister(a *authenticator, name string) {
	cl.e.t.Helper()
	if r := cl.register(a, name); r.status != http.StatusCreated {
		cl.e.t.Fatalf("register: %d %s", r.status, r.body)
	}
}

// passkeyLogin logs in passwordless with a's newest passkey.
func (cl *client) passkeyLogin(a *authenticator) reply {
	cl.e.t.Helper()
	opts := cl.begin("/login/passkey/begin")
	return cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(opts))})
}

// call runs f inside the middleware with the client's cookies, as a
// handler of the app would, and fails the test on an error.
func (cl *client) call(f func(a *authkit.Auth) error) {
	cl.e.t.Helper()
	if err := cl.callErr(f); err != nil {
		cl.e.t.Fatal(err)
	}
}

func (cl *client) callErr(f func(a *authkit.Auth) error) error {
	cl.e.t.Helper()
	return cl.serve(func(w http.ResponseWriter, r *http.Request) error { return f(authkit.From(r)) })
}

// serve runs f as a handler of the app for one request of the client.
func (cl *client) serve(f func(w http.ResponseWriter, r *http.Request) error) error {
	cl.e.t.Helper()
	var err error
	u, _ := url.Parse(cl.e.srv.URL)
	req := httptest.NewRequest(http.MethodPost, cl.e.srv.URL+"/", nil)
	for _, c := range cl.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	cl.e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { err = f(w, r) })).ServeHTTP(rec, req)
	cl.c.Jar.SetCookies(u, rec.Result().Cookies())
	return err
}

// handleOf returns the WebAuthn user handle stored for the user.
func (e *env) handleOf(userID int64) []byte {
	e.t.Helper()
	var h []byte
	if err := e.db.Get(&h, `SELECT handle FROM authkit_passkey_users WHERE user_id = $1`, userID); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// count returns the number of rows of an authkit table that belong to
// the user.
func (e *env) count(table string, userID int64) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM authkit_`+table+` WHERE user_id = $1`, userID); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantCode(t testing.TB, r reply, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.code() != code) {
		t.Fatalf("answer %d %s, want %d with code %q", r.status, r.body, status, code)
	}
}

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}
