package passkey_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

func TestReauthentication_MarksARememberedSessionFreshUnderANewToken(t *testing.T) { // SEC-S2, SEC-S7
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, _ := e.registered("ada@example.com", a)
	cl := e.client()
	if r := cl.form("/password/login", url.Values{"email": {"ada@example.com"}, "remember": {"on"}}); r.status != http.StatusOK {
		t.Fatal(string(r.body))
	}
	dropSession(cl)
	if got := cl.me(); got != itoa(id)+" fresh=false remembered=true pending=false" {
		t.Fatalf("restored session: %s", got)
	}
	before := sessionCookie(cl)

	opts := cl.begin("/reauthenticate/passkey/begin")
	r := cl.post("/reauthenticate/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(opts))})

	wantCode(t, r, http.StatusNoContent, "")
	if got := cl.me(); got != itoa(id)+" fresh=true remembered=false pending=false" {
		t.Fatalf("after reauthenticating: %s", got)
	}
	if sessionCookie(cl) == before {
		t.Fatal("reauthentication kept the session token")
	}
	// The session may now do what needs a fresh one.
	cl.mustRegister(newAuthenticator(t), "Phone")
}

func TestReauthentication_RefusesAnotherUsersPasskeyAndNeedsUserVerification(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	mine, theirs := newAuthenticator(t), newAuthenticator(t)
	_, cl := e.registered("ada@example.com", mine)
	e.registered("eve@example.com", theirs)

	opts := parseOptions(t, cl.begin("/reauthenticate/passkey/begin"))
	forged := theirs.sign(theirs.creds[0], opts.PublicKey.Challenge, theirs.creds[0].handle)
	wantCode(t, cl.post("/reauthenticate/passkey/finish", map[string]any{"credential": json.RawMessage(forged)}), http.StatusUnauthorized, "invalid_passkey")

	mine.uv = false
	wantCode(t, cl.post("/reauthenticate/passkey/finish", map[string]any{"credential": json.RawMessage(mine.get(cl.begin("/reauthenticate/passkey/begin")))}),
		http.StatusUnauthorized, "user_verification_required")

	nobody := e.client()
	wantCode(t, nobody.post("/reauthenticate/passkey/begin", nil), http.StatusUnauthorized, "not_logged_in")
	e.user("bob@example.com")
	bob := e.client()
	bob.login("bob@example.com")
	wantCode(t, bob.post("/reauthenticate/passkey/begin", nil), http.StatusNotFound, "no_passkey")
}
