package authkit

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of this file attack the throttles as a stranger who knows an
// address would, and check that its owner still gets in (SEC-E5).

// from returns a new device of the env at the client address ip.
func (e *env) from(ip string) *device {
	d := e.device()
	d.ip = ip
	return d
}

// loginErr is the error of a login on d.
func (d *device) login(email, password string) error {
	return d.err(func(a *Auth) error { return a.Login(email, password, false) })
}

func isThrottled(err error) bool { return errors.As(err, new(*TooManyRequestsError)) }

// strangers fail to log in as email from n IPs until each is throttled, and
// return how many attempts were judged.
func strangers(t *testing.T, e *env, email string, n int) int {
	t.Helper()
	judged := 0
	for i := range n {
		d := e.from("203.0.113." + strconv.Itoa(i+1))
		for {
			err := d.login(email, "not the password")
			if isThrottled(err) {
				break
			}
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("stranger %d: %v", i, err)
			}
			judged++
		}
	}
	return judged
}

// smallLimits makes the budgets strangers share small, so the attacks
// below need few attempts.
func smallLimits(c *Config) {
	c.Limits.LoginPerAccount = Limit{Burst: 12, Every: 36 * time.Second}
	c.Limits.LoginPerAccountIP = Limit{Burst: 3, Every: 6 * time.Minute}
}

func TestLogin_AStrangerWhoKnowsTheEmailCannotLockTheOwnerOutOfAKnownDevice(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t, smallLimits)
	e.user("owner@example.com")
	laptop := e.from("198.51.100.10")
	if err := laptop.login("owner@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	if err := laptop.err(func(a *Auth) error { return a.Logout() }); err != nil {
		t.Fatal(err)
	}

	// Strangers at many addresses spend the account's whole budget for
	// clients without its device cookie, and keep it empty.
	if judged := strangers(t, e, "owner@example.com", 6); judged != 12 {
		t.Fatalf("the strangers had %d attempts judged, want the account's 12", judged)
	}
	for i := range 3 { // one failure every 36 seconds, each from a new address
		e.clock.Advance(36 * time.Second)
		e.from("203.0.113."+strconv.Itoa(200+i)).login("owner@example.com", "not the password")
	}
	if err := e.from("198.51.100.99").login("owner@example.com", testPassword); !isThrottled(err) {
		t.Fatalf("a new client while the account's budget is empty = %v, want *TooManyRequestsError", err)
	}

	// The owner's laptop has a budget of its own.
	if err := laptop.login("owner@example.com", testPassword); err != nil {
		t.Fatalf("the owner on a known device, while strangers keep the account's budget empty: %v", err)
	}
	// And the budget refills: nobody is locked out for good.
	e.clock.Advance(6 * time.Minute)
	if err := e.from("198.51.100.99").login("owner@example.com", testPassword); err != nil {
		t.Fatalf("a new client after the refill: %v", err)
	}
}

func TestLogin_AFreshIPGetsInWhileTheAccountsBudgetHasRoom(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t, smallLimits)
	e.user("roaming@example.com")
	if judged := strangers(t, e, "roaming@example.com", 1); judged != 3 {
		t.Fatalf("one stranger had %d attempts judged, want its 3 per account and IP", judged)
	}
	if err := e.from("198.51.100.20").login("roaming@example.com", testPassword); err != nil {
		t.Fatalf("the owner at a fresh IP without a device cookie: %v", err)
	}
}

func TestLogin_WrongPasswordsOnAKnownDeviceSpendOnlyThatDevicesBudget(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t, smallLimits, func(c *Config) { c.Limits.LoginPerDevice = Limit{Burst: 4, Every: time.Hour} })
	e.user("shared-pc@example.com")
	pc := e.from("198.51.100.30")
	if err := pc.login("shared-pc@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	pc.err(func(a *Auth) error { return a.Logout() })
	for i := range 5 {
		err := pc.login("shared-pc@example.com", "guess "+strconv.Itoa(i))
		if i < 4 && !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("guess %d on the device: %v", i, err)
		}
		if i == 4 && !isThrottled(err) {
			t.Fatalf("a fifth wrong password on the device = %v, want *TooManyRequestsError", err)
		}
	}
	var spent []string
	e.db.Select(&spent, `SELECT key FROM authkit_throttles
		WHERE key NOT LIKE 'login:device:%' AND tokens < CASE split_part(key, ':', 2)
		      WHEN 'account' THEN 12 WHEN 'account-ip' THEN 3 ELSE 50 END`)
	if len(spent) != 0 {
		t.Fatalf("the device's failures spent buckets that other clients share: %v", spent)
	}
	if err := pc.login("shared-pc@example.com", testPassword); !isThrottled(err) {
		t.Fatalf("the throttled device with the right password = %v, want it throttled still", err)
	}
	if err := e.from("198.51.100.31").login("shared-pc@example.com", testPassword); err != nil {
		t.Fatalf("another client: %v", err)
	}
}

func TestLogin_ADeviceCookieOfAnotherAccountOrForgedOrExpiredCountsAsNone(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t, smallLimits)
	e.user("mine@example.com")
	e.user("target@example.com")
	attacker := e.from("203.0.113.50")
	if err := attacker.login("mine@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	cookie := attacker.cookies[e.kit.deviceCookie]
	if cookie == nil {
		t.Fatal("no device cookie after a login")
	}
	forged := *cookie
	forged.Value = cookie.Value[:len(cookie.Value)-2] + flip(cookie.Value[len(cookie.Value)-2:])
	for name, c := range map[string]*http.Cookie{"another account's": cookie, "forged": &forged} {
		d := e.from("203.0.113.51")
		d.cookies[c.Name] = c
		e.clock.Advance(time.Hour) // a fresh budget per account and IP
		throttledAt := 0
		for i := 1; i <= 5 && throttledAt == 0; i++ {
			if isThrottled(d.login("target@example.com", "guess")) {
				throttledAt = i
			}
		}
		if throttledAt != 4 {
			t.Errorf("with %s device cookie, throttled at guess %d, want 4 as a client without one", name, throttledAt)
		}
	}

	// One's own cookie, past its lifetime.
	e.clock.Advance(deviceCookieLifetime)
	throttledAt := 0
	for i := 1; i <= 5 && throttledAt == 0; i++ {
		if isThrottled(attacker.login("mine@example.com", "guess")) {
			throttledAt = i
		}
	}
	if throttledAt != 4 {
		t.Errorf("with an expired device cookie, throttled at guess %d, want 4", throttledAt)
	}
}

func flip(s string) string {
	if strings.HasPrefix(s, "A") {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestDeviceCookie_IsHostPrefixedHttpOnlySecureAndNamesNoAccount(t *testing.T) { // SEC-E5 SEC-S6
	t.Parallel()
	e := newEnv(t)
	e.user("cookie-owner@example.com")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "https://example.com/", nil)
	e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := From(r).Login("cookie-owner@example.com", testPassword, false); err != nil {
			t.Fatal(err)
		}
	})).ServeHTTP(rec, req)
	var c *http.Cookie
	for _, sc := range rec.Result().Cookies() {
		if sc.Name == "__Host-authkit_device" {
			c = sc
		}
	}
	if c == nil {
		t.Fatal("no __Host-authkit_device cookie")
	}
	if !c.HttpOnly || !c.Secure || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 {
		t.Fatalf("device cookie %+v", c)
	}
	if strings.Contains(strings.ToLower(c.Value), "cookie-owner") {
		t.Fatal("the device cookie names the account")
	}
}

func TestDeviceCookie_ABrowserIsKnownForThreeAccounts(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t, smallLimits)
	d := e.from("198.51.100.40")
	for _, who := range []string{"one", "two", "three", "four"} {
		e.user(who + "@example.com")
		if err := d.login(who+"@example.com", testPassword); err != nil {
			t.Fatal(err)
		}
	}
	for who, known := range map[string]bool{"one": false, "two": true, "three": true, "four": true} {
		var got bool
		d.do(func(a *Auth) { _, got = a.knownDevice(emailKey(who + "@example.com")) })
		if got != known {
			t.Errorf("known for %s = %v, want %v", who, got, known)
		}
	}
}

// resetMails waits for the background mail and counts the reset mails to
// addr.
func resetMails(e *env, addr string) int {
	e.kit.mailWG.Wait()
	n := 0
	for _, m := range e.mail.Messages() {
		if m.To == addr && m.Kind == MessagePasswordReset {
			n++
		}
	}
	return n
}

func TestForgotPassword_AStrangerCannotStopTheOwnerFromResetting(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t)
	e.user("forgetful@example.com")
	home := e.from("198.51.100.50")
	if err := home.login("forgetful@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	home.err(func(a *Auth) error { return a.Logout() })

	// One stranger asks until refused; the owner at a fresh IP still can.
	stranger := e.from("203.0.113.60")
	for stranger.err(func(a *Auth) error { return a.ForgotPassword("forgetful@example.com") }) == nil {
	}
	if err := e.from("198.51.100.51").err(func(a *Auth) error { return a.ForgotPassword("forgetful@example.com") }); err != nil {
		t.Fatalf("the owner at a fresh IP after one stranger: %v", err)
	}

	// Strangers at many IPs use up what the address may be sent; the
	// owner's known device still gets its link.
	for i := range 10 {
		d := e.from("203.0.113." + strconv.Itoa(100+i))
		for d.err(func(a *Auth) error { return a.ForgotPassword("forgetful@example.com") }) == nil {
		}
	}
	before := resetMails(e, "forgetful@example.com")
	if err := home.err(func(a *Auth) error { return a.ForgotPassword("forgetful@example.com") }); err != nil {
		t.Fatalf("the owner's known device while strangers flood the address: %v", err)
	}
	if resetMails(e, "forgetful@example.com") != before+1 {
		t.Fatal("the owner's request sent no link")
	}
}

func TestForgotPassword_StrangersAtManyIPsCannotFloodAMailbox(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t)
	e.user("flooded@example.com")
	for i := range 30 {
		d := e.from("203.0.113." + strconv.Itoa(i+1))
		for d.err(func(a *Auth) error { return a.ForgotPassword("flooded@example.com") }) == nil {
		}
	}
	if n, limit := resetMails(e, "flooded@example.com"), e.kit.cfg.Limits.EmailToAddress.Burst; n != limit {
		t.Fatalf("30 strangers had %d reset mails sent, want the address's %d", n, limit)
	}
}

// cancellingHasher stands for a client that gives up during the hash: its
// Verify waits until the request's context ends.
type cancellingHasher struct {
	passwordHasher
	started chan struct{}
}

func (h *cancellingHasher) Verify(ctx context.Context, enc, pw string) (bool, bool, error) {
	close(h.started)
	<-ctx.Done()
	return false, false, ctx.Err()
}

func TestLogin_AClientThatGivesUpDuringTheHashSpendsNoThrottleToken(t *testing.T) { // SEC-E3 SEC-E5
	t.Parallel()
	e := newEnv(t)
	e.user("impatient@example.com")
	h := &cancellingHasher{passwordHasher: e.kit.hasher, started: make(chan struct{})}
	e.kit.hasher = h
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "POST", "https://example.com/", nil)
	done := make(chan error, 1)
	go func() {
		e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			done <- From(r).Login("impatient@example.com", testPassword, false)
		})).ServeHTTP(httptest.NewRecorder(), req)
	}()
	<-h.started
	cancel()
	wantErr(t, <-done, ErrUnavailable)
	e.kit.mailWG.Wait()
	limits := e.kit.cfg.Limits
	burst := map[string]int{"login:ip:": limits.LoginPerIP.Burst, "login:account-ip:": limits.LoginPerAccountIP.Burst,
		"login:account:": limits.LoginPerAccount.Burst}
	var rows []struct {
		Key    string  `db:"key"`
		Tokens float64 `db:"tokens"`
	}
	if err := e.db.Select(&rows, `SELECT key, tokens FROM authkit_throttles WHERE key LIKE 'login:%'`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("login buckets: %+v", rows)
	}
	for _, r := range rows {
		for prefix, b := range burst {
			if strings.HasPrefix(r.Key, prefix) && r.Tokens < float64(b)-0.01 {
				t.Errorf("bucket %s holds %.2f of %d tokens after the client gave up", prefix, r.Tokens, b)
			}
		}
	}
}
