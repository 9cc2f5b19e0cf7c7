package authkit

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

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

// probe watches the statements a test database runs: it counts them (for
// the benchmarks' queries/op) and can hold the next statement that
// contains a given text until the test lets it go, to stop a request at
// an exact moment while another one runs (the race tests).
type probe struct {
	statements atomic.Int64

	mu    sync.Mutex
	holds []*hold // armed
	all   []*hold
}

// hold is a statement held by a probe.
type hold struct {
	match   string
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

// holdNext makes the next statement containing match wait, before it
// runs, until the hold is let go.
func (p *probe) holdNext(match string) *hold {
	h := &hold{match: match, reached: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	p.holds = append(p.holds, h)
	p.all = append(p.all, h)
	p.mu.Unlock()
	return h
}

// wait blocks until the held statement is reached.
func (h *hold) wait(t testing.TB) {
	t.Helper()
	select {
	case <-h.reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("no statement containing %q ran", h.match)
	}
}

// let lets the held statement run.
func (h *hold) let() { h.once.Do(func() { close(h.release) }) }

// letAll lets every hold go, so that a test that failed while one was held
// can end.
func (p *probe) letAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.all {
		h.let()
	}
}

func (p *probe) before(query string) {
	p.statements.Add(1)
	p.mu.Lock()
	var h *hold
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

// probedEnv is an env on a database whose connections go through a probe.
func probedEnv(t testing.TB, opts ...func(*Config)) (*env, *probe) {
	t.Helper()
	connector, err := pq.NewConnector(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{}
	db := sqlx.NewDb(sql.OpenDB(probeConnector{connector, p}), "postgres")
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	t.Cleanup(func() { db.Close() })
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db, opts...)
	t.Cleanup(p.letAll) // runs before the env's cleanup closes the Kit
	p.statements.Store(0)
	return e, p
}

type probeConnector struct {
	driver.Connector
	p *probe
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
	p *probe
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
	p     *probe
}

func (s *probeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.p.before(s.query)
	return s.pqStmt.QueryContext(ctx, args)
}

func (s *probeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.p.before(s.query)
	return s.pqStmt.ExecContext(ctx, args)
}
