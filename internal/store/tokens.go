package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Purposes of email tokens.
const (
	PurposeConfirm     = "confirm"
	PurposeReset       = "reset"
	PurposeChangeEmail = "change_email"
	PurposeLogin       = "login" // a login link
)

// EmailToken is a row of the email tokens table.
type EmailToken struct {
	Selector      string    `db:"selector"`
	ValidatorHash []byte    `db:"validator_hash"`
	UserID        int64     `db:"user_id"`
	Purpose       string    `db:"purpose"`
	Email         string    `db:"email"`
	Epoch         int64     `db:"epoch"` // the user's session epoch when the token was made
	CreatedAt     time.Time `db:"created_at"`
	ExpiresAt     time.Time `db:"expires_at"`
}

const emailTokenColumns = "selector, validator_hash, user_id, purpose, email, epoch, created_at, expires_at"

// InsertEmailToken stores a token made under the user's session epoch
// t.Epoch, only if that is still the user's epoch (a revocation since has
// voided what the token would be for), and voids the user's older tokens
// of the same purpose in the same statement, so at most the newest one
// works. It returns ErrNotFound when the user is gone or the epoch moved.
func (s *Store) InsertEmailToken(ctx context.Context, t EmailToken) error {
	return s.execOne(ctx, `
		WITH u AS (SELECT id FROM {users} WHERE id = $3 AND session_epoch = $8),
		     old AS (DELETE FROM {email_tokens} WHERE user_id = (SELECT id FROM u) AND purpose = $4)
		INSERT INTO {email_tokens} (selector, validator_hash, user_id, purpose, email, epoch, created_at, expires_at)
		SELECT $1, $2, id, $4, $5, $8, $6, $7 FROM u`,
		t.Selector, t.ValidatorHash, t.UserID, t.Purpose, t.Email, t.CreatedAt, t.ExpiresAt, t.Epoch)
}

// EmailToken returns the token with this selector and purpose without
// using it up.
func (s *Store) EmailToken(ctx context.Context, selector, purpose string) (EmailToken, error) {
	var t EmailToken
	err := s.get(ctx, &t, `SELECT `+emailTokenColumns+` FROM {email_tokens} WHERE selector = $1 AND purpose = $2`, selector, purpose)
	return t, err
}

// ConsumeEmailToken deletes the token with this selector, if its purpose
// is one of purposes, and returns it. Deleting first makes a token
// single-use even when two requests race: only one DELETE gets the row
// back. The caller checks the validator, the expiry and the epoch
// afterwards; a wrong validator burns the token.
func (s *Store) ConsumeEmailToken(ctx context.Context, selector string, purposes ...string) (EmailToken, error) {
	var t EmailToken
	err := s.get(ctx, &t, `
		DELETE FROM {email_tokens} WHERE selector = $1 AND purpose = ANY($2)
		RETURNING `+emailTokenColumns, selector, pq.StringArray(purposes))
	return t, err
}
