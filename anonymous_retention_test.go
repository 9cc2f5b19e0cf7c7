package authkit

import (
	"context"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

// guestCount counts the anonymous users left in the database.
func guestCount(t *testing.T, e *env) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM authkit_users WHERE anonymous`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCleanup_PurgesGuestsOlderThanTheDefaultThirtyDays(t *testing.T) { // SEC-A1
	e := newEnv(t)
	if e.kit.cfg.AnonymousRetention != 30*24*time.Hour {
		t.Fatalf("default AnonymousRetention = %v", e.kit.cfg.AnonymousRetention)
	}
	if err := e.device().err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(29 * 24 * time.Hour)
	e.kit.cleanup(context.Background())
	if n := guestCount(t, e); n != 1 {
		t.Fatalf("a guest seen 29 days ago was purged (%d left)", n)
	}
	e.clock.Advance(2 * 24 * time.Hour)
	e.kit.cleanup(context.Background())
	if n := guestCount(t, e); n != 0 {
		t.Fatalf("%d guests older than the retention survived the cleanup", n)
	}
}

func TestCleanup_KeepsGuestsWhenAnonymousRetentionIsNegative(t *testing.T) { // SEC-A1
	e := newEnv(t, func(c *Config) { c.AnonymousRetention = -1 })
	if err := e.device().err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(365 * 24 * time.Hour)
	e.kit.cleanup(context.Background())
	if n := guestCount(t, e); n != 1 {
		t.Fatalf("the purge ran although it is off (%d left)", n)
	}
}

func TestAnonymous_ReauthenticationAndSecondFactorSettingsAreRefused(t *testing.T) { // SEC-A1
	e := newEnv(t)
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.Reauthenticate("") }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { _, err := a.TwoFactor().EnrollTOTP(); return err }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+14155550100") }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, "") }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { _, err := a.TwoFactor().RegenerateBackupCodes(); return err }), ErrAnonymous)
}

func TestUser_SaysWhetherTheUserIsAnonymous(t *testing.T) { // SEC-A1
	e := newEnv(t, func(c *Config) { c.DisableEmailVerification = true })
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	var u User
	if err := d.err(func(a *Auth) (err error) { u, err = a.User(); return err }); err != nil || !u.Anonymous {
		t.Fatalf("guest's User: %+v %v", u, err)
	}
	if got, err := e.kit.Admin().User(context.Background(), u.ID); err != nil || !got.Anonymous {
		t.Fatalf("Admin's view of the guest: %+v %v", got, err)
	}
	if err := d.err(func(a *Auth) error {
		_, err := a.Register("kept@example.com", "correct horse battery staple")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.err(func(a *Auth) (err error) { u, err = a.User(); return err }); err != nil || u.Anonymous {
		t.Fatalf("upgraded user's User: %+v %v", u, err)
	}
}
