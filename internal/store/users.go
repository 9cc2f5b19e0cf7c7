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
	// Anonymous marks a guest account with no address yet (SEC-A1).
	Anonymous bool `db:"anonymous"`
	// TwoFactor tells whether the user has a working second factor; only
	// UserByEmail reads it (for a login, which needs to know), and it is
	// not Valid from the other lookups.
	TwoFactor sql.NullBool `db:"two_factor"`
}

const userColumns = "id, email, password_hash, verified, status, roles, session_epoch, resettable, registered_at, last_login_at, anonymous"

// CreateUser inserts a user whose address has the key emailKey (see
// UserByEmail) and returns its id, or ErrDuplicateEmail. The unique index
// on email_key decides races between concurrent registrations, so exactly
// one of them wins.
func (s *Store) CreateUser(ctx context.Context, email, emailKey, passwordHash string, verified bool, roles []string, now time.Time) (int64, error) {
	if roles == nil {
		roles = []string{}
	}
	var id int64
	err := s.row(ctx, `
		INSERT INTO {users} (email, email_key, password_hash, verified, roles, registered_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		email, emailKey, passwordHash, verified, pq.StringArray(roles), now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, ErrDuplicateEmail
	}
	return id, err
}

// UserByEmail finds the user whose address has the key emailKey, the
// address folded by the Go code (the database's lower() depends on its
// collation, and under the C locale folds ASCII only). A row without a key
// yet — one a release before email_key wrote, during a rolling upgrade —
// is found by lower(email) as before; a row with the key comes first.
func (s *Store) UserByEmail(ctx context.Context, email, emailKey string) (User, error) {
	var u User
	err := s.preparedGet(ctx, &u, `SELECT `+userColumns+`,
		       EXISTS (SELECT 1 FROM {second_factors} f WHERE f.user_id = {users}.id AND f.verified) AS two_factor
		FROM {users}
		WHERE email_key = $2 OR (email_key IS NULL AND NOT anonymous AND lower(email) = lower($1))
		ORDER BY email_key IS NULL LIMIT 1`, email, emailKey)
	return u, err
}

// FillEmailKeys gives every user without an email_key the key key(email),
// for the addresses that the migration adding the column could not fold
// in SQL and those that an older release wrote since. It returns the ids of
// users whose key another account holds already (two addresses the Go fold
// makes one, which the database's lower() told apart): they keep no key,
// and the address finds the other account.
func (s *Store) FillEmailKeys(ctx context.Context, key func(string) string) (clashes []int64, err error) {
	var rows []struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
	}
	if err := s.sel(ctx, &rows, `SELECT id, email FROM {users} WHERE email_key IS NULL AND NOT anonymous ORDER BY id`); err != nil {
		return nil, err
	}
	for _, r := range rows {
		_, err := s.exec(ctx, `UPDATE {users} SET email_key = $2 WHERE id = $1 AND email_key IS NULL`, r.ID, key(r.Email))
		switch {
		case isUniqueViolation(err):
			clashes = append(clashes, r.ID)
		case err != nil:
			return clashes, err
		}
	}
	return clashes, nil
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

// SetEmail changes a user's address (whose key is emailKey) and marks it
// confirmed, or returns ErrDuplicateEmail if another account has it. The
// user's email second factor (method emailMethod) follows: a working one
// sends its codes to the new address from now on, and an unfinished set-up
// goes, with its code (named by enableBinding), which went to the old one.
func (s *Store) SetEmail(ctx context.Context, id int64, email, emailKey string, emailMethod int16, enableBinding string) error {
	var n int
	err := s.row(ctx, `
		WITH u AS (UPDATE {users} SET email = $2, email_key = $3, verified = TRUE WHERE id = $1 RETURNING id),
		     moved AS (UPDATE {second_factors} SET contact = $2
		               WHERE user_id = (SELECT id FROM u) AND method = $4 AND verified),
		     unfinished AS (DELETE FROM {second_factors}
		                    WHERE user_id = (SELECT id FROM u) AND method = $4 AND NOT verified),
		     code AS (DELETE FROM {otp_codes} WHERE user_id = (SELECT id FROM u) AND binding = $5)
		SELECT count(*) FROM u`, id, email, emailKey, emailMethod, enableBinding).Scan(&n)
	switch {
	case isUniqueViolation(err):
		return ErrDuplicateEmail
	case err == nil && n == 0:
		return ErrNotFound
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
