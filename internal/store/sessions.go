package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The statements of the session core: the only ones that create session
// index entries, remember-me tokens and (in twofactor.go) pending logins,
// and the only ones that revoke them. Each new row records the user's
// session_epoch that the caller read before it checked the credentials,
// and is created only if that epoch and an eligible status are still the
// user's (a conditional insert). A revocation bumps the epoch, so a row
// that a racing statement still manages to create under the old epoch is
// dead on arrival: every reader compares the epochs ({live} below).

// live is the condition, on the index entry us and its user u, that a
// session is still valid: not revoked since it started, and the account
// still eligible.
const live = `us.epoch = u.session_epoch AND {eligible}`

// SessionUser is what a request needs of the user behind its session,
// read fresh with the session on every request.
type SessionUser struct {
	SessionID string         `db:"session_id"` // the session's public id; empty for a bearer credential
	Email     string         `db:"email"`
	Verified  bool           `db:"verified"`
	Status    int16          `db:"status"`
	Roles     pq.StringArray `db:"roles"`
	Epoch     int64          `db:"session_epoch"`
}

// NewSession is a session the core starts.
type NewSession struct {
	ID     string // the session's public id, for the user's list of devices
	UserID int64
	// Epoch is the user's session_epoch read before the credentials were
	// checked; the session starts only if it is still the user's.
	Epoch     int64
	Key       string // the session store's key for the session
	Replaces  string // the key of the session this request held before, if any
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string

	// Restore, when set, starts the session from a remember-me token,
	// which must still exist under Epoch; the token rotates if the caller
	// saw its current validator.
	Restore *Rotation
	// Remember, when set, issues a new remember-me token for the device
	// with the session, replacing the token RememberReplaces.
	Remember         *Remember
	RememberReplaces string
	// RememberKeep is how many of the user's other remember-me tokens
	// survive a new one: the newest; older ones are deleted.
	RememberKeep int
}

// Rotation replaces the validator of a remember-me token that was just
// used, keeping the old one valid until GraceUntil. Without hashes it
// only checks that the token still exists (a request within the grace
// window of a rotation that a concurrent request did).
type Rotation struct {
	Selector   string
	OldHash    []byte // the validator hash the caller saw; the swap happens only if it is still current
	NewHash    []byte
	GraceUntil time.Time
	ExpiresAt  time.Time
}

// Remember is a row of the remember-me tokens table.
type Remember struct {
	Selector      string
	ValidatorHash []byte
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// StartSession records a new session in the user's index, with the audit
// entry of the login, stamps the last login, forgets the session it
// replaces and the user's expired entries, and rotates or issues a
// remember-me token (deleting the user's oldest beyond n.RememberKeep) —
// all in one statement, and only if the user's epoch
// is still n.Epoch and the account still eligible (and, for a restore, the
// token still there, locked against a concurrent theft detection). started
// is false when that condition failed and nothing was written; rotated
// tells whether a restore's rotation happened (it does not when a
// concurrent request rotated the token first).
func (s *Store) StartSession(ctx context.Context, n NewSession, audit AuditEntry) (started, rotated bool, err error) {
	rot, rem := n.Restore, n.Remember
	restoring, issuing := rot != nil, rem != nil
	if rot == nil {
		rot = &Rotation{}
	}
	if rem == nil {
		rem = &Remember{}
	}
	selector := rot.Selector
	if issuing {
		selector = rem.Selector
	}
	r, err := s.preparedRow(ctx, `
		WITH cur AS (SELECT u.id FROM {users} u WHERE u.id = $1 AND u.session_epoch = $2 AND {eligible}),
		     tok AS (SELECT r.selector FROM {remembers} r
		             WHERE $12 AND r.selector = $13 AND r.user_id = $1 AND r.epoch = $2 FOR UPDATE),
		     ok AS (SELECT id FROM cur WHERE NOT $12 OR EXISTS (SELECT 1 FROM tok)),
		     ins AS (INSERT INTO {user_sessions} (token, id, user_id, epoch, created_at, last_seen_at, expires_at,
		                 ip, user_agent, remember_selector, remembered)
		             SELECT $3, $24, id, $2, $4, $4, $5, $6, $7, $20, $12 FROM ok RETURNING 1),
		     old AS (DELETE FROM {user_sessions}
		             WHERE EXISTS (SELECT 1 FROM ok) AND (token = $8 OR (user_id = $1 AND expires_at < $4))),
		     last AS (UPDATE {users} SET last_login_at = $4 WHERE id = (SELECT id FROM ok)),
		     aud AS (INSERT INTO {audit} (at, event, outcome, user_id, actor_id, ip, user_agent, detail)
		             SELECT $4, $9, $10, $1, $11, $6, $7, $21 FROM ok),
		     rot AS (UPDATE {remembers}
		             SET previous_hash = validator_hash, validator_hash = $14, grace_until = $15, expires_at = $16
		             WHERE selector = (SELECT selector FROM tok) AND validator_hash = $17 AND EXISTS (SELECT 1 FROM ok)
		             RETURNING 1),
		     oldrem AS (DELETE FROM {remembers}
		                WHERE $18 AND EXISTS (SELECT 1 FROM ok) AND user_id = $1 AND (expires_at < $4 OR selector = $19
		                      OR selector NOT IN (SELECT selector FROM {remembers} WHERE user_id = $1 ORDER BY created_at DESC LIMIT $25))),
		     newrem AS (INSERT INTO {remembers} (selector, validator_hash, user_id, epoch, created_at, expires_at)
		                SELECT $20, $22, id, $2, $4, $23 FROM ok WHERE $18)
		SELECT EXISTS (SELECT 1 FROM ins), EXISTS (SELECT 1 FROM rot)`,
		n.UserID, n.Epoch, n.Key, n.CreatedAt, n.ExpiresAt, n.IP, n.UserAgent, n.Replaces,
		audit.Event, audit.Outcome, audit.ActorID,
		restoring, rot.Selector, rot.NewHash, nullTime(rot.GraceUntil), rot.ExpiresAt, rot.OldHash,
		issuing, n.RememberReplaces, selector, audit.Detail, rem.ValidatorHash, rem.ExpiresAt, n.ID, n.RememberKeep)
	if err != nil {
		return false, false, err
	}
	err = r.Scan(&started, &rotated)
	return started, rotated, err
}

// RenameSession moves an index entry to the session's new key after its
// token was renewed. If a revocation removed the entry meanwhile, there is
// nothing to move and the session stays ended.
func (s *Store) RenameSession(ctx context.Context, oldKey, newKey string) error {
	_, err := s.exec(ctx, `UPDATE {user_sessions} SET token = $2 WHERE token = $1`, oldKey, newKey)
	return err
}

// ForgetSession removes one session from the per-user index.
func (s *Store) ForgetSession(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM {user_sessions} WHERE token = $1`, key)
	return err
}

// CheckSession returns the user behind a session held in a session store
// other than authkit's own, if its index entry is still live; ErrNotFound
// if it was revoked, or its account is gone or no longer eligible.
func (s *Store) CheckSession(ctx context.Context, key string, userID int64) (SessionUser, error) {
	var u SessionUser
	err := s.get(ctx, &u, `
		SELECT us.id AS session_id, u.email, u.verified, u.status, u.roles, u.session_epoch
		FROM {user_sessions} us JOIN {users} u ON u.id = us.user_id
		WHERE us.token = $1 AND us.user_id = $2 AND `+live, key, userID)
	return u, err
}

// Revocation ends sessions, remember-me tokens and pending state of one
// user, optionally together with a change that calls for it.
type Revocation struct {
	UserID int64
	// KeepKey is a session that survives (the one revoking the others),
	// "" for none; NewKey, when set, is the key it moves to, its token
	// having been renewed.
	KeepKey, NewKey string
	// KeepSelector is a remember-me token that survives, "" for none.
	KeepSelector string
	// PasswordHash, when set, becomes the user's password hash.
	PasswordHash string
	// Verify also marks the address confirmed (a reset link proves it).
	Verify bool
	// Status, when set, becomes the user's status.
	Status *int16
	// Delete deletes the account, and with it every row of the user.
	Delete bool
}

// Revoke bumps the user's session epoch, which kills every session,
// remember-me token and pending login created under the old one, even by
// a statement racing this one; deletes the user's session index entries
// and authkit-store sessions, remember-me tokens, pending second-factor
// logins, one-time codes, unfinished factor enrolments, API keys,
// pending password-reset and email-change tokens (SEC-S10), the tokens
// OAuth providers issued (package oauth) and refresh tokens (package
// tokens) — except the session and token named to keep, which move to the
// new epoch; and applies the change asked for, all in one statement. It
// returns the new epoch and the keys of the ended sessions, for deleting
// them from another session store. A missing user gives ErrNotFound.
func (s *Store) Revoke(ctx context.Context, r Revocation) (int64, []string, error) {
	if r.Delete {
		return s.dropSessions(ctx, `
			WITH doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 RETURNING token),
			     u AS (DELETE FROM {users} WHERE id = $1 RETURNING session_epoch)
			SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`, r.UserID)
	}
	var status sql.NullInt16
	if r.Status != nil {
		status = sql.NullInt16{Int16: *r.Status, Valid: true}
	}
	return s.dropSessions(ctx, `
		WITH u AS (UPDATE {users} SET session_epoch = session_epoch + 1,
		               password_hash = CASE WHEN $5 <> '' THEN $5 ELSE password_hash END,
		               verified = verified OR $6,
		               status = coalesce($7, status)
		           WHERE id = $1 RETURNING session_epoch),
		     doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 AND token <> $2 RETURNING token),
		     kept AS (UPDATE {user_sessions}
		              SET epoch = (SELECT session_epoch FROM u),
		                  token = CASE WHEN $3 <> '' THEN $3 ELSE token END,
		                  remember_selector = CASE WHEN remember_selector = $4 THEN remember_selector ELSE '' END
		              WHERE user_id = $1 AND token = $2 AND $2 <> ''),
		     rows AS (DELETE FROM {sessions} WHERE user_id = $1 AND token <> $2 AND token <> $3),
		     rem AS (DELETE FROM {remembers} WHERE user_id = $1 AND selector <> $4),
		     remkept AS (UPDATE {remembers} SET epoch = (SELECT session_epoch FROM u)
		                 WHERE user_id = $1 AND selector = $4 AND $4 <> ''),
		     att AS (DELETE FROM {attempts} WHERE user_id = $1),
		     mailed AS (DELETE FROM {email_tokens} WHERE user_id = $1 AND purpose IN ('reset', 'change_email', 'login')),
		     codes AS (DELETE FROM {otp_codes} WHERE user_id = $1),
		     prov AS (DELETE FROM {provider_tokens} WHERE user_id = $1),
		     enrol AS (DELETE FROM {second_factors} WHERE user_id = $1 AND NOT verified),
		     keys AS (DELETE FROM {api_keys} WHERE user_id = $1),
		     refresh AS (DELETE FROM {refresh_tokens} WHERE user_id = $1)
		SELECT (SELECT session_epoch FROM u), array(SELECT token FROM doomed)`,
		r.UserID, r.KeepKey, r.NewKey, r.KeepSelector, r.PasswordHash, r.Verify, status)
}

// dropSessions runs a statement that returns a user's session epoch (NULL
// when the user does not exist) and an array of dropped session keys.
func (s *Store) dropSessions(ctx context.Context, query string, args ...any) (int64, []string, error) {
	var epoch sql.NullInt64
	var keys pq.StringArray
	err := s.row(ctx, query, args...).Scan(&epoch, &keys)
	if err == nil && !epoch.Valid {
		err = ErrNotFound
	}
	return epoch.Int64, keys, err
}

// RevokeRemember deletes a remember-me token and ends the sessions that
// came from it (SEC-S11), and returns the token's user and those sessions'
// keys; ErrNotFound if the token is gone already. The token goes first, in
// its own statement: a restore racing this holds the token's row lock, so
// either it finds the token gone, or its session is committed before the
// second statement looks for the token's sessions.
func (s *Store) RevokeRemember(ctx context.Context, selector string) (int64, []string, error) {
	var userID int64
	var keys pq.StringArray
	err := s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM {remembers} WHERE selector = $1 RETURNING user_id`), selector).Scan(&userID)
		if err != nil {
			return notFound(err)
		}
		return tx.QueryRowContext(ctx, s.q(`
			WITH doomed AS (DELETE FROM {user_sessions} WHERE user_id = $1 AND remember_selector = $2 RETURNING token),
			     rows AS (DELETE FROM {sessions} WHERE token IN (SELECT token FROM doomed))
			SELECT array(SELECT token FROM doomed)`), userID, selector).Scan(&keys)
	})
	return userID, keys, err
}
