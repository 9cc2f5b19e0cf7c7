package passkey_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

// pendingPasswordLogin starts a password login of a user with a second
// factor on a new client, which then waits for the second step.
func (e *env) pendingPasswordLogin(email string) *client {
	e.t.Helper()
	cl := e.client()
	r := cl.form("/password/login", url.Values{"email": {email}})
	if r.status != http.StatusAccepted {
		e.t.Fatalf("password login: %d %s, want the second factor asked", r.status, r.body)
	}
	return cl
}

func TestSecondFactor_APasskeyIsOfferedOnlyBesideAnotherFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)

	// A passkey alone does not turn two-step login on.
	e.client().login("ada@example.com")

	e.withTOTP("ada@example.com")
	cl := e.pendingPasswordLogin("ada@example.com")
	var methods []authkit.SecondFactor
	cl.call(func(au *authkit.Auth) (err error) { methods, err = au.TwoFactor().PendingMethods(); return err })
	var names []string
	for _, m := range methods {
		names = append(names, m.Method.String())
	}
	if got := strings.Join(names, ","); got != "totp,backup,passkey" {
		t.Fatalf("pending methods %s, want totp, backup and passkey", got)
	}
}

func TestSecondFactor_APasskeyCompletesAPendingPasswordLogin(t *testing.T) { // SEC-F1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	id, owner := e.registered("ada@example.com", newAuthenticator(t))
	owner.mustRegister(a, "Key")
	a.uv = false // a security key without a PIN is enough for the second step
	e.withTOTP("ada@example.com")
	cl := e.pendingPasswordLogin("ada@example.com")

	opts := parseOptions(t, cl.begin("/login/second-factor/passkey/begin"))
	if len(opts.PublicKey.AllowCredentials) != 2 || opts.PublicKey.UserVerification != "discouraged" {
		t.Fatalf("second-step options %+v, want the user's two passkeys, no user verification", opts.PublicKey)
	}
	r := cl.post("/login/second-factor/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(cl.begin("/login/second-factor/passkey/begin")))})

	wantCode(t, r, http.StatusOK, "")
	if got := cl.me(); got != itoa(id)+" fresh=true remembered=false pending=false" {
		t.Fatalf("after the second step: %s", got)
	}
}

func TestSecondFactor_APasskeyOfAnotherUserIsAWrongCode(t *testing.T) { // SEC-W1, SEC-F3
	t.Parallel()
	e := newEnv(t)
	mine, theirs := newAuthenticator(t), newAuthenticator(t)
	e.registered("ada@example.com", mine)
	e.registered("eve@example.com", theirs)
	e.withTOTP("ada@example.com")
	cl := e.pendingPasswordLogin("ada@example.com")

	for i := range 5 {
		opts := parseOptions(t, cl.begin("/login/second-factor/passkey/begin"))
		forged := theirs.sign(theirs.creds[0], opts.PublicKey.Challenge, theirs.creds[0].handle)
		r := cl.post("/login/second-factor/passkey/finish", map[string]any{"credential": json.RawMessage(forged)})
		want := "second_factor_invalid"
		if i == 4 {
			want = "too_many_wrong_codes" // a passkey spends the login's tries like a code
		}
		wantCode(t, r, http.StatusUnauthorized, want)
	}
	if cl.userID() != 0 {
		t.Fatal("another user's passkey finished the login")
	}
}

func TestSecondFactor_NeedsAPendingLoginAndItsOwnChallenge(t *testing.T) { // SEC-W1
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	e.registered("ada@example.com", a)
	e.withTOTP("ada@example.com")

	wantCode(t, e.client().post("/login/second-factor/passkey/begin", nil), http.StatusUnauthorized, "no_pending_login")

	// A passwordless login's challenge cannot answer the second step.
	cl := e.pendingPasswordLogin("ada@example.com")
	login := e.client()
	answer := a.get(login.begin("/login/passkey/begin"))
	wantCode(t, cl.post("/login/second-factor/passkey/finish", map[string]any{"credential": json.RawMessage(answer)}), http.StatusBadRequest, "invalid_challenge")

	// The pending login expires, and its challenge with it.
	opts := cl.begin("/login/second-factor/passkey/begin")
	e.clock.Advance(6 * time.Minute)
	r := cl.post("/login/second-factor/passkey/finish", map[string]any{"credential": json.RawMessage(a.get(opts))})
	if r.status == http.StatusOK {
		t.Fatalf("an expired second step finished: %s", r.body)
	}
}
