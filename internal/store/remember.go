package store

import (
	"context"
	"database/sql"
	"time"
)

// RememberedUser is a remember-me token with the user it belongs to.
type RememberedUser struct {
	Selector      string       `db:"selector"`
	ValidatorHash []byte       `db:"validator_hash"`
	PreviousHash  []byte       `db:"previous_hash"`
	GraceUntil    sql.NullTime `db:"grace_until"`
	ExpiresAt     time.Time    `db:"expires_at"`
	Epoch         int64        `db:"epoch"`
	User          User         `db:"u"`
}

// RememberBySelector loads a remember-me token and its user in one query.
func (s *Store) RememberBySelector(ctx context.Context, selector string) (RememberedUser, error) {
	var r RememberedUser
	err := s.preparedGet(ctx, &r, `
		SELECT r.selector, r.validator_hash, r.previous_hash, r.grace_until, r.expires_at, r.epoch,
		       u.id AS "u.id", u.email AS "u.email", u.password_hash AS "u.password_hash",
		       u.verified AS "u.verified", u.status AS "u.status", u.roles AS "u.roles",
		       u.session_epoch AS "u.session_epoch", u.resettable AS "u.resettable",
		       u.registered_at AS "u.registered_at", u.last_login_at AS "u.last_login_at"
		FROM {remembers} r JOIN {users} u ON u.id = r.user_id
		WHERE r.selector = $1`, selector)
	return r, err
}

// DeleteRemember deletes one remember-me token.
func (s *Store) DeleteRemember(ctx context.Context, selector string) error {
	_, err := s.exec(ctx, `DELETE FROM {remembers} WHERE selector = $1`, selector)
	return err
}

// DeleteExpired removes expired sessions, remember-me tokens, mailed tokens, session
// index entries, pending second-factor logins, one-time codes, throttle
// buckets that have refilled, and audit entries older than auditBefore. Each DELETE walks an index on the expiry column,
// so the cost grows with what expired, not with the table.
func (s *Store) DeleteExpired(ctx context.Context, now, auditBefore time.Time) error {
	_, err := s.exec(ctx, `
		WITH s AS (DELETE FROM {sessions} WHERE expiry < $1),
		     r AS (DELETE FROM {remembers} WHERE expires_at < $1),
		     t AS (DELETE FROM {email_tokens} WHERE expires_at < $1),
		     a AS (DELETE FROM {attempts} WHERE expires_at < $1),
		     o AS (DELETE FROM {otp_codes} WHERE expires_at < $1),
		     th AS (DELETE FROM {throttles} WHERE full_at < $1),
		     au AS (DELETE FROM {audit} WHERE at < $2)
		DELETE FROM {user_sessions} WHERE expires_at < $1`, now, auditBefore)
	return err
}
