package httpapi_test

import (
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
	authtokens "github.com/authkit/authkit/tokens"
)

func withTokens(t *testing.T, kit *authkit.Kit, o *httpapi.Options) {
	iss, err := authtokens.New(kit, authtokens.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	o.Tokens = iss
}

func withKey(cfg *authkit.Config, _ *httpapi.Options) {
	cfg.EncryptionKey = []byte("0123456789abcdef0123456789abcdef")
}

type tokenLogin struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func TestLogin_WithTokenTrueAnswersTokensAndNoCookie(t *testing.T) { // SEC-J1 SEC-J2 SEC-K2
	t.Parallel()
	s := newServerWith(t, withTokens, withKey)
	s.signedUp("ada@example.com")
	c := s.client()
	var got tokenLogin
	r := c.post("login", map[string]any{"email": "ada@example.com", "password": password, "remember": true, "token": true}).want(200)
	r.decode(&got)
	if got.AccessToken == "" || got.RefreshToken == "" || got.TokenType != "Bearer" || got.ExpiresIn <= 0 {
		t.Fatalf("login for tokens: %s", r.body)
	}
	if c.cookie("__Host-authkit_session") != nil || c.cookie("__Host-remember_token") != nil {
		t.Fatal("a login for tokens left a session or remember-me cookie")
	}
	c.get("session").wantError(401, "not_logged_in")

	mobile := s.client()
	mobile.header.Set("Authorization", "Bearer "+got.AccessToken)
	var session struct {
		Session struct {
			Via string `json:"via"`
		} `json:"session"`
	}
	mobile.get("session").want(200).decode(&session)
	if session.Session.Via != "access_token" {
		t.Fatalf("via %q", session.Session.Via)
	}
	mobile.post("password/change", map[string]any{"current_password": password, "new_password": "another long password"}).
		wantError(403, "cookie_session_required")

	var next tokenLogin
	s.client().post("token", map[string]any{"grant_type": "refresh_token", "refresh_token": got.RefreshToken}).want(200).decode(&next)
	if next.RefreshToken == "" || next.RefreshToken == got.RefreshToken {
		t.Fatalf("refresh gave %+v", next)
	}
	s.client().get(".well-known/jwks.json").want(200)
}

func TestLogin_WithTokenTrueAfterTheSecondFactor(t *testing.T) { // SEC-J1
	t.Parallel()
	s := newServerWith(t, withTokens, withKey)
	c := s.loggedIn("ada@example.com")
	secret, _ := c.withTOTP()
	c.post("logout", nil).want(204)
	c.post("login", map[string]any{"email": "ada@example.com", "password": password, "token": true}).want(202)
	var got tokenLogin
	c.post("login/second-factor", map[string]any{"method": "totp", "code": s.totp(secret), "token": true}).want(200).decode(&got)
	if got.AccessToken == "" {
		t.Fatal("no tokens after the second factor")
	}
	c.get("session").wantError(401, "not_logged_in")
}

func TestMountedRoutes_AnswerNotFoundWhenTheirPackageIsNotSetUp(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	c := s.client()
	c.post("token", map[string]any{"grant_type": "refresh_token", "refresh_token": "x"}).wantError(404, "not_found")
	c.get(".well-known/jwks.json").wantError(404, "not_found")
	c.get("oauth/github").wantError(404, "not_found")
	c.post("login/passkey/begin", nil).wantError(404, "not_found")
	c.post("login", map[string]any{"email": "ada@example.com", "password": password, "token": true}).wantError(400, "tokens_disabled")
}
