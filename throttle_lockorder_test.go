package authkit

import (
	"context"
	"testing"
	"time"
)

// TestThrottle_GiveBackLocksBucketsInKeyOrderSoItCannotDeadlockWithATake
// holds bucket "a" in a transaction, as a take of buckets a and b holds
// it while it waits for b, and starts a give-back of b and a (in that
// order) against it. A give-back that locked b first would now wait for a
// while holding b, the transaction could never get b, and PostgreSQL
// would abort one of them as a deadlock: a login refused with "database
// unavailable" under load. Locking in key order, the give-back waits for a
// holding nothing, and both finish.
func TestThrottle_GiveBackLocksBucketsInKeyOrderSoItCannotDeadlockWithATake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, key := range []string{"lockorder:a", "lockorder:b"} {
		if _, err := e.db.Exec(`INSERT INTO authkit_throttles (key, tokens, updated_at, full_at) VALUES ($1, 1, now(), now())`, key); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := e.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SET LOCAL lock_timeout = '10s'`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT 1 FROM authkit_throttles WHERE key = 'lockorder:a' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- e.kit.store.GiveBack(ctx, []string{"lockorder:b", "lockorder:a"}, []int{5, 5}) }()

	// Wait until the give-back is blocked on a row lock (a state, polled,
	// not a guess at timing).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := e.db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%unnest%'`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the give-back finished (%v) while bucket a was held", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the give-back never waited for bucket a")
		}
		time.Sleep(2 * time.Millisecond)
	}

	// The take goes on to b: it must get it, so the give-back holds nothing.
	if _, err := tx.Exec(`SELECT 1 FROM authkit_throttles WHERE key = 'lockorder:b' FOR UPDATE`); err != nil {
		t.Fatalf("the transaction holding a could not lock b: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("give-back: %v", err)
	}
	var tokens []float64
	if err := e.db.Select(&tokens, `SELECT tokens FROM authkit_throttles WHERE key LIKE 'lockorder:%' ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 2 || tokens[0] != 2 || tokens[1] != 2 {
		t.Fatalf("tokens = %v, want both given back to 2", tokens)
	}
}
