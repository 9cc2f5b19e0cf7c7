// Package pgtest gives every test a new, empty PostgreSQL database of its
// own, so that tests can run in parallel against a real server.
//
// A package's tests opt in with one TestMain, and then ask for a database
// in each test:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		db := pgtest.DB(t)
//		...
//	}
//
// The server is the one DATABASE_URL names, if it is set; its role needs
// CREATEDB, and the server must be PostgreSQL 13 or later. Otherwise [Run]
// starts a throwaway cluster of its own with [pgcluster], tuned for speed
// over durability and kept in /dev/shm when that has room, and deletes it
// when the tests end. With neither
// DATABASE_URL nor PostgreSQL's server binaries, the tests fail: a suite
// that silently skips its database tests proves nothing.
//
// A test binary that is killed, as go test -timeout does, cannot delete its
// cluster, so Run deletes those that dead test binaries left behind before
// it starts its own.
//
// The public package authkittest offers the same databases to the tests of
// apps that use authkit, through [RunAs]; pgtest remains for the tests of
// the root package, which authkittest imports.
package pgtest
