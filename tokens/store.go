package tokens

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/core"
)

// store runs the package's SQL: the signing keys and the refresh tokens.
// Every statement runs under the Kit's QueryTimeout.
type store struct {
	db      *sqlx.DB
	timeout time.Duration
	names   *strings.Replacer
	lockKey string // the advisory lock of key management
}

func newStore(c core.Kit) *store {
	return &store{
		db:      c.DB(),
		timeout: c.QueryTimeout(),
		names: strings.NewReplacer(
			"{users}", c.Table("users"),
			"{signing_keys}", c.Table("signing_keys"),
			"{refresh_tokens}", c.Table("refresh_tokens"),
		),
		lockKey: "authkit-signing-keys:" + c.Table("signing_keys"),
	}
}

func (s *store) q(query string) string { return s.names.Replace(query) }

// errNotFound is a row that is not there.
var errNotFound = errors.New("tokens: not found")

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return err
}

const keyColumns = "kid, algorithm, public_key, private_key, created_at, signs_from"

// signingKeys returns every signing key.
func (s *store) signingKeys(ctx context.Context) ([]signingKey, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var keys []signingKey
	err := s.db.SelectContext(ctx, &keys, s.q(`SELECT `+keyColumns+` FROM {signing_keys}`))
	return keys, err
}

// manageKeys runs key management under a lock that serialises the app
// instances: next is given the newest key (nil when there is none) and
// returns a key to add, or nil; then the keys whose successor took over
// before retiredBefore are deleted.
func (s *store) manageKeys(ctx context.Context, next func(newest *signingKey) (*signingKey, error), retiredBefore time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", s.lockKey); err != nil {
		return err
	}
	var newest signingKey
	err = notFound(tx.GetContext(ctx, &newest, s.q(`SELECT `+keyColumns+` FROM {signing_keys} ORDER BY signs_from DESC LIMIT 1`)))
	var add *signingKey
	switch {
	case errors.Is(err, errNotFound):
		add, err = next(nil)
	case err == nil:
		add, err = next(&newest)
	}
	if err != nil {
		return err
	}
	if add != nil {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO {signing_keys} (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`),
			add.KID, add.Algorithm, add.PublicKey, add.PrivateKey, add.CreatedAt, add.SignsFrom)
		if err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, s.q(`
		DELETE FROM {signing_keys} k
		WHERE EXISTS (SELECT 1 FROM {signing_keys} n WHERE n.signs_from > k.signs_from AND n.signs_from < $1)`), retiredBefore)
	if err != nil {
		return err
	}
	return tx.Commit()
}

// refreshToken is a row of the refresh tokens table.
type refreshToken struct {
	Selector      string       `db:"selector"`
	ValidatorHash []byte       `db:"validator_hash"`
	Family        string       `db:"family"`
	UserID        int64        `db:"user_id"`
	Epoch         int64        `db:"epoch"`
	Audience      string       `db:"audience"`
	CreatedAt     time.Time    `db:"created_at"`
	ExpiresAt     time.Time    `db:"expires_at"`
	UsedAt        sql.NullTime `db:"used_at"`
}

const refreshColumns = "selector, validator_hash, family, user_id, epoch, audience, created_at, expires_at, used_at"

// startFamily stores the first token of a new family, only if t.Epoch is
// still the user's revocation counter (a revocation since wins, SEC-S8).
// It reports whether it did.
func (s *store) startFamily(ctx context.Context, t refreshToken) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.db.ExecContext(ctx, s.q(`
		INSERT INTO {refresh_tokens} (selector, validator_hash, family, user_id, epoch, audience, created_at, expires_at)
		SELECT $1, $2, $3, u.id, $5, $6, $7, $8 FROM {users} u WHERE u.id = $4 AND u.session_epoch = $5`),
		t.Selector, t.ValidatorHash, t.Family, t.UserID, t.Epoch, t.Audience, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// refreshToken returns the token with this selector.
func (s *store) refreshToken(ctx context.Context, selector string) (refreshToken, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var t refreshToken
	err := s.db.GetContext(ctx, &t, s.q(`SELECT `+refreshColumns+` FROM {refresh_tokens} WHERE selector = $1`), selector)
	return t, notFound(err)
}

// rotation is the use of a refresh token: the token that was presented,
// and the one that replaces it.
type rotation struct {
	Selector   string
	Hash       []byte
	Epoch      int64     // the user's revocation counter, read before the token was checked
	Now        time.Time // when the token is used
	GraceStart time.Time // a token first used before this is past its grace
	Next       refreshToken
}

// rotate marks a refresh token used (keeping the time of its first use)
// and stores its successor in the same family, in one statement, and only
// if the token is still valid: its validator matches, it has not expired,
// it was not used before GraceStart, and it and the user still have the
// revocation counter Epoch. Concurrent rotations of one token queue on its
// row and each sees the others' use, so exactly those within the grace
// window succeed. It returns the family's audience, or errNotFound when
// the token was not valid.
func (s *store) rotate(ctx context.Context, r rotation) (audience string, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err = s.db.GetContext(ctx, &audience, s.q(`
		WITH used AS (
		    UPDATE {refresh_tokens} t SET used_at = coalesce(t.used_at, $4)
		    WHERE t.selector = $1 AND t.validator_hash = $2 AND t.epoch = $3 AND t.expires_at > $4
		      AND (t.used_at IS NULL OR t.used_at > $5)
		      AND EXISTS (SELECT 1 FROM {users} u WHERE u.id = t.user_id AND u.session_epoch = $3)
		    RETURNING t.family, t.user_id, t.audience)
		INSERT INTO {refresh_tokens} (selector, validator_hash, family, user_id, epoch, audience, created_at, expires_at)
		SELECT $6, $7, family, user_id, $3, audience, $4, $8 FROM used
		RETURNING audience`),
		r.Selector, r.Hash, r.Epoch, r.Now, r.GraceStart, r.Next.Selector, r.Next.ValidatorHash, r.Next.ExpiresAt)
	return audience, notFound(err)
}

// revokeReused deletes the family of the token selector if that token was
// first used before graceStart — it is being reused — and reports
// whether it did.
func (s *store) revokeReused(ctx context.Context, family, selector string, graceStart time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.db.ExecContext(ctx, s.q(`
		DELETE FROM {refresh_tokens}
		WHERE family = $1 AND EXISTS (
		    SELECT 1 FROM {refresh_tokens} WHERE selector = $2 AND family = $1 AND used_at <= $3)`),
		family, selector, graceStart)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// revokeFamily deletes every token of a family.
func (s *store) revokeFamily(ctx context.Context, family string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM {refresh_tokens} WHERE family = $1`), family)
	return err
}

// deleteExpired deletes the refresh tokens that expired before now.
func (s *store) deleteExpired(ctx context.Context, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM {refresh_tokens} WHERE expires_at < $1`), now)
	return err
}
