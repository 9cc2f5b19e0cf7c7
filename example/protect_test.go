package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

func TestApp_OutsideDevelopmentModeCookiesAreSecureAndHostPrefixed(t *testing.T) {
	t.Parallel()
	app := startTestApp(t, false)
	app.confirmedUser(t, "ada@example.com")
	b := app.browser(t)
	req, _ := http.NewRequest(http.MethodPost, b.base+"/login", strings.NewReader(url.Values{
		"email": {"ada@example.com"}, "password": {password}, "remember": {"on"},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	names := map[string]bool{}
	for _, c := range resp.Cookies() {
		names[c.Name] = true
		if !c.Secure || !c.HttpOnly || !strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("cookie %s: Secure=%v HttpOnly=%v; want both and the __Host- prefix outside development mode", c.Name, c.Secure, c.HttpOnly)
		}
	}
	for _, want := range []string{"__Host-authkit_session", "__Host-remember_token", "__Host-authkit_device"} {
		if !names[want] {
			t.Errorf("no %s cookie after a remembered login (got %v)", want, names)
		}
	}
	expect(t, "account over https", b.get("/account"), http.StatusOK, "ada@example.com")
}

func TestApp_RefusesRequestBodiesAboveTheLimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)

	// A 40 MB multipart field.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	field, _ := mw.CreateFormField("email")
	field.Write(bytes.Repeat([]byte("a"), 40<<20))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/login", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := b.do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 40 MB multipart field: got %d, want 413", r.status)
	}

	// An urlencoded form above the limit, with and without a length.
	big := url.Values{"email": {strings.Repeat("a", maxBodyBytes)}, "password": {password}}.Encode()
	req, _ = http.NewRequest(http.MethodPost, b.base+"/login", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := b.do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte form: got %d, want 413", len(big), r.status)
	}
	req, _ = http.NewRequest(http.MethodPost, b.base+"/login", io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = -1 // sent in chunks
	if r := b.do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte form in chunks: got %d, want 413", len(big), r.status)
	}

	// Multipart forms of any size: the app's forms are never multipart. (A
	// new buffer: the client may still be sending the refused one.)
	var small bytes.Buffer
	mw = multipart.NewWriter(&small)
	mw.WriteField("email", "ada@example.com")
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, b.base+"/login", &small)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := b.do(req); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("a small multipart form: got %d, want 415", r.status)
	}

	app.confirmedUser(t, "ada@example.com")
	b.login("ada@example.com") // a form of the usual size still works
}

func TestApp_TokenPagesSendNoReferrerAndCannotBeFramed(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.confirmedUser(t, "ada@example.com")
	b := app.browser(t)
	b.post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	reset := app.awaitMail(t, "ada@example.com", authkit.MessagePasswordReset)
	b.post("/register", url.Values{"email": {"bob@example.com"}, "password": {password}})
	confirm := app.awaitMail(t, "bob@example.com", authkit.MessageConfirmEmail)
	for name, link := range map[string]string{
		"reset link":        reset.Link,
		"confirmation link": confirm.Link,
		"dead reset link":   b.base + "/reset-password?token=garbage",
	} {
		r := b.get(link)
		if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q, want no-referrer: the address holds the token", name, got)
		}
		if got := r.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q, want frame-ancestors 'none'", name, got)
		}
		if got := r.header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", name, got)
		}
	}
}

func TestOutbox_AnswersOnlyRequestsFromThisMachine(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	for remote, want := range map[string]int{
		"127.0.0.1:5000":        http.StatusOK,
		"[::1]:5000":            http.StatusOK,
		"203.0.113.5:5000":      http.StatusNotFound,
		"[2001:db8::1]:5000":    http.StatusNotFound,
		"192.168.1.20:5000":     http.StatusNotFound,
		"[::ffff:10.0.0.1]:500": http.StatusNotFound,
	} {
		req := httptest.NewRequest(http.MethodGet, "/dev/outbox", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		app.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("/dev/outbox from %s: got %d, want %d", remote, rec.Code, want)
		}
	}
}

// rememberedAdmin is an administrator whose session was restored from
// remember me, and so is not fresh.
func (app *testApp) rememberedAdmin(t *testing.T) (*browser, int64) {
	t.Helper()
	admin, id := app.loggedInAdmin(t, "admin@example.com")
	admin.post("/logout", nil)
	if r := admin.post("/login", url.Values{"email": {"admin@example.com"}, "password": {password}, "remember": {"on"}}); r.status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.status)
	}
	admin.dropCookie(sessionCookie)
	return admin, id
}

func TestAdmin_BanMakeAdminAndLogInAsNeedAFreshPassword(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.rememberedAdmin(t)
	userID := app.confirmedUser(t, "ada@example.com")

	for _, action := range []string{"/ban", "/make-admin", "/log-in-as"} {
		r := admin.post(userPath(userID, action), nil)
		expect(t, action+" from a session restored by remember me", r, http.StatusForbidden, "enter your password again")
		expect(t, action+" asks for the password", r, http.StatusForbidden,
			fmt.Sprintf(`<input type="hidden" name="next" value="/admin/users/%d">`, userID))
	}
	if u, _ := app.kit.Admin().User(t.Context(), userID); u.Status != authkit.StatusNormal || len(u.Roles) != 0 {
		t.Fatalf("a stale session changed the user: %+v", u)
	}

	r := admin.post("/account/reauthenticate", url.Values{"password": {password}, "next": {userPath(userID, "")}})
	expectRedirect(t, "reauthenticate", r, userPath(userID, ""))
	expectRedirect(t, "ban once fresh", admin.post(userPath(userID, "/ban"), nil), userPath(userID, "?done=ban"))
}

func TestAdmin_MakeAdminGivesTheRoleOnlyWithANewSessionToken(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _, user, userID := app.adminAndUser(t)
	before := user.cookie(sessionCookie)
	expectRedirect(t, "make admin", admin.post(userPath(userID, "/make-admin"), nil), userPath(userID, "?done=make-admin"))

	// Whoever holds the token from before the grant gets no admin page.
	stale := app.browser(t)
	stale.setCookie(before)
	if r := stale.get("/admin"); r.status == http.StatusOK {
		t.Fatal("the session token from before the grant opens the admin pages")
	}
	user.login("ada@example.com")
	if after := user.cookie(sessionCookie); after.Value == before.Value {
		t.Fatal("the new admin's session kept its token")
	}
	expect(t, "admin page with the new token", user.get("/admin"), http.StatusOK, "<h1>Users</h1>")
}

func TestLogin_ShowsWhenToTryAgainWhenThrottled(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.confirmedUser(t, "ada@example.com")
	b := app.browser(t)
	var r reply
	for range 20 {
		if r = b.tryLogin("ada@example.com", "not the password"); r.status == http.StatusTooManyRequests {
			break
		}
	}
	expect(t, "throttled login", r, http.StatusTooManyRequests, "Too many attempts. Please try again in")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > time.Hour {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

// setCookie gives the browser a copy of a cookie, as a thief who took it
// would hold.
func (b *browser) setCookie(c *http.Cookie) {
	u, _ := url.Parse(b.base)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
}
