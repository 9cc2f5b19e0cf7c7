package pgtest

import (
	"database/sql"
	"fmt"
	"testing"
	"time"
)

func TestZZBreakdown(t *testing.T) {
	var create, connect, q, drop time.Duration
	const n = 20
	for i := range n {
		name := fmt.Sprintf("zz_%d", i)
		start := time.Now()
		if _, err := running.admin.Exec("CREATE DATABASE " + name + running.createOptions); err != nil {
			t.Fatal(err)
		}
		create += time.Since(start)
		start = time.Now()
		db, _ := sql.Open("postgres", running.dbURL(name))
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		connect += time.Since(start)
		start = time.Now()
		if _, err := db.Exec("SELECT 1"); err != nil {
			t.Fatal(err)
		}
		q += time.Since(start)
		db.Close()
		start = time.Now()
		if err := running.dropDatabase(name); err != nil {
			t.Fatal(err)
		}
		drop += time.Since(start)
	}
	t.Logf("opts %q create %v connect %v query %v drop %v", running.createOptions, create/n, connect/n, q/n, drop/n)
}
