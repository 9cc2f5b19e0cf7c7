package oauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

func TestSignIn_NewProviderAccountMakesAConfirmedAccountWithoutPasswordAndLogsIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")

	u, err := w.kit.Admin().UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerified || b.userID() != u.ID {
		t.Fatalf("account %+v, browser logged in as %d", u, b.userID())
	}
	if n := w.count("identities", "provider = 'mock' AND subject = 'ada-sub' AND user_id = $1", u.ID); n != 1 {
		t.Fatalf("%d identities linked", n)
	}
	// The account has no password: a password login fails as for an
	// unknown address, and the login page cannot tell.
	if err := w.browser().login("ada@example.com"); !strings.Contains(err.Error(), authkit.ErrInvalidCredentials.Error()) {
		t.Fatalf("password login: %v", err)
	}
	// Signing in again finds the same account.
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	again := w.browser()
	again.mustSignIn("mock")
	if again.userID() != u.ID {
		t.Fatalf("second sign-in logged in as %d, want %d", again.userID(), u.ID)
	}
}

func TestBegin_SendsAStateAnS256ChallengeAndANonceButNotTheVerifier(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	u, err := url.Parse(w.browser().begin("mock", ""))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		t.Fatalf("challenge %q method %q, want a SHA-256 challenge", q.Get("code_challenge"), q.Get("code_challenge_method"))
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || q.Get("state") == q.Get("nonce") {
		t.Fatalf("state %q nonce %q: want two different values of at least 256 bits", q.Get("state"), q.Get("nonce"))
	}
	if q.Has("code_verifier") {
		t.Fatal("the verifier left the server")
	}
	gh, _ := url.Parse(w.browser().begin("github", ""))
	if gh.Query().Get("code_challenge_method") != "S256" {
		t.Fatal("GitHub gets no PKCE challenge")
	}
}

// callbackError runs a callback and checks that it was refused with want.
func callbackError(t *testing.T, b *browser, callbackURL string, status int, want error) {
	t.Helper()
	r := b.get(callbackURL)
	if r.status != status || !strings.Contains(r.body, want.Error()) {
		t.Fatalf("callback: %d %q, want %d %q", r.status, r.body, status, want)
	}
	t.Logf("refused: %s", r.body)
	if b.userID() != 0 {
		t.Fatal("the refused callback logged the browser in")
	}
}

func TestCallback_RefusesAMissingState(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	cb, _ := url.Parse(b.authorize(b.begin("mock", "")))
	q := cb.Query()
	q.Del("state")
	cb.RawQuery = q.Encode()
	callbackError(t, b, cb.String(), http.StatusBadRequest, oauth.ErrInvalidState)
}

func TestCallback_RefusesAReplayedState(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	cb := b.authorize(b.begin("mock", ""))
	if r := b.get(cb); r.status != http.StatusSeeOther {
		t.Fatalf("first callback: %d %s", r.status, r.body)
	}
	if err := b.err(func(r *http.Request) error { return authkit.From(r).Logout() }); err != nil {
		t.Fatal(err)
	}
	callbackError(t, b, cb, http.StatusBadRequest, oauth.ErrInvalidState)
}

func TestCallback_RefusesAStateFromAnotherBrowser(t *testing.T) { // SEC-O1
	t.Parallel()
	// Login CSRF: an attacker completes the provider step in their own
	// browser and makes the victim's browser open the callback, to log the
	// victim into the attacker's account.
	w := newWorld(t)
	attacker, victim := w.browser(), w.browser()
	w.oidc.QueueUser(person("mallory-sub", "mallory@example.com", true))
	cb := attacker.authorize(attacker.begin("mock", ""))
	callbackError(t, victim, cb, http.StatusBadRequest, oauth.ErrInvalidState)

	// Even a victim who started a sign-in of their own is not fooled.
	victim.begin("mock", "")
	callbackError(t, victim, cb, http.StatusBadRequest, oauth.ErrInvalidState)
}

func TestCallback_RefusesAStateOlderThanTenMinutes(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	cb := b.authorize(b.begin("mock", ""))
	w.clock.Advance(10*time.Minute + time.Second)
	callbackError(t, b, cb, http.StatusBadRequest, oauth.ErrInvalidState)
}

func TestCallback_RefusesAStateOfAnotherProvider(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	cb := b.authorize(b.begin("mock", ""))
	callbackError(t, b, strings.Replace(cb, "/oauth/mock/", "/oauth/github/", 1), http.StatusBadRequest, oauth.ErrInvalidState)
}

func TestCallback_RefusesACodeRedeemedWithoutItsVerifier(t *testing.T) { // SEC-O1
	t.Parallel()
	// Code injection: an attacker who got hold of the victim's code puts
	// it in a callback of their own sign-in, whose state is valid in
	// their browser. The provider binds the code to the victim's PKCE
	// challenge, so the attacker's verifier does not redeem it.
	w := newWorld(t)
	for _, provider := range []string{"mock", "github"} {
		victim, attacker := w.browser(), w.browser()
		w.oidc.QueueUser(person("victim-sub", "victim@example.com", true))
		w.gh.queue(ghUser{ID: 7, Emails: []map[string]any{ghEmail("victim@example.com", true, true)}})
		stolen, _ := url.Parse(victim.authorize(victim.begin(provider, "")))
		own, _ := url.Parse(attacker.begin(provider, ""))
		q := url.Values{"code": {stolen.Query().Get("code")}, "state": {own.Query().Get("state")}}
		callbackError(t, attacker, "/oauth/"+provider+"/callback?"+q.Encode(), http.StatusUnauthorized, oauth.ErrProviderRefused)
	}
}

func TestCallback_RefusesAnIDTokenWithAnotherNonce(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	u := person("ada-sub", "ada@example.com", true)
	u.edit = func(c *mockoidc.IDTokenClaims) { c.Nonce = "a nonce of another sign-in" }
	w.oidc.QueueUser(u)
	b := w.browser()
	callbackError(t, b, b.authorize(b.begin("mock", "")), http.StatusUnauthorized, oauth.ErrInvalidIDToken)
}

func TestCallback_RefusesAnExpiredIDToken(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	u := person("ada-sub", "ada@example.com", true)
	u.edit = func(c *mockoidc.IDTokenClaims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }
	w.oidc.QueueUser(u)
	b := w.browser()
	callbackError(t, b, b.authorize(b.begin("mock", "")), http.StatusUnauthorized, oauth.ErrInvalidIDToken)
}

func TestCallback_RefusesAnIDTokenForAnotherClientOrFromAnotherIssuer(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	for name, edit := range map[string]func(*mockoidc.IDTokenClaims){
		"audience": func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-client"} },
		"issuer":   func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://issuer.example.com" },
	} {
		u := person("ada-sub", "ada@example.com", true)
		u.edit = edit
		w.oidc.QueueUser(u)
		b := w.browser()
		t.Log(name)
		callbackError(t, b, b.authorize(b.begin("mock", "")), http.StatusUnauthorized, oauth.ErrInvalidIDToken)
	}
}

func TestCallback_RefusesAForgedIDToken(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	// The forger's key claims the provider's key id; only the signature
	// tells them apart.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := w.oidc.Keypair.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	forger := &mockoidc.Keypair{PrivateKey: key, PublicKey: &key.PublicKey, Kid: kid}
	tamper := func(body map[string]any) {
		raw, _ := body["id_token"].(string)
		tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
		if err != nil {
			t.Error(err)
			return
		}
		claims := tok.Claims.(jwt.MapClaims)
		claims["sub"], claims["email"] = "victim-sub", "victim@example.com"
		if body["id_token"], err = forger.SignJWT(claims); err != nil {
			t.Error(err)
		}
	}
	w.tamper.Store(&tamper)
	b := w.browser()
	callbackError(t, b, b.authorize(b.begin("mock", "")), http.StatusUnauthorized, oauth.ErrInvalidIDToken)
}

func TestCallback_RefusesATokenResponseWithoutIDToken(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	tamper := func(body map[string]any) { delete(body, "id_token") }
	w.tamper.Store(&tamper)
	b := w.browser()
	callbackError(t, b, b.authorize(b.begin("mock", "")), http.StatusUnauthorized, oauth.ErrInvalidIDToken)
}

func TestCallback_ProviderRefusalIsAnError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	state, _ := url.Parse(b.begin("mock", ""))
	q := url.Values{"error": {"access_denied"}, "state": {state.Query().Get("state")}}
	callbackError(t, b, "/oauth/mock/callback?"+q.Encode(), http.StatusUnauthorized, oauth.ErrProviderRefused)
}

func TestBegin_RefusesReturnToTargetsOffThisSite(t *testing.T) { // SEC-O1
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	for _, next := range []string{
		"//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/", "http:evil.example",
		"javascript:alert(1)", "evil.example", "/%2F%2Fevil.example", "/%2f%5Cevil.example", "/%5C%5Cevil.example",
		"/%252F%252Fevil.example", "/\t/evil.example", " //evil.example", "/a\x00b", "//%09/evil.example",
		"/" + strings.Repeat("a", 3000),
	} {
		r := b.get("/oauth/mock?next=" + url.QueryEscape(next))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, oauth.ErrInvalidReturnTo.Error()) {
			t.Errorf("next=%q: %d %q, want 400 ErrInvalidReturnTo", next, r.status, r.location)
		}
	}
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	r := b.get(b.authorize(b.begin("mock", "?next="+url.QueryEscape("/account?tab=keys#top"))))
	if r.status != http.StatusSeeOther || r.location != "/account?tab=keys#top" {
		t.Fatalf("a local path: %d %q", r.status, r.location)
	}
}

func TestCallback_ThrottlesFailedCallbacksPerClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(o *oauth.Options) { o.CallbackLimit = authkit.Limit{Burst: 3, Every: time.Hour} })
	b := w.browser()
	// Successful sign-ins spend nothing.
	for range 4 {
		w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
		b.mustSignIn("mock")
	}
	for range 3 {
		if r := b.get("/oauth/mock/callback?state=guess&code=guess"); r.status != http.StatusBadRequest {
			t.Fatalf("bad callback: %d %s", r.status, r.body)
		}
	}
	r := b.get("/oauth/mock/callback?state=guess&code=guess")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("callback after the budget: %d %s", r.status, r.body)
	}
}

func TestCallback_GarbageGetsATypedErrorNeverA500(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.browser()
	b.begin("mock", "")
	for _, q := range []string{
		"", "state=%00&code=%00", "state=" + strings.Repeat("x", 100000), "code=" + strings.Repeat("c", 10000),
		"state=%FF%FE&code=%C0", "error=" + strings.Repeat("e", 5000),
	} {
		r := b.get("/oauth/mock/callback?" + q)
		if r.status >= 500 || r.status < 400 {
			t.Errorf("callback?%.40s: %d %s", q, r.status, r.body)
		}
	}
	if r := b.get("/oauth/nobody"); r.status != http.StatusNotFound {
		t.Fatalf("unknown provider: %d", r.status)
	}
	if r := b.get("/oauth/nobody/callback?state=x&code=y"); r.status != http.StatusNotFound {
		t.Fatalf("unknown provider's callback: %d", r.status)
	}
}

func TestCallback_ADatabaseFailureIsUnavailableWithoutItsText(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, err := w.db.Exec(`DROP TABLE authkit_identities CASCADE`); err != nil {
		t.Fatal(err)
	}
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	r := b.signIn("mock")
	if r.status != http.StatusServiceUnavailable || strings.Contains(r.body, "authkit_identities") || strings.Contains(r.body, "pq:") {
		t.Fatalf("callback: %d %q", r.status, r.body)
	}
}
