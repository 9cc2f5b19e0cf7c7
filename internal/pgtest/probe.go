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

// Probe watches the statements a database pool runs: it counts them and
// can hold the next statement that contains a given text until the test
// lets it go, to stop a request at an exact moment while another one
// runs (race tests). Get one with [Probed].
type Probe struct {
	statements atomic.Int64

	mu    sync.Mutex
	holds []*Hold // armed
	all   []*Hold
}

// Hold is a statement a Probe holds.
type Hold struct {
	match   string
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

// Probed opens a pool of up to 32 connections on the database at url
// whose statements go through a new Probe; the pool closes when the test
// ends.
func Probed(t testing.TB, url string) (*sqlx.DB, *Probe) {
	t.Helper()
	connector, err := pq.NewConnector(url)
	if err != nil {
		t.Fatal(err)
	}
	p := &Probe{}
	db := sqlx.NewDb(sql.OpenDB(probeConnector{connector, p}), "postgres")
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	t.Cleanup(func() { db.Close() })
	return db, p
}

// Counter is the count of statements, for a benchmark to reset and read.
func (p *Probe) Counter() *atomic.Int64 { return &p.statements }

// LetAll lets every hold go, so that a test that failed while one was
// held can end; register it with t.Cleanup after whatever uses the pool,
// so that it runs first.
func (p *Probe) LetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.all {
		h.Let()
	}
}

// Statements returns how many statements ran (a transaction's BEGIN
// counts as one).
func (p *Probe) Statements() int64 { return p.statements.Load() }

// HoldNext makes the next statement containing match wait, before it
// runs, until the hold is let go.
func (p *Probe) HoldNext(match string) *Hold {
	h := &Hold{match: match, reached: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.holds = append(p.holds, h)
	p.all = append(p.all, h)
	p.mu.Unlock()
	return h
}

// Wait blocks until the held statement is reached, failing the test
// after 30 seconds.
func (h *Hold) Wait(t testing.TB) {
	t.Helper()
	select {
	case <-h.reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("no statement containing %q ran", h.match)
	}
}

// Let lets the held statement run; letting it go again does nothing.
func (h *Hold) Let() { h.once.Do(func() { close(h.release) }) }

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

// ProbedDB is [Probed] on a new, empty database of its own, like [URL].
func ProbedDB(t testing.TB) (*sqlx.DB, *Probe) {
	t.Helper()
	return Probed(t, URL(t))
}
