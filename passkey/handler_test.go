package passkey_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestHandler_AnswersInJSONWithNoStoreAndErrorsByCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cl := e.client()

	begun := cl.post("/login/passkey/begin", nil)
	if begun.status != http.StatusOK || begun.header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(begun.header.Get("Content-Type"), "application/json") {
		t.Fatalf("begin: %d %v", begun.status, begun.header)
	}
	failed := cl.post("/login/passkey/finish", map[string]any{"credential": map[string]any{}})
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(failed.body, &body); err != nil || failed.status != http.StatusBadRequest ||
		failed.header.Get("Cache-Control") != "no-store" || body.Error.Message == "" {
		t.Fatalf("error answer: %d %s %v", failed.status, failed.body, failed.header)
	}
	wantCode(t, cl.do(http.MethodGet, "/passkeys", nil, ""), http.StatusUnauthorized, "not_logged_in")
}

func TestHandler_RefusesCrossSiteRequests(t *testing.T) { // login CSRF
	t.Parallel()
	e := newEnv(t)
	cl := e.client()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login/passkey/begin", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := cl.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site begin answered %d, want 403", resp.StatusCode)
	}
}

func TestRevocations_EndPasskeySessionsButKeepThePasskeys(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, owner := e.registered("ada@example.com", a)
	cl := e.client()
	wantCode(t, cl.passkeyLogin(a), http.StatusOK, "")

	if r := owner.form("/logout-everywhere", nil); r.status != http.StatusOK {
		t.Fatal(string(r.body))
	}

	if cl.userID() != 0 {
		t.Fatal("the passkey's session survived logout everywhere")
	}
	wantCode(t, cl.passkeyLogin(a), http.StatusOK, "")
	if cl.userID() != id {
		t.Fatal("the passkey stopped working after logout everywhere")
	}
}

func TestAudit_RecordsPasskeyEventsWithoutSecrets(t *testing.T) { // SEC-I3
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, _ := e.registered("ada@example.com", a)
	cl := e.client()
	wantCode(t, cl.passkeyLogin(a), http.StatusOK, "")
	a.rpID = "evil.example"
	wantCode(t, e.client().passkeyLogin(a), http.StatusUnauthorized, "invalid_passkey")

	entries, err := e.kit.Admin().AuditLog(t.Context(), id, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, en := range entries {
		seen = append(seen, en.Event+"/"+en.Outcome+"/"+en.Detail)
	}
	got := strings.Join(seen, " ")
	for _, want := range []string{"passkey_added/ok/", "login/ok/passkey", "login/failed/passkey: not verified"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit log %q lacks %q", got, want)
		}
	}
}

func TestDatabaseFailures_AreUnavailableWithoutTheDriversText(t *testing.T) { // SEC-I4
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	_, cl := e.registered("ada@example.com", a)
	if _, err := e.db.Exec(`ALTER TABLE authkit_passkeys RENAME TO authkit_passkeys_gone`); err != nil {
		t.Fatal(err)
	}

	for _, r := range []reply{
		cl.post("/passkeys/register/begin", nil),
		cl.do(http.MethodGet, "/passkeys", nil, ""),
		e.client().passkeyLogin(a),
	} {
		wantCode(t, r, http.StatusServiceUnavailable, "unavailable")
		if strings.Contains(string(r.body), "authkit_passkeys") || strings.Contains(string(r.body), "pq:") {
			t.Fatalf("the answer shows the driver's text: %s", r.body)
		}
	}
}
