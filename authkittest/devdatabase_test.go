package authkittest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/authkittest"
)

func TestDevDatabase_KeepsItsDataBetweenRuns(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableDir(t), "postgres")

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

// reachableDir returns a new directory that PostgreSQL's OS user, which
// runs the server when the tests run as root, can reach; t.TempDir's own
// parent is private to this process's user.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
