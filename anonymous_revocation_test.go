package authkit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The revocation matrix of revocation_race_test.go races ways in for one
// registered user with a password; a guest login makes a new user, and a
// guest has no password to change or reset, so guests get these tests of
// their own: the revocations an admin can run on a guest end its session,
// also when they land while the guest login is starting it.

// guestDevice logs a new device in as a guest and returns it with the
// guest's id.
func guestDevice(t *testing.T, e *env) (*device, int64) {
	t.Helper()
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	id := d.userID()
	if id == 0 {
		t.Fatal("the guest is not logged in")
	}
	return d, id
}

func TestAnonymous_ForceLogoutAndDeleteUserEndTheGuestSession(t *testing.T) { // SEC-A1 SEC-S8
	for name, revoke := range map[string]func(ad *Admin, id int64) error{
		"ForceLogout": func(ad *Admin, id int64) error { return ad.ForceLogout(context.Background(), id) },
		"DeleteUser":  func(ad *Admin, id int64) error { return ad.DeleteUser(context.Background(), id) },
		"ban":         func(ad *Admin, id int64) error { return ad.SetStatus(context.Background(), id, StatusBanned) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			d, id := guestDevice(t, e)
			if err := revoke(e.kit.Admin(), id); err != nil {
				t.Fatal(err)
			}
			if got := d.userID(); got != 0 {
				t.Fatalf("after %s the guest's cookie is still user %d", name, got)
			}
		})
	}
}

func TestAnonymous_ARevocationDuringTheGuestLoginWins(t *testing.T) { // SEC-A1 SEC-S8
	for name, revoke := range map[string]func(ad *Admin, id int64) error{
		"ForceLogout": func(ad *Admin, id int64) error { return ad.ForceLogout(context.Background(), id) },
		"DeleteUser":  func(ad *Admin, id int64) error { return ad.DeleteUser(context.Background(), id) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, p := probedEnv(t, func(c *Config) { c.QueryTimeout = time.Minute })
			racer := e.device()
			// The guest exists, its session is about to start: the
			// revocation lands in between.
			finish := inBackground(t, p.HoldNext(startsSession), func() error {
				return racer.err(func(a *Auth) error { return a.LoginAnonymous() })
			})
			var id int64
			if err := e.db.Get(&id, `SELECT id FROM authkit_users WHERE anonymous`); err != nil {
				t.Fatal(err)
			}
			if err := revoke(e.kit.Admin(), id); err != nil {
				t.Fatal(err)
			}
			err := finish()
			if !errors.Is(err, ErrSessionRevoked) {
				t.Errorf("the racing guest login said %v, want ErrSessionRevoked", err)
			}
			if got := racer.userID(); got != 0 {
				t.Fatalf("the racing guest login left a session of user %d", got)
			}
			for _, table := range []string{"sessions", "user_sessions"} {
				var n int
				if err := e.db.Get(&n, `SELECT count(*) FROM authkit_`+table+` WHERE user_id = $1`, id); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("after %s, %s has %d rows of the guest", name, table, n)
				}
			}
		})
	}
}
