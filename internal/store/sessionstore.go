package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SessionStore is authkit's own scs session store, on the sessions table
// (the layout of scs's postgresstore plus the user the session belongs
// to). It folds the session core's revocation check into loading the
// session: FindCtx is one query that joins the session, its index entry
// and its user, and tells the core when the session was revoked or its
// account is no longer eligible. CommitCtx writes an authenticated session
// only while its index entry is live, so a request in flight cannot write
// back a session that a revocation ended.
//
// What a request's session belongs to travels in a [Slot] that the
// request's context leads to: FindCtx fills it, the session core updates
// it when it logs a user in or out, and CommitCtx reads it.
type SessionStore struct {
	s      *Store
	now    func() time.Time
	slotOf func(ctx context.Context) *Slot
}

// SessionStore returns the scs store on the store's sessions table. now
// is the clock against which session expiry is judged; slotOf finds the
// slot of the request a context belongs to (nil for none).
func (s *Store) SessionStore(now func() time.Time, slotOf func(ctx context.Context) *Slot) *SessionStore {
	return &SessionStore{s: s, now: now, slotOf: slotOf}
}

// Slot is what one request's session belongs to.
type Slot struct {
	// UserID is the user the session is authenticated as, 0 for none:
	// set by FindCtx from the stored session, and by the session core
	// when it starts or ends a session.
	UserID int64
	// User is the user behind the session, read by FindCtx.
	User SessionUser
	// SeenAt, when set, is recorded as the session's last activity when
	// the session is written back.
	SeenAt time.Time
}

// FindCtx returns the session data stored under key, unless it expired.
// It records in ctx's slot what the session belongs to: for an
// authenticated session, its user if its index entry is live, and nobody
// if the session was revoked or its account is no longer eligible (the
// core then ends the session, so that it cannot come back to life).
func (ss *SessionStore) FindCtx(ctx context.Context, key string) ([]byte, bool, error) {
	var (
		data      []byte
		userID    sql.NullInt64
		isLive    bool
		sessionID sql.NullString
		email     sql.NullString
		u         SessionUser
	)
	r, err := ss.s.preparedRow(ctx, `
		SELECT s.data, s.user_id, coalesce(`+live+`, FALSE), us.id, u.email, coalesce(u.verified, FALSE),
		       coalesce(u.status, 0), coalesce(u.roles, '{}'), coalesce(u.session_epoch, 0)
		FROM {sessions} s
		LEFT JOIN {user_sessions} us ON us.token = s.token AND us.user_id = s.user_id
		LEFT JOIN {users} u ON u.id = s.user_id
		WHERE s.token = $1 AND s.expiry > $2`, key, ss.now())
	if err == nil {
		err = r.Scan(&data, &userID, &isLive, &sessionID, &email, &u.Verified, &u.Status, &u.Roles, &u.Epoch)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if slot := ss.slotOf(ctx); slot != nil && isLive {
		u.SessionID, u.Email = sessionID.String, email.String
		slot.UserID, slot.User = userID.Int64, u
	}
	return data, true, nil
}

// CommitCtx stores the session data under key. A session that ctx's slot
// says is authenticated is written only while its index entry is live: a
// revocation that ran during the request has removed the entry, and the
// write finds nothing to write to. Anything else is written as an
// anonymous session, which never overwrites an authenticated one.
func (ss *SessionStore) CommitCtx(ctx context.Context, key string, b []byte, expiry time.Time) error {
	var userID int64
	slot := ss.slotOf(ctx)
	if slot != nil {
		userID = slot.UserID
	}
	if userID == 0 {
		_, err := ss.s.preparedExec(ctx, `
			INSERT INTO {sessions} (token, data, expiry) VALUES ($1, $2, $3)
			ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry
			WHERE {sessions}.user_id IS NULL`, key, b, expiry)
		return err
	}
	var seen sql.NullTime
	if slot != nil {
		seen = nullTime(slot.SeenAt)
	}
	_, err := ss.s.preparedExec(ctx, `
		WITH seen AS (UPDATE {user_sessions} SET last_seen_at = $5
		              WHERE token = $1 AND user_id = $4 AND $5::timestamptz IS NOT NULL)
		INSERT INTO {sessions} (token, data, expiry, user_id)
		SELECT $1, $2, $3, us.user_id FROM {user_sessions} us JOIN {users} u ON u.id = us.user_id
		WHERE us.token = $1 AND us.user_id = $4 AND `+live+`
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry
		WHERE {sessions}.user_id = EXCLUDED.user_id`, key, b, expiry, userID, seen)
	if isForeignKeyViolation(err) {
		return nil // the user was deleted meanwhile: nothing to keep
	}
	return err
}

// DeleteCtx deletes the session stored under key, if any.
func (ss *SessionStore) DeleteCtx(ctx context.Context, key string) error {
	_, err := ss.s.exec(ctx, `DELETE FROM {sessions} WHERE token = $1`, key)
	return err
}

// Find is FindCtx without a request: it has no slot, so what the session
// belongs to is not recorded.
func (ss *SessionStore) Find(key string) ([]byte, bool, error) {
	return ss.FindCtx(context.Background(), key)
}

// Commit is CommitCtx without a request, which writes the session as an
// anonymous one.
func (ss *SessionStore) Commit(key string, b []byte, expiry time.Time) error {
	return ss.CommitCtx(context.Background(), key, b, expiry)
}

// Delete is DeleteCtx without a request.
func (ss *SessionStore) Delete(key string) error {
	return ss.DeleteCtx(context.Background(), key)
}
