package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestRegister_Answers201WithTheUserAndMailsTheConfirmation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client()

	u := c.post("register", map[string]any{"email": " Ada@Example.com ", "password": password, "name": "Ada"}).want(201).user()

	if u.ID == 0 || u.Email != "Ada@Example.com" || u.Name != "Ada" || u.EmailVerified || u.TwoFactorEnabled ||
		u.Roles == nil || len(u.Metadata) != 0 || u.CreatedAt.IsZero() {
		t.Fatalf("user = %+v", u)
	}
	c.post("login", map[string]any{"email": "ada@example.com", "password": password}).wantError(403, "email_not_verified")
	c.post("confirm", map[string]any{"token": s.mailToken("ada@example.com")}).want(204)
	c.post("login", map[string]any{"email": "ada@example.com", "password": password}).want(200)
}

func TestRegister_RefusesBadInputWithItsCode(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.signedUp("ada@example.com")
	c := s.client()
	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"email": "not an address", "password": password}, 400, "invalid_email"},
		{map[string]any{"email": "bob@example.com", "password": "short"}, 400, "password_too_short"},
		{map[string]any{"email": "bob@example.com", "password": "password123"}, 400, "password_too_common"},
		{map[string]any{"email": "bob@example.com", "password": password, "name": "Bob\u202E"}, 400, "invalid_name"},
		{map[string]any{"email": "ADA@example.com", "password": password}, 409, "email_taken"},
		{map[string]any{"email": "bob@example.com\x00", "password": password}, 400, "invalid_email"},
	} {
		c.post("register", tc.body).wantError(tc.status, tc.code)
	}
	// The refused name left no account behind.
	if _, err := s.kit.Admin().UserByEmail(t.Context(), "bob@example.com"); err == nil {
		t.Fatal("a refused registration made an account")
	}
}

func TestConfirm_RefusesGarbageAndUsedTokens(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client()
	c.post("register", map[string]any{"email": "ada@example.com", "password": password}).want(201)
	tok := s.mailToken("ada@example.com")

	c.post("confirm", map[string]any{"token": "garbage"}).wantError(400, "token_invalid")
	c.post("confirm", map[string]any{"token": strings.Repeat("a", 10000)}).wantError(400, "token_invalid")
	c.post("confirm", map[string]any{"token": tok}).want(204)
	c.post("confirm", map[string]any{"token": tok}).wantError(400, "token_invalid")
}

func TestConfirmResend_Answers204ForKnownAndUnknownAddressesAlike(t *testing.T) { // SEC-E2
	t.Parallel()
	s := newServer(t)
	c := s.client()
	c.post("register", map[string]any{"email": "ada@example.com", "password": password}).want(201)
	first := s.mailToken("ada@example.com")

	c.post("confirm/resend", map[string]any{"email": "ada@example.com"}).want(204)
	c.post("confirm/resend", map[string]any{"email": "nobody@example.com"}).want(204)
	c.post("confirm/resend", map[string]any{"email": "nonsense"}).wantError(400, "invalid_email")

	second := s.mailToken("ada@example.com")
	c.post("confirm", map[string]any{"token": first}).wantError(400, "token_invalid")
	c.post("confirm", map[string]any{"token": second}).want(http.StatusNoContent)
}
