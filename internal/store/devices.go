package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Device is a live session of a user, as the user's list of devices shows
// it. It never carries the session's token or store key.
type Device struct {
	ID         string    `db:"id"`
	Key        string    `db:"token"` // the store key, to tell the current session; never shown
	UserAgent  string    `db:"user_agent"`
	IP         string    `db:"ip"`
	CreatedAt  time.Time `db:"created_at"`
	LastSeenAt time.Time `db:"last_seen_at"`
	ExpiresAt  time.Time `db:"expires_at"`
	Remembered bool      `db:"remembered"`
}

// Devices returns the user's live sessions, most recently seen first.
func (s *Store) Devices(ctx context.Context, userID int64, now time.Time) ([]Device, error) {
	ds := []Device{}
	err := s.sel(ctx, &ds, `
		SELECT us.id, us.token, us.user_agent, us.ip, us.created_at, us.last_seen_at, us.expires_at, us.remembered
		FROM {user_sessions} us JOIN {users} u ON u.id = us.user_id
		WHERE us.user_id = $1 AND us.expires_at > $2 AND `+live+`
		ORDER BY us.last_seen_at DESC, us.created_at DESC`, userID, now)
	return ds, err
}

// RevokeDevice ends one session of the user, found by its public id, and
// the remember-me token its device holds, with every session that came
// from that token; it returns the ended sessions' keys, or ErrNotFound
// when the user has no session with that id. Like RevokeRemember, the
// token goes first, so a restore racing this either finds it gone or has
// committed its session before the sessions are looked for.
func (s *Store) RevokeDevice(ctx context.Context, userID int64, id string) ([]string, error) {
	var keys pq.StringArray
	err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		var selector string
		err := tx.QueryRowContext(ctx, s.q(`SELECT remember_selector FROM {user_sessions} WHERE id = $1 AND user_id = $2`),
			id, userID).Scan(&selector)
		if err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM {remembers} WHERE selector = $1 AND $1 <> ''`), selector); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`
			WITH doomed AS (DELETE FROM {user_sessions}
			                WHERE user_id = $1 AND (id = $2 OR (remember_selector = $3 AND $3 <> '')) RETURNING token),
			     rows AS (DELETE FROM {sessions} WHERE token IN (SELECT token FROM doomed))
			SELECT array(SELECT token FROM doomed)`), userID, id, selector).Scan(&keys)
	})
	return keys, err
}

// TouchSession records that a session was seen at a time, for a session
// store other than authkit's own (whose write-back does it).
func (s *Store) TouchSession(ctx context.Context, key string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE {user_sessions} SET last_seen_at = $2 WHERE token = $1`, key, at)
	return err
}
