package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

func TestExchangeSession_TurnsTheLoginIntoTokensAndLeavesNoSession(t *testing.T) { // SEC-J1, SEC-J2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	c := e.client()
	resp, body := c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "remember": {"on"}, "token": {"1"}})
	var tok Tokens
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login for tokens: %d %s", resp.StatusCode, body)
	}
	srvURL, _ := url.Parse(e.srv.URL)
	if cookies := c.http.Jar.Cookies(srvURL); len(cookies) != 0 {
		t.Errorf("the login for tokens left the cookies %v", cookies)
	}
	if _, ok := c.me(""); ok {
		t.Fatal("the client is still logged in by a cookie")
	}
	for table, want := range map[string]int{"user_sessions": 0, "remembers": 0, "refresh_tokens": 1} {
		if n := e.count(`SELECT count(*) FROM authkit_`+table+` WHERE user_id = $1`, id); n != want {
			t.Errorf("%s has %d rows of the user, want %d", table, n, want)
		}
	}
	if m, ok := c.me(tok.AccessToken); !ok || m.ID != id || m.Via != "access_token" {
		t.Fatalf("the access token of the exchanged login: %+v", m)
	}
	e.mustRefresh(tok.RefreshToken)
	if n := e.count(`SELECT count(*) FROM authkit_audit WHERE event = 'tokens_issued' AND user_id = $1`, id); n != 1 {
		t.Errorf("%d audit entries of the exchange, want 1", n)
	}
}

func TestExchangeSession_WorksAfterTheSecondFactor(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	setup := e.client()
	setup.login("ada@example.com")
	_, secret := setup.post("/2fa/enroll", nil)
	code, err := twofactor.TOTPCode(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := setup.post("/2fa/confirm", url.Values{"code": {code}}); body != "ok" {
		t.Fatalf("confirm TOTP: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(30 * time.Second)

	c := e.client()
	resp, body := c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "token": {"1"}})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("login with a second factor: %d %s", resp.StatusCode, body)
	}
	code, _ = twofactor.TOTPCode(secret, e.clock.Now())
	resp, body = c.post("/login/totp", url.Values{"code": {code}})
	var tok Tokens
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatalf("second factor: %d %s", resp.StatusCode, body)
	}
	if m, ok := c.me(tok.AccessToken); !ok || m.ID != id {
		t.Fatalf("the access token after the second factor: %+v", m)
	}
	if _, ok := c.me(""); ok {
		t.Fatal("the client is still logged in by a cookie")
	}
}

func TestExchangeSession_NeedsACookieSession(t *testing.T) { // SEC-K2
	t.Parallel()
	e := newEnv(t)
	resp, _ := e.client().post("/exchange", nil)
	if resp.StatusCode != authkit.StatusCode(authkit.ErrNotLoggedIn) {
		t.Fatalf("exchanging an anonymous request: %d", resp.StatusCode)
	}
}

func TestIssueTokens_AppliesTheEligibilityRule(t *testing.T) { // SEC-S9
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	unverified, err := e.kit.Admin().CreateUser(ctx, "new@example.com", password, false)
	if err != nil {
		t.Fatal(err)
	}
	banned := e.user("banned@example.com")
	if err := e.kit.Admin().SetStatus(ctx, banned, authkit.StatusBanned); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		id       int64
		audience string
		want     error
	}{
		{"unconfirmed address", unverified, "", authkit.ErrEmailNotVerified},
		{"banned", banned, "", authkit.ErrAccountStatus},
		{"unknown user", 999999, "", authkit.ErrUserNotFound},
		{"unknown audience", e.user("ada@example.com"), "another-app", ErrUnknownAudience},
	} {
		tok, err := e.iss.IssueTokens(ctx, c.id, c.audience)
		if !errors.Is(err, c.want) || tok != nil {
			t.Errorf("%s: IssueTokens = %v, %v; want %v", c.name, tok, err, c.want)
		}
	}
	if n := e.count(`SELECT count(*) FROM authkit_refresh_tokens`); n != 0 {
		t.Fatalf("refused logins left %d refresh tokens", n)
	}
}
