package httpapi_test

import (
	"strings"
	"testing"
)

type deviceList struct {
	Sessions []struct {
		ID         string `json:"id"`
		Current    bool   `json:"current"`
		Remembered bool   `json:"remembered"`
		UserAgent  string `json:"user_agent"`
	} `json:"sessions"`
}

func TestSessions_ListAndEndTheUsersOwnDevices(t *testing.T) { // SEC-D1
	t.Parallel()
	s := newServer(t)
	laptop := s.loggedIn("ada@example.com")
	phone := s.client()
	login(phone, "ada@example.com").want(200)
	bob := s.loggedIn("bob@example.com")

	var list deviceList
	laptop.get("sessions").want(200).decode(&list)
	if len(list.Sessions) != 2 {
		t.Fatalf("ada sees %d sessions: %+v", len(list.Sessions), list)
	}
	var other string
	for _, d := range list.Sessions {
		if !d.Current {
			other = d.ID
		}
	}
	var bobs deviceList
	bob.get("sessions").want(200).decode(&bobs)
	laptop.do("DELETE", "/auth/sessions/"+bobs.Sessions[0].ID, nil).wantError(404, "not_found")
	bob.get("session").want(200)

	laptop.do("DELETE", "/auth/sessions/"+other, nil).want(204)
	phone.get("session").wantError(401, "not_logged_in")
	laptop.get("session").want(200)

	login(phone, "ada@example.com").want(200)
	laptop.post("sessions/revoke-others", nil).want(204)
	phone.get("session").wantError(401, "not_logged_in")
	s.client().get("sessions").wantError(401, "not_logged_in")
}

func TestAPIKeys_CreateListUseAndRevokeOverTheAPI(t *testing.T) { // SEC-K1 SEC-K2
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	c.post("api-keys", map[string]any{"name": ""}).wantError(400, "invalid_api_key_spec")
	c.post("api-keys", map[string]any{"name": "x", "expires_in_days": -1}).wantError(400, "invalid_api_key_spec")
	c.post("api-keys", map[string]any{"name": "x", "owner": 2}).wantError(400, "invalid_request")
	var made struct {
		APIKey struct {
			ID     string   `json:"id"`
			Prefix string   `json:"prefix"`
			Scopes []string `json:"scopes"`
		} `json:"api_key"`
		Secret string `json:"secret"`
	}
	c.post("api-keys", map[string]any{"name": "deploy", "scopes": []string{"deploy"}, "expires_in_days": 30}).want(201).decode(&made)
	if !strings.HasPrefix(made.Secret, made.APIKey.Prefix+"_") {
		t.Fatalf("secret %q, prefix %q", made.Secret, made.APIKey.Prefix)
	}
	var keys struct {
		APIKeys []map[string]any `json:"api_keys"`
	}
	c.get("api-keys").want(200).decode(&keys)
	if len(keys.APIKeys) != 1 || strings.Contains(string(c.get("api-keys").want(200).body), made.Secret) {
		t.Fatalf("list = %+v", keys)
	}

	script := s.client()
	script.header.Set("Authorization", "Bearer "+made.Secret)
	var session struct {
		Session struct {
			Via string `json:"via"`
		} `json:"session"`
	}
	script.get("session").want(200).decode(&session)
	if session.Session.Via != "api_key" {
		t.Fatalf("via %q", session.Session.Via)
	}
	script.get("sessions").wantError(403, "cookie_session_required")
	script.post("api-keys", map[string]any{"name": "more"}).wantError(403, "cookie_session_required")

	bob := s.loggedIn("bob@example.com")
	bob.do("DELETE", "/auth/api-keys/"+made.APIKey.ID, nil).wantError(404, "not_found")
	c.do("DELETE", "/auth/api-keys/"+made.APIKey.ID, nil).want(204)
	script.get("session").wantError(401, "not_logged_in")
}
