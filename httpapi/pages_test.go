package httpapi_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

// pagesServer is an app serving httpapi.Pages under prefix.
type pagesServer struct {
	*server
	prefix string
}

func newPagesServer(t *testing.T, opts httpapi.PagesOptions, setups ...setup) *pagesServer {
	t.Helper()
	prefix := strings.TrimSuffix(opts.Prefix, "/")
	setups = append(setups, func(cfg *authkit.Config, _ *httpapi.Options) {
		cfg.ConfirmEmailPath, cfg.ResetPasswordPath = prefix+"/confirm", prefix+"/password/reset"
	})
	s := newServer(t, setups...)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", httpapi.Pages(s.kit, opts))
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	return &pagesServer{server: s, prefix: prefix}
}

// browser is a web browser with a cookie jar that does not follow
// redirects, so that tests see where they lead.
type browser struct {
	t    *testing.T
	s    *pagesServer
	http *http.Client
}

func (s *pagesServer) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := s.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: s.t, s: s, http: c}
}

// page is what the browser got: the status, where a redirect leads, and
// the HTML.
type page struct {
	status   int
	location string
	html     string
}

func (b *browser) send(req *http.Request) page {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		b.t.Errorf("%s %s: Cache-Control %q", req.Method, req.URL.Path, cc)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), html: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.s.srv.URL+b.s.prefix+path, nil)
	return b.send(req)
}

// post sends a form; header holds pairs of name and value.
func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.s.srv.URL+b.s.prefix+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.send(req)
}

func (p page) want(t *testing.T, status int, says ...string) page {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d: %s", p.status, status, p.html)
	}
	for _, s := range says {
		if !strings.Contains(p.html, s) {
			t.Fatalf("the page does not say %q:\n%s", s, p.html)
		}
	}
	return p
}

func (p page) redirects(t *testing.T, to string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.location != to {
		t.Fatalf("%d to %q, want a redirect to %q: %s", p.status, p.location, to, p.html)
	}
}

func credentials(email string) url.Values {
	return url.Values{"email": {email}, "password": {password}}
}

func (s *pagesServer) user(email string) {
	s.t.Helper()
	if _, err := s.kit.Admin().CreateUser(s.t.Context(), email, password, true); err != nil {
		s.t.Fatal(err)
	}
}

// adasBrowser serves the pages with opts, and gives the user
// ada@example.com and a browser.
func adasBrowser(t *testing.T, opts httpapi.PagesOptions) (*pagesServer, *browser) {
	t.Helper()
	s := newPagesServer(t, opts)
	s.user("ada@example.com")
	return s, s.browser()
}

func TestPages_LogInSeeTheAccountAndLogOut(t *testing.T) {
	t.Parallel()
	_, b := adasBrowser(t, httpapi.PagesOptions{})

	b.get("/account").redirects(t, "/login?next=%2Faccount")
	b.get("/login?next=%2Faccount").want(t, 200, `<form method="post" action="/login">`, `value="/account"`, `href="/style.css"`)
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}}).
		want(t, 401, "Invalid email or password.", `value="ada@example.com"`)
	b.post("/login", credentials("ada@example.com")).redirects(t, "/account")
	b.get("/account").want(t, 200, "ada@example.com", "Two-step login")

	b.post("/account/profile", url.Values{"name": {"Ada <Lovelace>"}}).redirects(t, "/account")
	b.get("/account").want(t, 200, "Your name is saved.", `value="Ada &lt;Lovelace&gt;"`)

	b.post("/logout", nil).redirects(t, "/login")
	b.get("/login").want(t, 200, "You are logged out.")
	b.get("/account").redirects(t, "/login?next=%2Faccount")
}

func TestPages_RegisterConfirmAndLogIn(t *testing.T) {
	t.Parallel()
	s := newPagesServer(t, httpapi.PagesOptions{Prefix: "/u"})
	b := s.browser()

	b.get("/register").want(t, 200, `action="/u/register"`)
	b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {"short"}}).want(t, 400, "Password is too short.")
	b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}, "name": {"Ada"}}).
		want(t, 200, "We sent a link to ada@example.com")
	msg, err := s.mail.Wait(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	link := mustURL(t, msg.Link)
	if link.Path != "/u/confirm" {
		t.Fatalf("the mailed link opens %s", link.Path)
	}
	tok := link.Query().Get("token")

	// Opening the link (as a mail scanner does) only shows a button.
	b.get("/confirm?token="+url.QueryEscape(tok)).want(t, 200, "Confirm my address")
	b.get("/confirm?token="+url.QueryEscape(tok)).want(t, 200, "Confirm my address")
	b.post("/confirm", url.Values{"token": {tok}}).redirects(t, "/u/login")
	b.get("/login").want(t, 200, "Your address is confirmed.")
	b.post("/confirm", url.Values{"token": {tok}}).want(t, 400, "Invalid or already used token.")

	b.post("/login", credentials("ada@example.com")).redirects(t, "/u/account")
	b.get("/account").want(t, 200, `value="Ada"`)
}

var totpKey = regexp.MustCompile(`<code>([A-Z2-7]{16,})</code>`)
var backupCode = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)

func TestPages_SetUpAnAuthenticatorAppAndLogInWithIt(t *testing.T) { // SEC-F1
	t.Parallel()
	s, b := adasBrowser(t, httpapi.PagesOptions{})
	b.post("/login", credentials("ada@example.com")).redirects(t, "/account")

	setup := b.post("/account/two-factor/totp/enroll", nil).want(t, 200, `src="data:image/png;base64,`, "Set up your authenticator app")
	secret := totpKey.FindStringSubmatch(setup.html)[1]
	b.post("/account/two-factor/totp/confirm", url.Values{"code": {"000000"}}).want(t, 401, "Invalid code.")
	done := b.post("/account/two-factor/totp/confirm", url.Values{"code": {s.totp(secret)}}).want(t, 200, "Authenticator app is on.", "Your backup codes")
	if codes := backupCode.FindAllStringSubmatch(done.html, -1); len(codes) != 10 {
		t.Fatalf("%d backup codes shown", len(codes))
	}
	b.post("/logout", nil).redirects(t, "/login")

	b.post("/login", credentials("ada@example.com")).redirects(t, "/login/second-factor?next=")
	b.get("/account").redirects(t, "/login?next=%2Faccount")
	b.get("/login/second-factor").want(t, 200, "Authenticator app", "Backup code")
	b.post("/login/second-factor", url.Values{"method": {"totp"}, "code": {"000000"}}).want(t, 401, "Invalid code.")
	b.post("/login/second-factor", url.Values{"method": {"totp"}, "code": {s.totp(secret)}}).redirects(t, "/account")
	b.get("/account").want(t, 200, "Authenticator app", ": on")
}

func TestPages_SecondStepWithAnEmailCodeAndWithoutAPendingLogin(t *testing.T) {
	t.Parallel()
	s, b := adasBrowser(t, httpapi.PagesOptions{})
	b.get("/login/second-factor").redirects(t, "/login")
	b.post("/login", credentials("ada@example.com")).redirects(t, "/account")
	b.post("/account/two-factor/email/enroll", nil).redirects(t, "/account")
	b.get("/account").want(t, 200, "We sent you a code", "waiting for its code")
	b.post("/account/two-factor/email/confirm", url.Values{"code": {s.mailCode("ada@example.com")}}).want(t, 200, "Your backup codes")

	other := s.browser()
	other.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "next": {"/account"}}).
		redirects(t, "/login/second-factor?next=%2Faccount")
	other.get("/login/second-factor?next=%2Faccount").want(t, 200, "Send me a code", "a***@example.com")
	other.post("/login/second-factor/send", url.Values{"method": {"email"}}).redirects(t, "/login/second-factor?next=")
	other.post("/login/second-factor", url.Values{"method": {"email"}, "code": {s.mailCode("ada@example.com")}, "next": {"/account"}}).
		redirects(t, "/account")
}

func TestPages_ForgotAndResetThePassword(t *testing.T) { // SEC-E2 SEC-T3
	t.Parallel()
	s, b := adasBrowser(t, httpapi.PagesOptions{})

	b.post("/password/forgot", url.Values{"email": {"nobody@example.com"}}).want(t, 200, "If nobody@example.com has an account")
	b.post("/password/forgot", url.Values{"email": {"ada@example.com"}}).want(t, 200, "If ada@example.com has an account")
	tok := s.mailToken("ada@example.com")

	b.get("/password/reset?token=garbage").want(t, 400, "Invalid or already used token.")
	b.get("/password/reset?token="+url.QueryEscape(tok)).want(t, 200, "Choose a new password")
	b.post("/password/reset", url.Values{"token": {tok}, "password": {"short"}}).want(t, 400, "Password is too short.", `value="`+tok+`"`)
	b.post("/password/reset", url.Values{"token": {tok}, "password": {"a new long password"}}).redirects(t, "/login")
	b.post("/password/reset", url.Values{"token": {tok}, "password": {"a new long password"}}).want(t, 400, "Invalid or already used token.")

	b.post("/login", credentials("ada@example.com")).want(t, 401)
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"a new long password"}}).redirects(t, "/account")
}

func TestPages_ARememberedSessionAsksForThePasswordBeforeSettings(t *testing.T) { // SEC-S7
	t.Parallel()
	s, b := adasBrowser(t, httpapi.PagesOptions{})
	b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "remember": {"on"}}).redirects(t, "/account")
	b.http.Jar.SetCookies(mustURL(t, s.srv.URL), []*http.Cookie{{Name: "__Host-authkit_session", Path: "/", MaxAge: -1}})

	b.get("/account").want(t, 200, "enter your password first")
	b.post("/account/two-factor/totp/enroll", nil).want(t, 403, "Please enter your password again.")
	b.post("/account/reauthenticate", url.Values{"password": {password}}).redirects(t, "/account")
	b.post("/account/two-factor/totp/enroll", nil).want(t, 200, "Set up your authenticator app")
}

func TestPages_NextLeadsOnlyToLocalPaths(t *testing.T) {
	t.Parallel()
	s := newPagesServer(t, httpapi.PagesOptions{AfterLogin: "/home"})
	s.user("ada@example.com")
	for next, want := range map[string]string{
		"/orders?id=1":         "/orders?id=1",
		"//evil.example/x":     "/home",
		"https://evil.example": "/home",
		"/\\evil.example":      "/home",
		"":                     "/home",
	} {
		b := s.browser()
		form := credentials("ada@example.com")
		form.Set("next", next)
		b.post("/login", form).redirects(t, want)
	}
}

func TestPages_CrossSiteFormsAreRefused(t *testing.T) { // SEC-H1
	t.Parallel()
	_, b := adasBrowser(t, httpapi.PagesOptions{})

	b.post("/login", credentials("ada@example.com"), "Sec-Fetch-Site", "cross-site").want(t, 403)
	b.post("/login", credentials("ada@example.com"), "Origin", "https://evil.example").want(t, 403)
	b.get("/account").redirects(t, "/login?next=%2Faccount")
}

func TestPages_TemplatesCanBeOverriddenOneByOne(t *testing.T) {
	t.Parallel()
	s := newPagesServer(t, httpapi.PagesOptions{Templates: fstest.MapFS{
		"login.html": {Data: []byte(`{{define "title"}}Sign in{{end}}{{define "content"}}<h1>Sign in to Acme</h1>{{end}}`)},
		"style.css":  {Data: []byte(`body { color: rebeccapurple }`)},
	}})
	b := s.browser()

	b.get("/login").want(t, 200, "<title>Sign in</title>", "Sign in to Acme", `href="/style.css"`)
	b.get("/register").want(t, 200, "Create an account")
	if css := b.get("/style.css").want(t, 200); css.html != `body { color: rebeccapurple }` {
		t.Fatalf("style.css = %q", css.html)
	}
}

func TestPages_PanicsOnATemplateThatDoesNotParse(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	defer func() {
		if recover() == nil {
			t.Fatal("Pages accepted a broken template")
		}
	}()
	httpapi.Pages(s.kit, httpapi.PagesOptions{Templates: fstest.MapFS{"login.html": {Data: []byte(`{{define "content"}}`)}}})
}
