package pgtest_test

import (
	"testing"
	"time"

	"github.com/authkit/authkit/internal/pgtest"
)

func TestZZTiming(t *testing.T) {
	var create, drop time.Duration
	const n = 30
	for range n {
		var cleanupStart time.Time
		t.Run("", func(t *testing.T) {
			start := time.Now()
			db := pgtest.DB(t)
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			create += time.Since(start)
			t.Cleanup(func() { cleanupStart = time.Now() })
		})
		drop += time.Since(cleanupStart)
	}
	t.Logf("DB(t)+ping %v, close+drop %v", create/n, drop/n)
}
