package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

func TestSignIn_StillAsksForTheLocalSecondFactor(t *testing.T) { // SEC-O3
	t.Parallel()
	w := newWorld(t, func(o *oauth.Options) { o.SecondFactorURL = "/login/second-factor" })
	id := w.user("ada@example.com", true)
	setup := w.browser()
	if err := setup.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	secret := setup.withTOTP()
	w.linkIdentity("mock", "ada-sub", id)

	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	r := b.get(b.authorize(b.begin("mock", "?next=/account")))
	want := "/login/second-factor?" + url.Values{"next": {"/account"}}.Encode()
	if r.status != http.StatusSeeOther || r.location != want {
		t.Fatalf("callback: %d %q, want a redirect to %q", r.status, r.location, want)
	}
	if b.userID() != 0 {
		t.Fatal("the provider alone logged the user in")
	}
	wantErr(t, b.err(func(r *http.Request) error { return authkit.From(r).CompleteTwoFactorLogin() }), authkit.ErrSecondFactorNotVerified)
	err := b.err(func(r *http.Request) error {
		a := authkit.From(r)
		if err := a.TwoFactor().VerifyTOTP(w.totp(secret)); err != nil {
			return err
		}
		return a.CompleteTwoFactorLogin()
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.userID() != id {
		t.Fatalf("after the second factor: logged in as %d, want %d", b.userID(), id)
	}
}

func TestSignIn_WithoutSecondFactorURLTheErrorHandlerAnswersAccepted(t *testing.T) { // SEC-O3
	t.Parallel()
	w := newWorld(t)
	id := w.user("ada@example.com", true)
	setup := w.browser()
	if err := setup.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	setup.withTOTP()
	w.linkIdentity("mock", "ada-sub", id)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	if r := b.signIn("mock"); r.status != http.StatusAccepted || !strings.Contains(r.body, "second factor required") {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	if b.userID() != 0 {
		t.Fatal("logged in without the second factor")
	}
}
