package passkey_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/authkit/authkit/passkey"
)

func TestRegistration_StoresADiscoverablePasskeyForAFreshSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	cl := e.client()
	cl.login("ada@example.com")
	a := newAuthenticator(t)
	a.be, a.bs = true, true

	opts := parseOptions(t, cl.begin("/passkeys/register/begin"))
	if opts.PublicKey.RP.ID != rpID || opts.PublicKey.AuthenticatorSelection.ResidentKey != "required" ||
		opts.PublicKey.AuthenticatorSelection.UserVerification != "required" {
		t.Fatalf("creation options %+v, want RP ID %s, a resident key and user verification", opts.PublicKey, rpID)
	}
	r := cl.register(a, "  Laptop ")

	wantCode(t, r, http.StatusCreated, "")
	var created struct {
		Passkey struct {
			ID, Name     string
			Synced       bool
			BackedUp     bool `json:"backed_up"`
			Transports   []string
			LastUsedAt   *time.Time `json:"last_used_at"`
			AAGUID       string
			CloneWarning bool `json:"clone_warning"`
		}
	}
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	p := created.Passkey
	if p.Name != "Laptop" || !p.Synced || !p.BackedUp || len(p.Transports) != 2 || p.LastUsedAt != nil ||
		p.AAGUID != "00000000-0000-0000-0000-000000000000" || p.CloneWarning || len(p.ID) != 32 {
		t.Fatalf("registered %s, want a synced, backed-up passkey called Laptop, never used", r.body)
	}
	list := cl.do(http.MethodGet, "/passkeys", nil, "")
	if list.status != http.StatusOK || !bytes.Contains(list.body, []byte(`"name":"Laptop"`)) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
}

func TestRegistration_ExcludesThePasskeysTheUserHasAndCapsTheirNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	cl := e.client()
	cl.login("ada@example.com")
	a := newAuthenticator(t)
	cl.mustRegister(a, "one")
	cl.mustRegister(a, "two")

	opts := parseOptions(t, cl.begin("/passkeys/register/begin"))

	if len(opts.PublicKey.ExcludeCredentials) != 2 {
		t.Fatalf("excludeCredentials = %v, want the user's two passkeys", opts.PublicKey.ExcludeCredentials)
	}
	// A credential id registered already (an authenticator that ignored
	// the exclusions) is refused.
	again := a.create(cl.begin("/passkeys/register/begin"))
	var v map[string]any
	_ = json.Unmarshal(again, &v)
	first := b64.EncodeToString(a.creds[0].id)
	v["id"], v["rawId"] = first, first
	resp := v["response"].(map[string]any)
	att := bytes.Replace(mustDecode(t, resp["attestationObject"].(string)), a.creds[2].id, a.creds[0].id, 1)
	resp["attestationObject"] = b64.EncodeToString(att)
	wantCode(t, cl.post("/passkeys/register/finish", map[string]any{"credential": v}), http.StatusConflict, "passkey_exists")
}

func TestRegistration_NeedsAFreshCookieSession(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")

	anonymous := e.client()
	wantCode(t, anonymous.post("/passkeys/register/begin", nil), http.StatusUnauthorized, "not_logged_in")

	// Restored from a remember-me cookie: logged in, but not fresh.
	remembered := e.client()
	if r := remembered.form("/password/login", url.Values{"email": {"ada@example.com"}, "remember": {"on"}}); r.status != 200 {
		t.Fatal(string(r.body))
	}
	u, _ := url.Parse(e.srv.URL)
	for _, c := range remembered.c.Jar.Cookies(u) {
		if c.Name != "__Host-remember_token" && c.Name != "remember_token" {
			remembered.c.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Path: "/", MaxAge: -1}})
		}
	}
	if got := remembered.me(); got == "" || got[0] == '0' {
		t.Fatalf("the remember-me cookie restored no session: %s", got)
	}
	wantCode(t, remembered.post("/passkeys/register/begin", nil), http.StatusForbidden, "reauthentication_required")

	// Fresh when the challenge was made, stale when it is answered.
	cl := e.client()
	cl.login("ada@example.com")
	opts := cl.begin("/passkeys/register/begin")
	e.clock.Advance(6 * time.Minute)
	r := cl.post("/passkeys/register/finish", map[string]any{"credential": json.RawMessage(newAuthenticator(t).create(opts))})
	if r.status == http.StatusCreated {
		t.Fatalf("a stale challenge registered a passkey: %s", r.body)
	}
}

func TestRegistration_RefusesAnAuthenticatorThatDoesNotVerifyTheUser(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	cl := e.client()
	cl.login("ada@example.com")
	a := newAuthenticator(t)
	a.uv = false

	wantCode(t, cl.register(a, "key"), http.StatusUnauthorized, "user_verification_required")

	p := newEnv(t, preferUV)
	p.user("ada@example.com")
	cl = p.client()
	cl.login("ada@example.com")
	wantCode(t, cl.register(a, "key"), http.StatusCreated, "")
}

func TestRegistration_RefusesBadNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	cl := e.client()
	cl.login("ada@example.com")
	a := newAuthenticator(t)
	long := string(bytes.Repeat([]byte("x"), 101))
	for _, name := range []string{long, "bad\x00name", "tab\there", "bidi\u202e"} {
		wantCode(t, cl.register(a, name), http.StatusBadRequest, "invalid_name")
	}
	// JSON cannot carry invalid UTF-8; a form field can.
	err := cl.serve(func(w http.ResponseWriter, r *http.Request) error {
		_, err := e.pk.FinishRegistration(r, "\xff", nil)
		return err
	})
	wantErr(t, err, passkey.ErrInvalidName)
	r := cl.register(a, "")
	if r.status != http.StatusCreated || !bytes.Contains(r.body, []byte(`"name":"Passkey"`)) {
		t.Fatalf("no name: %d %s, want the name Passkey", r.status, r.body)
	}
}

func TestUserHandle_IsSixtyFourRandomBytesPerUserAndNeverTheUserID(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	ada, bob := e.user("ada@example.com"), e.user("bob@example.com")
	adaClient, bobClient := e.client(), e.client()
	adaClient.login("ada@example.com")
	bobClient.login("bob@example.com")
	a, b := newAuthenticator(t), newAuthenticator(t)
	adaClient.mustRegister(a, "one")
	adaClient.mustRegister(a, "two")
	bobClient.mustRegister(b, "one")

	h := e.handleOf(ada)
	if len(h) != 64 || bytes.Equal(h, e.handleOf(bob)) || bytes.Contains(h, []byte(strconv.FormatInt(ada, 10))) && len(bytes.Trim(h, "0123456789")) == 0 {
		t.Fatalf("handle %x: want 64 random bytes of the user's own", h)
	}
	if !bytes.Equal(a.creds[0].handle, h) || !bytes.Equal(a.creds[1].handle, h) || !bytes.Equal(b.creds[0].handle, e.handleOf(bob)) {
		t.Fatal("the authenticators were not given the users' stored handles, one per user")
	}
}

func TestRenameAndRemove_ActOnlyOnTheUsersOwnPasskeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	e.user("bob@example.com")
	ada, bob := e.client(), e.client()
	ada.login("ada@example.com")
	bob.login("bob@example.com")
	ada.mustRegister(newAuthenticator(t), "Laptop")
	var list struct{ Passkeys []struct{ ID string } }
	_ = json.Unmarshal(ada.do(http.MethodGet, "/passkeys", nil, "").body, &list)
	id := list.Passkeys[0].ID
	rename := func(cl *client, id string) reply {
		return cl.do(http.MethodPatch, "/passkeys/"+id, bytes.NewReader([]byte(`{"name":"Work laptop"}`)), "application/json")
	}

	wantCode(t, rename(bob, id), http.StatusNotFound, "not_found")
	wantCode(t, bob.do(http.MethodDelete, "/passkeys/"+id, nil, ""), http.StatusNotFound, "not_found")
	wantCode(t, rename(ada, "garbage'; DROP TABLE authkit_passkeys;--"), http.StatusNotFound, "not_found")
	wantCode(t, rename(ada, id), http.StatusNoContent, "")
	if got := ada.do(http.MethodGet, "/passkeys", nil, ""); !bytes.Contains(got.body, []byte("Work laptop")) {
		t.Fatalf("after renaming: %s", got.body)
	}
	wantCode(t, ada.do(http.MethodDelete, "/passkeys/"+id, nil, ""), http.StatusNoContent, "")
	wantCode(t, ada.do(http.MethodDelete, "/passkeys/"+id, nil, ""), http.StatusNotFound, "not_found")
}

func TestRemove_NeedsAFreshSession(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")
	cl := e.client()
	cl.login("ada@example.com")
	cl.mustRegister(newAuthenticator(t), "Laptop")
	var list struct{ Passkeys []struct{ ID string } }
	_ = json.Unmarshal(cl.do(http.MethodGet, "/passkeys", nil, "").body, &list)

	e.clock.Advance(20 * time.Minute) // past the reauthentication window, within the idle timeout

	wantCode(t, cl.do(http.MethodDelete, "/passkeys/"+list.Passkeys[0].ID, nil, ""), http.StatusForbidden, "reauthentication_required")
	if n := e.count("passkeys", cl.userID()); n != 1 {
		t.Fatalf("%d passkeys after a refused removal, want 1", n)
	}
}

func mustDecode(t testing.TB, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
