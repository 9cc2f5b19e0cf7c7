package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/httpapi"
	"github.com/authkit/authkit/sqlschema"
)

func TestCrossOrigin_ACrossSiteLoginIsRefused(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	c := s.client()
	body := map[string]any{"email": "ada@example.com", "password": password}

	c.do("POST", "/auth/login", body, "Sec-Fetch-Site", "cross-site").wantError(403, "cross_origin")
	c.do("POST", "/auth/login", body, "Origin", "https://evil.example").wantError(403, "cross_origin")
	if c.cookie("__Host-authkit_session") != nil {
		t.Fatal("a refused login set a session cookie")
	}

	c.do("POST", "/auth/login", body, "Sec-Fetch-Site", "same-origin").want(200)
	c.do("PATCH", "/auth/user", map[string]any{"name": "Eve"}, "Sec-Fetch-Site", "cross-site").wantError(403, "cross_origin")
	c.do("DELETE", "/auth/two-factor/totp", map[string]any{"password": password}, "Sec-Fetch-Site", "same-site").wantError(403, "cross_origin")
	c.do("POST", "/auth/logout/everywhere", nil, "Origin", "https://evil.example").wantError(403, "cross_origin")
	c.do("GET", "/auth/session", nil, "Sec-Fetch-Site", "cross-site").want(200) // safe methods change nothing
	if u := c.get("session").want(200).user(); u.Name != "" {
		t.Fatalf("a cross-site PATCH took effect: %+v", u)
	}
}

func TestCrossOrigin_TrustedOriginsAndBearerRequestsPass(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t, func(_ *authkit.Config, o *httpapi.Options) {
		o.CrossOrigin = http.NewCrossOriginProtection()
		if err := o.CrossOrigin.AddTrustedOrigin("https://app.example"); err != nil {
			t.Fatal(err)
		}
	})
	s.signedUp("ada@example.com")
	c := s.client()
	body := map[string]any{"email": "ada@example.com", "password": password}

	c.do("POST", "/auth/login", body, "Origin", "https://app.example", "Sec-Fetch-Site", "cross-site").want(200)
	// A bearer request carries no cookie session, so no other site can
	// forge one; it needs no CSRF protection.
	c.do("POST", "/auth/logout", nil, "Authorization", "Bearer not-a-token", "Sec-Fetch-Site", "cross-site").want(204)
	c.get("session").want(200)
}

func TestBody_LimitsContentTypeAndShapeAreEnforced(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t, func(_ *authkit.Config, o *httpapi.Options) { o.MaxBodyBytes = 1024 })
	c := s.client()
	big := `{"email":"` + strings.Repeat("a", 2000) + `@example.com","password":"x"}`
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		code   string
		says   string
	}{
		{"over the size limit", big, nil, 413, "request_too_large", ""},
		{"a form", "email=a%40x.io", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},
		{"text", `{"email":"a@x.io"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", ""},
		{"no content type", `{"email":"a@x.io"}`, []string{"Content-Type", ""}, 415, "unsupported_media_type", ""},
		{"an unknown field", `{"email":"a@x.io","password":"x","admin":true}`, nil, 400, "invalid_request", `unknown field "admin"`},
		{"two values", `{"email":"a@x.io"}{"email":"b@x.io"}`, nil, 400, "invalid_request", "more than one JSON value"},
		{"not JSON", `{"email":`, nil, 400, "invalid_request", "not valid JSON"},
		{"an array", `[]`, nil, 400, "invalid_request", "a JSON object"},
		{"a wrong type", `{"email":"a@x.io","password":"x","remember":"yes"}`, nil, 400, "invalid_request", `field "remember" must be true or false`},
		{"a NUL byte", "{\"email\":\"a@x.io\x00\"}", nil, 400, "invalid_request", "not valid JSON"},
		{"an empty body", ``, nil, 400, "invalid_email", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &client{t: t, s: s, header: http.Header{}, http: c.http}
			var r *response
			if tc.body == "" {
				r = c.do("POST", "/auth/login", nil)
			} else {
				r = c.do("POST", "/auth/login", tc.body, tc.header...)
			}
			r.wantError(tc.status, tc.code)
			var e struct{ Error struct{ Message string } }
			r.decode(&e)
			if !strings.Contains(e.Error.Message, tc.says) {
				t.Errorf("message %q does not say %q", e.Error.Message, tc.says)
			}
		})
	}
	c.do("POST", "/auth/login", `{"email":"a@x.io","password":"x"}`, "Content-Type", "application/json; charset=utf-8").wantError(401, "invalid_credentials")
}

func TestRouting_UnknownRoutesAnswer404AndWrongMethods405InJSON(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t)
	c := s.client()
	for _, path := range []string{"/auth/", "/auth/nowhere", "/auth/login/", "/auth/two-factor/totp/enroll/x"} {
		c.do("POST", path, nil).wantError(404, "not_found")
	}
	if r := c.do("GET", "/auth/login", nil).wantError(405, "method_not_allowed"); r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q, want POST", r.header.Get("Allow"))
	}
	if r := c.do("PUT", "/auth/two-factor/totp", nil).wantError(405, "method_not_allowed"); r.header.Get("Allow") != "DELETE" {
		t.Errorf("Allow = %q, want DELETE", r.header.Get("Allow"))
	}
}

func TestErrors_ShowNoDriverTextWhenTheDatabaseIsDown(t *testing.T) { // SEC-H1 SEC-I4
	t.Parallel()
	db := sqlx.MustConnect("postgres", authkittest.URL(t))
	if err := sqlschema.Apply(t.Context(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	s := newServerOn(t, db)
	c := s.loggedIn("ada@example.com")
	db.Close()

	for _, r := range []*response{
		s.client().post("login", map[string]any{"email": "ada@example.com", "password": password}), // the action fails
		c.get("session"), // the session fails to load, in the middleware
	} {
		r.wantError(503, "unavailable")
		if lower := strings.ToLower(string(r.body)); strings.Contains(lower, "sql") || strings.Contains(lower, "closed") || strings.Contains(lower, "load") {
			t.Errorf("the answer shows internal text: %s", r.body)
		}
	}
	if !strings.Contains(s.logs.String(), "database is closed") {
		t.Errorf("the log lacks the cause:\n%s", s.logs)
	}
	c.get("health").want(503)
}

func TestErrors_ShowNoMailerText(t *testing.T) { // SEC-H1 SEC-I6
	t.Parallel()
	s := newServer(t)
	s.mail.FailWith(errors.New("smtp: 550 mailbox of ada@example.com unavailable"))

	r := s.client().post("register", map[string]any{"email": "ada@example.com", "password": password}).wantError(502, "mail_not_sent")

	if strings.Contains(string(r.body), "550") || strings.Contains(string(r.body), "smtp") {
		t.Fatalf("the answer shows the mailer's text: %s", r.body)
	}
}

func TestGarbage_NoRouteAnswersWithA500OrPanics(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	doc, _ := openAPI(t)
	garbage := []string{`[]`, `null`, `"x"`, `{"\u0000":1}`, "\xff\xfe", `{"email":"\u0000","password":"\u0000"}`,
		`{"token":"` + strings.Repeat("\u202e", 1000) + `"}`, `{"code":"１２３４５６","method":"totp"}`, `{"metadata":{"a":` + strings.Repeat("[", 5000) + `}}`}
	for path, item := range doc.Paths.Map() {
		path = strings.ReplaceAll(path, "{method}", "totp")
		for method := range item.Operations() {
			for _, body := range garbage {
				if r := c.do(method, "/auth"+path, body); r.status >= 500 && path != "/health" {
					t.Errorf("%s %s %q: %d %s", method, path, body, r.status, r.body)
				}
			}
		}
	}
}
