package authkit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLoginAnonymous_IsThrottledPerIP(t *testing.T) { // SEC-A1
	e := newEnv(t, func(c *Config) { c.Limits.AnonymousPerIP = Limit{Burst: 2, Every: time.Hour} })
	d := e.device()
	for i := 0; i < 2; i++ {
		if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
			t.Fatal(err)
		}
	}
	var te *TooManyRequestsError
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); !errors.As(err, &te) {
		t.Fatalf("third guest from one IP: %v", err)
	}
}

func TestRegister_FromAnAnonymousSessionKeepsTheUserIDAndAppData(t *testing.T) { // SEC-A1
	e := newEnv(t, func(c *Config) { c.DisableEmailVerification = true })
	ctx := context.Background()
	if _, err := e.db.Exec(`CREATE TABLE app_notes (user_id BIGINT NOT NULL, note TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	guest := d.userID()
	if guest == 0 {
		t.Fatal("the guest is not logged in")
	}
	if _, err := e.db.Exec(`INSERT INTO app_notes VALUES ($1, 'kept')`, guest); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := d.err(func(a *Auth) (err error) {
		id, err = a.Register("guest@example.com", "correct horse battery staple")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if id != guest || d.userID() != guest {
		t.Fatalf("upgrade gave id %d, session %d, want %d", id, d.userID(), guest)
	}
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM app_notes WHERE user_id = $1`, guest).Scan(&n); err != nil || n != 1 {
		t.Fatalf("app data: %d %v", n, err)
	}
	if n, err := e.kit.Admin().PurgeAnonymous(ctx, -time.Hour); err != nil || n != 0 {
		t.Fatalf("purge took the upgraded user: %d %v", n, err)
	}
}

func TestRegister_TwoConcurrentUpgradesOneWins(t *testing.T) { // SEC-A1
	e := newEnv(t, func(c *Config) { c.DisableEmailVerification = true })
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	guest := d.userID()
	var wg sync.WaitGroup
	errs, ids := make([]error, 2), make([]int64, 2)
	for i, addr := range []string{"one@example.com", "two@example.com"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.err(func(a *Auth) (err error) { ids[i], err = a.Register(addr, "correct horse battery staple"); return err })
		}()
	}
	wg.Wait()
	// One upgrade takes the guest's id; the other either lost the race
	// (ErrAnonymous) or came after it and registered a new account.
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil && ids[i] == guest:
			ok++
		case err == nil:
		case !errors.Is(err, ErrAnonymous):
			t.Fatalf("losing upgrade: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d upgrades won: %v", ok, errs)
	}
}

func TestPurgeAnonymous_RemovesOldGuestsOnly(t *testing.T) { // SEC-A1
	e := newEnv(t)
	ctx := context.Background()
	if err := e.device().err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	if n, err := e.kit.Admin().PurgeAnonymous(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("purged a recent guest: %d %v", n, err)
	}
	if n, err := e.kit.Admin().PurgeAnonymous(ctx, -time.Hour); err != nil || n != 1 {
		t.Fatalf("purge of an old guest: %d %v", n, err)
	}
}

func TestAnonymous_PasswordActionsAreRefused(t *testing.T) { // SEC-A1
	e := newEnv(t)
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginAnonymous() }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.ChangePassword("", "correct horse battery staple") }), ErrAnonymous)
	wantErr(t, d.err(func(a *Auth) error { return a.ChangeEmail("guest@example.com") }), ErrAnonymous)
}
