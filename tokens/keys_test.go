package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// hourlyKeys rotates the signing keys every hour.
func hourlyKeys(_ *authkit.Config, tc *Config) { tc.KeyRotation = time.Hour }

// kidOf returns the kid of an access token.
func kidOf(t *testing.T, access string) string {
	t.Helper()
	var header struct{ Kid string }
	decodeSegment(t, access, 0, &header)
	return header.Kid
}

// jwks fetches the JWKS and returns its kids.
func (e *env) jwks() (kids []string, resp *http.Response, set jose.JSONWebKeySet) {
	e.t.Helper()
	resp, body := e.client().get("/jwks", "")
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		e.t.Fatalf("GET /jwks: %d %s", resp.StatusCode, body)
	}
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids, resp, set
}

func (e *env) refreshKeys() {
	e.t.Helper()
	if err := e.iss.refreshKeys(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func TestKeys_RotationPublishesTheNextKeyBeforeItSigns(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t, hourlyKeys)
	id := e.user("ada@example.com")
	first := kidOf(t, e.issue(id).AccessToken)
	start := e.clock.Now()

	e.clock.Advance(time.Hour - rotateAhead - time.Second)
	e.refreshKeys()
	if kids, _, _ := e.jwks(); len(kids) != 1 {
		t.Fatalf("the next key was published %v before it signs: JWKS %v", rotateAhead+time.Second, kids)
	}
	e.clock.Advance(2 * time.Second)
	e.refreshKeys()
	kids, _, _ := e.jwks()
	if len(kids) != 2 || kids[0] != first {
		t.Fatalf("within %v of the rotation the JWKS is %v, want the current key and the next", rotateAhead, kids)
	}
	next := kids[1]
	e.clock.Set(start.Add(time.Hour - time.Second))
	before := e.issue(id)
	if kid := kidOf(t, before.AccessToken); kid != first {
		t.Fatalf("the next key (%s) signs before its time; want %s", kid, first)
	}

	// The next key takes over at its time, with no reload needed: every
	// instance has it already.
	e.clock.Set(start.Add(time.Hour))
	after := e.issue(id)
	if kid := kidOf(t, after.AccessToken); kid != next {
		t.Fatalf("after the rotation tokens are signed by %s, want %s", kid, next)
	}
	for _, tok := range []*Tokens{before, after} {
		if _, err := e.iss.Verify(tok.AccessToken); err != nil {
			t.Errorf("a token of key %s is refused after the rotation: %v", kidOf(t, tok.AccessToken), err)
		}
	}
}

func TestKeys_ARetiredKeyVerifiesItsTokensUntilTheyExpireAndNothingAfter(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t, hourlyKeys)
	id := e.user("ada@example.com")
	start := e.clock.Now()
	retired := e.iss.ring.Load().signer(start)
	forgeNow := func() string {
		now := e.clock.Now()
		c := validClaims(now)
		c.Subject = "1"
		return forge(t, jwt.SigningMethodEdDSA, retired.private, retired.kid, c)
	}

	e.clock.Set(start.Add(time.Hour - rotateAhead))
	e.refreshKeys() // publishes the next key
	e.clock.Set(start.Add(time.Hour - time.Second))
	last := e.issue(id)
	e.clock.Set(start.Add(time.Hour)) // the next key takes over
	e.refreshKeys()
	e.clock.Advance(time.Minute)
	if _, err := e.iss.Verify(last.AccessToken); err != nil {
		t.Fatalf("the retired key's last token is refused before it expires: %v", err)
	}
	// Within its retention, the retired key still vouches only for what it
	// signed while it signed (give or take the leeway): a token it "signs"
	// now is forged.
	if _, err := e.iss.Verify(forgeNow()); err != ErrAccessTokenInvalid {
		t.Fatalf("a token signed by the retired key after it retired: %v, want ErrAccessTokenInvalid", err)
	}

	// After the longest lifetime and the leeway, the key is gone.
	e.clock.Set(start.Add(time.Hour + MaxAccessLifetime + 31*time.Second))
	e.refreshKeys()
	if kids, _, _ := e.jwks(); len(kids) != 1 || kids[0] == retired.kid {
		t.Fatalf("the JWKS still has the retired key: %v", kids)
	}
	if n := e.count(`SELECT count(*) FROM authkit_signing_keys WHERE kid = $1`, retired.kid); n != 0 {
		t.Fatal("the retired key is still in the database")
	}
	if _, err := e.iss.Verify(forgeNow()); err != ErrAccessTokenInvalid {
		t.Fatalf("a token signed by the retired key after its grace: %v, want ErrAccessTokenInvalid", err)
	}
	if m, ok := e.client().me(forgeNow()); ok {
		t.Fatalf("the middleware accepts a token of the retired key as %+v", m)
	}
}

func TestKeys_PrivateHalvesAreSealedWithTheKitsEncryptionKey(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	k := e.iss.ring.Load().signer(e.clock.Now())
	var sealed []byte
	if err := e.db.Get(&sealed, `SELECT private_key FROM authkit_signing_keys WHERE kid = $1`, k.kid); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, k.private.Seed()) {
		t.Fatal("the database holds the signing key in clear")
	}
	if _, err := twofactor.Open(bytes.Repeat([]byte{8}, 32), sealed, sealedAD(k.kid)); err == nil {
		t.Fatal("another key opens the sealed signing key")
	}

	// An instance with another EncryptionKey cannot sign, and says so.
	other := e.otherKit(bytes.Repeat([]byte{8}, 32))
	if _, err := New(other, Config{}); !errors.Is(err, authkit.ErrInternal) {
		t.Fatalf("New with another EncryptionKey: %v, want ErrInternal", err)
	}
}

func TestKeys_InstancesStartingTogetherShareOneKeyAndOneSuccessor(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t, hourlyKeys)
	if _, err := e.db.Exec(`DELETE FROM authkit_signing_keys`); err != nil {
		t.Fatal(err)
	}
	const n = 4
	issuers := make([]*Issuer, n)
	var wg sync.WaitGroup
	for i := range issuers {
		kit := e.otherKit(testKey)
		wg.Go(func() {
			iss, err := New(kit, Config{Audiences: []string{"mobile"}, KeyRotation: time.Hour})
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { iss.Close() })
			issuers[i] = iss
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if k := e.count(`SELECT count(*) FROM authkit_signing_keys`); k != 1 {
		t.Fatalf("%d instances starting at once made %d keys, want 1", n, k)
	}
	e.clock.Advance(time.Hour - rotateAhead)
	for _, iss := range issuers {
		wg.Go(func() {
			if err := iss.refreshKeys(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if k := e.count(`SELECT count(*) FROM authkit_signing_keys`); k != 2 {
		t.Fatalf("%d instances rotating at once left %d keys, want 2", n, k)
	}
	id := e.user("ada@example.com")
	tok, err := issuers[0].IssueTokens(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, iss := range issuers {
		if _, err := iss.Verify(tok.AccessToken); err != nil {
			t.Errorf("instance %d refuses instance 0's token: %v", i, err)
		}
	}
}

func TestJWKS_ServesThePublicKeysWithCacheHeaders(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	_, resp, set := e.jwks()
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	keys := set.Key(kidOf(t, tok.AccessToken))
	if len(keys) != 1 || keys[0].Algorithm != "EdDSA" || keys[0].Use != "sig" || !keys[0].IsPublic() {
		t.Fatalf("JWKS entry of the token's kid: %+v", keys)
	}
	// Another service verifies the token with the published key alone.
	_, err := jwt.Parse(tok.AccessToken, func(*jwt.Token) (any, error) { return keys[0].Key, nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience("mobile"), jwt.WithIssuer("https://auth.example.com"),
		jwt.WithTimeFunc(e.clock.Now))
	if err != nil {
		t.Fatalf("the JWKS key does not verify the token: %v", err)
	}

	req, _ := newForm(e, "/jwks", nil)
	if resp, _ := e.client().do(req); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /jwks: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
