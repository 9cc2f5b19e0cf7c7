package authkit

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

// createKey makes a key on a fresh logged-in device and returns it with
// its secret.
func createKey(t *testing.T, d *device, spec APIKeySpec) (APIKey, string) {
	t.Helper()
	var key APIKey
	var secret string
	if err := d.err(func(a *Auth) (err error) { key, secret, err = a.APIKeys().Create(spec); return err }); err != nil {
		t.Fatal(err)
	}
	return key, secret
}

func TestAPIKey_IsShownOnceStoredHashedAndAuthenticatesAsItsOwner(t *testing.T) { // SEC-K1
	t.Parallel()
	e := newEnv(t)
	id := e.user("script@example.com")
	d := loggedInDevice(t, e, "script@example.com", "")
	key, secret := createKey(t, d, APIKeySpec{Name: "deploy", Scopes: []string{"deploy", "read"}})
	if !strings.HasPrefix(secret, "ak_"+strings.TrimPrefix(key.Prefix, "ak_")+"_") || len(secret) < 3+22+1+43 {
		t.Fatalf("secret %q, prefix %q", secret, key.Prefix)
	}
	var stored int
	e.db.Get(&stored, `SELECT count(*) FROM authkit_api_keys WHERE position($1 in encode(secret_hash, 'escape')) > 0 OR selector = $1`, secret)
	if stored != 0 {
		t.Fatal("the secret is stored as it is")
	}
	var list []APIKey
	d.err(func(a *Auth) (err error) { list, err = a.APIKeys().List(); return err })
	if len(list) != 1 || list[0].ID != key.ID || list[0].Name != "deploy" || len(list[0].Scopes) != 2 {
		t.Fatalf("list = %+v", list)
	}
	code, body, cookies := e.bearer(secret, "/via")
	if code != 200 || body != itoa(id)+" api_key deploy=true admin=false" {
		t.Fatalf("a request with the key: %d %q", code, body)
	}
	if len(cookies) != 0 {
		t.Fatalf("a request with an API key got cookies: %v", cookies) // SEC-K2
	}
}

func TestAPIKey_CreatingOneNeedsAFreshPasswordInACookieSession(t *testing.T) { // SEC-K1 SEC-K2
	t.Parallel()
	e := newEnv(t)
	e.user("fresh@example.com")
	remembered := e.device()
	if err := remembered.err(func(a *Auth) error { return a.Login("fresh@example.com", testPassword, true) }); err != nil {
		t.Fatal(err)
	}
	_, secret := createKey(t, remembered, APIKeySpec{Name: "first"})
	delete(remembered.cookies, sessionCookieName(e)) // restored, so not fresh
	wantErr(t, remembered.err(func(a *Auth) error { _, _, err := a.APIKeys().Create(APIKeySpec{Name: "x"}); return err }),
		ErrReauthenticationRequired)
	e.clock.Advance(time.Hour) // the password was entered too long ago
	d := loggedInDevice(t, e, "fresh@example.com", "")
	e.clock.Advance(15 * time.Minute)
	wantErr(t, d.err(func(a *Auth) error { _, _, err := a.APIKeys().Create(APIKeySpec{Name: "x"}); return err }),
		ErrReauthenticationRequired)
	// A key cannot make keys, nor change the account.
	code, body, _ := e.bearer(secret, "/cookie-only")
	if code != 200 || strings.Count(body, ErrCookieSessionRequired.Error()) != 6 {
		t.Fatalf("cookie-only actions with an API key: %d %q", code, body)
	}
}

func TestAPIKey_ScopesNeverExceedWhatTheOwnersRolesAllow(t *testing.T) { // SEC-K1
	t.Parallel()
	allowed := func(roles []string) []string {
		scopes := []string{"read"}
		for _, r := range roles {
			if r == "admin" {
				scopes = append(scopes, "write")
			}
		}
		return scopes
	}
	e := newEnv(t, func(c *Config) { c.APIKeyScopes = allowed })
	id := e.user("scoped@example.com")
	d := loggedInDevice(t, e, "scoped@example.com", "")
	wantErr(t, d.err(func(a *Auth) error {
		_, _, err := a.APIKeys().Create(APIKeySpec{Name: "w", Scopes: []string{"write"}})
		return err
	}),
		ErrScopeNotAllowed)
	e.kit.Admin().AddRole(context.Background(), id, "admin")
	_, secret := createKey(t, d, APIKeySpec{Name: "w", Scopes: []string{"read", "write"}})
	if _, body, _ := e.bearer(secret, "/scopes"); body != "read=true write=true" {
		t.Fatalf("with the role: %q", body)
	}
	e.kit.Admin().RemoveRole(context.Background(), id, "admin")
	if _, body, _ := e.bearer(secret, "/scopes"); body != "read=true write=false" {
		t.Fatalf("after the role went: %q", body)
	}
}

func TestAPIKey_ABadSpecIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("spec@example.com")
	d := loggedInDevice(t, e, "spec@example.com", "")
	for _, spec := range []APIKeySpec{
		{}, {Name: " padded"}, {Name: strings.Repeat("n", 101)}, {Name: "nul\x00"}, {Name: "x", Scopes: []string{"has space"}},
		{Name: "x", Scopes: make([]string, 33)}, {Name: "x", ExpiresIn: -time.Hour}, {Name: "x", ExpiresIn: time.Second},
	} {
		wantErr(t, d.err(func(a *Auth) error { _, _, err := a.APIKeys().Create(spec); return err }), ErrInvalidAPIKeySpec)
	}
}

func TestAPIKey_AnotherUsersKeyCannotBeListedOrRevoked(t *testing.T) { // SEC-K1
	t.Parallel()
	e := newEnv(t)
	e.user("ann@example.com")
	e.user("ben@example.com")
	ann := loggedInDevice(t, e, "ann@example.com", "")
	ben := loggedInDevice(t, e, "ben@example.com", "")
	key, secret := createKey(t, ben, APIKeySpec{Name: "ben's"})
	var list []APIKey
	ann.err(func(a *Auth) (err error) { list, err = a.APIKeys().List(); return err })
	if len(list) != 0 {
		t.Fatalf("ann sees ben's keys: %+v", list)
	}
	wantErr(t, ann.err(func(a *Auth) error { return a.APIKeys().Revoke(key.ID) }), ErrNotFound)
	if code, body, _ := e.bearer(secret, "/whoami"); code != 200 || body == "0" {
		t.Fatal("ann's attempt ended ben's key")
	}
	if err := ben.err(func(a *Auth) error { return a.APIKeys().Revoke(key.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := e.bearer(secret, "/whoami"); body != "0" {
		t.Fatal("a revoked key still authenticates")
	}
}

func TestAPIKey_StopsAtTheNextRequestAfterEveryRevocationAndItsExpiry(t *testing.T) { // SEC-K1 SEC-S5 SEC-S8
	t.Parallel()
	for _, rv := range append(revocations, revocation{name: "expiry"}, revocation{name: "a plain logout"}) {
		if rv.tokenOnly {
			continue
		}
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			w := &raceWorld{e: e, email: "keyed@example.com"}
			w.id = e.user(w.email)
			w.revoker = loggedInDevice(t, e, w.email, "")
			w.resetTok = resetToken(t, e, w.email)
			_, secret := createKey(t, w.revoker, APIKeySpec{Name: "k", ExpiresIn: time.Hour})
			switch rv.name {
			case "expiry":
				e.clock.Advance(time.Hour)
			case "a plain logout":
				w.revoker.err(func(a *Auth) error { return a.Logout() })
			default:
				if err := rv.do(w); err != nil {
					t.Fatal(err)
				}
			}
			_, body, _ := e.bearer(secret, "/whoami")
			if rv.name == "a plain logout" {
				if body != itoa(w.id) {
					t.Fatal("a plain logout ended the user's API key")
				}
				return
			}
			if body != "0" {
				t.Fatalf("after %s the key still authenticates as %s", rv.name, body)
			}
		})
	}
}

func TestBearer_AGarbageOrHugeHeaderIsAnonymousNotAnError(t *testing.T) { // SEC-K2
	t.Parallel()
	e := newEnv(t)
	for _, cred := range []string{"", "ak_", "ak_" + strings.Repeat("A", 66), "ak_" + strings.Repeat("é", 40),
		"eyJhbGciOiJub25lIn0.e30.", strings.Repeat("x", 10<<10), "ak_%00%01", "Basic dXNlcjpwdw=="} {
		code, body, cookies := e.bearer(cred, "/whoami")
		if code != 200 || body != "0" || len(cookies) != 0 {
			t.Errorf("Bearer %.20q: %d %q %v", cred, code, body, cookies)
		}
	}
}

func TestAPIKey_FailedLookupsAreThrottledPerClientIP(t *testing.T) { // SEC-K1
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.APIKeyFailuresPerIP = Limit{Burst: 3, Every: time.Hour} })
	e.user("guessed@example.com")
	d := loggedInDevice(t, e, "guessed@example.com", "")
	key, _ := createKey(t, d, APIKeySpec{Name: "target"})
	guess := key.Prefix + "_" + strings.Repeat("A", 43)
	for i := range 3 {
		if code, _, _ := e.bearer(guess, "/whoami"); code != 200 {
			t.Fatalf("guess %d answered %d", i, code)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+guess)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after the budget: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// cookieOnlyActions are the actions a request authenticated by a bearer
// credential must not take (SEC-K2).
func cookieOnlyActions(a *Auth) []error {
	_, _, keyErr := a.APIKeys().Create(APIKeySpec{Name: "more"})
	_, enrolErr := a.TwoFactor().EnrollTOTP()
	return []error{
		a.ChangePassword(testPassword, newPassword),
		a.ChangeEmail("other@example.com"),
		enrolErr,
		a.TwoFactor().Disable(twofactor.TOTP, testPassword),
		keyErr,
		a.LogoutEverywhere(),
	}
}
