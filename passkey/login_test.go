package passkey_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/twofactor"
)

// registered makes a user with a passkey on a: it returns the user's id
// and a client still logged in as them with the password.
func (e *env) registered(email string, a *authenticator) (int64, *client) {
	e.t.Helper()
	id := e.user(email)
	cl := e.client()
	cl.login(email)
	cl.mustRegister(a, "Laptop")
	return id, cl
}

func TestLogin_APasskeyThatVerifiesItsUserLogsInWithoutASecondStep(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, _ := e.registered("ada@example.com", a)
	e.withTOTP("ada@example.com")
	cl := e.client()

	opts := parseOptions(t, cl.begin("/login/passkey/begin"))
	if len(opts.PublicKey.AllowCredentials) != 0 || opts.PublicKey.UserVerification != "required" || opts.PublicKey.RPID != rpID {
		t.Fatalf("request options %+v, want a discoverable login that requires user verification", opts.PublicKey)
	}
	r := cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(cl.begin("/login/passkey/begin")))})

	wantCode(t, r, http.StatusOK, "")
	if got := cl.me(); got != itoa(id)+" fresh=true remembered=false pending=false" {
		t.Fatalf("after a passkey login: %s", got)
	}
}

func TestLogin_IssuesANewSessionTokenAndCanRememberTheDevice(t *testing.T) { // SEC-S2
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, _ := e.registered("ada@example.com", a)
	cl := e.client()
	opts := cl.begin("/login/passkey/begin")
	before := sessionCookie(cl)

	r := cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(opts)), "remember": true})

	wantCode(t, r, http.StatusOK, "")
	if after := sessionCookie(cl); after == "" || after == before {
		t.Fatal("the login kept the pre-login session token")
	}
	dropSession(cl)
	if got := cl.me(); got != itoa(id)+" fresh=false remembered=true pending=false" {
		t.Fatalf("after the browser restarted: %s, want a remembered session", got)
	}
}

func TestLogin_RequiresUserVerificationByDefault(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	a.uv = false
	cl := e.client()

	wantCode(t, cl.passkeyLogin(a), http.StatusUnauthorized, "user_verification_required")
	if cl.userID() != 0 {
		t.Fatal("a passkey without user verification logged in")
	}
}

func TestLogin_WithoutUserVerificationIsOneFactorWhenThePolicyPrefersIt(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t, preferUV)
	a := newAuthenticator(t)
	id, owner := e.registered("ada@example.com", a)
	key := newAuthenticator(t)
	owner.mustRegister(key, "Security key")
	a.uv, key.uv = false, false
	cl := e.client()

	// Without a second factor, the passkey alone logs in, as a password would.
	wantCode(t, cl.passkeyLogin(a), http.StatusOK, "")
	if cl.userID() != id {
		t.Fatal("a one-factor passkey login of a user without a second factor failed")
	}

	secret := e.withTOTP("ada@example.com")
	cl = e.client()
	r := cl.passkeyLogin(a)
	wantCode(t, r, http.StatusAccepted, "")
	if !strings.Contains(string(r.body), `{"method":"totp"}`) || !strings.Contains(string(r.body), `{"method":"passkey"}`) {
		t.Fatalf("second factors %s, want TOTP and passkeys", r.body)
	}
	// The passkey that proved the first factor cannot prove the second.
	opts := parseOptions(t, cl.begin("/login/second-factor/passkey/begin"))
	if len(opts.PublicKey.AllowCredentials) != 1 || opts.PublicKey.AllowCredentials[0].ID != b64.EncodeToString(key.creds[0].id) {
		t.Fatalf("the second step offers %v, want only the other passkey", opts.PublicKey.AllowCredentials)
	}
	again := a.sign(a.creds[0], opts.PublicKey.Challenge, a.creds[0].handle)
	wantCode(t, cl.post("/login/second-factor/passkey/finish", map[string]any{"credential": json.RawMessage(again)}),
		http.StatusUnauthorized, "second_factor_invalid")
	code, _ := twofactor.TOTPCode(secret, e.clock.Now())
	if r := cl.form("/totp/verify", url.Values{"code": {code}}); r.status != 200 {
		t.Fatal(string(r.body))
	}
	cl.form("/complete", nil)
	if cl.userID() != id {
		t.Fatal("TOTP did not finish the passkey login")
	}
}

func TestLogin_RefusesAReplayedChallenge(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	cl := e.client()
	answer := a.get(cl.begin("/login/passkey/begin"))
	wantCode(t, cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusOK, "")
	cl.form("/logout", nil)

	wantCode(t, cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusBadRequest, "invalid_challenge")

	// Even after a new challenge, the old answer does not fit it.
	cl.begin("/login/passkey/begin")
	wantCode(t, cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusUnauthorized, "invalid_passkey")
	if cl.userID() != 0 {
		t.Fatal("a replayed answer logged in")
	}
}

func TestLogin_RefusesAChallengeFromAnotherSession(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	victim, attacker := e.client(), e.client()
	answer := a.get(victim.begin("/login/passkey/begin"))

	wantCode(t, attacker.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusBadRequest, "invalid_challenge")
	attacker.begin("/login/passkey/begin")
	wantCode(t, attacker.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusUnauthorized, "invalid_passkey")
	if attacker.userID() != 0 {
		t.Fatal("another session's answer logged in")
	}
}

func TestLogin_RefusesAnExpiredChallenge(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	cl := e.client()
	answer := a.get(cl.begin("/login/passkey/begin"))
	e.clock.Advance(5 * time.Minute)

	wantCode(t, cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusBadRequest, "invalid_challenge")
}

func TestLogin_RefusesAnAnswerFromAnotherOrigin(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	for _, origin := range []string{"https://evil.example", "https://localhost.evil.example", "http://localhost:8443", "https://localhost:9999"} {
		a.origin = origin
		cl := e.client()
		wantCode(t, cl.passkeyLogin(a), http.StatusUnauthorized, "invalid_passkey")
	}
}

func TestLogin_RefusesASignatureForAnotherRPIDHash(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	a.rpID = "evil.example"
	cl := e.client()

	wantCode(t, cl.passkeyLogin(a), http.StatusUnauthorized, "invalid_passkey")
}

func TestLogin_RefusesACredentialOfAnotherUser(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	victimKey, attackerKey := newAuthenticator(t), newAuthenticator(t)
	victim, _ := e.registered("victim@example.com", victimKey)
	e.registered("attacker@example.com", attackerKey)
	cl := e.client()
	opts := parseOptions(t, cl.begin("/login/passkey/begin"))

	// The attacker signs with their own passkey but names the victim's
	// user handle (which the signature does not cover).
	forged := attackerKey.sign(attackerKey.creds[0], opts.PublicKey.Challenge, e.handleOf(victim))

	wantCode(t, cl.post("/login/passkey/finish", map[string]any{"credential": json.RawMessage(forged)}), http.StatusUnauthorized, "invalid_passkey")
	if cl.userID() != 0 {
		t.Fatal("a passkey logged in under another user's handle")
	}
	// A passkey nobody registered.
	stranger := newAuthenticator(t)
	stranger.create(e.client().begin("/login/passkey/begin"))
	wantCode(t, cl.passkeyLogin(stranger), http.StatusUnauthorized, "invalid_passkey")
}

func TestLogin_GoesThroughTheAccountChecksOfTheSessionCore(t *testing.T) { // SEC-S9
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, _ := e.registered("ada@example.com", a)
	if err := e.kit.Admin().SetStatus(t.Context(), id, authkit.StatusBanned); err != nil {
		t.Fatal(err)
	}
	cl := e.client()

	wantCode(t, cl.passkeyLogin(a), http.StatusForbidden, "account_status")
	if cl.userID() != 0 {
		t.Fatal("a banned user logged in with a passkey")
	}
}

func TestLogin_TheSameAnswerRacingItselfLogsInOnce(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	cl := e.client()
	answer := map[string]any{"credential": json.RawMessage(a.get(cl.begin("/login/passkey/begin")))}

	// Both requests carry the session that holds the challenge; the
	// first is held where it records the passkey's use, the second
	// overtakes it.
	h := e.probe.HoldNext("UPDATE authkit_passkeys SET sign_count")
	first := make(chan reply, 1)
	go func() { first <- cl.post("/login/passkey/finish", answer) }()
	h.Wait(t)
	second := cl.post("/login/passkey/finish", answer)
	h.Let()
	r1 := <-first

	if (r1.status == http.StatusOK) == (second.status == http.StatusOK) {
		t.Fatalf("racing replays answered %d %s and %d %s, want exactly one login", r1.status, r1.body, second.status, second.body)
	}
}

func TestLogin_IsThrottledPerClientIPWithoutLockingTheAccount(t *testing.T) { // SEC-E3, SEC-E5
	t.Parallel()
	e := newEnv(t, func(kc *authkit.Config, _ *passkey.Config) {
		kc.Limits.LoginPerIP = authkit.Limit{Burst: 3, Every: time.Hour}
	})
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	cl := e.client()
	// Successful logins give their token back.
	for range 5 {
		wantCode(t, cl.passkeyLogin(a), http.StatusOK, "")
	}
	// Abandoned ceremonies and wrong answers do not.
	for range 3 {
		cl.begin("/login/passkey/begin")
	}
	r := cl.post("/login/passkey/begin", nil)
	wantCode(t, r, http.StatusTooManyRequests, "too_many_requests")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestLogin_GarbageGetsATypedError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	cl := e.client()
	good := a.get(cl.begin("/login/passkey/begin"))
	bodies := []string{
		``, `{`, `[]`, `{"credential":null}`, `{"credential":"x"}`, `{"credential":{}}`, `{"credential":{"id":"\u0000"}}`,
		`{"credential":` + strings.Replace(string(good), `"signature":"`, `"signature":"!!`, 1) + `}`,
		`{"credential":` + strings.Replace(string(good), `"authenticatorData":"`, `"authenticatorData":"AAAA`, 1) + `}`,
		`{"credential":{"id":"` + strings.Repeat("A", 70<<10) + `"}}`,
		`{"credential":{},"unknown":1}`,
	}
	for _, body := range bodies {
		cl.begin("/login/passkey/begin")
		r := cl.do(http.MethodPost, "/login/passkey/finish", strings.NewReader(body), "application/json")
		if r.status != http.StatusBadRequest && r.status != http.StatusUnauthorized {
			t.Errorf("%.60q: %d %s, want 400 or 401", body, r.status, r.body)
		}
		if c := r.code(); c != "malformed_response" && c != "invalid_passkey" && c != "invalid_challenge" {
			t.Errorf("%.60q: code %q", body, c)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sessionCookie returns the value of the client's session cookie.
func sessionCookie(cl *client) string {
	u, _ := url.Parse(cl.e.srv.URL)
	for _, c := range cl.c.Jar.Cookies(u) {
		if c.Name == cl.e.kit.Sessions().Cookie.Name {
			return c.Value
		}
	}
	return ""
}

// dropSession forgets the client's session cookie, as a browser that
// restarts does.
func dropSession(cl *client) {
	u, _ := url.Parse(cl.e.srv.URL)
	cl.c.Jar.SetCookies(u, []*http.Cookie{{Name: cl.e.kit.Sessions().Cookie.Name, Path: "/", MaxAge: -1}})
}
