// Package store holds every SQL statement authkit runs. Values always travel
// as parameters; only table names, built from a validated prefix, are
// spliced into the text.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
}

// Store runs authkit's queries on one database.
type Store struct {
	db    *sqlx.DB
	t     Tables
	names *strings.Replacer
}

// New returns a Store for tables whose names start with prefix. The prefix
// must already be validated (sqlschema.ValidPrefix).
func New(db *sqlx.DB, prefix string) *Store {
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
	}
	return &Store{db: db, t: t, names: strings.NewReplacer(
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
	)}
}

// Tables returns the table names the store uses.
func (s *Store) Tables() Tables { return s.t }

// q splices the table names into a query: {users} becomes the users table.
func (s *Store) q(query string) string { return s.names.Replace(query) }

// CheckSchema returns an error when the users table is missing, so that a
// forgotten schema is reported at start-up rather than at the first login.
func (s *Store) CheckSchema(ctx context.Context) error {
	var name sql.NullString
	if err := s.db.QueryRowContext(ctx, "SELECT to_regclass($1)::text", s.t.Users).Scan(&name); err != nil {
		return err
	}
	if !name.Valid {
		return fmt.Errorf("table %s does not exist: %w", s.t.Users, ErrNotFound)
	}
	return nil
}

// User is a row of the users table.
type User struct {
	ID           int64          `db:"id"`
	Email        string         `db:"email"`
	PasswordHash string         `db:"password_hash"`
	Verified     bool           `db:"verified"`
	Status       int16          `db:"status"`
	Roles        pq.StringArray `db:"roles"`
	Epoch        int64          `db:"session_epoch"`
	Resettable   bool           `db:"resettable"`
	RegisteredAt time.Time      `db:"registered_at"`
	LastLoginAt  sql.NullTime   `db:"last_login_at"`
}

const userColumns = "id, email, password_hash, verified, status, roles, session_epoch, resettable, registered_at, last_login_at"

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// CreateUser inserts a user and returns its id, or ErrDuplicateEmail. The
// unique index on lower(email) decides races between concurrent
// registrations, so exactly one of them wins.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string, verified bool, roles []string, now time.Time) (int64, error) {
	if roles == nil {
		roles = []string{}
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(
		`INSERT INTO {users} (email, password_hash, verified, roles, registered_at)
		 VALUES ($1, $2, $3, $4, $5) RETURNING id`),
		email, passwordHash, verified, pq.StringArray(roles), now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, ErrDuplicateEmail
	}
	return id, err
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, s.q(`SELECT `+userColumns+` FROM {users} WHERE lower(email) = lower($1)`), email)
	return u, notFound(err)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, s.q(`SELECT `+userColumns+` FROM {users} WHERE id = $1`), id)
	return u, notFound(err)
}

// SessionUser is the part of a user that a session caches.
type SessionUser struct {
	Email    string         `db:"email"`
	Verified bool           `db:"verified"`
	Status   int16          `db:"status"`
	Roles    pq.StringArray `db:"roles"`
	Epoch    int64          `db:"session_epoch"`
}

// SessionUser reads what a session caches of a user: one indexed lookup,
// run at most once per resync interval per session.
func (s *Store) SessionUser(ctx context.Context, id int64) (SessionUser, error) {
	var u SessionUser
	err := s.db.GetContext(ctx, &u, s.q(`SELECT email, verified, status, roles, session_epoch FROM {users} WHERE id = $1`), id)
	return u, notFound(err)
}

// ListUsers returns up to limit users with an id greater than afterID, in
// id order (keyset paging).
func (s *Store) ListUsers(ctx context.Context, afterID int64, limit int) ([]User, error) {
	users := []User{}
	err := s.db.SelectContext(ctx, &users, s.q(`SELECT `+userColumns+` FROM {users} WHERE id > $1 ORDER BY id LIMIT $2`), afterID, limit)
	return users, err
}

func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
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

// SetPasswordAndRevoke replaces a user's password hash and, in the same
// statement, ends every session but the one under keepKey (whose index
// entry moves to newKey), forgets every remember-me token, bumps the
// session epoch and, if verify is set, marks the address confirmed. It
// returns the new epoch and the keys of the ended sessions.
func (s *Store) SetPasswordAndRevoke(ctx context.Context, userID int64, hash, keepKey, newKey string, verify bool) (int64, []string, error) {
	return s.dropSessions(ctx, `
		WITH doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 AND token <> $3 RETURNING token),
		     ren AS (UPDATE {user_sessions} SET token = $4 WHERE token = $3 AND $4 <> '' AND user_id = $1),
		     rem AS (DELETE FROM {remembers} WHERE user_id = $1),
		     u AS (UPDATE {users} SET password_hash = $2, session_epoch = session_epoch + 1, verified = verified OR $5
		           WHERE id = $1 RETURNING session_epoch)
		SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`, userID, hash, keepKey, newKey, verify)
}

// SetResettable sets whether the user may reset a forgotten password.
func (s *Store) SetResettable(ctx context.Context, id int64, resettable bool) error {
	return s.execOne(ctx, `UPDATE {users} SET resettable = $2 WHERE id = $1`, id, resettable)
}

// SetEmail changes a user's address and marks it confirmed, or returns
// ErrDuplicateEmail if another account has it.
func (s *Store) SetEmail(ctx context.Context, id int64, email string) error {
	err := s.execOne(ctx, `UPDATE {users} SET email = $2, verified = TRUE WHERE id = $1`, id, email)
	if isUniqueViolation(err) {
		return ErrDuplicateEmail
	}
	return err
}

// SetPasswordHash replaces a user's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return s.execOne(ctx, `UPDATE {users} SET password_hash = $2 WHERE id = $1`, id, hash)
}

// MarkVerified marks a user's email address as confirmed.
func (s *Store) MarkVerified(ctx context.Context, id int64) error {
	return s.execOne(ctx, `UPDATE {users} SET verified = TRUE WHERE id = $1`, id)
}

// SetStatus sets a user's status. When revoke is set, the user's sessions
// are dropped from the index and the session epoch is bumped in the same
// statement; the dropped session keys are returned so the caller can
// delete them from the session store.
func (s *Store) SetStatus(ctx context.Context, id int64, status int16, revoke bool) ([]string, error) {
	_, keys, err := s.dropSessions(ctx, `
		WITH doomed AS (DELETE FROM {user_sessions} WHERE $3 AND user_id = $1 RETURNING token),
		     rem AS (DELETE FROM {remembers} WHERE $3 AND user_id = $1),
		     u AS (UPDATE {users} SET status = $2,
		               session_epoch = session_epoch + CASE WHEN $3 THEN 1 ELSE 0 END
		           WHERE id = $1 RETURNING session_epoch)
		SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`, id, status, revoke)
	return keys, err
}

// DeleteUser deletes a user and, by cascade, every row that belongs to
// them. It returns the keys of the user's sessions, for the caller to
// delete from the session store.
func (s *Store) DeleteUser(ctx context.Context, id int64) ([]string, error) {
	_, keys, err := s.dropSessions(ctx, `
		WITH doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 RETURNING token),
		     u AS (DELETE FROM {users} WHERE id = $1 RETURNING session_epoch)
		SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`, id)
	return keys, err
}

// RevokeSessions drops every session of the user except the one stored
// under keepKey ("" keeps none) from the index, forgets every remember-me
// token except keepSelector's ("" keeps none), and bumps the user's
// session epoch, which also kills sessions that a request in flight writes
// back afterwards. It returns the new epoch and the dropped keys, which
// the caller deletes from the session store.
func (s *Store) RevokeSessions(ctx context.Context, userID int64, keepKey, keepSelector string) (int64, []string, error) {
	return s.dropSessions(ctx, `
		WITH doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 AND token <> $2 RETURNING token),
		     rem AS (DELETE FROM {remembers} WHERE user_id = $1 AND selector <> $3),
		     u AS (UPDATE {users} SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch)
		SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`, userID, keepKey, keepSelector)
}

// dropSessions runs a statement that returns a user's session epoch (NULL
// when the user does not exist) and an array of dropped session keys.
func (s *Store) dropSessions(ctx context.Context, query string, args ...any) (int64, []string, error) {
	var epoch sql.NullInt64
	var keys pq.StringArray
	err := s.db.QueryRowContext(ctx, s.q(query), args...).Scan(&epoch, &keys)
	if err == nil && !epoch.Valid {
		err = ErrNotFound
	}
	return epoch.Int64, keys, err
}

// SessionKeys returns the keys of the user's indexed sessions.
func (s *Store) SessionKeys(ctx context.Context, userID int64) ([]string, error) {
	keys := []string{}
	err := s.db.SelectContext(ctx, &keys, s.q(`SELECT token FROM {user_sessions} WHERE user_id = $1`), userID)
	return keys, err
}

// UpdateRoles replaces a user's roles with change(current roles), under a
// row lock so concurrent changes do not lose each other, and returns the
// new roles.
func (s *Store) UpdateRoles(ctx context.Context, id int64, change func([]string) []string) ([]string, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var roles pq.StringArray
	if err := tx.QueryRowContext(ctx, s.q(`SELECT roles FROM {users} WHERE id = $1 FOR UPDATE`), id).Scan(&roles); err != nil {
		return nil, notFound(err)
	}
	roles = change(roles)
	if roles == nil {
		roles = pq.StringArray{}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE {users} SET roles = $2 WHERE id = $1`), id, roles); err != nil {
		return nil, err
	}
	return roles, tx.Commit()
}

// DeviceSession describes a session to record in the per-user index.
type DeviceSession struct {
	UserID    int64
	Key       string // the session store's key for the session
	Replaces  string // the key of the session it replaces, if any
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// Rotation replaces the validator of a remember-me token that was just
// used, keeping the old one valid until GraceUntil.
type Rotation struct {
	Selector   string
	OldHash    []byte // the validator hash the caller saw; the swap happens only if it is still current
	NewHash    []byte
	GraceUntil time.Time
	ExpiresAt  time.Time
}

// RecordLogin indexes a new session under its user, forgets the session it
// replaces and this user's expired entries, stamps the last login, writes
// the audit entry and, if rot is set, rotates a remember-me token — all in
// one round trip. It reports whether the rotation happened: it does not
// when a concurrent request rotated the token first.
func (s *Store) RecordLogin(ctx context.Context, d DeviceSession, audit AuditEntry, rot *Rotation) (rotated bool, err error) {
	if rot == nil {
		rot = &Rotation{}
	}
	var n int
	err = s.db.QueryRowContext(ctx, s.q(`
		WITH ins AS (
		    INSERT INTO {user_sessions} (token, user_id, created_at, expires_at, ip, user_agent)
		    VALUES ($2, $1, $3, $4, $5, $6)
		    ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, created_at = EXCLUDED.created_at,
		        expires_at = EXCLUDED.expires_at, ip = EXCLUDED.ip, user_agent = EXCLUDED.user_agent),
		     old AS (DELETE FROM {user_sessions} WHERE user_id = $1 AND (token = $7 OR expires_at < $3)),
		     last AS (UPDATE {users} SET last_login_at = $3 WHERE id = $1),
		     aud AS (INSERT INTO {audit} (at, event, outcome, user_id, actor_id, ip, user_agent, detail)
		             VALUES ($3, $8, $9, $1, $10, $5, $6, $11)),
		     rot AS (UPDATE {remembers}
		             SET previous_hash = validator_hash, validator_hash = $13, grace_until = $14, expires_at = $15
		             WHERE selector = $12 AND validator_hash = $16 RETURNING 1)
		SELECT count(*) FROM rot`),
		d.UserID, d.Key, d.CreatedAt, d.ExpiresAt, d.IP, d.UserAgent, d.Replaces,
		audit.Event, audit.Outcome, audit.ActorID, audit.Detail,
		rot.Selector, rot.NewHash, nullTime(rot.GraceUntil), rot.ExpiresAt, rot.OldHash).Scan(&n)
	return n == 1, err
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// RenameSession moves an index entry to the session's new key after its
// token was renewed.
func (s *Store) RenameSession(ctx context.Context, oldKey, newKey string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE {user_sessions} SET token = $2 WHERE token = $1`), oldKey, newKey)
	return err
}

// ForgetSession removes one session from the per-user index.
func (s *Store) ForgetSession(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM {user_sessions} WHERE token = $1`), key)
	return err
}
