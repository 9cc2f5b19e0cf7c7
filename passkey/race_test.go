package passkey_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// The tests in this file race every revoking call against every way in
// that a passkey opens (SEC-S8), as the root package's race matrix does
// for its own: each holds the racing request at the statement that writes
// what it mints — after the passkey was checked — runs the revocation to
// completion, lets the racer go, and checks that nothing it minted works
// at the next request.

// raceWorld is one race's setting: a user with a passkey and a TOTP
// factor, and a device of theirs that revokes.
type raceWorld struct {
	e        *env
	id       int64
	email    string
	key      *authenticator
	revoker  *client
	resetTok string
}

var passkeyRevocations = []struct {
	name         string
	keepsRevoker bool
	do           func(w *raceWorld) error
}{
	{name: "LogoutEverywhere", do: func(w *raceWorld) error { return formErr(w.revoker.form("/logout-everywhere", nil)) }},
	{name: "LogoutEverywhereElse", keepsRevoker: true, do: func(w *raceWorld) error {
		return formErr(w.revoker.form("/logout-everywhere-else", nil))
	}},
	{name: "ChangePassword", keepsRevoker: true, do: func(w *raceWorld) error { return formErr(w.revoker.form("/change-password", nil)) }},
	{name: "ban", do: func(w *raceWorld) error {
		return w.e.kit.Admin().SetStatus(context.Background(), w.id, authkit.StatusBanned)
	}},
	{name: "ResetPassword", do: func(w *raceWorld) error {
		return w.e.client().callErr(func(a *authkit.Auth) error { return a.ResetPassword(w.resetTok, "a reset horse battery staple") })
	}},
	{name: "ForceLogout", do: func(w *raceWorld) error { return w.e.kit.Admin().ForceLogout(context.Background(), w.id) }},
	{name: "DeleteUser", do: func(w *raceWorld) error { return w.e.kit.Admin().DeleteUser(context.Background(), w.id) }},
}

// passkeyWaysIn are the ways in raced: each starts the racing request and
// returns once it is held, with what lets it finish.
var passkeyWaysIn = []struct {
	name string
	// answers says the racing request itself still succeeds: what it
	// did dies with the session it did it in.
	answers bool
	// preferUV runs the race under VerificationPreferred with a passkey
	// that does not verify its user.
	preferUV bool
	race     func(t *testing.T, w *raceWorld, racer *client) (finish func() reply)
}{
	{name: "passkey login, at its session", race: func(t *testing.T, w *raceWorld, racer *client) func() reply {
		return w.raceLogin(t, racer, "INSERT INTO authkit_user_sessions")
	}},
	{name: "passkey login, right after the passkey was checked", race: func(t *testing.T, w *raceWorld, racer *client) func() reply {
		return w.raceLogin(t, racer, "UPDATE authkit_passkeys SET sign_count")
	}},
	{name: "one-factor passkey login, at its pending second step", preferUV: true, race: func(t *testing.T, w *raceWorld, racer *client) func() reply {
		return w.raceLogin(t, racer, "INSERT INTO authkit_two_factor_attempts")
	}},
	{name: "passkey registration", race: func(t *testing.T, w *raceWorld, racer *client) func() reply {
		racer.login(w.email)
		opts := racer.begin("/passkeys/register/begin")
		answer := map[string]any{"name": "raced", "credential": json.RawMessage(newAuthenticator(t).create(opts))}
		return inBackground(t, w.e, "INSERT INTO authkit_passkeys", func() reply { return racer.post("/passkeys/register/finish", answer) })
	}},
	{name: "passkey reauthentication", answers: true, race: func(t *testing.T, w *raceWorld, racer *client) func() reply {
		racer.login(w.email)
		answer := map[string]any{"credential": json.RawMessage(w.key.get(racer.begin("/reauthenticate/passkey/begin")))}
		return inBackground(t, w.e, "UPDATE authkit_user_sessions SET token", func() reply { return racer.post("/reauthenticate/passkey/finish", answer) })
	}},
}

func (w *raceWorld) raceLogin(t *testing.T, racer *client, hold string) func() reply {
	answer := map[string]any{"credential": json.RawMessage(w.key.get(racer.begin("/login/passkey/begin"))), "remember": true}
	return inBackground(t, w.e, hold, func() reply { return racer.post("/login/passkey/finish", answer) })
}

// inBackground runs f in a goroutine, waits until it reaches the next
// statement that contains hold, and returns what lets it finish.
func inBackground(t *testing.T, e *env, hold string, f func() reply) func() reply {
	t.Helper()
	h := e.probe.HoldNext(hold)
	done := make(chan reply, 1)
	go func() { done <- f() }()
	h.Wait(t)
	return func() reply {
		h.Let()
		return <-done
	}
}

func TestRevocation_WinsEveryRaceWithEveryPasskeyWayIn(t *testing.T) { // SEC-S8
	t.Parallel()
	for _, rv := range passkeyRevocations {
		for _, way := range passkeyWaysIn {
			t.Run(rv.name+" racing "+way.name, func(t *testing.T) {
				t.Parallel()
				var opts []option
				if way.preferUV {
					opts = append(opts, preferUV)
				}
				e := newEnv(t, opts...)
				w := &raceWorld{e: e, email: "raced@example.com", key: newAuthenticator(t)}
				w.id, _ = e.registered(w.email, w.key)
				if way.preferUV {
					secret := e.withTOTP(w.email)
					w.key.uv = false
					w.revoker = e.loggedInWithTOTP(w.email, secret)
				} else {
					w.revoker = e.client()
					w.revoker.login(w.email)
				}
				w.resetTok = e.resetToken(w.id, w.email)
				racer := e.client()

				finish := way.race(t, w, racer)
				if err := rv.do(w); err != nil {
					t.Fatalf("%s: %v", rv.name, err)
				}
				got := finish()

				if !way.answers && got.status < 400 {
					t.Errorf("the racing %s answered %d %s after %s", way.name, got.status, got.body, rv.name)
				}
				if me := racer.me(); me != "0 fresh=false remembered=false pending=false" {
					t.Fatalf("after %s, the racer is %s (its request said %d %s)", rv.name, me, got.status, got.body)
				}
				kept := 0
				if rv.keepsRevoker {
					kept = 1
				}
				for table, want := range map[string]int{"user_sessions": kept, "remembers": 0, "two_factor_attempts": 0} {
					if n := e.count(table, w.id); n != want {
						t.Errorf("after %s, %s has %d rows of the user, want %d", rv.name, table, n, want)
					}
				}
				if n := e.count("passkeys", w.id); n > 1 {
					t.Errorf("after %s, the user has %d passkeys: the raced registration stored one", rv.name, n)
				}
			})
		}
	}
}

// loggedInWithTOTP logs a new client in with the password and TOTP.
func (e *env) loggedInWithTOTP(email, secret string) *client {
	e.t.Helper()
	cl := e.client()
	if r := cl.form("/password/login", url.Values{"email": {email}}); r.status != http.StatusAccepted {
		e.t.Fatalf("login: %d %s", r.status, r.body)
	}
	cl.call(func(a *authkit.Auth) error {
		code, err := twofactor.TOTPCode(secret, e.clock.Now())
		if err != nil {
			return err
		}
		if err := a.TwoFactor().VerifyTOTP(code); err != nil {
			return err
		}
		return a.CompleteTwoFactorLogin()
	})
	e.clock.Advance(30 * time.Second)
	return cl
}

// resetToken starts a password reset for the user and returns its token.
func (e *env) resetToken(id int64, email string) string {
	e.t.Helper()
	if err := e.kit.Admin().StartPasswordReset(context.Background(), id); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg, err := e.mail.Wait(ctx, email)
	for err == nil && msg.Kind != authkit.MessagePasswordReset {
		msg, err = e.mail.Wait(ctx, email)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := url.Parse(msg.Link)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Query().Get("token")
}

func formErr(r reply) error {
	if r.status != http.StatusOK {
		return &httpError{r}
	}
	return nil
}

type httpError struct{ r reply }

func (e *httpError) Error() string { return string(e.r.body) }
