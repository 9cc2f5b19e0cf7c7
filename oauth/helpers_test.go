package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/twofactor"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }

const password = "correct horse battery staple"

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// world is one test's setting: a Kit on a fresh database, the Service
// under test with two providers — "mock", a real OpenID Connect provider
// (mockoidc) running in the test, and "github", a fake of GitHub's OAuth
// and REST API — and an HTTPS app that mounts the Service.
type world struct {
	t     *testing.T
	db    *sqlx.DB
	kit   *authkit.Kit
	mail  *authkittest.Mailer
	svc   *oauth.Service
	oidc  *mockoidc.MockOIDC
	gh    *fakeGitHub
	srv   *httptest.Server
	clock *clock

	// tamper, when set, rewrites the JSON of mockoidc's token responses.
	tamper atomic.Pointer[func(map[string]any)]

	// actions are what /do runs, by the X-Action header's number.
	actions sync.Map
	nextAct atomic.Int64
}

// newWorld builds a world; opts adjust the Options before oauth.New.
func newWorld(t *testing.T, opts ...func(*oauth.Options)) *world {
	t.Helper()
	return newWorldOn(t, authkittest.DB(t), opts...)
}

// probedWorld is a world whose database statements go through a probe.
func probedWorld(t *testing.T, opts ...func(*oauth.Options)) (*world, *pgtest.Probe) {
	t.Helper()
	db, p := pgtest.Probed(t, authkittest.URL(t))
	if err := sqlschema.Apply(t.Context(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	w := newWorldOn(t, db, opts...)
	t.Cleanup(p.LetAll) // runs before the world's cleanup, so a failed test cannot hang on a hold
	return w, p
}

// newWorldOn builds a world on a database with authkit's tables.
func newWorldOn(t *testing.T, db *sqlx.DB, opts ...func(*oauth.Options)) *world {
	t.Helper()
	w := &world{t: t, db: db, mail: &authkittest.Mailer{}, clock: &clock{}}
	w.startOIDC()
	w.gh = newFakeGitHub(t)
	w.srv = httptest.NewUnstartedServer(nil)
	kit, err := authkit.New(authkit.Config{
		DB: w.db, Mailer: w.mail, Now: w.clock.Now,
		BaseURL:       "https://" + w.srv.Listener.Addr().String(),
		EncryptionKey: bytes.Repeat([]byte{7}, 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kit.Close() })
	w.kit = kit
	o := oauth.Options{
		Providers:   []*oauth.Provider{oauth.OIDC("mock", w.oidc.Issuer(), w.oidc.ClientID, w.oidc.ClientSecret), w.gh.provider()},
		AllowSignUp: true,
		KeepTokens:  true,
	}
	for _, f := range opts {
		f(&o)
	}
	if w.svc, err = oauth.New(kit, o); err != nil {
		t.Fatal(err)
	}
	w.srv.Config.Handler = kit.Middleware(w.routes())
	w.srv.StartTLS()
	t.Cleanup(w.srv.Close)
	return w
}

// startOIDC starts mockoidc with a middleware that lets the test tamper
// with its token responses.
func (w *world) startOIDC() {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			tamper := w.tamper.Load()
			if r.URL.Path != mockoidc.TokenEndpoint || tamper == nil {
				next.ServeHTTP(rw, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &body) == nil {
				(*tamper)(body)
			}
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(rec.Code)
			json.NewEncoder(rw).Encode(body)
		})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { m.Shutdown() })
	w.oidc = m
}

// routes is the app: the Service at /oauth/, and /do, which runs the
// action a test set, for calling the Go API inside a real request.
func (w *world) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/oauth/", w.svc)
	mux.HandleFunc("GET /whoami", func(rw http.ResponseWriter, r *http.Request) {
		io.WriteString(rw, strconv.FormatInt(authkit.From(r).UserID(), 10))
	})
	mux.HandleFunc("POST /do", func(rw http.ResponseWriter, r *http.Request) {
		f, _ := w.actions.Load(r.Header.Get("X-Action"))
		out, err := f.(func(*http.Request) (string, error))(r)
		if err != nil {
			http.Error(rw, err.Error(), oauth.StatusCode(err))
			return
		}
		io.WriteString(rw, out)
	})
	return mux
}

// oidcUser is a user of the mock provider whose id_token carries claims
// (email, email_verified, ...) and whose standard claims edit may change.
type oidcUser struct {
	sub    string
	claims map[string]any
	edit   func(*mockoidc.IDTokenClaims)
}

func person(sub, email string, verified any) *oidcUser {
	return &oidcUser{sub: sub, claims: map[string]any{"email": email, "email_verified": verified}}
}

func (u *oidcUser) ID() string { return u.sub }

func (u *oidcUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub})
}

func (u *oidcUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.edit != nil {
		u.edit(base)
	}
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	m := jwt.MapClaims{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range u.claims {
		m[k] = v
	}
	return m, nil
}

// browser is one browser: a cookie jar that follows no redirects by
// itself, so tests can step through (and tamper with) a sign-in.
type browser struct {
	w *world
	c *http.Client
}

func (w *world) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return &browser{w: w, c: &http.Client{
		Transport:     w.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is an HTTP answer.
type reply struct {
	status   int
	location string
	body     string
}

func (b *browser) get(u string) reply {
	b.w.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.w.srv.URL + u
	}
	resp, err := b.c.Get(u)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Get("Location"), strings.TrimSpace(string(body))}
}

// begin starts a sign-in at the app and returns the provider URL it
// redirects to.
func (b *browser) begin(provider, query string) string {
	b.w.t.Helper()
	r := b.get("/oauth/" + provider + query)
	if r.status != http.StatusFound {
		b.w.t.Fatalf("begin: %d %s", r.status, r.body)
	}
	return r.location
}

// authorize visits the provider, which signs the user in (the next user
// queued) and redirects back; it returns the callback URL.
func (b *browser) authorize(providerURL string) string {
	b.w.t.Helper()
	r := b.get(providerURL)
	if r.status != http.StatusFound {
		b.w.t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	return r.location
}

// signIn runs a whole sign-in and returns the callback's answer.
func (b *browser) signIn(provider string) reply {
	b.w.t.Helper()
	return b.get(b.authorize(b.begin(provider, "")))
}

// mustSignIn signs in and fails the test unless the callback redirects
// to the return-to path.
func (b *browser) mustSignIn(provider string) {
	b.w.t.Helper()
	if r := b.signIn(provider); r.status != http.StatusSeeOther || r.location != "/" {
		b.w.t.Fatalf("sign-in with %s: %d %q %s", provider, r.status, r.location, r.body)
	}
}

func (b *browser) userID() int64 {
	b.w.t.Helper()
	id, err := strconv.ParseInt(b.get("/whoami").body, 10, 64)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return id
}

// do runs f inside a request of this browser and returns its error (with
// the HTTP status oauth.StatusCode gave it, in the text).
func (b *browser) do(f func(r *http.Request) (string, error)) (string, error) {
	b.w.t.Helper()
	id := strconv.FormatInt(b.w.nextAct.Add(1), 10)
	b.w.actions.Store(id, f)
	defer b.w.actions.Delete(id)
	req, err := http.NewRequest(http.MethodPost, b.w.srv.URL+"/do", nil)
	if err != nil {
		b.w.t.Fatal(err)
	}
	req.Header.Set("X-Action", id)
	resp, err := b.c.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", &httpError{resp.StatusCode, strings.TrimSpace(string(body))}
	}
	return string(body), nil
}

// err runs f inside a request of this browser and returns its error.
func (b *browser) err(f func(r *http.Request) error) error {
	b.w.t.Helper()
	_, err := b.do(func(r *http.Request) (string, error) { return "", f(r) })
	return err
}

// httpError is an error answered by /do.
type httpError struct {
	status int
	text   string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.text) }

// wantStatus fails unless err is an httpError with that status whose
// text contains want's.
func wantErr(t *testing.T, err error, want error) {
	t.Helper()
	var he *httpError
	if !errors.As(err, &he) || !strings.Contains(he.text, want.Error()) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// login logs the browser in with the password.
func (b *browser) login(email string) error {
	return b.err(func(r *http.Request) error { return authkit.From(r).Login(email, password, false) })
}

// user creates a password account; verified says whether its address is
// confirmed.
func (w *world) user(email string, verified bool) int64 {
	w.t.Helper()
	id, err := w.kit.Admin().CreateUser(context.Background(), email, password, verified)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// count counts the rows of an authkit table that match where.
func (w *world) count(table, where string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.Get(&n, "SELECT count(*) FROM authkit_"+table+" WHERE "+where, args...); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// fakeGitHub is GitHub's OAuth endpoints and the two REST resources the
// package reads, with PKCE checked as GitHub checks it.
type fakeGitHub struct {
	*httptest.Server
	id, secret string

	mu    sync.Mutex
	next  []ghUser
	codes map[string]ghGrant
	users map[string]ghUser // by access token
}

type ghUser struct {
	ID     int64
	Emails []map[string]any // as /user/emails lists them
	// EmailsStatus, when set, is /user/emails' status (403: no scope).
	EmailsStatus int
}

type ghGrant struct {
	user      ghUser
	challenge string
	redirect  string
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{id: "gh-client", secret: "gh-secret", codes: map[string]ghGrant{}, users: map[string]ghUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /api/user", g.user)
	mux.HandleFunc("GET /api/user/emails", g.emails)
	g.Server = httptest.NewServer(mux)
	t.Cleanup(g.Close)
	return g
}

func (g *fakeGitHub) provider() *oauth.Provider {
	p := oauth.GitHub(g.id, g.secret)
	p.Endpoint = oauth2.Endpoint{AuthURL: g.URL + "/login/oauth/authorize", TokenURL: g.URL + "/login/oauth/access_token"}
	p.APIURL = g.URL + "/api"
	return p
}

// queue makes the next authorization sign in as u.
func (g *fakeGitHub) queue(u ghUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next = append(g.next, u)
}

func (g *fakeGitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != g.id || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	if len(g.next) == 0 {
		g.mu.Unlock()
		http.Error(w, "no user queued", http.StatusBadRequest)
		return
	}
	u := g.next[0]
	g.next = g.next[1:]
	code := "code-" + strconv.Itoa(len(g.codes))
	g.codes[code] = ghGrant{user: u, challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	g.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (g *fakeGitHub) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	grant, found := g.codes[r.FormValue("code")]
	delete(g.codes, r.FormValue("code")) // single use
	sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
	w.Header().Set("Content-Type", "application/json")
	if id != g.id || secret != g.secret || !found || grant.redirect != r.FormValue("redirect_uri") ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != grant.challenge {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"bad_verification_code"}`)
		return
	}
	tok := "gho_" + strconv.Itoa(len(g.users))
	g.users[tok] = grant.user
	json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (g *fakeGitHub) caller(r *http.Request) (ghUser, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u, ok := g.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	return u, ok
}

func (g *fakeGitHub) user(w http.ResponseWriter, r *http.Request) {
	u, ok := g.caller(r)
	if !ok {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": "user" + strconv.FormatInt(u.ID, 10)})
}

func (g *fakeGitHub) emails(w http.ResponseWriter, r *http.Request) {
	u, ok := g.caller(r)
	switch {
	case !ok:
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
	case u.EmailsStatus != 0:
		http.Error(w, `{"message":"Resource not accessible by integration"}`, u.EmailsStatus)
	default:
		json.NewEncoder(w).Encode(u.Emails)
	}
}

// ghEmail is an entry of /user/emails.
func ghEmail(email string, primary, verified any) map[string]any {
	return map[string]any{"email": email, "primary": primary, "verified": verified, "visibility": "private"}
}

// withTOTP enrols an authenticator app for the user the browser is
// logged in as (with a fresh password) and returns its secret.
func (b *browser) withTOTP() string {
	b.w.t.Helper()
	secret, err := b.do(func(r *http.Request) (string, error) {
		e, err := authkit.From(r).TwoFactor().EnrollTOTP()
		if err != nil {
			return "", err
		}
		return e.Secret, nil
	})
	if err != nil {
		b.w.t.Fatal(err)
	}
	err = b.err(func(r *http.Request) error {
		_, err := authkit.From(r).TwoFactor().Confirm(twofactor.TOTP, b.w.totp(secret))
		return err
	})
	if err != nil {
		b.w.t.Fatal(err)
	}
	b.w.clock.Advance(30 * time.Second) // the next code is a new one
	return secret
}

// totp returns the current code of an authenticator app.
func (w *world) totp(secret string) string {
	w.t.Helper()
	code, err := twofactor.TOTPCode(secret, w.clock.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	return code
}

// linkIdentity links a provider account to a user directly in the
// database, for tests that need one in place without a sign-in.
func (w *world) linkIdentity(provider, subject string, userID int64) {
	w.t.Helper()
	if _, err := w.db.Exec(`INSERT INTO authkit_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, now())`,
		provider, subject, userID); err != nil {
		w.t.Fatal(err)
	}
}

// idToken returns an id_token of the mock provider, as a native app gets
// one from it, valid for ten minutes.
func (w *world) idToken(t *testing.T, sub, email, nonce string, aud ...string) string {
	t.Helper()
	now := w.clock.Now()
	raw, err := w.oidc.Keypair.SignJWT(jwt.MapClaims{
		"iss": w.oidc.Issuer(), "sub": sub, "aud": aud, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"email": email, "email_verified": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
