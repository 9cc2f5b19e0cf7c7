package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/httpapi"
	"github.com/authkit/authkit/twofactor"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }

const password = "correct horse battery staple"

// clock is a clock tests move by hand, so that TOTP codes of successive
// steps differ.
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

// server is one test's app: a Kit on a fresh database with the API
// mounted at /auth, served over HTTPS.
type server struct {
	t     *testing.T
	db    *sqlx.DB
	kit   *authkit.Kit
	mail  *authkittest.Mailer
	sms   *authkittest.SMS
	clock *clock
	logs  *lockedWriter
	srv   *httptest.Server
	// prefixes are where APIs are mounted.
	prefixes []string
}

// setup adjusts a server's Config and Options before it starts.
type setup func(*authkit.Config, *httpapi.Options)

// kitSetup adjusts the Options once the Kit exists (to mount the handler
// of another package that needs the Kit).
type kitSetup func(*testing.T, *authkit.Kit, *httpapi.Options)

func newServer(t *testing.T, setups ...setup) *server {
	t.Helper()
	return newServerOn(t, authkittest.DB(t), setups...)
}

// newServerWith is newServer with after run on the Kit before the API is
// made.
func newServerWith(t *testing.T, after kitSetup, setups ...setup) *server {
	t.Helper()
	return newServerAfter(t, authkittest.DB(t), after, setups...)
}

func newServerOn(t *testing.T, db *sqlx.DB, setups ...setup) *server {
	t.Helper()
	return newServerAfter(t, db, nil, setups...)
}

func newServerAfter(t *testing.T, db *sqlx.DB, after kitSetup, setups ...setup) *server {
	t.Helper()
	s := &server{
		t: t, db: db, mail: &authkittest.Mailer{}, sms: &authkittest.SMS{},
		clock: &clock{now: time.Now()}, logs: &lockedWriter{}, srv: httptest.NewUnstartedServer(nil),
	}
	cfg := authkit.Config{
		DB: db, Mailer: s.mail, SMS: s.sms, Now: s.clock.Now,
		BaseURL: "https://" + s.srv.Listener.Addr().String(),
		Logger:  slog.New(slog.NewTextHandler(s.logs, nil)),
	}
	opts := httpapi.Options{Prefix: "/auth"}
	for _, f := range setups {
		f(&cfg, &opts)
	}
	kit, err := authkit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.kit = kit
	if after != nil {
		after(t, kit, &opts)
	}
	mux := http.NewServeMux()
	s.prefixes = []string{strings.TrimSuffix(opts.Prefix, "/")}
	mux.Handle(s.prefixes[0]+"/", httpapi.New(kit, opts))
	s.srv.Config.Handler = mux
	s.srv.StartTLS()
	t.Cleanup(func() {
		s.srv.Close()
		kit.Close()
	})
	return s
}

// lockedWriter keeps a logger's output, safe for concurrent writes.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// client is one browser or app talking to the API, with its own cookie
// jar. Every response it gets is checked against the OpenAPI document.
type client struct {
	t    *testing.T
	s    *server
	http *http.Client
	// header is sent with every request (Authorization, say).
	header http.Header
}

func (s *server) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &client{t: s.t, s: s, header: http.Header{}, http: &http.Client{
		Jar:       jar,
		Transport: &validating{t: s.t, base: s.srv.Client().Transport, prefixes: s.prefixes},
	}}
}

// response is what a request got.
type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// do sends a request to the API at path (under /auth). A string body is
// sent as it is, any other non-nil body as JSON; both as
// application/json unless header says otherwise (pairs of name, value).
func (c *client) do(method, path string, body any, header ...string) *response {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.srv.URL+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	for name, values := range c.header {
		req.Header[name] = values
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{t: c.t, status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) post(path string, body any) *response { return c.do("POST", "/auth/"+path, body) }
func (c *client) get(path string) *response            { return c.do("GET", "/auth/"+path, nil) }

// want fails the test unless the response has the status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// wantError fails the test unless the response is an error with the
// status and code.
func (r *response) wantError(status int, code string) *response {
	r.t.Helper()
	r.want(status)
	if got := r.errorCode(); got != code {
		r.t.Fatalf("error code %q, want %q: %s", got, code, r.body)
	}
	return r
}

func (r *response) errorCode() string {
	var e struct {
		Error struct{ Code string }
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// decode decodes the body into v.
func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// userOf decodes a {user} body.
func (r *response) user() user {
	r.t.Helper()
	var u struct{ User user }
	r.decode(&u)
	return u.User
}

type user struct {
	ID               int64
	Email            string
	Name             string
	Metadata         map[string]any
	EmailVerified    bool `json:"email_verified"`
	TwoFactorEnabled bool `json:"two_factor_enabled"`
	Roles            []string
	CreatedAt        time.Time `json:"created_at"`
}

// cookie returns the client's cookie of the given name.
func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.s.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// mailToken returns the token of the next link mailed to addr.
// nextMail returns the next message to addr but for new-device notices,
// which a login from a new client sends in between.
func (s *server) nextMail(addr string) authkit.Message {
	s.t.Helper()
	for {
		msg, err := s.mail.Wait(s.t.Context(), addr)
		if err != nil {
			s.t.Fatal(err)
		}
		if msg.Kind != authkit.MessageNewDevice {
			return msg
		}
	}
}

func (s *server) mailToken(addr string) string {
	s.t.Helper()
	msg := s.nextMail(addr)
	u, err := url.Parse(msg.Link)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.Query().Get("token")
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// mailCode returns the code of the next message to addr.
func (s *server) mailCode(addr string) string {
	s.t.Helper()
	return sixDigits.FindString(s.nextMail(addr).Text)
}

// totp returns the current code of a TOTP secret, and moves the clock a
// step on so that the next call gives a new code.
func (s *server) totp(secret string) string {
	s.t.Helper()
	code, err := twofactor.TOTPCode(secret, s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	s.clock.Advance(30 * time.Second)
	return code
}

// signedUp registers and confirms an account through the API.
func (s *server) signedUp(email string) {
	s.t.Helper()
	c := s.client()
	c.post("register", map[string]any{"email": email, "password": password}).want(201)
	c.post("confirm", map[string]any{"token": s.mailToken(email)}).want(204)
}

// loggedIn returns a client logged in as a new, confirmed user.
func (s *server) loggedIn(email string) *client {
	s.t.Helper()
	s.signedUp(email)
	c := s.client()
	c.post("login", map[string]any{"email": email, "password": password}).want(200)
	return c
}

// withTOTP gives the logged-in client's user a TOTP factor and returns
// its secret and backup codes.
func (c *client) withTOTP() (string, []string) {
	c.t.Helper()
	var e struct{ Secret string }
	c.post("two-factor/totp/enroll", nil).want(200).decode(&e)
	var codes struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.post("two-factor/totp/confirm", map[string]any{"code": c.s.totp(e.Secret)}).want(200).decode(&codes)
	return e.Secret, codes.BackupCodes
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
