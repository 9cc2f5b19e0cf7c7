package store

import (
	"context"
	"time"
)

// CreateAnonymousUser inserts a guest account with no address: verified
// (there is nothing to confirm), status Normal, no password, and returns
// its id.
func (s *Store) CreateAnonymousUser(ctx context.Context, now time.Time) (int64, error) {
	var id int64
	err := s.row(ctx, `
		INSERT INTO {users} (email, password_hash, verified, roles, registered_at, anonymous)
		VALUES ('', '', TRUE, '{}', $1, TRUE) RETURNING id`, now).Scan(&id)
	return id, err
}

// UpgradeAnonymous gives the anonymous user id an address and a password
// hash in place and clears its anonymous flag; verified says whether the
// address counts as confirmed. Only one of two racing upgrades finds the
// user still anonymous: the other, and an upgrade of a user that a purge
// deleted, get ErrNotFound. An address another account holds gives
// ErrDuplicateEmail.
func (s *Store) UpgradeAnonymous(ctx context.Context, id int64, email, emailKey, passwordHash string, verified bool) error {
	res, err := s.exec(ctx, `
		UPDATE {users} SET email = $2, email_key = $3, password_hash = $4, verified = $5, anonymous = FALSE
		WHERE id = $1 AND anonymous`, id, email, emailKey, passwordHash, verified)
	if isUniqueViolation(err) {
		return ErrDuplicateEmail
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// StaleAnonymousUsers returns the ids of anonymous users not seen (last
// login, or registration if they never logged in) since before, at most
// limit of them.
func (s *Store) StaleAnonymousUsers(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.sel(ctx, &ids, `
		SELECT id FROM {users} WHERE anonymous AND coalesce(last_login_at, registered_at) < $1
		ORDER BY id LIMIT $2`, before, limit)
	return ids, err
}
