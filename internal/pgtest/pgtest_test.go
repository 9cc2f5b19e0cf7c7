package pgtest_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestDB_GivesEachParallelTestANewEmptyDatabase(t *testing.T) {
	names := make(chan string, 2)
	t.Run("tests", func(t *testing.T) {
		for _, name := range []string{"first", "second"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := pgtest.DB(t)

				var tables int
				if err := db.Get(&tables, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); err != nil {
					t.Fatal(err)
				}
				if tables != 0 {
					t.Errorf("the new database has %d tables", tables)
				}
				// Both tests create the same table, which only works in
				// databases of their own.
				if _, err := db.Exec("CREATE TABLE claimed (id int)"); err != nil {
					t.Fatal(err)
				}
				var current string
				if err := db.Get(&current, "SELECT current_database()"); err != nil {
					t.Fatal(err)
				}
				names <- current
			})
		}
	})
	if first, second := <-names, <-names; first == second {
		t.Errorf("both tests got database %s", first)
	}
}

func TestDB_DropsTheDatabaseWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("test", func(t *testing.T) {
		if err := pgtest.DB(t).Get(&name, "SELECT current_database()"); err != nil {
			t.Fatal(err)
		}
	})

	if exists := databaseExists(t, name); exists {
		t.Errorf("database %s still exists", name)
	}
}

func TestDB_AllowsThirtyConnectionsAtOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	const goroutines = 30
	var began, done sync.WaitGroup
	began.Add(goroutines)
	errs := make(chan error, goroutines)
	for range goroutines {
		done.Go(func() {
			// Each holds its connection until all have one.
			tx, err := db.BeginTxx(ctx, nil)
			began.Done()
			if err != nil {
				errs <- err
				return
			}
			began.Wait()
			errs <- tx.Rollback()
		})
	}
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestURL_ServesIndependentPoolsOnOneDatabase(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	writer, reader := open(t, url), open(t, url)

	if _, err := writer.Exec("CREATE TABLE shared (v text); INSERT INTO shared VALUES ('written')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := reader.Get(&v, "SELECT v FROM shared"); err != nil {
		t.Fatal(err)
	}
	if v != "written" {
		t.Errorf("read %q, want %q", v, "written")
	}
}

func TestURL_DropsTheDatabaseEvenIfTheTestLeftConnectionsOpen(t *testing.T) {
	t.Parallel()
	var name string
	var leaked *sqlx.DB
	t.Run("test", func(t *testing.T) {
		var err error
		if leaked, err = sqlx.Open("postgres", pgtest.URL(t)); err != nil {
			t.Fatal(err)
		}
		if err := leaked.Get(&name, "SELECT current_database()"); err != nil {
			t.Fatal(err)
		}
	})
	defer leaked.Close()

	if exists := databaseExists(t, name); exists {
		t.Errorf("database %s still exists", name)
	}
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var exists bool
	// pg_database is shared by all databases of a server.
	err := pgtest.DB(t).Get(&exists, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name)
	if err != nil {
		t.Fatal(err)
	}
	return exists
}

func open(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
