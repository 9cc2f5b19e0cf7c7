package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

func login(c *client, email string) *response {
	return c.post("login", map[string]any{"email": email, "password": password})
}

func TestLogin_Answers200WithTheUserAndANewSessionCookie(t *testing.T) { // SEC-S2
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	c := s.client()
	c.get("session").wantError(401, "not_logged_in")
	c.post("logout", nil).want(204) // gives the client a pre-login session
	before := c.cookie("__Host-authkit_session")

	u := login(c, "ada@example.com").want(200).user()

	after := c.cookie("__Host-authkit_session")
	if u.Email != "ada@example.com" || !u.EmailVerified || after == nil || (before != nil && before.Value == after.Value) {
		t.Fatalf("user %+v, cookie before %v after %v", u, before, after)
	}
	var got struct {
		User    user
		Session struct {
			ID        string
			Via       string
			Fresh     bool
			CreatedAt time.Time `json:"created_at"`
			ExpiresAt time.Time `json:"expires_at"`
		}
	}
	c.get("session").want(200).decode(&got)
	if got.User.ID != u.ID || got.Session.Via != "cookie" || !got.Session.Fresh || got.Session.ID == "" ||
		!got.Session.ExpiresAt.After(got.Session.CreatedAt) || got.Session.ID == after.Value {
		t.Fatalf("session = %+v", got)
	}
}

func TestLogin_RefusesWrongPasswordsUnknownAccountsAndBannedOnes(t *testing.T) { // SEC-E1
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	s.signedUp("eve@example.com")
	c := s.client()

	c.post("login", map[string]any{"email": "ada@example.com", "password": "wrong password"}).wantError(401, "invalid_credentials")
	login(c, "nobody@example.com").wantError(401, "invalid_credentials")

	eve, err := s.kit.Admin().UserByEmail(t.Context(), "eve@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.kit.Admin().SetStatus(t.Context(), eve.ID, authkit.StatusPendingReview); err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Status string }
	}
	login(c, "eve@example.com").wantError(403, "account_status").decode(&e)
	if e.Error.Status != "pending_review" {
		t.Fatalf("status = %q, want pending_review", e.Error.Status)
	}
}

func TestLogin_Answers429WithRetryAfterWhenThrottled(t *testing.T) { // SEC-E3
	t.Parallel()
	s := newServer(t, func(cfg *authkit.Config, _ *httpapi.Options) {
		cfg.Limits.LoginPerIP = authkit.Limit{Burst: 2, Every: time.Minute}
	})
	s.signedUp("ada@example.com")
	c := s.client()
	wrong := map[string]any{"email": "ada@example.com", "password": "wrong password"}
	c.post("login", wrong).wantError(401, "invalid_credentials")
	c.post("login", wrong).wantError(401, "invalid_credentials")

	r := c.post("login", wrong).wantError(429, "too_many_requests")

	var e struct {
		Error struct {
			RetryAfter int `json:"retry_after"`
		}
	}
	r.decode(&e)
	if h := r.header.Get("Retry-After"); h != strconv.Itoa(e.Error.RetryAfter) || e.Error.RetryAfter < 1 || e.Error.RetryAfter > 60 {
		t.Fatalf("Retry-After %q, retry_after %d", h, e.Error.RetryAfter)
	}
}

func TestLogin_WithASecondFactorAnswers202WithTheMethodsAndNoCode(t *testing.T) { // SEC-F7
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	c.withTOTP()
	c.post("two-factor/email/enroll", nil).want(204)
	c.post("two-factor/email/confirm", map[string]any{"code": s.mailCode("ada@example.com")}).want(200)

	other := s.client()
	r := login(other, "ada@example.com").want(202)

	var got struct {
		SecondFactor struct {
			Methods []struct{ Method, Contact string }
		} `json:"second_factor"`
	}
	r.decode(&got)
	m := got.SecondFactor.Methods
	if len(m) != 3 || m[0].Method != "totp" || m[1].Method != "email" || m[1].Contact != "a***@example.com" || m[2].Method != "backup" {
		t.Fatalf("methods = %+v", m)
	}
	if sixDigits.Match(r.body) {
		t.Fatalf("the answer holds a code: %s", r.body)
	}
	other.get("session").wantError(401, "not_logged_in")
}

func TestSecondFactor_TOTPCompletesTheLoginWith200(t *testing.T) { // SEC-F1 SEC-S2
	t.Parallel()
	s := newServer(t)
	secret, _ := s.loggedIn("ada@example.com").withTOTP()
	c := s.client()
	login(c, "ada@example.com").want(202)
	pending := c.cookie("__Host-authkit_session")

	c.post("login/second-factor", map[string]any{"method": "totp", "code": "000000"}).wantError(401, "second_factor_invalid")
	c.post("login/second-factor", map[string]any{"method": "totp", "code": "12 34"}).wantError(401, "second_factor_invalid")
	u := c.post("login/second-factor", map[string]any{"method": "totp", "code": s.totp(secret)}).want(200).user()

	if !u.TwoFactorEnabled || c.cookie("__Host-authkit_session").Value == pending.Value {
		t.Fatalf("user %+v; the pending login's cookie survived", u)
	}
	c.get("session").want(200)
}

func TestSecondFactor_EmailCodeIsSentOnRequestAndCompletesTheLogin(t *testing.T) { // SEC-F3
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	c.post("two-factor/email/enroll", nil).want(204)
	c.post("two-factor/email/confirm", map[string]any{"code": s.mailCode("ada@example.com")}).want(200)

	other := s.client()
	login(other, "ada@example.com").want(202)
	other.post("login/second-factor/send", map[string]any{"method": "sms"}).wantError(400, "method_not_enabled")
	other.post("login/second-factor/send", map[string]any{"method": "email"}).want(204)
	other.post("login/second-factor/send", map[string]any{"method": "email"}).wantError(429, "too_many_requests")
	code := s.mailCode("ada@example.com")

	other.post("login/second-factor", map[string]any{"method": "email", "code": code}).want(200)
}

func TestSecondFactor_WithoutAPendingLoginIs401(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client()
	c.post("login/second-factor/send", map[string]any{"method": "email"}).wantError(401, "no_pending_login")
	c.post("login/second-factor", map[string]any{"method": "totp", "code": "123456"}).wantError(401, "no_pending_login")
	c.post("login/second-factor", map[string]any{"method": "carrier-pigeon", "code": "123456"}).wantError(400, "method_not_enabled")
}

func TestSecondFactor_ABackupCodeCompletesTheLoginOnce(t *testing.T) { // SEC-F4
	t.Parallel()
	s := newServer(t)
	_, codes := s.loggedIn("ada@example.com").withTOTP()
	c := s.client()
	login(c, "ada@example.com").want(202)
	c.post("login/second-factor", map[string]any{"method": "backup", "code": codes[0]}).want(200)

	again := s.client()
	login(again, "ada@example.com").want(202)
	again.post("login/second-factor", map[string]any{"method": "backup", "code": codes[0]}).wantError(401, "second_factor_invalid")
}

func TestLogout_EndsTheSessionOnTheServer(t *testing.T) { // SEC-S3
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	stolen := *c.cookie("__Host-authkit_session")

	c.post("logout", nil).want(204)

	c.get("session").wantError(401, "not_logged_in")
	thief := s.client()
	thief.do("GET", "/auth/session", nil, "Cookie", stolen.Name+"="+stolen.Value).wantError(401, "not_logged_in")
}

func TestLogoutEverywhere_EndsEverySessionOfTheUser(t *testing.T) { // SEC-S5
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	other := s.client()
	login(other, "ada@example.com").want(200)

	c.post("logout/everywhere", map[string]any{}).want(204)

	c.get("session").wantError(401, "not_logged_in")
	other.get("session").wantError(401, "not_logged_in")
	c.post("logout/everywhere", nil).wantError(401, "not_logged_in")
}

func TestLogoutOthers_KeepsOnlyThisSession(t *testing.T) { // SEC-S5
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	other := s.client()
	login(other, "ada@example.com").want(200)

	c.post("logout/others", nil).want(204)

	c.get("session").want(200)
	other.get("session").wantError(401, "not_logged_in")
}

func TestReauthenticate_MakesARememberedSessionFresh(t *testing.T) { // SEC-S7 SEC-S2
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	c := s.client()
	c.post("login", map[string]any{"email": "ada@example.com", "password": password, "remember": true}).want(200)
	c.http.Jar.SetCookies(mustURL(t, s.srv.URL), []*http.Cookie{{Name: "__Host-authkit_session", Path: "/", MaxAge: -1}})

	var got struct {
		Session struct {
			Via   string
			Fresh bool
		}
	}
	c.get("session").want(200).decode(&got)
	if got.Session.Via != "remembered" || got.Session.Fresh {
		t.Fatalf("restored session = %+v", got.Session)
	}
	c.post("two-factor/totp/enroll", nil).wantError(403, "reauthentication_required")
	c.post("reauthenticate", map[string]any{"password": "wrong password"}).wantError(401, "invalid_credentials")
	c.post("reauthenticate", map[string]any{"password": password}).want(204)

	c.get("session").want(200).decode(&got)
	if got.Session.Via != "cookie" || !got.Session.Fresh {
		t.Fatalf("after reauthenticating: %+v", got.Session)
	}
	c.post("two-factor/totp/enroll", nil).want(200)
}

func TestLoginLink_MailsALinkWhoseTokenLogsInOnce(t *testing.T) { // SEC-E2 SEC-L1
	t.Parallel()
	s := newServer(t)
	s.loggedIn("ada@example.com")
	anon := s.client()
	anon.post("login/link", map[string]any{"email": "nobody@example.com"}).want(204)
	anon.post("login/link", map[string]any{"email": "ada@example.com", "next": "//evil.example"}).wantError(400, "invalid_next")
	anon.post("login/link", map[string]any{"email": "ada@example.com", "next": "/account"}).want(204)
	tok := s.mailToken("ada@example.com")
	anon.post("login/link/verify", map[string]any{"token": "garbage"}).wantError(400, "token_invalid")
	anon.post("login/link/verify", map[string]any{"token": tok}).want(200)
	anon.get("session").want(200)
	s.client().post("login/link/verify", map[string]any{"token": tok}).wantError(400, "token_invalid")
}
