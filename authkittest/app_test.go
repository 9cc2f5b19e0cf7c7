package authkittest_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
)

const password = "correct horse battery staple"

// routes is a small app as an app's tests meet one: forms whose handlers
// call authkit and answer "ok" or the error.
func routes() http.Handler {
	mux := http.NewServeMux()
	action := func(pattern string, do func(a *authkit.Auth, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := do(authkit.From(r), r); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			io.WriteString(w, "ok")
		})
	}
	action("POST /register", func(a *authkit.Auth, r *http.Request) error {
		_, err := a.Register(r.FormValue("email"), r.FormValue("password"))
		return err
	})
	action("POST /confirm-email", func(a *authkit.Auth, r *http.Request) error {
		return a.ConfirmEmail(r.FormValue("token"))
	})
	action("POST /login", func(a *authkit.Auth, r *http.Request) error {
		return a.Login(r.FormValue("email"), r.FormValue("password"), false)
	})
	action("POST /forgot-password", func(a *authkit.Auth, r *http.Request) error {
		return a.ForgotPassword(r.FormValue("email"))
	})
	action("POST /two-factor/sms", func(a *authkit.Auth, r *http.Request) error {
		return a.TwoFactor().EnableSMS(r.FormValue("phone"))
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if a := authkit.From(r); a.IsLoggedIn() {
			io.WriteString(w, a.Email())
			return
		}
		io.WriteString(w, "nobody")
	})
	return mux
}

// testApp is the app of routes on an HTTPS test server, with a Kit on db
// that mails and texts into the capturing senders.
type testApp struct {
	kit  *authkit.Kit
	mail *authkittest.Mailer
	sms  *authkittest.SMS
	srv  *httptest.Server
}

func startApp(t *testing.T, db *sqlx.DB) *testApp {
	t.Helper()
	app := &testApp{mail: &authkittest.Mailer{}, sms: &authkittest.SMS{}, srv: httptest.NewUnstartedServer(nil)}
	kit, err := authkit.New(authkit.Config{
		DB:      db,
		Mailer:  app.mail,
		SMS:     app.sms,
		BaseURL: "https://" + app.srv.Listener.Addr().String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	app.kit = kit
	app.srv.Config.Handler = kit.Middleware(routes())
	app.srv.StartTLS()
	t.Cleanup(func() {
		app.srv.Close()
		kit.Close()
	})
	return app
}

// browser is one client of a test server, with its own cookies. fatal
// ends the test or example when a request fails.
type browser struct {
	client *http.Client
	base   string
	fatal  func(args ...any)
}

func newBrowser(srv *httptest.Server, fatal func(args ...any)) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		fatal(err)
	}
	client := srv.Client()
	client.Jar = jar
	return &browser{client: client, base: srv.URL, fatal: fatal}
}

// post submits a form and returns the answer's body.
func (b *browser) post(path string, form url.Values) string {
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.fatal(err)
	}
	return readBody(resp, b.fatal)
}

func (b *browser) get(path string) string {
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.fatal(err)
	}
	return readBody(resp, b.fatal)
}

func readBody(resp *http.Response, fatal func(args ...any)) string {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fatal(err)
	}
	return strings.TrimSpace(string(body))
}

// token returns the token parameter of a link in a message.
func token(link string, fatal func(args ...any)) string {
	u, err := url.Parse(link)
	if err != nil {
		fatal(err)
	}
	return u.Query().Get("token")
}

// signUp registers email, confirms it from the mailed link and logs in.
func (app *testApp) signUp(t *testing.T, b *browser, email string) {
	t.Helper()
	if got := b.post("/register", url.Values{"email": {email}, "password": {password}}); got != "ok" {
		t.Fatalf("register: %s", got)
	}
	msg, err := app.mail.Wait(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.post("/confirm-email", url.Values{"token": {token(msg.Link, t.Fatal)}}); got != "ok" {
		t.Fatalf("confirm: %s", got)
	}
	if got := b.post("/login", url.Values{"email": {email}, "password": {password}}); got != "ok" {
		t.Fatalf("login: %s", got)
	}
}
