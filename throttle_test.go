package authkit

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

// loginFrom runs a login through the kit's middleware as if sent by
// remoteAddr with the given X-Forwarded-For.
func loginFrom(kit *Kit, remoteAddr, forwardedFor, email, password string) error {
	req := httptest.NewRequest("POST", "https://example.com/", nil)
	req.RemoteAddr = remoteAddr
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	var err error
	kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err = From(r).Login(email, password, false)
	})).ServeHTTP(httptest.NewRecorder(), req)
	return err
}

func TestThrottle_WrongPasswordsAcrossTwoInstancesAreOneStream(t *testing.T) { // SEC-E3
	t.Parallel()
	url := pgtest.URL(t)
	open := func() *sqlx.DB {
		db := sqlx.MustOpen("postgres", url)
		t.Cleanup(func() { db.Close() })
		return db
	}
	first, second := open(), open()
	if err := sqlschema.Apply(context.Background(), first, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	clock := newTestClock()
	manyIPs := func(c *Config) {
		c.Now = clock.Now
		// Only the per-account limit here.
		c.Limits.LoginPerIP = Limit{Burst: 1000, Every: time.Second}
		c.Limits.LoginPerAccountIP = Limit{Burst: 1000, Every: time.Second}
	}
	a, b := newEnvOn(t, first, manyIPs), newEnvOn(t, second, manyIPs)
	a.user("target@example.com")
	instances := []*Kit{a.kit, b.kit}
	var wrong, throttled int
	for i := range 150 {
		err := loginFrom(instances[i%2], "198.51.100.7:1234", "", "target@example.com", "guess number "+strconv.Itoa(i))
		var tm *TooManyRequestsError
		switch {
		case errors.Is(err, ErrInvalidCredentials):
			wrong++
		case errors.As(err, &tm):
			throttled++
			if tm.RetryAfter <= 0 || tm.RetryAfter > time.Minute {
				t.Fatalf("RetryAfter = %v", tm.RetryAfter)
			}
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if wrong != 100 || throttled != 50 {
		t.Fatalf("wrong=%d throttled=%d; want 100 judged and 50 throttled across both instances", wrong, throttled)
	}
	// Throttled, but not for good: the bucket refills.
	if err := loginFrom(b.kit, "198.51.100.7:1234", "", "target@example.com", testPassword); err == nil {
		t.Fatal("the right password got through while throttled")
	}
	clock.Advance(40 * time.Second)
	if err := loginFrom(a.kit, "198.51.100.7:1234", "", "target@example.com", testPassword); err != nil {
		t.Fatalf("the owner is still locked out after the refill: %v", err)
	}
}

func TestThrottle_SpoofedForwardedForDoesNotEscapeTheIPLimit(t *testing.T) { // SEC-E4
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.LoginPerIP = Limit{Burst: 3, Every: time.Hour} })
	for i := range 4 {
		err := loginFrom(e.kit, "203.0.113.5:4000", "10.0.0."+strconv.Itoa(i), "user"+strconv.Itoa(i)+"@example.com", "whatever password")
		var tm *TooManyRequestsError
		if i < 3 && !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if i == 3 && !errors.As(err, &tm) {
			t.Fatalf("a made-up X-Forwarded-For escaped the IP throttle: %v", err)
		}
	}
}

func TestThrottle_ForwardedForCountsOnlyFromATrustedProxy(t *testing.T) { // SEC-E4
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Limits.LoginPerIP = Limit{Burst: 3, Every: time.Hour}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
	})
	for i := range 6 { // six clients behind the proxy, each within its limit
		err := loginFrom(e.kit, "203.0.113.5:4000", "198.51.100."+strconv.Itoa(i), "user"+strconv.Itoa(i)+"@example.com", "whatever password")
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("client %d behind a trusted proxy: %v", i, err)
		}
	}
}

func TestClientIP_ReadsTheForwardedChainOnlyThroughTrustedProxies(t *testing.T) { // SEC-E4
	t.Parallel()
	k := &Kit{cfg: Config{
		ClientIPHeader: "X-Forwarded-For",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	}, log: slog.Default()}
	for _, tc := range []struct{ remote, xff, want string }{
		{"198.51.100.1:1", "1.2.3.4", "198.51.100.1"},           // untrusted peer: header ignored
		{"10.0.0.2:1", "1.2.3.4", "1.2.3.4"},                    // trusted proxy
		{"10.0.0.2:1", "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"}, // skip trusted hops, stop at the first untrusted
		{"10.0.0.2:1", "", "10.0.0.2"},                          // no header
		{"10.0.0.2:1", "garbage, 1.2.3.4", "1.2.3.4"},           // garbage further left is never reached
		{"10.0.0.2:1", "1.2.3.4, garbage", "10.0.0.2"},          // garbage at the right: trust nothing
		{"[::1]:1", "2001:db8::1", "2001:db8::1"},               // IPv6
		{"[::ffff:10.0.0.2]:1", "::ffff:1.2.3.4", "1.2.3.4"},    // v4-mapped addresses
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := k.clientIP(r); got != tc.want {
			t.Errorf("peer %s, XFF %q: client %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	if ipKey("2001:db8:1:2:3:4:5:6") != ipKey("2001:db8:1:2:ffff::1") {
		t.Error("one IPv6 /64 must share a bucket")
	}
}

func TestThrottle_RegistrationAndResetRequestsAreLimited(t *testing.T) { // SEC-E3
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Limits.RegisterPerIP = Limit{Burst: 2, Every: time.Hour}
		c.Limits.EmailPerAddress = Limit{Burst: 2, Every: time.Hour}
	})
	var tm *TooManyRequestsError
	d := e.device()
	for i := range 3 {
		_, err := func() (int64, error) {
			var id int64
			err := d.err(func(a *Auth) (err error) {
				id, err = a.Register("reg"+strconv.Itoa(i)+"@example.com", testPassword)
				return err
			})
			return id, err
		}()
		if i < 2 && err != nil {
			t.Fatal(err)
		}
		if i == 2 && !errors.As(err, &tm) {
			t.Fatalf("third registration from one IP = %v, want *TooManyRequestsError", err)
		}
	}
	for i := range 3 {
		err := d.err(func(a *Auth) error { return a.ForgotPassword("nobody@example.com") })
		if i == 2 && !errors.As(err, &tm) {
			t.Fatalf("third reset request for one address = %v, want *TooManyRequestsError", err)
		}
	}
}

func TestThrottle_CodeEntryIsLimitedPerUserAcrossLogins(t *testing.T) { // SEC-E3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.CodeEntryPerUser = Limit{Burst: 6, Every: time.Hour} })
	e.user("codes-limit@example.com")
	withTOTP(t, e, "codes-limit@example.com")
	var tm *TooManyRequestsError
	tries := 0
	for login := 0; login < 3 && tries < 10; login++ {
		d, _ := startPending(t, e, "codes-limit@example.com", false)
		for range 4 {
			err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP("000000") })
			tries++
			if errors.As(err, &tm) {
				if tries != 7 {
					t.Fatalf("throttled at try %d, want 7", tries)
				}
				return
			}
		}
	}
	t.Fatal("code entry was never throttled across logins")
}

func TestThrottle_PasswordGuessesFromAStolenSessionCountAsFailedLogins(t *testing.T) { // SEC-E3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.LoginPerAccount = Limit{Burst: 3, Every: time.Hour} })
	e.user("hijacked@example.com")
	owner := e.device()
	if err := owner.err(func(a *Auth) error { return a.Login("hijacked@example.com", testPassword, false) }); err != nil {
		t.Fatal(err)
	}
	// The thief copied the session cookie, not the owner's browser.
	thief := e.device()
	thief.cookies[sessionCookieName(e)] = owner.cookies[sessionCookieName(e)]
	var tm *TooManyRequestsError
	for i := range 4 {
		err := thief.err(func(a *Auth) error { return a.Reauthenticate("guess " + strconv.Itoa(i)) })
		if i < 3 && !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
		if i == 3 && !errors.As(err, &tm) {
			t.Fatalf("a fourth guess through the session = %v, want *TooManyRequestsError", err)
		}
	}
}
