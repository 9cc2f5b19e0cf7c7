package httpapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/core"
)

// tokens is a bearer verifier as package tokens installs one: it knows
// its access tokens without asking the database.
type tokens map[string]core.Identity

func (ts tokens) Authenticate(_ context.Context, credential string) (core.Identity, error) {
	if id, ok := ts[credential]; ok {
		return id, nil
	}
	return core.Identity{}, errors.New("unknown token")
}

// withAccessToken logs a user in and returns a client that calls the
// API with an access token of theirs and no cookies.
func (s *server) withAccessToken(email string) *client {
	s.t.Helper()
	u := s.loggedIn(email).get("session").want(200).user()
	core.Of(s.kit).SetBearer(tokens{"access-token-of-" + email: {
		UserID: u.ID, Email: u.Email, Roles: u.Roles, IssuedAt: s.clock.Now(), ExpiresAt: s.clock.Now().Add(15 * time.Minute),
	}})
	c := s.client()
	c.header.Set("Authorization", "Bearer access-token-of-"+email)
	return c
}

func TestBearer_SessionAndProfileWorkWithAnAccessToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.withAccessToken("ada@example.com")

	var got struct {
		User    user
		Session map[string]any
	}
	c.get("session").want(200).decode(&got)
	if got.User.Email != "ada@example.com" || got.Session["via"] != "access_token" || got.Session["fresh"] != false ||
		got.Session["id"] != nil || got.Session["expires_at"] != nil {
		t.Fatalf("session = %+v", got)
	}
	if u := c.do("PATCH", "/auth/user", map[string]any{"name": "Ada"}).want(200).user(); u.Name != "Ada" {
		t.Fatalf("user = %+v", u)
	}
}

func TestBearer_AnAccessTokenCannotChangeCredentials(t *testing.T) { // SEC-K2
	t.Parallel()
	s := newServer(t)
	c := s.withAccessToken("ada@example.com")

	c.post("password/change", map[string]any{"current_password": password, "new_password": "a new long password"}).wantError(403, "cookie_session_required")
	c.post("email/change", map[string]any{"email": "eve@example.com"}).wantError(403, "cookie_session_required")
	c.get("two-factor").wantError(403, "cookie_session_required")
	c.post("two-factor/totp/enroll", nil).wantError(403, "cookie_session_required")
	c.post("two-factor/backup-codes", nil).wantError(403, "cookie_session_required")
	c.post("logout/everywhere", nil).wantError(403, "cookie_session_required")
	c.post("reauthenticate", map[string]any{"password": password}).wantError(403, "cookie_session_required")
}

func TestBearer_AnUnknownTokenIsAnonymousEvenBesideASessionCookie(t *testing.T) { // SEC-K2
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	c.header.Set("Authorization", "Bearer forged")

	c.get("session").wantError(401, "not_logged_in")
	c.do("PATCH", "/auth/user", map[string]any{"name": "Eve"}).wantError(401, "not_logged_in")

	c.header.Del("Authorization")
	if u := c.get("session").want(200).user(); u.Name != "" {
		t.Fatalf("the forged request changed the user: %+v", u)
	}
}
