package authkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/pgtest"
)

// The tests in this file race every revoking call against every way into
// a session (SEC-S8). Each holds the racing request at the exact moment
// that matters — after it read the account and checked the credentials,
// just before it writes the session (or the pending login), or, for a
// request in flight, after it touched its session and before that is
// written back — runs the revocation to completion, lets the racer go, and
// then checks that nothing the racer minted works at the next request.

// raceWorld is one race's setting: a user, a device of theirs that
// revokes (logged in with a fresh password), and what the revocations
// need.
type raceWorld struct {
	e        *env
	id       int64
	email    string
	revoker  *device
	resetTok string  // a password-reset token of the user
	thief    *device // holds a stale copy of the racer's remember-me cookie
	apiKey   string  // a key the racer made
}

// revocation is one revoking call.
type revocation struct {
	name string
	do   func(w *raceWorld) error
	// keepsRevoker is set for the calls that end every session but the
	// revoker's own.
	keepsRevoker bool
	// tokenOnly is set for theft detection, which ends only the sessions
	// of one remember-me token.
	tokenOnly bool
}

var revocations = []revocation{
	{name: "LogoutEverywhere", do: func(w *raceWorld) error {
		return w.revoker.err(func(a *Auth) error { return a.LogoutEverywhere() })
	}},
	{name: "LogoutEverywhereElse", keepsRevoker: true, do: func(w *raceWorld) error {
		return w.revoker.err(func(a *Auth) error { return a.LogoutEverywhereElse() })
	}},
	{name: "ban", do: func(w *raceWorld) error {
		return w.e.kit.Admin().SetStatus(context.Background(), w.id, StatusBanned)
	}},
	{name: "ChangePassword", keepsRevoker: true, do: func(w *raceWorld) error {
		return w.revoker.err(func(a *Auth) error { return a.ChangePassword(testPassword, newPassword) })
	}},
	{name: "ResetPassword", do: func(w *raceWorld) error {
		return w.e.device().err(func(a *Auth) error { return a.ResetPassword(w.resetTok, newPassword) })
	}},
	{name: "ForceLogout", do: func(w *raceWorld) error {
		return w.e.kit.Admin().ForceLogout(context.Background(), w.id)
	}},
	{name: "DeleteUser", do: func(w *raceWorld) error {
		return w.e.kit.Admin().DeleteUser(context.Background(), w.id)
	}},
	{name: "theft detection", tokenOnly: true, do: func(w *raceWorld) error {
		w.thief.do(func(a *Auth) {}) // the stale cookie trips the detection
		return nil
	}},
	{name: "RevokeSession", tokenOnly: true, do: func(w *raceWorld) error {
		// The user ends the racer's device from their list of sessions.
		var list []Device
		if err := w.revoker.err(func(a *Auth) (err error) { list, err = a.Sessions(); return err }); err != nil {
			return err
		}
		for _, d := range list {
			if !d.Current {
				// A session that came from the same token as one ended
				// before has ended with it.
				err := w.revoker.err(func(a *Auth) error { return a.RevokeSession(d.ID) })
				if err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
		}
		return nil
	}},
}

// wayIn is one way into a session, raced against a revocation.
type wayIn struct {
	name string
	// twoFactor says the user needs TOTP for this way in.
	twoFactor bool
	// fromToken says the racer's session comes from a remember-me token.
	fromToken bool
	// refused says the racing request itself must fail, not only what it
	// minted.
	refused bool
	// race starts the racing request on racer and returns once it is held
	// at the moment of the race, with a function that lets it go and
	// returns its error.
	race func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, secret string) (finish func() error)
}

// The statement each way in writes its session or pending login with.
const (
	startsSession = "INSERT INTO authkit_user_sessions"
	startsPending = "INSERT INTO authkit_two_factor_attempts"
)

// inBackground runs f in a goroutine once h is armed, waits until f
// reaches the held statement, and returns what lets it finish.
func inBackground(t *testing.T, h *pgtest.Hold, f func() error) func() error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	h.Wait(t)
	return func() error {
		h.Let()
		return <-errc
	}
}

var waysIn = []wayIn{
	{name: "password login", refused: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		return inBackground(t, p.HoldNext(startsSession), func() error {
			return racer.err(func(a *Auth) error { return a.Login(w.email, testPassword, true) })
		})
	}},
	{name: "second-factor login start", refused: true, twoFactor: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		return inBackground(t, p.HoldNext(startsPending), func() error {
			return racer.err(func(a *Auth) error { return a.Login(w.email, testPassword, true) })
		})
	}},
	{name: "second-factor completion", refused: true, twoFactor: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, secret string) func() error {
		if err := racer.err(func(a *Auth) error { return a.Login(w.email, testPassword, true) }); !errors.As(err, new(*SecondFactorRequiredError)) {
			t.Fatalf("login: %v", err)
		}
		if err := racer.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, w.e, secret)) }); err != nil {
			t.Fatalf("verify: %v", err)
		}
		return inBackground(t, p.HoldNext(startsSession), func() error {
			return racer.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
		})
	}},
	{name: "login link", refused: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		tok := loginLinkToken(t, w.e, w.email)
		return inBackground(t, p.HoldNext(startsSession), func() error {
			return racer.err(func(a *Auth) error { return a.LoginWithLink(tok) })
		})
	}},
	{name: "API key creation", refused: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		*racer = *loggedInDevice(t, w.e, w.email, "")
		return inBackground(t, p.HoldNext("INSERT INTO authkit_api_keys"), func() error {
			return racer.err(func(a *Auth) (err error) {
				_, w.apiKey, err = a.APIKeys().Create(APIKeySpec{Name: "raced"})
				return err
			})
		})
	}},
	{name: "a subpackage's login through internal/core (OAuth, passkeys)", refused: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		// The way in reads the user before it checks its credentials.
		u, err := core.Of(w.e.kit).User(context.Background(), w.id)
		if err != nil {
			t.Fatal(err)
		}
		return inBackground(t, p.HoldNext(startsSession), func() error {
			return racer.err(func(a *Auth) error {
				return core.Of(a.kit).LogIn(a.r, w.id, core.Start{How: "oauth:test", Fresh: true, Remember: true, Epoch: u.Epoch})
			})
		})
	}},
	{name: "remember-me restore", fromToken: true, race: func(t *testing.T, w *raceWorld, racer *device, p *pgtest.Probe, _ string) func() error {
		delete(racer.cookies, sessionCookieName(w.e)) // the browser restarted
		return inBackground(t, p.HoldNext(startsSession), func() error {
			racer.do(func(a *Auth) {})
			return nil
		})
	}},
	{name: "request in flight writing its session back", fromToken: true, race: func(t *testing.T, w *raceWorld, racer *device, _ *pgtest.Probe, _ string) func() error {
		reached, release := make(chan struct{}), make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			racer.do(func(a *Auth) {
				a.kit.Sessions().Put(a.ctx(), "flash", "saved") // the request touches its session...
				close(reached)
				<-release // ... and is still running when the revocation runs
			})
		}()
		select {
		case <-reached:
		case <-time.After(30 * time.Second):
			t.Fatal("the request in flight never ran")
		}
		return func() error {
			close(release)
			<-done
			return nil
		}
	}},
}

func TestRevocation_WinsEveryRaceWithEveryWayIn(t *testing.T) { // SEC-S8
	t.Parallel()
	for _, rv := range revocations {
		for _, way := range waysIn {
			if rv.tokenOnly && !way.fromToken {
				continue // theft detection ends the sessions of one token only
			}
			t.Run(rv.name+" racing "+way.name, func(t *testing.T) {
				t.Parallel()
				raceOne(t, rv, way)
			})
		}
	}
}

func raceOne(t *testing.T, rv revocation, way wayIn) {
	e, p := probedEnv(t, func(c *Config) { c.QueryTimeout = time.Minute })
	w := &raceWorld{e: e, email: "raced@example.com"}
	w.id = e.user(w.email)
	var secret string
	if way.twoFactor {
		secret, _ = withTOTP(t, e, w.email)
	}
	w.revoker = loggedInDevice(t, e, w.email, secret)

	racer := e.device()
	if way.fromToken {
		// The racer's session comes from a remember-me token that has
		// rotated once; the thief keeps the first, now stale, cookie.
		if err := racer.err(func(a *Auth) error { return a.Login(w.email, testPassword, true) }); err != nil {
			t.Fatal(err)
		}
		w.thief = e.device()
		w.thief.cookies[e.kit.rememberCookie] = racer.cookies[e.kit.rememberCookie]
		delete(racer.cookies, sessionCookieName(e))
		if racer.userID() != w.id {
			t.Fatal("the remember-me cookie did not restore a session")
		}
		e.clock.Advance(rememberGrace + time.Second)
	}
	w.resetTok = resetToken(t, e, w.email)

	finish := way.race(t, w, racer, p, secret)
	if err := rv.do(w); err != nil {
		t.Fatalf("%s: %v", rv.name, err)
	}
	racerErr := finish()

	if way.refused && !errors.Is(racerErr, ErrSessionRevoked) && !errors.Is(racerErr, ErrAccountStatus) {
		t.Errorf("the racing %s said %v, want ErrSessionRevoked or the new status", way.name, racerErr)
	}
	// What the racer minted must not even exist: each layer of the core
	// (the conditional insert, the conditional write-back) holds by itself.
	kept := 0
	if rv.keepsRevoker || rv.tokenOnly {
		kept = 1 // the revoker's own session
	}
	keys := 0
	if rv.tokenOnly {
		keys = -1 // one device's end leaves the user's keys alone
	}
	for table, want := range map[string]int{"sessions": kept, "user_sessions": kept, "remembers": 0, "two_factor_attempts": 0, "api_keys": keys} {
		if want < 0 {
			continue
		}
		var n int
		if err := e.db.Get(&n, `SELECT count(*) FROM authkit_`+table+` WHERE user_id = $1`, w.id); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("after %s, %s has %d rows of the user, want %d", rv.name, table, n, want)
		}
	}

	if got := racer.userID(); got != 0 {
		t.Fatalf("after %s, the racer is logged in as %d (its request said %v)", rv.name, got, racerErr)
	}
	if racer.pendingLogin() {
		t.Fatalf("after %s, the racer still has a pending second factor", rv.name)
	}
	if _, ok := racer.cookies[e.kit.rememberCookie]; ok {
		delete(racer.cookies, sessionCookieName(e))
		if got := racer.userID(); got != 0 {
			t.Fatalf("after %s, the racer's remember-me cookie logs in as %d", rv.name, got)
		}
	}
	if w.apiKey != "" {
		if _, body, _ := e.bearer(w.apiKey, "/whoami"); body != "0" {
			t.Fatalf("after %s, the API key the racer made authenticates as %s", rv.name, body)
		}
	}
	if rv.keepsRevoker && w.revoker.userID() != w.id {
		t.Fatalf("%s logged out the device that called it", rv.name)
	}
}

// loggedInDevice logs a device in with the password (and the TOTP secret,
// if the user has one).
func loggedInDevice(t *testing.T, e *env, email, secret string) *device {
	t.Helper()
	d := e.device()
	err := d.err(func(a *Auth) error { return a.Login(email, testPassword, false) })
	if secret != "" && errors.As(err, new(*SecondFactorRequiredError)) {
		err = d.err(func(a *Auth) error {
			if err := a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)); err != nil {
				return err
			}
			return a.CompleteTwoFactorLogin()
		})
		e.clock.Advance(30 * time.Second) // the next code is a new one
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pendingLogin reports whether the device's session holds a login waiting
// for its second factor that could still be completed.
func (d *device) pendingLogin() bool {
	var pending bool
	d.do(func(a *Auth) {
		if _, err := a.TwoFactor().livePending(); err != nil {
			return
		}
		_, err := a.kit.store.LiveAttempt(a.ctx(), a.pending.AttemptID, a.kit.now(), maxCodeFailures)
		pending = err == nil
	})
	return pending
}
