package tokens

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// decodeSegment decodes one part of a JWT.
func decodeSegment(t *testing.T, jwtString string, n int, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwtString, ".")[n])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestAccessToken_IsAnEdDSAJWTWithTheClaimsOfItsLogin(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	if err := e.kit.Admin().AddRole(context.Background(), id, "admin"); err != nil {
		t.Fatal(err)
	}
	tok := e.issue(id)

	var header map[string]any
	decodeSegment(t, tok.AccessToken, 0, &header)
	if header["alg"] != "EdDSA" || header["typ"] != "at+jwt" || header["kid"] != e.iss.ring.Load().signer(e.clock.Now()).kid {
		t.Errorf("header = %v, want alg EdDSA, typ at+jwt and the signing key's kid", header)
	}
	var claims map[string]any
	decodeSegment(t, tok.AccessToken, 1, &claims)
	now := float64(e.clock.Now().Unix())
	want := map[string]any{
		"sub": strconv.FormatInt(id, 10), "iss": "https://auth.example.com", "aud": []any{"mobile"},
		"iat": now, "exp": now + 600, "email": "ada@example.com", "roles": []any{"admin"},
	}
	for k, v := range want {
		if got, _ := json.Marshal(claims[k]); string(got) != mustJSON(t, v) {
			t.Errorf("claim %s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	if claims["jti"] == "" || claims["sid"] == "" {
		t.Errorf("claims %v lack jti or sid", claims)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 600 {
		t.Errorf("token_type %q, expires_in %d; want Bearer, 600", tok.TokenType, tok.ExpiresIn)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMiddleware_AcceptsAnAccessTokenAsItsUserWithoutACookieSession(t *testing.T) { // SEC-J1, SEC-K2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	tok := e.issue(id)
	c := e.client()

	resp, body := c.get("/me", tok.AccessToken)
	var m me
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("GET /me: %d %s", resp.StatusCode, body)
	}
	if m.ID != id || m.Email != "ada@example.com" || m.Via != string(authkit.ViaAccessToken) {
		t.Errorf("GET /me = %+v, want user %d by access token", m, id)
	}
	if cookies := resp.Cookies(); len(cookies) != 0 {
		t.Errorf("a bearer request got cookies %v", cookies)
	}
	// Cookie-only actions are refused to an access token (SEC-K2).
	req, _ := newForm(e, "/password", url.Values{"current": {password}, "new": {"another good password"}})
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, body := c.do(req); resp.StatusCode != authkit.StatusCode(authkit.ErrCookieSessionRequired) {
		t.Errorf("changing the password with an access token: %d %s", resp.StatusCode, body)
	}
	// Nor can an access token be traded for a lasting login.
	req, _ = newForm(e, "/exchange", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, body := c.do(req); resp.StatusCode != authkit.StatusCode(authkit.ErrCookieSessionRequired) {
		t.Errorf("exchanging an access token for tokens: %d %s", resp.StatusCode, body)
	}
}

func TestMiddleware_AccessTokenScopesAreTheUsersRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	plain, admin := e.user("plain@example.com"), e.user("admin@example.com")
	if err := e.kit.Admin().AddRole(context.Background(), admin, "admin"); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if m, _ := c.me(e.issue(plain).AccessToken); m.Admin {
		t.Error("a user without the admin role has the admin scope")
	}
	if m, _ := c.me(e.issue(admin).AccessToken); !m.Admin || len(m.Roles) != 1 {
		t.Errorf("admin's access token: %+v, want the admin role and scope", m)
	}
}

// forge signs claims like an access token's with method and key, under
// kid.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "at+jwt"
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validClaims are the claims of a valid access token of user 1 at now.
func validClaims(now time.Time) *accessClaims {
	return &accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "https://auth.example.com", Subject: "1", Audience: jwt.ClaimStrings{"mobile"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)), ID: "j",
		},
		Roles: []string{}, SessionID: "s",
	}
}

func TestVerify_RefusesEveryTokenThatIsNotAValidAccessTokenOfThisIssuer(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	now := e.clock.Now()
	key := e.iss.ring.Load().signer(now)
	_, foreignKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(c *accessClaims)) *accessClaims {
		c := validClaims(now)
		c.Subject = strconv.FormatInt(id, 10)
		change(c)
		return c
	}
	signed := func(c *accessClaims) string { return forge(t, jwt.SigningMethodEdDSA, key.private, key.kid, c) }
	noneToken := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, key.kid, with(func(*accessClaims) {}))
	untyped := jwt.NewWithClaims(jwt.SigningMethodEdDSA, with(func(*accessClaims) {}))
	untyped.Header["kid"] = key.kid
	untypedToken, err := untyped.SignedString(key.private)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := e.iss.Verify(signed(with(func(*accessClaims) {}))); err != nil {
		t.Fatalf("the valid token of the cases below is refused: %v", err)
	}
	for _, c := range []struct{ name, token string }{
		{"alg none", noneToken},
		{"HS256 keyed with the public key", forge(t, jwt.SigningMethodHS256, []byte(key.public), key.kid, with(func(*accessClaims) {}))},
		{"HS256 keyed with the public key's JWK x", forge(t, jwt.SigningMethodHS256,
			[]byte(base64.RawURLEncoding.EncodeToString(key.public)), key.kid, with(func(*accessClaims) {}))},
		{"signed by another Ed25519 key under the right kid", forge(t, jwt.SigningMethodEdDSA, foreignKey, key.kid, with(func(*accessClaims) {}))},
		{"unknown kid", forge(t, jwt.SigningMethodEdDSA, key.private, "no-such-key", with(func(*accessClaims) {}))},
		{"no kid", forge(t, jwt.SigningMethodEdDSA, key.private, "", with(func(*accessClaims) {}))},
		{"typ JWT, not at+jwt", untypedToken},
		{"wrong audience", signed(with(func(c *accessClaims) { c.Audience = jwt.ClaimStrings{"another-app"} }))},
		{"no audience", signed(with(func(c *accessClaims) { c.Audience = nil }))},
		{"wrong issuer", signed(with(func(c *accessClaims) { c.Issuer = "https://evil.example.com" }))},
		{"no issuer", signed(with(func(c *accessClaims) { c.Issuer = "" }))},
		{"expired beyond the leeway", signed(with(func(c *accessClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-11 * time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-31 * time.Second))
		}))},
		{"no expiry", signed(with(func(c *accessClaims) { c.ExpiresAt = nil }))},
		{"issued in the future beyond the leeway", signed(with(func(c *accessClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute))
			c.ExpiresAt = jwt.NewNumericDate(now.Add(11 * time.Minute))
		}))},
		{"lives longer than 15 minutes", signed(with(func(c *accessClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(16 * time.Minute)) }))},
		{"subject not a user id", signed(with(func(c *accessClaims) { c.Subject = "ada" }))},
		{"no session id", signed(with(func(c *accessClaims) { c.SessionID = "" }))},
		{"empty", ""},
		{"garbage", "a.b.c"},
		{"NUL bytes", "eyJ\x00.eyJ\x00.\x00"},
		{"huge", strings.Repeat("A", 5000)},
		{"a refresh token", e.issue(id).RefreshToken},
	} {
		if claims, err := e.iss.Verify(c.token); err != ErrAccessTokenInvalid {
			t.Errorf("%s: Verify = %+v, %v; want ErrAccessTokenInvalid", c.name, claims, err)
		}
		if strings.ContainsRune(c.token, 0) {
			continue // no HTTP client sends it
		}
		if m, ok := e.client().me(c.token); ok {
			t.Errorf("%s: the middleware let the request in as %+v", c.name, m)
		}
	}
}

func TestVerify_AllowsTheLeewayAroundExpiry(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	e.clock.Advance(10*time.Minute + 29*time.Second)
	if _, err := e.iss.Verify(tok.AccessToken); err != nil {
		t.Fatalf("within the 30 s leeway after exp: %v", err)
	}
	e.clock.Advance(2 * time.Second)
	if _, err := e.iss.Verify(tok.AccessToken); err != ErrAccessTokenInvalid {
		t.Fatalf("past the leeway: %v, want ErrAccessTokenInvalid", err)
	}
}

func TestVerify_RunsNoQuery(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	e.probe.Counter().Store(0)
	for range 10 {
		if _, ok := e.client().me(tok.AccessToken); !ok {
			t.Fatal("the access token was refused")
		}
	}
	if n := e.probe.Statements(); n != 0 {
		t.Fatalf("10 requests with an access token ran %d statements, want 0", n)
	}
}

// forget empties the remembered tokens, so that the next verification
// checks the signature again.
func (v *verifiedTokens) forget() {
	v.mu.Lock()
	defer v.mu.Unlock()
	clear(v.m)
}

func TestVerify_RemembersABoundedNumberOfVerifiedTokens(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	for n := range maxVerified {
		e.iss.verified.put(strconv.Itoa(n), "kid", &Claims{ExpiresAt: now.Add(time.Minute)})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for n := range 50 {
				u := core.User{ID: int64(g*maxVerified + n + 1), Email: "u@example.com"}
				access, err := e.iss.signAccess(u, "mobile", "family", now)
				if err != nil {
					t.Error(err)
					return
				}
				for range 2 { // the second comes from memory
					if c, err := e.iss.Verify(access); err != nil || c.UserID != u.ID {
						t.Errorf("Verify = %+v, %v", c, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	e.iss.verified.mu.RLock()
	defer e.iss.verified.mu.RUnlock()
	if n := len(e.iss.verified.m); n > maxVerified || n == 0 {
		t.Fatalf("%d tokens remembered, want between 1 and %d", n, maxVerified)
	}
}
