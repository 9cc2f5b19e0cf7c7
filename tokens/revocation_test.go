package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

// The tests in this file run every revoking call of the session core
// against refresh tokens (SEC-S8): each must end every refresh token of
// the user at once, also one that a refresh, a login exchanged for tokens
// or IssueTokens in flight writes while it runs. Access tokens are
// verified without the database: the revocation reaches them when they
// expire, within one AccessLifetime (documented in the package).

// world is the setting of a revocation: a user, a device of theirs logged
// in with a cookie session (the revoker), and a password-reset token.
type world struct {
	e        *env
	id       int64
	email    string
	revoker  *client
	resetTok string
}

func newWorld(t *testing.T) *world {
	e := newEnv(t)
	w := &world{e: e, email: "raced@example.com"}
	w.id = e.user(w.email)
	w.revoker = e.client()
	w.revoker.login(w.email)
	if err := w.e.client().ok("/forgot", url.Values{"email": {w.email}}); err != nil {
		t.Fatal(err)
	}
	msg, err := e.mail.Wait(t.Context(), w.email)
	if err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(msg.Link)
	if err != nil {
		t.Fatal(err)
	}
	w.resetTok = link.Query().Get("token")
	return w
}

// ok posts a form to an action of the test app and returns its error.
func (c *client) ok(path string, form url.Values) error {
	c.e.t.Helper()
	if resp, body := c.post(path, form); body != "ok" {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	return nil
}

const newPassword = "an entirely new passphrase"

// revocations are the revoking calls of the session core.
var revocations = []struct {
	name string
	do   func(w *world) error
}{
	{"LogoutEverywhere", func(w *world) error { return w.revoker.ok("/logout-everywhere", nil) }},
	{"LogoutEverywhereElse", func(w *world) error { return w.revoker.ok("/logout-others", nil) }},
	{"ban", func(w *world) error {
		return w.e.kit.Admin().SetStatus(context.Background(), w.id, authkit.StatusBanned)
	}},
	{"ChangePassword", func(w *world) error {
		return w.revoker.ok("/password", url.Values{"current": {password}, "new": {newPassword}})
	}},
	{"ResetPassword", func(w *world) error {
		return w.e.client().ok("/reset", url.Values{"token": {w.resetTok}, "password": {newPassword}})
	}},
	{"Admin.SetPassword", func(w *world) error {
		return w.e.kit.Admin().SetPassword(context.Background(), w.id, newPassword)
	}},
	{"ForceLogout", func(w *world) error { return w.e.kit.Admin().ForceLogout(context.Background(), w.id) }},
	{"DeleteUser", func(w *world) error { return w.e.kit.Admin().DeleteUser(context.Background(), w.id) }},
}

func TestRevocation_EveryRevokingCallEndsEveryRefreshTokenAtOnce(t *testing.T) { // SEC-S8, SEC-S5, SEC-J1
	t.Parallel()
	for _, rv := range revocations {
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			e := w.e
			issued := e.issue(w.id)
			rotated := e.mustRefresh(e.issue(w.id).RefreshToken)
			exchanged := e.client().loginForTokens(w.email)
			if err := rv.do(w); err != nil {
				t.Fatalf("%s: %v", rv.name, err)
			}
			for _, tok := range []*Tokens{issued, rotated, exchanged} {
				if _, err := e.refresh(tok.RefreshToken); !errors.Is(err, ErrRefreshTokenInvalid) {
					t.Errorf("after %s a refresh token gives %v, want ErrRefreshTokenInvalid", rv.name, err)
				}
			}
			if n := e.count(`SELECT count(*) FROM authkit_refresh_tokens`); n != 0 {
				t.Errorf("after %s %d refresh tokens are left", rv.name, n)
			}
			// The access tokens handed out before run out within one
			// lifetime and the leeway, and nothing renews them.
			e.clock.Advance(defaultAccessLifetime + defaultLeeway + time.Second)
			if m, ok := e.client().me(exchanged.AccessToken); ok {
				t.Errorf("after %s and one lifetime the access token still logs in as %+v", rv.name, m)
			}
		})
	}
}

// tokenWay is a way to tokens, raced against a revocation.
type tokenWay struct {
	name string
	// hold is a text of the statement that writes the way's refresh token.
	hold string
	// start prepares the way and returns what runs it.
	start func(t *testing.T, w *world) func() (*Tokens, error)
}

// The statements that write refresh tokens.
const (
	startsFamily = "u.session_epoch = $5" // the conditional insert of a new login's first token
	rotates      = "SET used_at = coalesce"
)

var tokenWays = []tokenWay{
	{name: "refresh", hold: rotates, start: func(t *testing.T, w *world) func() (*Tokens, error) {
		tok := w.e.issue(w.id)
		return func() (*Tokens, error) { return w.e.refresh(tok.RefreshToken) }
	}},
	{name: "login exchanged for tokens", hold: startsFamily, start: func(t *testing.T, w *world) func() (*Tokens, error) {
		c := w.e.client()
		return func() (*Tokens, error) {
			resp, body := c.post("/login", url.Values{"email": {w.email}, "password": {password}, "token": {"1"}})
			if resp.StatusCode != http.StatusOK {
				return nil, errors.New(body)
			}
			var tok Tokens
			return &tok, json.Unmarshal([]byte(body), &tok)
		}
	}},
	{name: "IssueTokens", hold: startsFamily, start: func(t *testing.T, w *world) func() (*Tokens, error) {
		return func() (*Tokens, error) { return w.e.iss.IssueTokens(context.Background(), w.id, "") }
	}},
}

func TestRevocation_WinsEveryRaceWithAWayToTokens(t *testing.T) { // SEC-S8
	t.Parallel()
	for _, rv := range revocations {
		for _, way := range tokenWays {
			t.Run(rv.name+" racing "+way.name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				run := way.start(t, w)
				// Hold the way at the statement that writes its refresh
				// token: it has read the user's revocation counter and
				// checked the credentials.
				h := w.e.probe.HoldNext(way.hold)
				type result struct {
					tok *Tokens
					err error
				}
				done := make(chan result, 1)
				go func() {
					tok, err := run()
					done <- result{tok, err}
				}()
				h.Wait(t)
				revokeErr := rv.do(w)
				h.Let()
				res := <-done
				if revokeErr != nil {
					t.Fatalf("%s: %v", rv.name, revokeErr)
				}

				if res.err == nil || !errors.Is(res.err, authkit.ErrSessionRevoked) && res.err.Error() != authkit.ErrSessionRevoked.Error() {
					t.Errorf("the racing %s said %v, want ErrSessionRevoked", way.name, res.err)
				}
				if n := w.e.count(`SELECT count(*) FROM authkit_refresh_tokens`); n != 0 {
					t.Errorf("after %s, %d refresh tokens exist", rv.name, n)
				}
				if res.tok != nil {
					if _, err := w.e.refresh(res.tok.RefreshToken); err == nil {
						t.Errorf("after %s, the racer's refresh token works", rv.name)
					}
				}
			})
		}
	}
}
