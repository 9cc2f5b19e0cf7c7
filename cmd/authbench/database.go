package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/authkit/authkit/internal/pgcluster"
)

// databaseName is the database authbench creates in its cluster.
const databaseName = "authbench"

// database is the run's throwaway PostgreSQL server.
type database struct {
	dir     string // removed by stop
	cluster *pgcluster.Cluster
}

// runDirPrefix starts the name of a run's temporary directory; the pid
// of the process that made it follows, then a dash.
const runDirPrefix = "authbench-"

// startDatabase starts a PostgreSQL server in a new temporary directory
// with the repository's harness and creates the database the apps share.
// It first removes what runs killed before they could clean up left.
func startDatabase(ctx context.Context) (_ *database, err error) {
	if err := removeLeftovers(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", runDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	// As root the server runs as the OS user postgres, which must be able
	// to reach the data directory inside.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cluster, err := pgcluster.Start(startCtx, pgcluster.Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	d := &database{dir: dir, cluster: cluster}
	if err := d.create(startCtx); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
}

// removeLeftovers stops the servers of, and removes, the run directories
// of authbench processes that have died.
func removeLeftovers(ctx context.Context) error {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), runDirPrefix+"*"))
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(dir), runDirPrefix), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || processAlive(n) {
			continue
		}
		if err := pgcluster.StopServer(ctx, filepath.Join(dir, "data"), pgcluster.ImmediateShutdown); err != nil {
			return fmt.Errorf("stopping the server a killed run left: %w", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing what a killed run left: %w", err)
		}
	}
	return nil
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// create creates the database the apps share.
func (d *database) create(ctx context.Context) error {
	db, err := sql.Open("postgres", d.cluster.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(databaseName)); err != nil {
		return fmt.Errorf("creating the database: %w", err)
	}
	return nil
}

// stop stops the server and removes its directory.
func (d *database) stop() error {
	return errors.Join(d.cluster.Stop(), os.RemoveAll(d.dir))
}

// url is the connection URL of the database the apps share.
func (d *database) url() string { return d.cluster.URL(databaseName) }

// openPool returns a pool of at most maxConns connections to the database
// at dbURL, all kept when idle (as the README's quick start advises),
// whose statements queries counts.
func openPool(dbURL string, maxConns int, queries *atomic.Int64) (*sqlx.DB, error) {
	connector, err := pq.NewConnector(dbURL)
	if err != nil {
		return nil, err
	}
	db := sqlx.NewDb(sql.OpenDB(countingConnector{connector, queries}), "postgres")
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return db, nil
}

// countingConnector counts what its connections send to the server: each
// statement, and each BEGIN and COMMIT or ROLLBACK, as one query.
type countingConnector struct {
	driver.Connector
	queries *atomic.Int64
}

// Connect opens a counted connection.
func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(pqConn)
	if !ok {
		return nil, errors.Join(fmt.Errorf("lib/pq's connection (%T) lacks an interface authbench counts through", conn), conn.Close())
	}
	return &countingConn{pc, c.queries}, nil
}

// pqConn is the set of optional interfaces lib/pq's connection has; the
// counting connection keeps them all, so database/sql treats it as it
// would lib/pq's.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.NamedValueChecker
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type countingConn struct {
	pqConn
	queries *atomic.Int64
}

func (c *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.queries.Add(1)
	return c.pqConn.QueryContext(ctx, q, args)
}

func (c *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.queries.Add(1)
	return c.pqConn.ExecContext(ctx, q, args)
}

// PrepareContext is not counted, as a statement prepared once runs many
// times; each run counts.
func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.pqConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	ps, ok := st.(pqStmt)
	if !ok {
		return nil, errors.Join(fmt.Errorf("lib/pq's statement (%T) lacks an interface authbench counts through", st), st.Close())
	}
	return &countingStmt{ps, c.queries}, nil
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.queries.Add(1)
	tx, err := c.pqConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx, c.queries}, nil
}

type countingTx struct {
	driver.Tx
	queries *atomic.Int64
}

func (t countingTx) Commit() error {
	t.queries.Add(1)
	return t.Tx.Commit()
}

func (t countingTx) Rollback() error {
	t.queries.Add(1)
	return t.Tx.Rollback()
}

// pqStmt is the set of optional interfaces lib/pq's statement has.
type pqStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

type countingStmt struct {
	pqStmt
	queries *atomic.Int64
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.queries.Add(1)
	return s.pqStmt.QueryContext(ctx, args)
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.queries.Add(1)
	return s.pqStmt.ExecContext(ctx, args)
}

// serverVersion returns PostgreSQL's version, for the report.
func serverVersion(ctx context.Context, db *sqlx.DB) string {
	var v string
	if err := db.GetContext(ctx, &v, "SHOW server_version"); err != nil {
		return "unknown"
	}
	return v
}
