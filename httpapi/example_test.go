package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"os"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

// This example mounts the API at /auth, inside the Kit's middleware so
// that the app's own routes know who is logged in too.
func ExampleNew() {
	db := sqlx.MustConnect("postgres", os.Getenv("DATABASE_URL"))
	db.SetMaxOpenConns(25)
	kit, err := authkit.New(authkit.Config{DB: db, Mailer: authkit.NewDevMailer(os.Stdout), BaseURL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()

	mux := http.NewServeMux()
	mux.Handle("/auth/", httpapi.New(kit, httpapi.Options{Prefix: "/auth"}))
	mux.Handle("GET /account", kit.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Hello", authkit.From(r).Email())
	})))
	log.Fatal(http.ListenAndServe(":8080", kit.Middleware(mux)))
}

// This example serves two projects from one database: each has its own
// Kit, tables and cookies, and its API under /auth/{project}/. They share
// no users, sessions, tokens or throttles.
func ExampleNew_projects() {
	db := sqlx.MustConnect("postgres", os.Getenv("DATABASE_URL"))
	mailer := authkit.NewDevMailer(os.Stdout)
	mux := http.NewServeMux()
	for _, project := range []string{"main", "shop"} {
		kit, err := authkit.New(authkit.Config{
			DB: db, Mailer: mailer, BaseURL: "https://example.com",
			TablePrefix:        project + "_", // created with sqlschema.Apply(ctx, db, project+"_")
			SessionCookieName:  project + "_session",
			RememberCookieName: project + "_remember",
		})
		if err != nil {
			log.Fatal(err)
		}
		prefix := "/auth/" + project
		mux.Handle(prefix+"/", httpapi.New(kit, httpapi.Options{Prefix: prefix}))
	}
	log.Fatal(http.ListenAndServe(":8080", mux))
}

// apiClient is a client of the API, as a Go program would write one: a
// cookie jar keeps the session.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{base: base, http: &http.Client{Jar: jar}}
}

// call sends in as JSON and decodes the answer into out; it returns the
// status and, for errors, their code.
func (c *apiClient) call(method, path string, in, out any) (int, string) {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code
	}
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, ""
}

// This example signs a user up: register, then confirm with the token of
// the mailed link (which opens a page of the app that posts it).
func Example_signup() {
	c := newAPIClient("https://example.com/auth")
	var registered struct {
		User struct {
			ID    int64
			Email string
		}
	}
	switch status, code := c.call("POST", "/register", map[string]any{
		"email": "ada@example.com", "password": "correct horse battery staple", "name": "Ada",
	}, &registered); {
	case status == http.StatusCreated:
		fmt.Println("registered user", registered.User.ID)
	case code == "email_taken":
		fmt.Println("that address has an account: log in instead")
	default: // invalid_email, password_too_short, password_too_common, too_many_requests, ...
		fmt.Println("refused:", code)
	}
	token := "the token query parameter of the mailed link"
	if status, code := c.call("POST", "/confirm", map[string]any{"token": token}, nil); status != http.StatusNoContent {
		fmt.Println("confirmation refused:", code) // token_invalid or token_expired: ask for a new link
		c.call("POST", "/confirm/resend", map[string]any{"email": "ada@example.com"}, nil)
	}
}

// This example logs in, with the second step when the account has a
// second factor, and logs out.
func Example_login() {
	c := newAPIClient("https://example.com/auth")
	var second struct {
		SecondFactor struct {
			Methods []struct{ Method, Contact string }
		} `json:"second_factor"`
	}
	status, code := c.call("POST", "/login", map[string]any{
		"email": "ada@example.com", "password": "correct horse battery staple", "remember": true,
	}, &second)
	switch {
	case status == http.StatusOK:
		fmt.Println("logged in")
	case status == http.StatusAccepted:
		// The password was right; nobody is logged in until a code of
		// one of these methods is proved.
		m := second.SecondFactor.Methods[0]
		if m.Method == "email" || m.Method == "sms" {
			c.call("POST", "/login/second-factor/send", map[string]any{"method": m.Method}, nil)
		}
		code := "the code the user typed"
		if status, _ := c.call("POST", "/login/second-factor", map[string]any{"method": m.Method, "code": code}, nil); status == http.StatusOK {
			fmt.Println("logged in with", m.Method)
		}
	default: // invalid_credentials, email_not_verified, account_status, too_many_requests, ...
		fmt.Println("refused:", code)
	}
	var me struct {
		User    struct{ Email string }
		Session struct{ Via string }
	}
	c.call("GET", "/session", nil, &me)
	c.call("POST", "/logout", nil, nil) // or /logout/everywhere, /logout/others
}

// This example changes the account: the profile, the password, and the
// address, which a sensitive change asks the password for first.
func Example_account() {
	c := newAPIClient("https://example.com/auth")
	c.call("PATCH", "/user", map[string]any{"name": "Ada Lovelace", "metadata": map[string]any{"theme": "dark"}}, nil)
	c.call("POST", "/password/change", map[string]any{
		"current_password": "correct horse battery staple", "new_password": "a much longer passphrase",
	}, nil)
	if _, code := c.call("POST", "/email/change", map[string]any{"email": "ada@new.example"}, nil); code == "reauthentication_required" {
		c.call("POST", "/reauthenticate", map[string]any{"password": "a much longer passphrase"}, nil)
		c.call("POST", "/email/change", map[string]any{"email": "ada@new.example"}, nil)
	}
	// A user who forgot the password, on another device:
	newAPIClient("https://example.com/auth").call("POST", "/password/forgot", map[string]any{"email": "ada@example.com"}, nil)
}

// This example sets up an authenticator app as a second factor.
func Example_twoFactor() {
	c := newAPIClient("https://example.com/auth")
	var enrolment struct {
		Secret string
		URI    string
		QRPNG  string `json:"qr_png"` // a data: URL, for an <img src>
	}
	if _, code := c.call("POST", "/two-factor/totp/enroll", nil, &enrolment); code == "reauthentication_required" {
		return // ask for the password, POST /reauthenticate, and enrol again
	}
	var confirmed struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.call("POST", "/two-factor/totp/confirm", map[string]any{"code": "a code from the app"}, &confirmed)
	fmt.Println("keep these backup codes:", confirmed.BackupCodes)

	var factors struct {
		Methods []struct {
			Method  string
			Enabled bool
		}
		BackupCodesLeft int `json:"backup_codes_left"`
	}
	c.call("GET", "/two-factor", nil, &factors)
}
