package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

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

// CreateUser inserts a user and returns its id, or ErrDuplicateEmail. The
// unique index on lower(email) decides races between concurrent
// registrations, so exactly one of them wins.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string, verified bool, roles []string, now time.Time) (int64, error) {
	if roles == nil {
		roles = []string{}
	}
	var id int64
	err := s.row(ctx, `
		INSERT INTO {users} (email, password_hash, verified, roles, registered_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		email, passwordHash, verified, pq.StringArray(roles), now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, ErrDuplicateEmail
	}
	return id, err
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.get(ctx, &u, `SELECT `+userColumns+` FROM {users} WHERE lower(email) = lower($1)`, email)
	return u, err
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.get(ctx, &u, `SELECT `+userColumns+` FROM {users} WHERE id = $1`, id)
	return u, err
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

// SetPasswordHash replaces a user's password hash, for an upgrade of the
// hash of the same password (a change of password revokes, see Revoke).
func (s *Store) SetPasswordHash(ctx context.Context, id int64, hash string) error {
	return s.execOne(ctx, `UPDATE {users} SET password_hash = $2 WHERE id = $1`, id, hash)
}

// MarkVerified marks a user's email address as confirmed.
func (s *Store) MarkVerified(ctx context.Context, id int64) error {
	return s.execOne(ctx, `UPDATE {users} SET verified = TRUE WHERE id = $1`, id)
}

// SetStatus sets a user's status without revoking anything, for a change
// back to normal (any other status revokes, see Revoke).
func (s *Store) SetStatus(ctx context.Context, id int64, status int16) error {
	return s.execOne(ctx, `UPDATE {users} SET status = $2 WHERE id = $1`, id, status)
}

// UpdateRoles replaces a user's roles with change(current roles), under a
// row lock so concurrent changes do not lose each other, and returns the
// new roles.
func (s *Store) UpdateRoles(ctx context.Context, id int64, change func([]string) []string) ([]string, error) {
	var roles pq.StringArray
	err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`SELECT roles FROM {users} WHERE id = $1 FOR UPDATE`), id).Scan(&roles); err != nil {
			return notFound(err)
		}
		roles = change(roles)
		if roles == nil {
			roles = pq.StringArray{}
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE {users} SET roles = $2 WHERE id = $1`), id, roles)
		return err
	})
	return roles, err
}
