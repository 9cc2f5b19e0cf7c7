// Package store holds every SQL statement authkit runs, one file per table
// or concern. Values always travel as parameters; only table names, built
// from a validated prefix, are spliced into the text. Every statement runs
// under a deadline (Options.Timeout), so a slow database never holds a
// request longer than that.
package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

var (
	// ErrNotFound is returned when the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicateEmail is returned when an email address is already used
	// by another account (compared case-insensitively).
	ErrDuplicateEmail = errors.New("store: duplicate email")
)

// Tables holds the prefixed table names.
type Tables struct {
	Users, Sessions, UserSessions, EmailTokens, Audit, Remembers string
	SecondFactors, Attempts, OTPCodes, BackupCodes, Throttles    string
	APIKeys, ProviderTokens, Secrets                             string
}

// Options configures a Store.
type Options struct {
	// Timeout bounds every statement. Required.
	Timeout time.Duration
	// RequireVerified makes a confirmed email address part of what lets
	// an account hold a session.
	RequireVerified bool
}

// Store runs authkit's queries on one database.
type Store struct {
	db      *sqlx.DB
	t       Tables
	names   *strings.Replacer
	timeout time.Duration
	stmts   *statements
}

// statements are the prepared statements of the queries every request
// runs: a prepared statement skips planning, which costs more than
// running these queries.
type statements struct {
	mu sync.Mutex
	m  map[string]*sqlx.Stmt
}

// New returns a Store for tables whose names start with prefix. The prefix
// must already be validated (sqlschema.ValidPrefix).
func New(db *sqlx.DB, prefix string, opts Options) *Store {
	t := Tables{
		Users:        prefix + "users",
		Sessions:     prefix + "sessions",
		UserSessions: prefix + "user_sessions",
		EmailTokens:  prefix + "email_tokens",
		Audit:        prefix + "audit",
		Remembers:    prefix + "remembers",

		SecondFactors: prefix + "second_factors",
		Attempts:      prefix + "two_factor_attempts",
		OTPCodes:      prefix + "otp_codes",
		BackupCodes:   prefix + "backup_codes",
		Throttles:     prefix + "throttles",
		APIKeys:       prefix + "api_keys",

		ProviderTokens: prefix + "provider_tokens",
		Secrets:        prefix + "secrets",
	}
	// eligible is the session core's rule, as SQL on the users row u: the
	// account may hold a session. The Go side of the same rule is
	// authkit's eligible function; the two must agree.
	eligible := "u.status = 0"
	if opts.RequireVerified {
		eligible += " AND u.verified"
	}
	return &Store{db: db, t: t, timeout: opts.Timeout, stmts: &statements{m: map[string]*sqlx.Stmt{}}, names: strings.NewReplacer(
		"{users}", t.Users,
		"{sessions}", t.Sessions,
		"{user_sessions}", t.UserSessions,
		"{email_tokens}", t.EmailTokens,
		"{audit}", t.Audit,
		"{remembers}", t.Remembers,
		"{second_factors}", t.SecondFactors,
		"{attempts}", t.Attempts,
		"{otp_codes}", t.OTPCodes,
		"{backup_codes}", t.BackupCodes,
		"{throttles}", t.Throttles,
		"{api_keys}", t.APIKeys,
		"{provider_tokens}", t.ProviderTokens,
		"{secrets}", t.Secrets,
		"{refresh_tokens}", prefix+"refresh_tokens", // package tokens' table, for Revoke
		"{eligible}", eligible,
	)}
}

// WithTimeout returns a copy of the store whose statements may take up to
// d, for background work that is not on a request's path.
func (s *Store) WithTimeout(d time.Duration) *Store {
	c := *s
	c.timeout = d
	return &c
}

// Tables returns the table names the store uses.
func (s *Store) Tables() Tables { return s.t }

// q splices the table names into a query: {users} becomes the users table.
func (s *Store) q(query string) string { return s.names.Replace(query) }

// The helpers below run one statement each under the store's deadline.

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.db.ExecContext(ctx, s.q(query), args...)
}

func (s *Store) get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return notFound(s.db.GetContext(ctx, dest, s.q(query), args...))
}

func (s *Store) sel(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.db.SelectContext(ctx, dest, s.q(query), args...)
}

// row runs a query that returns one row; its Scan maps no row to
// ErrNotFound.
func (s *Store) row(ctx context.Context, query string, args ...any) row {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	return row{s.db.QueryRowContext(ctx, s.q(query), args...), cancel}
}

type row struct {
	r      *sql.Row
	cancel context.CancelFunc
}

func (r row) Scan(dest ...any) error {
	defer r.cancel()
	return notFound(r.r.Scan(dest...))
}

// prepared runs a query of the request path as a prepared statement, made
// on first use.
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PreparexContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	s.stmts.m[query] = st
	return st, nil
}

// preparedRow is row for a query of the request path.
func (s *Store) preparedRow(ctx context.Context, query string, args ...any) (row, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	st, err := s.prepared(ctx, query)
	if err != nil {
		cancel()
		return row{}, err
	}
	return row{st.QueryRowContext(ctx, args...), cancel}, nil
}

// preparedGet is get for a query of the request path.
func (s *Store) preparedGet(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return notFound(st.GetContext(ctx, dest, args...))
}

// preparedExec is exec for a statement of the request path.
func (s *Store) preparedExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Close releases the prepared statements.
func (s *Store) Close() error {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	var errs []error
	for q, st := range s.stmts.m {
		errs = append(errs, st.Close())
		delete(s.stmts.m, q)
	}
	return errors.Join(errs...)
}

// inTx runs f in a transaction under the store's deadline.
func (s *Store) inTx(ctx context.Context, f func(ctx context.Context, tx *sqlx.Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := f(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// execOne runs a statement that must change exactly one row, or returns
// ErrNotFound.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Ping checks that the database answers, under the store's deadline.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.db.PingContext(ctx)
}

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

func isForeignKeyViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23503"
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }
