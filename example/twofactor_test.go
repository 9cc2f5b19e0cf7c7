package main

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

var (
	totpSecret = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+=*)</code>`)
	backupCode = regexp.MustCompile(`<code>([0-9a-z]{5}-[0-9a-z]{5})</code>`)
	sixDigits  = regexp.MustCompile(`\b\d{6}\b`)
)

// sessionCookie is the name of the example's session cookie in
// development mode: it allows insecure cookies there, so the name has no
// "__Host-" prefix.
const sessionCookie = "authkit_session"

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := twofactor.TOTPCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongTOTPCode returns a well-formed code that no nearby time step
// accepts, so each try counts as a wrong code.
func wrongTOTPCode(t *testing.T, secret string) string {
	t.Helper()
	var near []string
	for step := -3; step <= 3; step++ {
		near = append(near, totpCode(t, secret, time.Now().Add(time.Duration(step)*30*time.Second)))
	}
	for d := range 10 {
		code := strings.Repeat(strconv.Itoa(d), 6)
		if !slices.Contains(near, code) {
			return code
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// mailedCode returns the code in the newest email to addr.
func (app *testApp) mailedCode(t *testing.T, addr string) string {
	t.Helper()
	msg, ok := app.mail.Last(addr)
	code := sixDigits.FindString(msg.Text)
	if !ok || code == "" {
		t.Fatalf("no code was mailed to %s", addr)
	}
	return code
}

// loggedIn creates an account and logs it in with the password.
func (app *testApp) loggedIn(t *testing.T, email string) *browser {
	t.Helper()
	app.confirmedUser(t, email)
	b := app.browser(t)
	b.login(email)
	return b
}

// totpUser creates an account with an authenticator app, logged out
// again, and returns its browser and the app's secret.
func (app *testApp) totpUser(t *testing.T, email string) (*browser, string) {
	t.Helper()
	b := app.loggedIn(t, email)
	secret, _ := enableTOTP(t, b)
	b.post("/logout", nil)
	return b, secret
}

// startLogin logs in with the password and expects to be asked for a
// second factor.
func (b *browser) startLogin(email string, remember bool) {
	b.t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	if remember {
		form.Set("remember", "on")
	}
	r := b.post("/login", form)
	if r.status != http.StatusSeeOther || r.location != "/login/second-factor?next=%2Faccount" {
		b.t.Fatalf("login: got %d to %q, want 303 to the second step; page:\n%s", r.status, r.location, r.body)
	}
}

// finishLogin submits a second-factor code and expects to reach /account.
func (b *browser) finishLogin(method, code string) {
	b.t.Helper()
	r := b.post("/login/second-factor", url.Values{"method": {method}, "code": {code}, "next": {"/account"}})
	if r.status != http.StatusSeeOther || r.location != "/account" {
		b.t.Fatalf("second factor: got %d to %q, want 303 to /account; page:\n%s", r.status, r.location, r.body)
	}
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// dropCookie removes a cookie, as closing the browser does for a session
// cookie.
func (b *browser) dropCookie(name string) {
	u, _ := url.Parse(b.base)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Path: "/", MaxAge: -1}})
}

// enableTOTP sets up an authenticator app from the account page, as a
// user with the app would, and returns its secret and the backup codes.
func enableTOTP(t *testing.T, b *browser) (secret string, backupCodes []string) {
	t.Helper()
	r := b.post("/account/two-factor/totp", nil)
	expect(t, "set up an authenticator app", r, http.StatusOK, `<img src="data:image/png;base64,`)
	m := totpSecret.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("the set-up page shows no secret:\n%s", r.body)
	}
	secret = m[1]

	r = b.post("/account/two-factor/totp/confirm", url.Values{"code": {totpCode(t, secret, time.Now())}})
	expect(t, "confirm the app", r, http.StatusOK, "this is the only time they are shown")
	for _, m := range backupCode.FindAllStringSubmatch(r.body, -1) {
		backupCodes = append(backupCodes, m[1])
	}
	if len(backupCodes) != 10 {
		t.Fatalf("got %d backup codes, want 10:\n%s", len(backupCodes), r.body)
	}
	return secret, backupCodes
}

func TestTwoFactor_AuthenticatorAppFromSetUpToLogin(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	const email = "ada@example.com"
	expect(t, "register", b.post("/register", url.Values{"email": {email}, "password": {password}}),
		http.StatusOK, "Your account is created")
	msg, ok := app.mail.Last(email)
	if !ok {
		t.Fatal("no confirmation email was sent")
	}
	expect(t, "confirm", b.confirmEmail(msg.Link), http.StatusOK, "Your email address is confirmed")
	b.login(email)
	expect(t, "account", b.get("/account"), http.StatusOK, "Off: your password alone logs you in")

	secret, backupCodes := enableTOTP(t, b)
	r := b.get("/account")
	expect(t, "account with two-step login", r, http.StatusOK, "On: after your password")
	expect(t, "account with two-step login", r, http.StatusOK, "10 left")

	b.post("/logout", nil)
	b.startLogin(email, true)
	expect(t, "second step", b.get("/login/second-factor"), http.StatusOK, "Enter the 6-digit code your authenticator app shows")
	// The code that confirmed the app used up its 30-second time step,
	// and authkit accepts each step once (SEC-F2); this login may well
	// fall in the same step. The next step's code is accepted at once,
	// since one step of clock skew is allowed either side, so this works
	// whenever the test runs, without waiting for the clock to move on.
	b.finishLogin("totp", totpCode(t, secret, time.Now().Add(30*time.Second)))
	expect(t, "account after two-step login", b.get("/account"), http.StatusOK, "<dd>"+email+"</dd>")
	if b.cookie("remember_token") == nil {
		t.Error(`"remember me" was lost in the second step: no remember-me cookie`)
	}

	b.post("/logout", nil)
	b.startLogin(email, false)
	b.finishLogin("backup", backupCodes[0])
	expect(t, "account after a backup code", b.get("/account"), http.StatusOK, "9 left")
}

func TestTwoFactor_EmailCodesFromSetUpToLogin(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	b := app.loggedIn(t, email)

	expect(t, "enable email codes", b.post("/account/two-factor/email", nil), http.StatusOK, "We sent a code to a***@example.com")
	expect(t, "a wrong code", b.post("/account/two-factor/email/confirm", url.Values{"code": {"12345x"}}),
		http.StatusUnauthorized, "That code is not right")
	expect(t, "the right code", b.post("/account/two-factor/email/confirm", url.Values{"code": {app.mailedCode(t, email)}}),
		http.StatusOK, "this is the only time they are shown")

	b.post("/logout", nil)
	b.startLogin(email, false)
	expect(t, "second step", b.get("/login/second-factor?method=email"), http.StatusOK, "We send the code to a***@example.com")
	r := b.post("/login/second-factor/send", url.Values{"method": {"email"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("send a code: got %d, want 303; page:\n%s", r.status, r.body)
	}
	expect(t, "after sending", b.get(r.location), http.StatusOK, "A new code is on its way")
	code := app.mailedCode(t, email)

	r = b.post("/login/second-factor/send", url.Values{"method": {"email"}})
	expect(t, "send again at once", r, http.StatusTooManyRequests, "Too many attempts")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 30 {
		t.Errorf("Retry-After = %q, want 1 to 30 seconds", r.header.Get("Retry-After"))
	}

	b.finishLogin("email", code)
	expect(t, "account after two-step login", b.get("/account"), http.StatusOK, "<dd>"+email+"</dd>")
}

func TestTwoFactor_RememberedSessionConfirmsThePasswordBeforeSetUp(t *testing.T) { // SEC-F5
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	app.confirmedUser(t, email)
	b := app.browser(t)
	r := b.post("/login", url.Values{"email": {email}, "password": {password}, "remember": {"on"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: got %d, want 303; page:\n%s", r.status, r.body)
	}
	b.dropCookie(sessionCookie) // the browser restarts
	expect(t, "account restored by remember me", b.get("/account"), http.StatusOK, "via remember me")

	expect(t, "set up an app", b.post("/account/two-factor/totp", nil), http.StatusForbidden, "Confirm your password")
	expect(t, "a wrong password", b.post("/account/reauthenticate", url.Values{"password": {"not the password"}}),
		http.StatusUnauthorized, "That password is not right")
	r = b.post("/account/reauthenticate", url.Values{"password": {password}})
	if r.status != http.StatusSeeOther || r.location != "/account?done=reauthenticated" {
		t.Fatalf("reauthenticate: got %d to %q; page:\n%s", r.status, r.location, r.body)
	}
	expect(t, "account after reauthenticating", b.get(r.location), http.StatusOK, "Password confirmed")
	expect(t, "set up an app", b.post("/account/two-factor/totp", nil), http.StatusOK, `<code id="totp-secret">`)
}

func TestTwoFactor_FiveWrongCodesSendTheUserBackToLogIn(t *testing.T) { // SEC-F3
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	b, secret := app.totpUser(t, email)
	b.startLogin(email, false)

	wrong := url.Values{"method": {"totp"}, "code": {wrongTOTPCode(t, secret)}}
	for try := 1; try < 5; try++ {
		expect(t, "wrong code "+strconv.Itoa(try), b.post("/login/second-factor", wrong), http.StatusUnauthorized, "That code is not right")
	}
	r := b.post("/login/second-factor", wrong)
	if r.status != http.StatusSeeOther || r.location != "/login?next=%2Faccount&problem=too-many-codes" {
		t.Fatalf("fifth wrong code: got %d to %q, want 303 to the login page", r.status, r.location)
	}
	expect(t, "login page", b.get(r.location), http.StatusOK, "Too many wrong codes. Please log in again.")
	if r := b.get("/login/second-factor"); r.status != http.StatusSeeOther || r.location != "/login?next=%2Faccount" {
		t.Errorf("second step after the login is void: got %d to %q, want 303 to the login page", r.status, r.location)
	}
	expectLoggedOut(t, b)
}

func TestTwoFactor_SMSCodesNewBackupCodesAndDisabling(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const email, phone = "ada@example.com", "+44 20 7946 0958"
	b := app.loggedIn(t, email)
	texted := func() string {
		t.Helper()
		msg, _ := app.sms.Last("+442079460958")
		code := sixDigits.FindString(msg.Text)
		if code == "" {
			t.Fatal("no code was texted")
		}
		return code
	}

	expect(t, "a malformed number", b.post("/account/two-factor/sms", url.Values{"phone": {"020 7946 0958"}}),
		http.StatusUnprocessableEntity, "international form")
	expect(t, "enable SMS codes", b.post("/account/two-factor/sms", url.Values{"phone": {phone}}),
		http.StatusOK, "We sent a code to &#43;44 *** *** 0958")
	expect(t, "the texted code", b.post("/account/two-factor/sms/confirm", url.Values{"code": {texted()}}),
		http.StatusOK, "this is the only time they are shown")

	b.post("/logout", nil)
	b.startLogin(email, false)
	expect(t, "second step", b.get("/login/second-factor"), http.StatusOK, "Codes by text message (&#43;44 *** *** 0958)")
	b.post("/login/second-factor/send", url.Values{"method": {"sms"}})
	b.finishLogin("sms", texted())

	r := b.post("/account/two-factor/backup-codes", nil)
	expect(t, "new backup codes", r, http.StatusOK, "Your old backup codes no longer work")
	if n := len(backupCode.FindAllString(r.body, -1)); n != 10 {
		t.Errorf("got %d new backup codes, want 10", n)
	}

	expect(t, "disable with a wrong password", b.post("/account/two-factor/sms/disable", url.Values{"password": {"not the password"}}),
		http.StatusUnauthorized, "That password is not right")
	r = b.post("/account/two-factor/sms/disable", url.Values{"password": {password}})
	expect(t, "disabled", b.get(r.location), http.StatusOK, "That method is turned off")
	b.post("/logout", nil)
	b.login(email) // no second step any more
}

func TestTwoFactor_SecondStepWithoutAPendingLoginGoesToLogIn(t *testing.T) {
	t.Parallel()
	b := newTestApp(t).browser(t)
	if r := b.get("/login/second-factor?next=/account/x"); r.status != http.StatusSeeOther || r.location != "/login?next=%2Faccount%2Fx" {
		t.Errorf("second-step page: got %d to %q, want 303 to the login page", r.status, r.location)
	}
	// A form of the second-step page: the login ended while it was open.
	for _, r := range []reply{
		b.post("/login/second-factor", url.Values{"method": {"totp"}, "code": {"123456"}}),
		b.post("/login/second-factor/send", url.Values{"method": {"email"}}),
	} {
		if r.status != http.StatusSeeOther || r.location != "/login?next=%2Faccount&problem=login-expired" {
			t.Errorf("got %d to %q, want 303 to the login page saying the login expired", r.status, r.location)
		}
	}
}

func TestTwoFactor_SecondStepKeepsWhereToGoNext(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	const email = "ada@example.com"
	b, secret := app.totpUser(t, email)

	r := b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/account?tab=1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: got %d, want 303; page:\n%s", r.status, r.body)
	}
	expect(t, "second step", b.get(r.location), http.StatusOK, `name="next" value="/account?tab=1"`)
	r = b.post("/login/second-factor", url.Values{
		"method": {"totp"}, "code": {totpCode(t, secret, time.Now().Add(30*time.Second))}, "next": {"/account?tab=1"},
	})
	if r.status != http.StatusSeeOther || r.location != "/account?tab=1" {
		t.Fatalf("second factor: got %d to %q, want 303 to /account?tab=1", r.status, r.location)
	}
}
