package authkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

// Not parallel: it counts the process's goroutines.
func TestQueryTimeout_ALockedSessionsTableFailsRequestsFastWithoutPilingUp(t *testing.T) { // SEC-S12
	const (
		timeout  = 200 * time.Millisecond
		poolSize = 4
		requests = 50 // at 50 a second
	)
	url := pgtest.URL(t)
	db := sqlx.MustConnect("postgres", url)
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db, func(c *Config) { c.QueryTimeout = timeout })
	e.user("slow@example.com")
	d := loggedInDevice(t, e, "slow@example.com", "")
	cookie := d.cookies[sessionCookieName(e)]
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !From(r).IsLoggedIn() {
			http.Error(w, "not logged in", http.StatusUnauthorized)
		}
	}))
	serve := func() (int, time.Duration) {
		req := httptest.NewRequest("GET", "https://example.com/", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		return rec.Code, time.Since(start)
	}
	if code, _ := serve(); code != http.StatusOK {
		t.Fatalf("before the lock: %d", code)
	}
	baseline := runtime.NumGoroutine()

	// Another client locks the sessions table and holds the lock.
	locker := sqlx.MustConnect("postgres", url)
	t.Cleanup(func() { locker.Close() })
	tx, err := locker.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE authkit_sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	codes := map[int]int{}
	maxOpen := 0
	tick := time.NewTicker(time.Second / requests)
	for range requests {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, took := serve()
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
			slowest = max(slowest, took)
			maxOpen = max(maxOpen, db.Stats().OpenConnections)
		}()
	}
	tick.Stop()
	wg.Wait()
	var backends int
	if err := locker.Get(&backends, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	if codes[http.StatusServiceUnavailable] != requests {
		t.Errorf("answers while the table was locked: %v, want all %d to be 503", codes, requests)
	}
	// Generous against a loaded machine, but far below the lock's hold.
	if slowest > 10*timeout {
		t.Errorf("the slowest request took %v with a query timeout of %v", slowest, timeout)
	}
	if maxOpen > poolSize || backends > poolSize+2 { // the pool, the locker, and the query counting them
		t.Errorf("connections: %d open in the pool, %d backends, want at most the pool size %d", maxOpen, backends, poolSize)
	}
	if code, _ := serve(); code != http.StatusOK {
		t.Fatalf("after the lock: %d", code)
	}
	// Nothing keeps running for the requests that failed.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("%d goroutines after the lock, %d before", n, baseline)
	}
}
