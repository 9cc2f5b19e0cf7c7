package authkittest

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

// name starts every message of the package, so that a failure says which
// package of the test it comes from.
const name = "authkittest"

// Main runs the tests of m against a PostgreSQL server and returns the
// exit code, for a package's TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }
//
// The server is the one DATABASE_URL names, whose role needs CREATEDB,
// when that variable is set. Otherwise Main starts a throwaway cluster from
// the machine's PostgreSQL server binaries (initdb and postgres, found on
// PATH or under /usr/lib/postgresql/*/bin; as root they run as the OS user
// postgres) on a private Unix socket, tuned for speed over durability, and
// deletes it when the tests end or the run is interrupted. A cluster left by
// a test binary that was killed is deleted by the next Main.
//
// With neither DATABASE_URL nor the server binaries, Main prints what to
// install and returns 1 without running any test: the tests fail rather
// than skip, since a suite that skips its database tests proves nothing.
func Main(m *testing.M) int { return pgtest.RunAs(m, name) }

// DB returns a connection pool on a new database of its own, with authkit's
// tables already created by sqlschema.Apply under sqlschema.DefaultPrefix,
// ready for authkit.Config.DB. The database is dropped when the test ends,
// so parallel tests never see each other's users.
//
// The pool allows 32 open connections, room for tests that run many
// goroutines at once. A Kit with another Config.TablePrefix needs [URL]
// and its own sqlschema.Apply. DB fails the test if [Main] has not run.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	requireMain(t)
	db := pgtest.DB(t)
	if err := sqlschema.Apply(t.Context(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatalf("%s: creating authkit's tables: %v", name, err)
	}
	return db
}

// URL returns the connection URL (for lib/pq's "postgres" driver) of a new,
// empty database, for tests that open their own connections or create the
// tables themselves. The database is dropped when the test ends, cutting
// any connection still open. URL fails the test if [Main] has not run.
func URL(t testing.TB) string {
	t.Helper()
	requireMain(t)
	return pgtest.URL(t)
}

// requireMain fails the test, saying what to add, when no server runs.
func requireMain(t testing.TB) {
	t.Helper()
	if !pgtest.Running() {
		t.Fatal(name + ": no database server, as authkittest.Main has not run: add " +
			"func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) } to the package's tests")
	}
}
