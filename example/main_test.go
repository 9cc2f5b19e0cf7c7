package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/oauth"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }

const password = "correct horse battery staple"

// testApp is the example app on an httptest server over a fresh database.
type testApp struct {
	srv  *httptest.Server
	kit  *authkit.Kit
	mail *authkit.DevMailer
	sms  *authkit.DevSMS
}

// newTestApp starts the app in development mode.
func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return startTestApp(t, true)
}

// startTestApp starts the app with development mode on or off. Either
// way it sends through a development outbox, for the tests to read; only
// with dev does the app show it. Outside development mode the app's
// cookies are Secure, so it is served over https, as behind a TLS proxy.
func startTestApp(t *testing.T, dev bool) *testApp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	outbox := newDevOutbox(nil)
	shown, scheme := outbox, "http://"
	if !dev {
		shown, scheme = nil, "https://"
	}
	var providers []*oauth.Provider
	if dev {
		provider, err := startDevProvider()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { provider.stop() })
		providers = append(providers, provider.provider())
	}
	handler, kit, err := newApp(t.Context(), authkit.Config{
		DB:            authkittest.DB(t),
		Mailer:        outbox.mail,
		SMS:           outbox.sms,
		BaseURL:       scheme + srv.Listener.Addr().String(),
		EncryptionKey: newKey(),
	}, shown, providers)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = handler
	if dev {
		srv.Start()
	} else {
		srv.StartTLS()
	}
	t.Cleanup(func() {
		srv.Close()
		kit.Close()
	})
	return &testApp{srv: srv, kit: kit, mail: outbox.mail, sms: outbox.sms}
}

// confirmedUser creates an account that can log in at once.
func (app *testApp) confirmedUser(t *testing.T, email string) int64 {
	t.Helper()
	id, err := app.kit.Admin().CreateUser(t.Context(), email, password, true)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// loggedInTwice creates an account and logs it in on two devices.
func (app *testApp) loggedInTwice(t *testing.T, email string) (laptop, phone *browser) {
	t.Helper()
	app.confirmedUser(t, email)
	laptop, phone = app.browser(t), app.browser(t)
	laptop.login(email)
	phone.login(email)
	return laptop, phone
}

// browser is one device: a client with its own cookie jar that does not
// follow redirects, so tests see them.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (app *testApp) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: app.srv.URL, client: &http.Client{
		Transport:     app.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is a response with its body read.
type reply struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) reply {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header}
}

// get fetches a path, or a full URL such as a link from an email.
func (b *browser) get(target string) reply {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.base + target
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) reply {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(email string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther || r.location != "/account" {
		b.t.Fatalf("login: got %d to %q, want 303 to /account; page:\n%s", r.status, r.location, r.body)
	}
}

// awaitMail returns the newest email of kind to the address, waiting for
// mail that authkit sends in the background.
func (app *testApp) awaitMail(t *testing.T, to string, kind authkit.MessageKind) authkit.Message {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		msgs := app.mail.Messages()
		for _, m := range slices.Backward(msgs) {
			if m.To == to && m.Kind == kind {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s email was sent to %s", kind, to)
		}
	}
}

// linkToken returns the token of a link from an email.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("%q is not a link with a token", link)
	}
	return u.Query().Get("token")
}

// confirmEmail opens a confirmation link and presses its button.
func (b *browser) confirmEmail(link string) reply {
	b.t.Helper()
	expect(b.t, "confirmation link", b.get(link), http.StatusOK, "Confirm my email address")
	return b.post("/confirm-email", url.Values{"token": {linkToken(b.t, link)}})
}

func expect(t *testing.T, what string, r reply, status int, text string) {
	t.Helper()
	if r.status != status || !strings.Contains(r.body, text) {
		t.Fatalf("%s: got %d, want %d with %q; page:\n%s", what, r.status, status, text, r.body)
	}
}

// expectLoggedOut checks that /account sends the browser to log in.
func expectLoggedOut(t *testing.T, b *browser) {
	t.Helper()
	r := b.get("/account")
	if r.status != http.StatusSeeOther || r.location != "/login?next=%2Faccount" {
		t.Fatalf("/account: got %d to %q, want 303 to the login page", r.status, r.location)
	}
}

func TestApp_RegisterConfirmLogInAndLogOutEverywhere(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	laptop, phone := app.browser(t), app.browser(t)
	const email = "ada@example.com"

	expect(t, "home", laptop.get("/"), http.StatusOK, "Nobody is logged in")
	expect(t, "register", laptop.post("/register", url.Values{"email": {email}, "password": {password}}),
		http.StatusOK, "Your account is created")
	expect(t, "login before confirming", laptop.post("/login", url.Values{"email": {email}, "password": {password}}),
		http.StatusForbidden, "Please confirm your email address first")

	msg, ok := app.mail.Last(email)
	if !ok {
		t.Fatal("no confirmation email was sent")
	}
	expect(t, "confirm", laptop.confirmEmail(msg.Link), http.StatusOK, "Your email address is confirmed")
	expect(t, "confirm again", laptop.post("/confirm-email", url.Values{"token": {linkToken(t, msg.Link)}}),
		http.StatusBadRequest, "not valid or was used already")

	r := laptop.post("/login", url.Values{"email": {email}, "password": {password}, "remember": {"on"}, "next": {"/account"}})
	if r.status != http.StatusSeeOther || r.location != "/account" {
		t.Fatalf("login: got %d to %q, want 303 to /account; page:\n%s", r.status, r.location, r.body)
	}
	expect(t, "account", laptop.get("/account"), http.StatusOK, email)
	expect(t, "home when logged in", laptop.get("/"), http.StatusOK, "You are logged in as <strong>"+email)
	phone.login(email)

	r = laptop.post("/logout-everywhere", nil)
	if r.status != http.StatusSeeOther || r.location != "/?done=logout-everywhere" {
		t.Fatalf("log out everywhere: got %d to %q", r.status, r.location)
	}
	expect(t, "home after logging out", laptop.get(r.location), http.StatusOK, "You are logged out on every device")
	expectLoggedOut(t, laptop)
	expectLoggedOut(t, phone)
}

func TestApp_LogOutEverywhereElseKeepsThisDevice(t *testing.T) {
	t.Parallel()
	laptop, phone := newTestApp(t).loggedInTwice(t, "ada@example.com")

	r := laptop.post("/logout-everywhere-else", nil)
	expect(t, "log out everywhere else", laptop.get(r.location), http.StatusOK, "Every other device is logged out")
	expect(t, "account", laptop.get("/account"), http.StatusOK, "ada@example.com")
	expectLoggedOut(t, phone)
}

func TestApp_LogOutEndsOnlyThisDevice(t *testing.T) {
	t.Parallel()
	laptop, phone := newTestApp(t).loggedInTwice(t, "ada@example.com")

	r := laptop.post("/logout", nil)
	expect(t, "log out", laptop.get(r.location), http.StatusOK, "You are logged out.")
	expectLoggedOut(t, laptop)
	expect(t, "account on the other device", phone.get("/account"), http.StatusOK, "ada@example.com")
}

func TestApp_AccountShowsTheUser(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	id := app.confirmedUser(t, "ada@example.com")
	if err := app.kit.Admin().AddRole(t.Context(), id, "editor"); err != nil {
		t.Fatal(err)
	}
	b.login("ada@example.com")
	r := b.get("/account")
	for _, want := range []string{fmt.Sprintf("<dd>%d</dd>", id), "<dd>ada@example.com</dd>", "<dd>editor</dd>"} {
		expect(t, "account", r, http.StatusOK, want)
	}
}

// formFailure is a form post that must fail with status and show message.
type formFailure struct {
	name, email, password string
	status                int
	message               string
}

// expectFormFailures posts each case to path from a new browser and checks
// the answer, and that the page does not show the password.
func expectFormFailures(t *testing.T, app *testApp, path string, tests []formFailure) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := app.browser(t).post(path, url.Values{"email": {tt.email}, "password": {tt.password}})
			expect(t, path, r, tt.status, tt.message)
			if strings.Contains(r.body, tt.password) {
				t.Error("the page shows the password")
			}
		})
	}
}

func TestLogin_ExplainsEachFailureWithItsStatus(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	banned := app.confirmedUser(t, "banned@example.com")
	if err := app.kit.Admin().SetStatus(t.Context(), banned, authkit.StatusBanned); err != nil {
		t.Fatal(err)
	}
	app.confirmedUser(t, "ada@example.com")

	tests := []formFailure{
		{"a wrong password is refused", "ada@example.com", "not the password", http.StatusUnauthorized, "Wrong email address or password"},
		{"an unknown email is refused alike", "nobody@example.com", password, http.StatusUnauthorized, "Wrong email address or password"},
		{"a banned account says it is banned", "banned@example.com", password, http.StatusForbidden, "Your account is banned"},
		{"a malformed email is bad input", "not an email", password, http.StatusUnprocessableEntity, "valid email address"},
		{"a huge password is bad input", "ada@example.com", strings.Repeat("x", 300), http.StatusUnprocessableEntity, "too long"},
	}
	expectFormFailures(t, app, "/login", tests)
}

func TestRegister_ExplainsBadInput(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.confirmedUser(t, "taken@example.com")

	tests := []formFailure{
		{"a short password is refused", "new@example.com", "short1", http.StatusUnprocessableEntity, "too short"},
		{"a common password is refused", "new@example.com", "password123", http.StatusUnprocessableEntity, "too common"},
		{"a malformed email is refused", "new@", password, http.StatusUnprocessableEntity, "valid email address"},
		{"a registered email is refused", "taken@example.com", password, http.StatusConflict, "exists already"},
	}
	expectFormFailures(t, app, "/register", tests)
}

func TestConfirmEmail_RefusesAGarbageToken(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	expect(t, "confirm", app.browser(t).post("/confirm-email", url.Values{"token": {"garbage"}}), http.StatusBadRequest, "not valid")
}

func TestConfirmEmail_OpeningTheLinkDoesNotUseItUp(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	const email = "ada@example.com"
	b.post("/register", url.Values{"email": {email}, "password": {password}})
	msg, _ := app.mail.Last(email)

	// A mail scanner fetches the link before the user does.
	for range 2 {
		expect(t, "open the link", app.browser(t).get(msg.Link), http.StatusOK, `<input type="hidden" name="token"`)
	}
	expect(t, "login before pressing the button", b.post("/login", url.Values{"email": {email}, "password": {password}}),
		http.StatusForbidden, "Please confirm your email address first")
	expect(t, "press the button", b.confirmEmail(msg.Link), http.StatusOK, "Your email address is confirmed")
	b.login(email)
}

func TestResendConfirmation_MailsANewLinkThatWorks(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}})

	expect(t, "resend", b.post("/confirm-email/resend", url.Values{"email": {"ada@example.com"}}),
		http.StatusOK, "a new link is on its way")
	// ResendConfirmation mails in the background.
	for deadline := time.Now().Add(5 * time.Second); len(app.mail.Messages()) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no new confirmation email was sent")
		}
	}
	msg, _ := app.mail.Last("ada@example.com")
	expect(t, "new link", b.confirmEmail(msg.Link), http.StatusOK, "Your email address is confirmed")
}

func TestAccount_SendsAnonymousVisitorsToLogIn(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	expectLoggedOut(t, b)
	if r := b.post("/logout-everywhere", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("log out everywhere while logged out: got %d, want 401", r.status)
	}
}

func TestApp_RefusesCrossOriginForms(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.confirmedUser(t, "ada@example.com")
	b := app.browser(t)
	form := url.Values{"email": {"ada@example.com"}, "password": {password}}
	req, err := http.NewRequest(http.MethodPost, app.srv.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := b.do(req); r.status != http.StatusForbidden {
		t.Fatalf("cross-site login: got %d, want 403", r.status)
	}
	expectLoggedOut(t, b)
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct{ next, want string }{
		{"/account", "/account"},
		{"/account?tab=1", "/account?tab=1"},
		{"", "/account"},
		{"https://evil.example/", "/account"},
		{"//evil.example/", "/account"},
		{`/\evil.example/`, "/account"},
		{"/\t/evil.example/", "/account"},
		{"account", "/account"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
