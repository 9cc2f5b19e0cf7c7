package httpapi_test

import (
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

// guestUser is the part of a {user} body these tests read.
type guestUser struct {
	User struct {
		ID        int64
		Email     string
		Anonymous bool
	}
}

func TestLoginAnonymous_ThenRegisterFromTheSameCookiesKeepsTheUserID(t *testing.T) { // SEC-A1
	s := newServer(t, func(c *authkit.Config, _ *httpapi.Options) { c.DisableEmailVerification = true })
	c := s.client()
	var guest guestUser
	c.post("login/anonymous", nil).want(200).decode(&guest)
	if guest.User.ID == 0 || !guest.User.Anonymous || guest.User.Email != "" {
		t.Fatalf("guest = %+v", guest.User)
	}
	var now guestUser
	c.get("session").want(200).decode(&now)
	if now.User.ID != guest.User.ID || !now.User.Anonymous {
		t.Fatalf("session of the guest = %+v", now.User)
	}
	c.post("reauthenticate", map[string]any{"password": ""}).wantError(403, "anonymous")

	var reg guestUser
	c.post("register", map[string]any{"email": "guest@example.com", "password": password}).want(201).decode(&reg)
	if reg.User.ID != guest.User.ID || reg.User.Anonymous || reg.User.Email != "guest@example.com" {
		t.Fatalf("registered = %+v, want the guest's id %d upgraded", reg.User, guest.User.ID)
	}
	c.get("session").want(200).decode(&now)
	if now.User.ID != guest.User.ID || now.User.Anonymous {
		t.Fatalf("session after the upgrade = %+v", now.User)
	}
}

func TestLoginAnonymous_IsThrottledPerIPAndRefusesABody(t *testing.T) { // SEC-A1 SEC-H1
	s := newServer(t, func(c *authkit.Config, _ *httpapi.Options) {
		c.Limits.AnonymousPerIP = authkit.Limit{Burst: 1, Every: 3600e9}
	})
	s.client().post("login/anonymous", map[string]any{"email": "x@example.com"}).wantError(400, "invalid_request")
	s.client().post("login/anonymous", nil).want(200)
	s.client().post("login/anonymous", nil).wantError(429, "too_many_requests")
}
