package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" driver

	"github.com/authkit/authkit/internal/pgcluster"
)

// clusterSettings trade the durability that a throwaway cluster does not
// need for speed, and allow connections for many tests at once.
var clusterSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"max_connections":    "300",
}

// maxOpenConns is the pool size of a [DB]: room for the 20 to 30
// goroutines that a concurrency test runs at once.
const maxOpenConns = 32

// minServerVersion is PostgreSQL 13, the first with DROP DATABASE ... WITH
// (FORCE), which drops a test's database even if the test leaked a
// connection to it.
const minServerVersion = 130000

// fileCopyVersion is PostgreSQL 15, the first with CREATE DATABASE ...
// STRATEGY, and the first whose default is not FILE_COPY.
const fileCopyVersion = 150000

// startTimeout bounds connecting to the server or starting one, which
// takes about a second.
const startTimeout = 2 * time.Minute

// running is the server of this test binary, set by Run before any test
// runs; nil means Run has not been called.
var running *server

// server creates and drops the tests' databases.
type server struct {
	name  string                   // starts every message, such as "pgtest"
	admin *sql.DB                  // connected to the maintenance database
	dbURL func(name string) string // the connection URL for a database
	// createOptions end the CREATE DATABASE statement.
	createOptions string
	count         atomic.Int64 // of databases created, to name them

	// mu guards the fields below, which the signal handler reads too.
	mu        sync.Mutex
	runDir    string             // the throwaway cluster's directory
	cluster   *pgcluster.Cluster // the throwaway cluster, if there is one
	databases map[string]bool    // created and not yet dropped
	closed    bool
}

// Run runs the tests of m against a PostgreSQL server and returns the exit
// code for os.Exit. The server is the one DATABASE_URL names, or else a
// throwaway cluster that Run starts, and stops and deletes when the tests
// are done or the run is interrupted.
//
// If there is no server to be had, Run prints why to stderr and returns 1
// without running any test.
func Run(m *testing.M) int { return RunAs(m, "pgtest") }

// RunAs is [Run] for a package that hands pgtest's databases on under its
// own name, as authkittest does for an app's tests: its messages start with
// name instead of "pgtest", so that they speak of the package the tests
// call.
func RunAs(m *testing.M, name string) int {
	s := &server{name: name, databases: make(map[string]bool)}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	stopHandling := s.closeOnSignal(cancel)
	defer stopHandling()

	if err := s.open(ctx); err != nil {
		s.report(err)
		s.report(s.close())
		return 1
	}
	running = s
	code := m.Run()
	s.report(s.close())
	return code
}

// Running reports whether [Run] or [RunAs] has started this test binary's
// server, so that a package built on pgtest can explain a missing TestMain
// in its own terms.
func Running() bool { return running != nil }

// DB returns a connection pool to a new, empty database that is dropped when
// the test ends. It fails the test if [Run] has not been called.
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", running.newDatabase(t))
	if err != nil {
		t.Fatalf("%s: %v", running.name, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	// As many idle as open, so that a burst of goroutines does not make
	// the pool reconnect each time.
	db.SetMaxIdleConns(maxOpenConns)
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns the lib/pq connection URL of a new, empty database that is
// dropped when the test ends, for tests that open connections themselves.
// Any connections to it that are still open then are cut. It fails the test
// if [Run] has not been called.
func URL(t testing.TB) string {
	t.Helper()
	return running.newDatabase(t)
}

// closeOnSignal makes SIGINT and SIGTERM close s, so that an interrupted run
// leaves no cluster behind, and then exit as those signals would have.
// abort cancels a start in progress. The returned function stops the
// handling.
func (s *server) closeOnSignal(abort context.CancelFunc) (stop func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig, ok := <-signals
		if !ok {
			return
		}
		abort()
		s.report(s.close())
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()
	return func() {
		signal.Stop(signals)
		close(signals)
	}
}

func (s *server) open(ctx context.Context) error {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		s.dbURL = func(name string) string { return withDatabase(dsn, name) }
		_, err := s.connect(ctx, dsn, "DATABASE_URL")
		return err
	}
	for _, root := range runRoots() {
		// The tests do not depend on leftovers being gone, so a failure
		// here is only reported.
		if err := removeLeftovers(ctx, root); err != nil {
			s.report(fmt.Errorf("%s: %w", s.name, err))
		}
	}
	cluster, err := s.startCluster(ctx)
	if err != nil {
		return err
	}
	s.dbURL = cluster.URL
	version, err := s.connect(ctx, cluster.URL("postgres"), "the tests' cluster")
	if err != nil {
		return err
	}
	if version >= fileCopyVersion {
		// Copying the template's files takes half the time of the default
		// since PostgreSQL 15, which writes them to the WAL. On the server
		// of DATABASE_URL, whose settings are unknown, the default stands.
		s.createOptions = " STRATEGY FILE_COPY"
	}
	return nil
}

func (s *server) startCluster(ctx context.Context) (*pgcluster.Cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New(s.name + ": interrupted")
	}
	dir, err := newRunDir()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	s.runDir = dir
	// The server's account, which is postgres when the tests run as root,
	// must reach the data and socket directories inside.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	s.cluster, err = pgcluster.Start(ctx, pgcluster.Options{
		DataDir:   filepath.Join(dir, dataSubdir),
		SocketDir: filepath.Join(dir, socketSubdir),
		Settings:  clusterSettings,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return s.cluster, nil
}

// connect opens s.admin and returns the server's version number, such as
// 150004 for 15.4.
func (s *server) connect(ctx context.Context, dsn, what string) (int, error) {
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", s.name, what, err)
	}
	s.mu.Lock()
	s.admin = admin
	s.mu.Unlock()
	var version string
	var versionNum int
	err = admin.QueryRowContext(ctx, "SELECT current_setting('server_version'), current_setting('server_version_num')::int").
		Scan(&version, &versionNum)
	if err != nil {
		return 0, fmt.Errorf("%s: connecting to %s: %w", s.name, what, err)
	}
	if versionNum < minServerVersion {
		return 0, fmt.Errorf("%s: %s runs PostgreSQL %s; %s needs 13 or later", s.name, what, version, s.name)
	}
	return versionNum, nil
}

// close drops the databases that are left, unless they go with the
// throwaway cluster, which it stops and deletes.
func (s *server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.admin != nil {
		if s.cluster == nil {
			for name := range s.databases {
				errs = append(errs, s.dropDatabase(name))
			}
			clear(s.databases)
		}
		errs = append(errs, s.admin.Close())
	}
	if s.cluster != nil {
		errs = append(errs, s.cluster.Stop())
	}
	if s.runDir != "" {
		errs = append(errs, os.RemoveAll(s.runDir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: cleaning up: %w", s.name, err)
	}
	return nil
}

// newDatabase creates a database that is dropped when t ends and returns
// its URL.
func (s *server) newDatabase(t testing.TB) string {
	t.Helper()
	if s == nil {
		t.Fatal("pgtest: no database server, as pgtest.Run has not run: add " +
			"func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) } to the package's tests")
	}
	// The pid and count make the name unique on this machine; the random
	// part, among machines whose tests share the server of DATABASE_URL.
	name := fmt.Sprintf("pgtest_%d_%d_%08x", os.Getpid(), s.count.Add(1), rand.Uint32())
	if _, err := s.admin.ExecContext(t.Context(), "CREATE DATABASE "+name+s.createOptions); err != nil {
		t.Fatalf("%s: creating a database: %v", s.name, err)
	}
	s.mu.Lock()
	s.databases[name] = true
	s.mu.Unlock()
	t.Cleanup(func() {
		if err := s.drop(name); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	})
	return s.dbURL(name)
}

// drop drops database name, unless close has dropped it already.
func (s *server) drop(name string) error {
	s.mu.Lock()
	pending := s.databases[name]
	delete(s.databases, name)
	s.mu.Unlock()
	if !pending {
		return nil
	}
	return s.dropDatabase(name)
}

func (s *server) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// report prints err, if there is one, to stderr: the tests' output, where
// a failure that happens outside any test can still be seen.
func (s *server) report(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// withDatabase returns dsn with its database replaced by name. Like
// DATABASE_URL, dsn may be a URL or in lib/pq's key=value form.
func withDatabase(dsn, name string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		// lib/pq lets a later key override an earlier one.
		return dsn + " dbname=" + name
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// lib/pq will report the malformed URL when the test connects.
		return dsn
	}
	// A dbname parameter would override the path.
	query := u.Query()
	query.Del("dbname")
	u.RawQuery = query.Encode()
	u.Path = "/" + name
	return u.String()
}
