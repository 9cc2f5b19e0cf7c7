package authkittest_test

import (
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/internal/pgtest"
)

func TestDevDatabase_KeepsItsDataBetweenRuns(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(pgtest.ServerDir(t), "postgres")

	first := devDatabase(t, dir)
	if _, err := first.db.Exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	first.stop(t)

	second := devDatabase(t, dir)
	defer second.stop(t)
	var n int
	if err := second.db.Get(&n, "SELECT n FROM kept"); err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("read %d, want 7", n)
	}
}

type runningDevDatabase struct {
	db      *sqlx.DB
	stopped func() error
}

func devDatabase(t *testing.T, dir string) *runningDevDatabase {
	t.Helper()
	dbURL, stop, err := authkittest.DevDatabase(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Connect("postgres", dbURL)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	return &runningDevDatabase{db: db, stopped: stop}
}

func (d *runningDevDatabase) stop(t *testing.T) {
	t.Helper()
	d.db.Close()
	if err := d.stopped(); err != nil {
		t.Error(err)
	}
}
