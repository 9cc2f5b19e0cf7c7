package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"
)

// APIKey is a row of the API keys table, without its secret's hash.
type APIKey struct {
	ID         string         `db:"id"`
	Selector   string         `db:"selector"`
	UserID     int64          `db:"user_id"`
	Name       string         `db:"name"`
	Scopes     pq.StringArray `db:"scopes"`
	CreatedAt  time.Time      `db:"created_at"`
	ExpiresAt  sql.NullTime   `db:"expires_at"`
	LastUsedAt sql.NullTime   `db:"last_used_at"`
}

const apiKeyColumns = "id, selector, user_id, name, scopes, created_at, expires_at, last_used_at"

// NewAPIKey is a key to store.
type NewAPIKey struct {
	APIKey
	SecretHash []byte
	// Epoch is the user's revocation counter as the caller read it: the
	// key is stored only if it is still the user's and the account still
	// eligible.
	Epoch int64
}

// CreateAPIKey stores a key under the conditions of NewAPIKey, and
// reports whether it did.
func (s *Store) CreateAPIKey(ctx context.Context, k NewAPIKey) (bool, error) {
	if k.Scopes == nil {
		k.Scopes = pq.StringArray{}
	}
	res, err := s.exec(ctx, `
		INSERT INTO {api_keys} (id, selector, secret_hash, user_id, epoch, name, scopes, created_at, expires_at)
		SELECT $1, $2, $3, u.id, $5, $6, $7, $8, $9 FROM {users} u
		WHERE u.id = $4 AND u.session_epoch = $5 AND {eligible}`,
		k.ID, k.Selector, k.SecretHash, k.UserID, k.Epoch, k.Name, k.Scopes, k.CreatedAt, k.ExpiresAt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// APIKeys returns the user's live keys, newest first.
func (s *Store) APIKeys(ctx context.Context, userID int64, now time.Time) ([]APIKey, error) {
	keys := []APIKey{}
	err := s.sel(ctx, &keys, `
		SELECT `+apiKeyColumns+` FROM {api_keys} k
		WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)
		  AND epoch = (SELECT session_epoch FROM {users} WHERE id = $1)
		ORDER BY created_at DESC, id`, userID, now)
	return keys, err
}

// DeleteAPIKey deletes one of the user's keys; ErrNotFound if the user
// has no key with that id.
func (s *Store) DeleteAPIKey(ctx context.Context, userID int64, id string) error {
	return s.execOne(ctx, `DELETE FROM {api_keys} WHERE id = $1 AND user_id = $2`, id, userID)
}

// KeyUser is the user an API key belongs to, with the key's scopes.
type KeyUser struct {
	SessionUser
	UserID    int64          `db:"user_id"`
	KeyID     string         `db:"key_id"`
	Scopes    pq.StringArray `db:"scopes"`
	CreatedAt time.Time      `db:"created_at"`
}

// UseAPIKey finds the live key with this selector and secret hash — not
// expired, made under the user's current revocation counter, its account
// eligible — and records its use if the last was over a minute before,
// in one statement; ErrNotFound for any other key.
func (s *Store) UseAPIKey(ctx context.Context, selector string, hash []byte, now time.Time) (KeyUser, error) {
	var ku KeyUser
	err := s.preparedGet(ctx, &ku, `
		WITH k AS (
		    SELECT k.id AS key_id, k.user_id, k.scopes, k.created_at, k.last_used_at,
		           u.email, u.verified, u.status, u.roles, u.session_epoch
		    FROM {api_keys} k JOIN {users} u ON u.id = k.user_id
		    WHERE k.selector = $1 AND k.secret_hash = $2 AND (k.expires_at IS NULL OR k.expires_at > $3)
		      AND k.epoch = u.session_epoch AND {eligible}),
		     used AS (UPDATE {api_keys} SET last_used_at = $3
		              WHERE id = (SELECT key_id FROM k) AND (last_used_at IS NULL OR last_used_at < $4))
		SELECT key_id, user_id, scopes, created_at, email, verified, status, roles, session_epoch FROM k`,
		selector, hash, now, now.Add(-time.Minute))
	return ku, err
}
