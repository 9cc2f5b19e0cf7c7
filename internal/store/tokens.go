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
)

// EmailToken is a row of the email tokens table.
type EmailToken struct {
	Selector      string    `db:"selector"`
	ValidatorHash []byte    `db:"validator_hash"`
	UserID        int64     `db:"user_id"`
	Purpose       string    `db:"purpose"`
	Email         string    `db:"email"`
	CreatedAt     time.Time `db:"created_at"`
	ExpiresAt     time.Time `db:"expires_at"`
}

// InsertEmailToken stores a token. When replace is set, the user's older
// tokens for the same purpose are voided in the same statement, so at most
// the newest one works.
func (s *Store) InsertEmailToken(ctx context.Context, t EmailToken, replace bool) error {
	_, err := s.db.ExecContext(ctx, s.q(`
		WITH old AS (DELETE FROM {email_tokens} WHERE $8 AND user_id = $3 AND purpose = $4)
		INSERT INTO {email_tokens} (selector, validator_hash, user_id, purpose, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`),
		t.Selector, t.ValidatorHash, t.UserID, t.Purpose, t.Email, t.CreatedAt, t.ExpiresAt, replace)
	return err
}

// EmailToken returns the token with this selector and purpose without
// using it up.
func (s *Store) EmailToken(ctx context.Context, selector, purpose string) (EmailToken, error) {
	var t EmailToken
	err := s.db.GetContext(ctx, &t, s.q(`
		SELECT selector, validator_hash, user_id, purpose, email, created_at, expires_at
		FROM {email_tokens} WHERE selector = $1 AND purpose = $2`), selector, purpose)
	return t, notFound(err)
}

// ConsumeEmailToken deletes the token with this selector, if its purpose
// is one of purposes, and returns it. Deleting first makes a token
// single-use even when two requests race: only one DELETE gets the row
// back. The caller checks the validator and the expiry afterwards; a wrong
// validator burns the token.
func (s *Store) ConsumeEmailToken(ctx context.Context, selector string, purposes ...string) (EmailToken, error) {
	var t EmailToken
	err := s.db.GetContext(ctx, &t, s.q(`
		DELETE FROM {email_tokens} WHERE selector = $1 AND purpose = ANY($2)
		RETURNING selector, validator_hash, user_id, purpose, email, created_at, expires_at`),
		selector, pq.StringArray(purposes))
	return t, notFound(err)
}
