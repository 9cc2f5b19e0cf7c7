package pgtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Probe watches the statements a test database runs: it counts them (for
// a benchmark's queries/op, or to prove that something runs none) and can
// hold the next statement that contains a given text until the test lets
// it go, to stop a request at an exact moment while another one runs (the
// race tests).
type Probe struct {
	statements atomic.Int64

	mu    sync.Mutex
	holds []*Hold
}

// Hold is a statement held by a Probe.
type Hold struct {
	match   string
	reached chan struct{}
	release chan struct{}
}

// ProbedDB returns a connection pool, like [DB], to a new, empty database
// whose connections go through the returned Probe.
func ProbedDB(t testing.TB) (*sqlx.DB, *Probe) {
	t.Helper()
	connector, err := pq.NewConnector(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &Probe{}
	db := sqlx.NewDb(sql.OpenDB(probeConnector{connector, p}), "postgres")
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	t.Cleanup(func() { db.Close() })
	return db, p
}

// Statements returns how many statements ran since the last Reset.
func (p *Probe) Statements() int64 { return p.statements.Load() }

// Reset sets the count of statements to zero.
func (p *Probe) Reset() { p.statements.Store(0) }

// HoldNext makes the next statement containing match wait, before it
// runs, until the hold is let go.
func (p *Probe) HoldNext(match string) *Hold {
	h := &Hold{match: match, reached: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.holds = append(p.holds, h)
	p.mu.Unlock()
	return h
}

// Wait blocks until the held statement is reached, and fails the test if
// that takes more than 30 seconds.
func (h *Hold) Wait(t testing.TB) {
	t.Helper()
	select {
	case <-h.reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("no statement containing %q ran", h.match)
	}
}

// Let lets the held statement run.
func (h *Hold) Let() { close(h.release) }

func (p *Probe) before(query string) {
	p.statements.Add(1)
	p.mu.Lock()
	var h *Hold
	for i, c := range p.holds {
		if strings.Contains(query, c.match) {
			h = c
			p.holds = append(p.holds[:i], p.holds[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	if h != nil {
		close(h.reached)
		<-h.release
	}
}

type probeConnector struct {
	driver.Connector
	p *Probe
}

func (c probeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &probeConn{conn.(pqConn), c.p}, nil
}

// pqConn is the set of optional interfaces lib/pq's connection has.
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

type probeConn struct {
	pqConn
	p *Probe
}

func (c *probeConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.p.before(q)
	return c.pqConn.QueryContext(ctx, q, args)
}

func (c *probeConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.p.before(q)
	return c.pqConn.ExecContext(ctx, q, args)
}

// PrepareContext is not counted: a statement is prepared once per
// connection, and each run of it counts.
func (c *probeConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.pqConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &probeStmt{st.(pqStmt), q, c.p}, nil
}

func (c *probeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.p.statements.Add(1)
	return c.pqConn.BeginTx(ctx, opts)
}

// pqStmt is the set of optional interfaces lib/pq's statement has.
type pqStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

type probeStmt struct {
	pqStmt
	query string
	p     *Probe
}

func (s *probeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.p.before(s.query)
	return s.pqStmt.QueryContext(ctx, args)
}

func (s *probeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.p.before(s.query)
	return s.pqStmt.ExecContext(ctx, args)
}
