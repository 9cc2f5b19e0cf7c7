package httpapi_test

import (
	"strings"
	"testing"
)

func TestPasswordForgotAndReset_SetANewPasswordAndEndEverySession(t *testing.T) { // SEC-T3 SEC-E2
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	anon := s.client()

	anon.post("password/forgot", map[string]any{"email": "nobody@example.com"}).want(204)
	anon.post("password/forgot", map[string]any{"email": "ada@example.com"}).want(204)
	tok := s.mailToken("ada@example.com")

	anon.post("password/reset", map[string]any{"token": tok, "password": "short"}).wantError(400, "password_too_short")
	anon.post("password/reset", map[string]any{"token": "garbage", "password": "a new long password"}).wantError(400, "token_invalid")
	anon.post("password/reset", map[string]any{"token": tok, "password": "a new long password"}).want(204)
	anon.post("password/reset", map[string]any{"token": tok, "password": "a new long password"}).wantError(400, "token_invalid")

	c.get("session").wantError(401, "not_logged_in")
	login(anon, "ada@example.com").wantError(401, "invalid_credentials")
	anon.post("login", map[string]any{"email": "ada@example.com", "password": "a new long password"}).want(200)
}

func TestPasswordChange_NeedsTheCurrentPasswordAndKeepsThisSession(t *testing.T) { // SEC-P5 SEC-S5
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	other := s.client()
	login(other, "ada@example.com").want(200)

	c.post("password/change", map[string]any{"current_password": "wrong password", "new_password": "a new long password"}).wantError(401, "invalid_credentials")
	c.post("password/change", map[string]any{"current_password": password, "new_password": "a new long password"}).want(204)

	c.get("session").want(200)
	other.get("session").wantError(401, "not_logged_in")
	s.client().post("password/change", map[string]any{"current_password": password, "new_password": "x"}).wantError(401, "not_logged_in")
}

func TestEmailChange_TakesEffectWhenTheNewAddressConfirms(t *testing.T) { // SEC-T4 SEC-E8
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	s.signedUp("bob@example.com")

	// A taken address answers as any other, and its owner is told (SEC-E8).
	c.post("email/change", map[string]any{"email": "bob@example.com"}).want(204)
	if msg, err := s.mail.Wait(t.Context(), "bob@example.com"); err != nil || msg.Link != "" {
		t.Fatalf("the owner of the taken address got %+v, %v; want a notice without a link", msg, err)
	}
	c.post("email/change", map[string]any{"email": "not an address"}).wantError(400, "invalid_email")
	c.post("email/change", map[string]any{"email": "ada@new.example"}).want(204)
	if u := c.get("session").want(200).user(); u.Email != "ada@example.com" {
		t.Fatalf("the address changed before its confirmation: %s", u.Email)
	}

	c.post("email/change/confirm", map[string]any{"token": s.mailToken("ada@new.example")}).want(204)

	if u := c.get("session").want(200).user(); u.Email != "ada@new.example" {
		t.Fatalf("address = %s", u.Email)
	}
}

func TestUpdateUser_ChangesTheNameAndMetadataAndLeavesAbsentFields(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")

	u := c.do("PATCH", "/auth/user", map[string]any{"name": "Ada", "metadata": map[string]any{"theme": "dark"}}).want(200).user()
	if u.Name != "Ada" || u.Metadata["theme"] != "dark" {
		t.Fatalf("user = %+v", u)
	}
	u = c.do("PATCH", "/auth/user", map[string]any{"metadata": nil}).want(200).user()
	if u.Name != "Ada" || u.Metadata["theme"] != "dark" {
		t.Fatalf("null metadata changed the user: %+v", u)
	}
	u = c.do("PATCH", "/auth/user", `{"metadata":{}}`).want(200).user()
	if u.Name != "Ada" || len(u.Metadata) != 0 {
		t.Fatalf("after clearing the metadata: %+v", u)
	}
	c.do("PATCH", "/auth/user", map[string]any{"name": strings.Repeat("x", 201)}).wantError(400, "invalid_name")
	c.do("PATCH", "/auth/user", `{"metadata":[1,2]}`).wantError(400, "invalid_metadata")
	c.do("PATCH", "/auth/user", `{"name":5}`).wantError(400, "invalid_request")
	c.do("PATCH", "/auth/user", `{"metadata":{"a":"\u0000"}}`).wantError(400, "invalid_metadata")
	s.client().do("PATCH", "/auth/user", map[string]any{"name": "Eve"}).wantError(401, "not_logged_in")
}
