package authkit

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// countingHasher counts the password hashing work Login asks for.
type countingHasher struct {
	passwordHasher
	mu                     sync.Mutex
	hashes, verifies, dumb int
}

func (c *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	c.mu.Lock()
	c.hashes++
	c.mu.Unlock()
	return c.passwordHasher.Hash(ctx, pw)
}

func (c *countingHasher) Verify(ctx context.Context, enc, pw string) (bool, bool, error) {
	c.mu.Lock()
	c.verifies++
	c.mu.Unlock()
	return c.passwordHasher.Verify(ctx, enc, pw)
}

func (c *countingHasher) VerifyDummy(ctx context.Context, pw string) error {
	c.mu.Lock()
	c.dumb++
	c.mu.Unlock()
	return c.passwordHasher.VerifyDummy(ctx, pw)
}

func (c *countingHasher) work() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hashes + c.verifies + c.dumb
}

func TestLogin_UnknownEmailCostsTheSameAsAWrongPassword(t *testing.T) { // SEC-E1
	t.Parallel()
	e := newEnv(t)
	e.user("known@example.com")
	counter := &countingHasher{passwordHasher: e.kit.hasher}
	e.kit.hasher = counter

	var errUnknown, errWrong error
	e.request(func(a *Auth) { errUnknown = a.Login("unknown@example.com", "some password", false) })
	unknownWork := counter.work()
	e.request(func(a *Auth) { errWrong = a.Login("known@example.com", "some password", false) })
	wrongWork := counter.work() - unknownWork

	if errUnknown != ErrInvalidCredentials || errWrong != ErrInvalidCredentials {
		t.Fatalf("errors = %v / %v; want ErrInvalidCredentials for both", errUnknown, errWrong)
	}
	if unknownWork != 1 || wrongWork != 1 {
		t.Fatalf("hash operations: unknown email %d, wrong password %d; want 1 each", unknownWork, wrongWork)
	}
}

func TestLogin_ChecksPasswordThenVerificationThenStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id, err := e.kit.Admin().CreateUser(ctx, "order@example.com", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kit.Admin().SetStatus(ctx, id, StatusBanned); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) (err error) {
		e.request(func(a *Auth) { err = a.Login("order@example.com", pw, false) })
		return err
	}
	wantErr(t, login("wrong password!"), ErrInvalidCredentials) // reveals nothing else
	wantErr(t, login(testPassword), ErrEmailNotVerified)
	e.db.Exec(`UPDATE authkit_users SET verified = TRUE`)
	wantErr(t, login(testPassword), ErrAccountStatus)
}

func TestLogin_RefusesEveryStatusButNormalAndSaysWhich(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("status@example.com")
	for s := StatusArchived; s <= StatusSuspended; s++ {
		if err := e.kit.Admin().SetStatus(context.Background(), id, s); err != nil {
			t.Fatal(err)
		}
		var err error
		e.request(func(a *Auth) { err = a.Login("status@example.com", testPassword, false) })
		var se *StatusError
		if !errors.As(err, &se) || se.Status != s || !errors.Is(err, ErrAccountStatus) {
			t.Fatalf("%v: error = %v, want *StatusError{%v}", s, err, s)
		}
		if !strings.Contains(err.Error(), s.String()) {
			t.Errorf("error %q does not name the status %q", err, s)
		}
	}
}

func TestLogin_IssuesANewSessionTokenAndKillsThePreLoginOne(t *testing.T) { // SEC-S2
	t.Parallel()
	e := newEnv(t)
	e.user("fixation@example.com")
	b := e.browser()
	b.get("/visit") // an anonymous session with a token, as an attacker could plant
	before := b.cookie(sessionCookieName(e))
	if before == nil {
		t.Fatal("the visit did not start a session")
	}
	b.login("fixation@example.com", testPassword)
	after := b.cookie(sessionCookieName(e))
	if after == nil || after.Value == before.Value {
		t.Fatal("login kept the pre-login session token")
	}
	if id := e.withCookie(before).userID(); id != 0 {
		t.Fatalf("the pre-login token is logged in as %d", id)
	}
	if id := e.withCookie(after).userID(); id == 0 {
		t.Fatal("the new token is not logged in")
	}
}

func TestSessionToken_Has256RandomBits(t *testing.T) { // SEC-S1
	t.Parallel()
	e := newEnv(t)
	e.user("entropy@example.com")
	seen := map[string]bool{}
	for range 5 {
		b := e.browser()
		b.login("entropy@example.com", testPassword)
		v := b.cookie(sessionCookieName(e)).Value
		// scs makes tokens from 32 bytes of crypto/rand, base64url-encoded.
		if len(v) < 43 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("session token %q is not 256 bits of base64url", v)
		}
		if seen[v] {
			t.Fatal("a session token repeated")
		}
		seen[v] = true
	}
}

func TestLogin_HashesWithArgon2idAndUpgradesBcrypt(t *testing.T) { // SEC-P1
	t.Parallel()
	e := newEnv(t)
	id := e.user("hash@example.com")
	var hash string
	e.db.QueryRow(`SELECT password_hash FROM authkit_users WHERE id = $1`, id).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("new hashes must be argon2id m=19MiB t=2 p=1, got %q", hash[:30])
	}
	legacy, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	e.db.Exec(`UPDATE authkit_users SET password_hash = $2 WHERE id = $1`, id, string(legacy))
	var err error
	e.request(func(a *Auth) { err = a.Login("hash@example.com", testPassword, false) })
	if err != nil {
		t.Fatalf("bcrypt hash must still verify: %v", err)
	}
	e.db.QueryRow(`SELECT password_hash FROM authkit_users WHERE id = $1`, id).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("the bcrypt hash was not upgraded: %q", hash[:7])
	}
}

func TestLogin_RefusesAnOversizePasswordBeforeHashing(t *testing.T) { // SEC-P4
	t.Parallel()
	e := newEnv(t)
	e.user("huge@example.com")
	counter := &countingHasher{passwordHasher: e.kit.hasher}
	e.kit.hasher = counter
	var err error
	e.request(func(a *Auth) { err = a.Login("huge@example.com", strings.Repeat("x", 10<<20), false) })
	wantErr(t, err, ErrPasswordTooLong)
	if counter.work() != 0 {
		t.Fatal("an oversize password was hashed")
	}
}

func TestLogout_ReplayingTheOldCookieGivesAnAnonymousRequest(t *testing.T) { // SEC-S3
	t.Parallel()
	e := newEnv(t)
	id := e.user("replay@example.com")
	b := e.browser()
	b.login("replay@example.com", testPassword)
	stolen := b.cookie(sessionCookieName(e))
	if got := b.userID(); got != id {
		t.Fatalf("logged in as %d, want %d", got, id)
	}
	if code, body := b.post("/logout", nil); code != 200 {
		t.Fatalf("logout: %d %s", code, body)
	}
	if b.cookie(sessionCookieName(e)) != nil {
		t.Fatal("logout left the session cookie in the browser") // SEC-S6
	}
	if got := e.withCookie(stolen).userID(); got != 0 {
		t.Fatalf("the old cookie is still logged in as %d", got)
	}
	var n int
	e.db.QueryRow(`SELECT count(*) FROM authkit_sessions`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sessions left on the server after logout", n)
	}
}

func TestSessionCookie_IsHostPrefixedHttpOnlyLaxSecure(t *testing.T) { // SEC-S6
	t.Parallel()
	e := newEnv(t)
	e.user("cookie@example.com")
	resp, err := e.browser().client.PostForm(e.srv.URL+"/login",
		url.Values{"email": {"cookie@example.com"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var c *http.Cookie
	for _, rc := range resp.Cookies() {
		if rc.Name == "__Host-authkit_session" {
			c = rc
		}
	}
	if c == nil {
		t.Fatalf("no __Host-authkit_session cookie in %v", resp.Header["Set-Cookie"])
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookie attributes: %s", c.String())
	}
}

func TestSessionCookie_InsecureOptOutDropsSecureAndPrefix(t *testing.T) { // SEC-S6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.AllowInsecureCookies = true })
	if s := e.kit.Sessions().Cookie; s.Secure || s.Name != "authkit_session" || !s.HttpOnly {
		t.Fatalf("cookie settings with AllowInsecureCookies: %+v", s)
	}
}

func TestLogoutEverywhere_EndsTheSessionsOfEveryDevice(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	e.user("every@example.com")
	laptop, phone := e.browser(), e.browser()
	laptop.login("every@example.com", testPassword)
	phone.login("every@example.com", testPassword)
	stolen := phone.cookie(sessionCookieName(e))

	if code, body := laptop.post("/logout-everywhere", nil); code != 200 {
		t.Fatalf("logout everywhere: %d %s", code, body)
	}
	for name, b := range map[string]*browser{"laptop": laptop, "phone": phone, "stolen cookie": e.withCookie(stolen)} {
		if id := b.userID(); id != 0 {
			t.Errorf("%s is still logged in as %d", name, id)
		}
	}
}

func TestLogoutEverywhereElse_KeepsOnlyThisDevice(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("else@example.com")
	laptop, phone, tablet := e.browser(), e.browser(), e.browser()
	for _, b := range []*browser{laptop, phone, tablet} {
		b.login("else@example.com", testPassword)
	}
	if code, body := laptop.post("/logout-everywhere-else", nil); code != 200 {
		t.Fatalf("logout everywhere else: %d %s", code, body)
	}
	if got := laptop.userID(); got != id {
		t.Fatalf("this device was logged out too (%d)", got)
	}
	// Still logged in after a resync: its own epoch was updated.
	e.clock.Advance(6 * time.Minute)
	if got := laptop.userID(); got != id {
		t.Fatalf("this device lost its session at the next resync (%d)", got)
	}
	if phone.userID() != 0 || tablet.userID() != 0 {
		t.Fatal("another device is still logged in")
	}
}

func TestLogoutEverywhere_NeedsALoggedInUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var err1, err2 error
	e.request(func(a *Auth) { err1, err2 = a.LogoutEverywhere(), a.LogoutEverywhereElse() })
	wantErr(t, err1, ErrNotLoggedIn)
	wantErr(t, err2, ErrNotLoggedIn)
}

func TestLogin_APlantedHashWithAbsurdParametersStallsNoLogin(t *testing.T) { // SEC-I7
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.MaxConcurrentHashes = 1 })
	e.user("honest@example.com")
	planted := map[string]string{
		"argon2id with 2^32-1 passes over 2 GiB": "$argon2id$v=19$m=2097152,t=4294967295,p=1$c29tZXNhbHRzb21lc2FsdA$c29tZWtleXNvbWVrZXlzb21la2V5c29tZWtleTMy",
		"argon2id with 4 GiB":                    "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$c29tZWtleXNvbWVrZXlzb21la2V5c29tZWtleTMy",
		"bcrypt with cost 31":                    "$2b$31$" + strings.Repeat("a", 53),
		"pbkdf2_sha256 with 2^32-1 iterations":   "pbkdf2_sha256$4294967295$nrtL1n5YDiXaMBXmX0j4pG$XqEOQ/dJohUw2Bytx6O/D76UM569jLakLhvxaksPbnk=",
	}
	i := 0
	for name, hash := range planted {
		i++
		email := "planted" + strconv.Itoa(i) + "@example.com"
		e.user(email)
		// Someone with write access to the table plants the row.
		if _, err := e.db.Exec(`UPDATE authkit_users SET password_hash = $1 WHERE email = $2`, hash, email); err != nil {
			t.Fatal(err)
		}
		// A flood of logins meets it, with one hash slot for everyone,
		// while the honest user logs in.
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for j := range 20 {
			wg.Go(func() { errs <- e.from("203.0.113."+strconv.Itoa(j+1)).login(email, testPassword) })
		}
		done := make(chan error, 1)
		go func() { done <- e.from("198.51.100.1").login("honest@example.com", testPassword) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: the honest login: %v", name, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the honest login stalled behind the planted row", name)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("%s: a login against the planted row = %v, want ErrInvalidCredentials", name, err)
			}
		}
	}
	if !strings.Contains(e.logs.String(), "stored password hash unusable") || !strings.Contains(e.logs.String(), "cost more than a login may take") {
		t.Fatal("the log does not say the planted hashes were refused for their cost")
	}
}

func TestRenewToken_KeepsTheSessionUnderANewTokenAndKillsTheOld(t *testing.T) { // SEC-S2
	t.Parallel()
	e := newEnv(t)
	id := e.user("renewed@example.com")
	d := loggedInDevice(t, e, "renewed@example.com", "")
	old := d.cookies[sessionCookieName(e)].Value
	if err := d.err(func(a *Auth) error { return a.RenewToken() }); err != nil {
		t.Fatal(err)
	}
	if d.cookies[sessionCookieName(e)].Value == old {
		t.Fatal("the token did not change")
	}
	var fresh bool
	d.do(func(a *Auth) { fresh = a.IsFresh() })
	if d.userID() != id || !fresh {
		t.Fatal("the session did not survive its new token, fresh")
	}
	stale := e.device()
	stale.cookies[sessionCookieName(e)] = &http.Cookie{Name: sessionCookieName(e), Value: old}
	if stale.userID() != 0 {
		t.Fatal("the old token still works")
	}
	wantErr(t, e.device().err(func(a *Auth) error { return a.RenewToken() }), ErrNotLoggedIn)
}
