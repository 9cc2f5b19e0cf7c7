package oauth_test

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

// providerToken asks for the kept access token in a request of b.
func providerToken(w *world, b *browser, refresh bool) (string, error) {
	return b.do(func(r *http.Request) (string, error) {
		get := w.svc.ProviderToken
		if refresh {
			get = w.svc.RefreshProviderToken
		}
		tok, err := get(r, "mock")
		if err != nil {
			return "", err
		}
		return tok.AccessToken, nil
	})
}

func TestProviderToken_IsHandedOutOnceAndKeptSealed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	var stored struct{ Access, Refresh []byte }
	if err := w.db.QueryRow(`SELECT access_token, refresh_token FROM authkit_provider_tokens`).Scan(&stored.Access, &stored.Refresh); err != nil {
		t.Fatal(err)
	}
	access, err := providerToken(w, b, false)
	if err != nil || access == "" {
		t.Fatalf("ProviderToken: %q %v", access, err)
	}
	if bytes.Contains(stored.Access, []byte(access)) || len(stored.Refresh) == 0 {
		t.Fatal("the provider's tokens are stored in clear, or the refresh token was not kept")
	}
	if _, err := providerToken(w, b, false); err == nil {
		t.Fatal("the access token was handed out twice")
	} else {
		wantErr(t, err, oauth.ErrNoProviderToken)
	}
	if _, err := providerToken(w, w.browser(), false); err == nil {
		t.Fatal("an anonymous request got a token")
	}
}

func TestRefreshProviderToken_GetsANewAccessTokenWithTheKeptRefreshToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	first, err := providerToken(w, b, false)
	if err != nil {
		t.Fatal(err)
	}
	w.oidc.FastForward(2e9) // the provider's tokens carry the second they were made
	fresh, err := providerToken(w, b, true)
	if err != nil || fresh == "" || fresh == first {
		t.Fatalf("refresh: %q %v (first %q)", fresh, err, first)
	}
}

func TestProviderTokens_DieWithARevocationOfTheUsersSessions(t *testing.T) { // SEC-S8
	t.Parallel()
	w := newWorld(t)
	w.user("ada@example.com", true)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	if err := b.err(func(r *http.Request) error { return authkit.From(r).LogoutEverywhere() }); err != nil {
		t.Fatal(err)
	}
	if n := w.count("provider_tokens", "TRUE"); n != 0 {
		t.Fatalf("%d provider token rows survived the revocation", n)
	}
	if err := b.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, refresh := range []bool{false, true} {
		_, err := providerToken(w, b, refresh)
		wantErr(t, err, oauth.ErrNoProviderToken)
	}
}

func TestKeepTokens_NeedsAnEncryptionKeyAndIsOffByDefault(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(o *oauth.Options) { o.KeepTokens = false })
	kit, err := authkit.New(authkit.Config{DB: w.db, Mailer: w.mail, BaseURL: "https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	_, err = oauth.New(kit, oauth.Options{Providers: []*oauth.Provider{oauth.Google("id", "secret")}, KeepTokens: true})
	if !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Fatalf("KeepTokens without a key: %v", err)
	}
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	if n := w.count("provider_tokens", "TRUE"); n != 0 {
		t.Fatal("tokens were kept without KeepTokens")
	}
	_, err = providerToken(w, b, false)
	wantErr(t, err, oauth.ErrNoProviderToken)
}

func TestNew_RefusesBadOptions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gh := oauth.GitHub("id", "secret")
	for name, o := range map[string]oauth.Options{
		"no provider":       {},
		"nil provider":      {Providers: []*oauth.Provider{nil}},
		"bad name":          {Providers: []*oauth.Provider{oauth.OIDC("My Provider", "https://id.example.com", "id", "s")}},
		"no client id":      {Providers: []*oauth.Provider{oauth.GitHub("", "secret")}},
		"no issuer":         {Providers: []*oauth.Provider{oauth.OIDC("corp", "", "id", "s")}},
		"two of one name":   {Providers: []*oauth.Provider{gh, gh}},
		"off-site ReturnTo": {Providers: []*oauth.Provider{gh}, ReturnTo: "//evil.example"},
		"bad prefix":        {Providers: []*oauth.Provider{gh}, Prefix: "auth/"},
	} {
		if _, err := oauth.New(w.kit, o); !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := oauth.New(nil, oauth.Options{Providers: []*oauth.Provider{gh}}); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("nil kit: %v", err)
	}
}
