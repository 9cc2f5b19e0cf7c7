package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

// nativeWorld is a world whose mock provider also has a native client.
func nativeWorld(t *testing.T) *world {
	return newWorld(t, func(o *oauth.Options) { o.Providers[0].Audiences = []string{"ios-client"} })
}

func signInIDToken(w *world, b *browser, in oauth.IDTokenSignIn) error {
	return b.err(func(r *http.Request) error { _, err := w.svc.SignInIDToken(r, in); return err })
}

func TestSignInIDToken_SignsInWithATokenANativeAppObtained(t *testing.T) {
	t.Parallel()
	w := nativeWorld(t)
	b := w.browser()
	raw := w.idToken(t, "ada-sub", "ada@example.com", "n-1", "ios-client")
	if err := signInIDToken(w, b, oauth.IDTokenSignIn{Provider: "mock", IDToken: raw, Nonce: "n-1"}); err != nil {
		t.Fatal(err)
	}
	if b.userID() == 0 || w.count("identities", "provider = 'mock' AND subject = 'ada-sub'") != 1 {
		t.Fatal("the id_token did not sign in")
	}
	// The web client's id_token works too, under the same account.
	other := w.browser()
	raw = w.idToken(t, "ada-sub", "ada@example.com", "n-2", w.oidc.ClientID)
	if err := signInIDToken(w, other, oauth.IDTokenSignIn{Provider: "mock", IDToken: raw, Nonce: "n-2"}); err != nil {
		t.Fatal(err)
	}
	if other.userID() != b.userID() {
		t.Fatal("the same provider account reached another account")
	}
}

func TestSignInIDToken_RefusesTokensThatDoNotCheckOut(t *testing.T) { // SEC-O1
	t.Parallel()
	w := nativeWorld(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := w.oidc.Keypair.KeyID()
	forged, err := (&mockoidc.Keypair{PrivateKey: key, PublicKey: &key.PublicKey, Kid: kid}).SignJWT(jwt.MapClaims{
		"iss": w.oidc.Issuer(), "sub": "victim-sub", "aud": "ios-client", "nonce": "n",
		"exp": time.Now().Add(time.Hour).Unix(), "email": "victim@example.com", "email_verified": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	expired := w.idToken(t, "ada-sub", "ada@example.com", "n", "ios-client")
	w.clock.Advance(11 * time.Minute)
	for name, in := range map[string]oauth.IDTokenSignIn{
		"another nonce":       {IDToken: w.idToken(t, "ada-sub", "ada@example.com", "n", "ios-client"), Nonce: "m"},
		"nonce not passed":    {IDToken: w.idToken(t, "ada-sub", "ada@example.com", "n", "ios-client")},
		"another audience":    {IDToken: w.idToken(t, "ada-sub", "ada@example.com", "n", "android-client"), Nonce: "n"},
		"expired":             {IDToken: expired, Nonce: "n"},
		"forged":              {IDToken: forged, Nonce: "n"},
		"empty":               {},
		"garbage":             {IDToken: "a.b.c", Nonce: "n"},
		"huge":                {IDToken: strings.Repeat("a", 20000), Nonce: "n"},
		"NUL bytes":           {IDToken: "eyJ\x00.eyJ\x00.\x00", Nonce: "n"},
		"invalid UTF-8":       {IDToken: "\xff\xfe.\xc0.x", Nonce: "n"},
		"an access token JWT": {IDToken: w.idToken(t, "", "", "n", "ios-client"), Nonce: "n"},
	} {
		in.Provider = "mock"
		b := w.browser()
		err := signInIDToken(w, b, in)
		if err == nil || !strings.Contains(err.Error(), oauth.ErrInvalidIDToken.Error()) || !strings.HasPrefix(err.Error(), "401 ") {
			t.Errorf("%s: %v, want 401 ErrInvalidIDToken", name, err)
		}
	}
	if n := w.count("users", "TRUE"); n != 0 {
		t.Fatalf("%d accounts made", n)
	}
	err = signInIDToken(w, w.browser(), oauth.IDTokenSignIn{Provider: "github", IDToken: "x"})
	wantErr(t, err, oauth.ErrIDTokensUnsupported)
}

func TestSignInIDToken_FollowsTheLinkingRules(t *testing.T) { // SEC-O2
	t.Parallel()
	w := nativeWorld(t)
	w.user("victim@example.com", false) // an attacker's unconfirmed account
	raw := w.idToken(t, "victim-sub", "victim@example.com", "n", "ios-client")
	b := w.browser()
	err := signInIDToken(w, b, oauth.IDTokenSignIn{Provider: "mock", IDToken: raw, Nonce: "n"})
	if err == nil || !strings.HasPrefix(err.Error(), "409 ") || b.userID() != 0 {
		t.Fatalf("sign-in into an unconfirmed account: %v", err)
	}
}

func TestLinkIDToken_LinksToAFreshUser(t *testing.T) {
	t.Parallel()
	w := nativeWorld(t)
	id := w.user("ada@example.com", true)
	b := w.browser()
	if err := b.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	raw := w.idToken(t, "ada-phone", "ada@icloud.example", "n", "ios-client")
	link := func(b *browser) error {
		return b.err(func(r *http.Request) error {
			_, err := w.svc.LinkIDToken(r, oauth.IDTokenSignIn{Provider: "mock", IDToken: raw, Nonce: "n"})
			return err
		})
	}
	wantErr(t, link(w.browser()), authkit.ErrNotLoggedIn)
	if err := link(b); err != nil {
		t.Fatal(err)
	}
	if n := w.count("identities", "user_id = $1 AND subject = 'ada-phone'", id); n != 1 {
		t.Fatal("not linked")
	}
}
