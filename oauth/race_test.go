package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/oauth"
)

// The tests in this file race every revoking call against every way this
// package lets a user in (SEC-S8), as the root package's race matrix does
// for its own: each holds the racing request at the statement that writes
// what it mints (the session, the pending second factor, the provider's
// tokens), runs the revocation to completion, lets the racer go, and
// checks that nothing it minted works at the next request.

const newPassword = "a completely different passphrase"

// raced is one race's setting: the user, who has a password and a linked
// provider account, and a device of theirs logged in with the password.
type raced struct {
	w       *world
	id      int64
	email   string
	revoker *browser
	secret  string // the user's TOTP secret, when the way in needs one
}

var revocations = []struct {
	name         string
	keepsRevoker bool
	do           func(t *testing.T, rc *raced) error
}{
	{"LogoutEverywhere", false, func(t *testing.T, rc *raced) error {
		return rc.revoker.err(func(r *http.Request) error { return authkit.From(r).LogoutEverywhere() })
	}},
	{"LogoutEverywhereElse", true, func(t *testing.T, rc *raced) error {
		return rc.revoker.err(func(r *http.Request) error { return authkit.From(r).LogoutEverywhereElse() })
	}},
	{"ban", false, func(t *testing.T, rc *raced) error {
		return rc.w.kit.Admin().SetStatus(context.Background(), rc.id, authkit.StatusBanned)
	}},
	{"ChangePassword", true, func(t *testing.T, rc *raced) error {
		return rc.revoker.err(func(r *http.Request) error { return authkit.From(r).ChangePassword(password, newPassword) })
	}},
	{"ResetPassword", false, func(t *testing.T, rc *raced) error {
		tok := resetToken(t, rc)
		return rc.w.browser().err(func(r *http.Request) error { return authkit.From(r).ResetPassword(tok, newPassword) })
	}},
	{"ForceLogout", false, func(t *testing.T, rc *raced) error {
		return rc.w.kit.Admin().ForceLogout(context.Background(), rc.id)
	}},
	{"DeleteUser", false, func(t *testing.T, rc *raced) error {
		return rc.w.kit.Admin().DeleteUser(context.Background(), rc.id)
	}},
}

// resetToken asks for a password reset and reads the token from the mail.
func resetToken(t *testing.T, rc *raced) string {
	t.Helper()
	if err := rc.w.browser().err(func(r *http.Request) error { return authkit.From(r).ForgotPassword(rc.email) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msg, err := rc.w.mail.WaitKind(ctx, rc.email, authkit.MessagePasswordReset)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(msg.Link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// The statements the ways in write what they mint with.
const (
	startsSession = "INSERT INTO authkit_user_sessions"
	startsPending = "INSERT INTO authkit_two_factor_attempts"
	keepsTokens   = "INSERT INTO authkit_provider_tokens"
)

var waysIn = []struct {
	name      string
	twoFactor bool
	hold      string
	// racer prepares the racing request on the browser and returns it.
	racer func(t *testing.T, rc *raced, b *browser) (request func())
}{
	{name: "callback starting the session", hold: startsSession, racer: callbackRacer},
	{name: "callback keeping the provider's tokens", hold: keepsTokens, racer: callbackRacer},
	{name: "callback starting a pending second factor", twoFactor: true, hold: startsPending, racer: callbackRacer},
	{name: "linking keeping the provider's tokens", hold: keepsTokens, racer: func(t *testing.T, rc *raced, b *browser) func() {
		if err := b.login(rc.email); err != nil {
			t.Fatal(err)
		}
		rc.w.gh.queue(ghUser{ID: 77})
		cb := b.authorize(b.begin("github", "?link=1"))
		return func() { b.get(cb) }
	}},
	{name: "id_token sign-in starting the session", hold: startsSession, racer: func(t *testing.T, rc *raced, b *browser) func() {
		raw := rc.w.idToken(t, "raced-sub", rc.email, "n-1", rc.w.oidc.ClientID)
		return func() {
			b.err(func(r *http.Request) error {
				_, err := rc.w.svc.SignInIDToken(r, oauth.IDTokenSignIn{Provider: "mock", IDToken: raw, Nonce: "n-1"})
				return err
			})
		}
	}},
}

// callbackRacer prepares a sign-in up to its callback.
func callbackRacer(t *testing.T, rc *raced, b *browser) func() {
	rc.w.oidc.QueueUser(person("raced-sub", rc.email, true))
	cb := b.authorize(b.begin("mock", "?remember=1"))
	return func() { b.get(cb) }
}

// inBackground runs f in a goroutine and returns once it reached h, with
// what lets it finish.
func inBackground(t *testing.T, h *pgtest.Hold, f func()) func() {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	h.Wait(t)
	return func() {
		h.Let()
		<-done
	}
}

func TestRevocation_WinsEveryRaceWithEveryOAuthWayIn(t *testing.T) { // SEC-S8
	t.Parallel()
	for _, rv := range revocations {
		for _, way := range waysIn {
			t.Run(rv.name+" racing "+way.name, func(t *testing.T) {
				t.Parallel()
				w, p := probedWorld(t)
				rc := &raced{w: w, email: "raced@example.com"}
				rc.id = w.user(rc.email, true)
				rc.revoker = w.browser()
				if err := rc.revoker.login(rc.email); err != nil {
					t.Fatal(err)
				}
				if way.twoFactor {
					rc.secret = rc.revoker.withTOTP()
				}
				w.linkIdentity("mock", "raced-sub", rc.id)

				racer := w.browser()
				finish := inBackground(t, p.HoldNext(way.hold), way.racer(t, rc, racer))
				if err := rv.do(t, rc); err != nil {
					t.Fatalf("%s: %v", rv.name, err)
				}
				finish()

				kept := 0
				if rv.keepsRevoker {
					kept = 1
				}
				for table, want := range map[string]int{"sessions": kept, "user_sessions": kept, "remembers": 0,
					"two_factor_attempts": 0, "provider_tokens": 0} {
					if n := w.count(table, "user_id = $1", rc.id); n != want {
						t.Errorf("after %s, %s has %d rows of the user, want %d", rv.name, table, n, want)
					}
				}
				if id := racer.userID(); id != 0 {
					t.Fatalf("after %s, the racer is logged in as %d", rv.name, id)
				}
				if rv.keepsRevoker && rc.revoker.userID() != rc.id {
					t.Fatalf("%s logged out the device that called it", rv.name)
				}
			})
		}
	}
}
