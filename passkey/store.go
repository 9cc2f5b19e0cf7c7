package passkey

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/authkit/authkit/internal/core"
)

// store runs the package's statements on the Kit's database, each under
// the Kit's query deadline.
type store struct {
	db      *sqlx.DB
	timeout time.Duration
	names   *strings.Replacer
}

func newStore(c core.Kit) *store {
	return &store{db: c.DB(), timeout: c.QueryTimeout(), names: strings.NewReplacer(
		"{users}", c.Table("users"),
		"{passkeys}", c.Table("passkeys"),
		"{passkey_users}", c.Table("passkey_users"),
	)}
}

// credential is a row of the passkeys table, with its user's handle.
type credential struct {
	ID                string         `db:"id"`
	CredentialID      []byte         `db:"credential_id"`
	UserID            int64          `db:"user_id"`
	Handle            []byte         `db:"handle"`
	PublicKey         []byte         `db:"public_key"`
	AttestationFormat string         `db:"attestation_format"`
	SignCount         int64          `db:"sign_count"`
	Transports        pq.StringArray `db:"transports"`
	UserVerified      bool           `db:"user_verified"`
	BackupEligible    bool           `db:"backup_eligible"`
	BackupState       bool           `db:"backup_state"`
	CloneWarning      bool           `db:"clone_warning"`
	AAGUID            []byte         `db:"aaguid"`
	Name              string         `db:"name"`
	CreatedAt         time.Time      `db:"created_at"`
	LastUsedAt        sql.NullTime   `db:"last_used_at"`
}

const credentialColumns = `p.id, p.credential_id, p.user_id, h.handle, p.public_key, p.attestation_format,
	p.sign_count, p.transports, p.user_verified, p.backup_eligible, p.backup_state, p.clone_warning,
	p.aaguid, p.name, p.created_at, p.last_used_at`

var errNotFound = errors.New("passkey store: not found")

func (s *store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// handle returns the user's WebAuthn user handle, making one (64 random
// bytes from newHandle) if the user has none yet.
func (s *store) handle(ctx context.Context, userID int64, newHandle func() []byte, now time.Time) ([]byte, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	// Two tries: when a concurrent request made the handle first, the
	// first statement neither inserts nor (in its snapshot) sees it.
	for range 2 {
		var h []byte
		err := s.db.QueryRowxContext(ctx, s.names.Replace(`
			WITH ins AS (INSERT INTO {passkey_users} (user_id, handle, created_at) VALUES ($1, $2, $3)
			             ON CONFLICT (user_id) DO NOTHING RETURNING handle)
			SELECT handle FROM ins UNION ALL SELECT handle FROM {passkey_users} WHERE user_id = $1 LIMIT 1`),
			userID, newHandle(), now).Scan(&h)
		if !errors.Is(err, sql.ErrNoRows) {
			return h, err
		}
	}
	return nil, errors.New("passkey store: no user handle after two tries")
}

// byUser returns the user's passkeys, oldest first.
func (s *store) byUser(ctx context.Context, userID int64) ([]credential, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	list := []credential{}
	err := s.db.SelectContext(ctx, &list, s.names.Replace(`
		SELECT `+credentialColumns+` FROM {passkeys} p JOIN {passkey_users} h ON h.user_id = p.user_id
		WHERE p.user_id = $1 ORDER BY p.created_at, p.id`), userID)
	return list, err
}

// byCredentialID returns the passkey with this credential id:
// errNotFound when there is none.
func (s *store) byCredentialID(ctx context.Context, id []byte) (credential, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var c credential
	err := s.db.GetContext(ctx, &c, s.names.Replace(`
		SELECT `+credentialColumns+` FROM {passkeys} p JOIN {passkey_users} h ON h.user_id = p.user_id
		WHERE p.credential_id = $1`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNotFound
	}
	return c, err
}

// count returns how many passkeys the user has.
func (s *store) count(ctx context.Context, userID int64) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var n int
	err := s.db.GetContext(ctx, &n, s.names.Replace(`SELECT count(*) FROM {passkeys} WHERE user_id = $1`), userID)
	return n, err
}

// Why insert stored nothing.
var (
	errRevoked = errors.New("passkey store: the user's sessions were revoked")
	errFull    = errors.New("passkey store: the user has the most passkeys allowed")
	errExists  = errors.New("passkey store: credential registered already")
)

// insert stores a new passkey, only if epoch is still the user's
// revocation counter (a revocation since the session started wins,
// SEC-S8) and the user has fewer than limit passkeys.
func (s *store) insert(ctx context.Context, c credential, epoch int64, limit int) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var current, inserted bool
	var n int
	err := s.db.QueryRowxContext(ctx, s.names.Replace(`
		WITH cur AS (SELECT u.id FROM {users} u WHERE u.id = $3 AND u.session_epoch = $13),
		     n AS (SELECT count(*) AS n FROM {passkeys} WHERE user_id = $3),
		     ins AS (INSERT INTO {passkeys} (id, credential_id, user_id, public_key, attestation_format, sign_count,
		                 transports, user_verified, backup_eligible, backup_state, aaguid, name, created_at)
		             SELECT $1, $2, cur.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14 FROM cur, n WHERE n.n < $15
		             RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM cur), (SELECT n FROM n), EXISTS (SELECT 1 FROM ins)`),
		c.ID, c.CredentialID, c.UserID, c.PublicKey, c.AttestationFormat, c.SignCount,
		c.Transports, c.UserVerified, c.BackupEligible, c.BackupState, c.AAGUID, c.Name,
		epoch, c.CreatedAt, limit).Scan(&current, &n, &inserted)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "23505":
		return errExists
	case err != nil:
		return err
	case !current:
		return errRevoked
	case !inserted:
		return errFull
	}
	return nil
}

// use is what a successful ceremony records of its passkey.
type use struct {
	SignCount      uint32
	UserVerified   bool
	BackupEligible bool
	BackupState    bool
	Challenge      []byte // a hash of the challenge answered
	At             time.Time
}

// used records a successful ceremony of the passkey id: the highest
// counter seen, the flags, the time, and the challenge answered. It
// reports false, and records nothing, if the passkey is gone or answered
// that challenge already: of two requests racing with one answer, one
// wins.
func (s *store) used(ctx context.Context, id string, u use) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, s.names.Replace(`
		UPDATE {passkeys} SET sign_count = greatest(sign_count, $2), user_verified = user_verified OR $3,
		       backup_eligible = $4, backup_state = $5, last_challenge = $6, last_used_at = $7
		WHERE id = $1 AND last_challenge IS DISTINCT FROM $6`),
		id, int64(u.SignCount), u.UserVerified, u.BackupEligible, u.BackupState, u.Challenge, u.At)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// markCloned records that the passkey id signed with a counter that went
// backwards.
func (s *store) markCloned(ctx context.Context, id string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, s.names.Replace(`UPDATE {passkeys} SET clone_warning = TRUE WHERE id = $1`), id)
	return err
}

// rename renames one of the user's passkeys: errNotFound if the user has
// no passkey id.
func (s *store) rename(ctx context.Context, userID int64, id, name string) error {
	return s.execOne(ctx, `UPDATE {passkeys} SET name = $3 WHERE user_id = $1 AND id = $2`, userID, id, name)
}

// remove deletes one of the user's passkeys: errNotFound if the user has
// no passkey id.
func (s *store) remove(ctx context.Context, userID int64, id string) error {
	return s.execOne(ctx, `DELETE FROM {passkeys} WHERE user_id = $1 AND id = $2`, userID, id)
}

func (s *store) execOne(ctx context.Context, query string, args ...any) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, s.names.Replace(query), args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = errNotFound
	}
	return err
}
