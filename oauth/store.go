package oauth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/core"
)

// store runs the package's SQL on the identities and provider_tokens
// tables, each statement under the Kit's QueryTimeout.
type store struct {
	db      *sqlx.DB
	timeout time.Duration
	names   *strings.Replacer
}

func newStore(c core.Kit) *store {
	return &store{db: c.DB(), timeout: c.QueryTimeout(), names: strings.NewReplacer(
		"{identities}", c.Table("identities"),
		"{provider_tokens}", c.Table("provider_tokens"),
		"{users}", c.Table("users"),
	)}
}

// errNotFound is a row that does not exist.
var errNotFound = errors.New("oauth: row not found")

func (s *store) q(query string) string { return s.names.Replace(query) }

func (s *store) get(ctx context.Context, dest any, query string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.db.GetContext(ctx, dest, s.q(query), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return err
}

func (s *store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// identityOwner returns the user a provider account is linked to.
func (s *store) identityOwner(ctx context.Context, provider, subject string) (int64, error) {
	var userID int64
	err := s.get(ctx, &userID, `SELECT user_id FROM {identities} WHERE provider = $1 AND subject = $2`, provider, subject)
	return userID, err
}

// link links a provider account to userID, unless it is linked already,
// and returns the user it is linked to (userID, or the one it was linked
// to before) and whether this call linked it. The primary key decides
// between concurrent links of the same provider account.
func (s *store) link(ctx context.Context, provider string, cl claims, userID int64, now time.Time) (owner int64, linked bool, err error) {
	err = s.get(ctx, &owner, `
		INSERT INTO {identities} (provider, subject, user_id, email, email_verified, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (provider, subject) DO NOTHING RETURNING user_id`,
		provider, cl.Subject, userID, seenEmail(cl.Email), cl.EmailVerified, now)
	if err == nil {
		return owner, true, nil
	}
	if !errors.Is(err, errNotFound) {
		return 0, false, err
	}
	owner, err = s.identityOwner(ctx, provider, cl.Subject)
	return owner, false, err
}

// touch records a sign-in with a provider account and what the provider
// said of its address.
func (s *store) touch(ctx context.Context, provider string, cl claims, now time.Time) error {
	_, err := s.exec(ctx, `UPDATE {identities} SET last_login_at = $3, email = $4, email_verified = $5
		WHERE provider = $1 AND subject = $2`, provider, cl.Subject, now, seenEmail(cl.Email), cl.EmailVerified)
	return err
}

// seenEmail is what is stored of the address a provider gave: it is only
// shown, never used to find anyone.
func seenEmail(email string) string {
	if len(email) > 320 || strings.ContainsRune(email, 0) || !isText(email) {
		return ""
	}
	return email
}

// identityRow is a row of the identities table.
type identityRow struct {
	Provider    string       `db:"provider"`
	Subject     string       `db:"subject"`
	Email       string       `db:"email"`
	CreatedAt   time.Time    `db:"created_at"`
	LastLoginAt sql.NullTime `db:"last_login_at"`
}

// identities lists the provider accounts linked to a user.
func (s *store) identities(ctx context.Context, userID int64) ([]identityRow, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows := []identityRow{}
	err := s.db.SelectContext(ctx, &rows, s.q(`SELECT provider, subject, email, created_at, last_login_at
		FROM {identities} WHERE user_id = $1 ORDER BY created_at, provider, subject`), userID)
	return rows, err
}

// unlink removes a provider account from a user, unless it is the user's
// last way in: the user has no password and no other provider account.
// The user's identities are locked first, so that two unlinks racing for
// an account's last two provider accounts cannot both succeed: the second
// counts again once the first has committed.
func (s *store) unlink(ctx context.Context, userID int64, provider, subject string, hasPassword bool) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var linked []string
	if err := tx.SelectContext(ctx, &linked, s.q(`SELECT provider || ':' || subject FROM {identities}
		WHERE user_id = $1 FOR UPDATE`), userID); err != nil {
		return err
	}
	var found bool
	for _, l := range linked {
		found = found || l == provider+":"+subject
	}
	switch {
	case !found:
		return errNotFound
	case !hasPassword && len(linked) == 1:
		return ErrLastWayIn
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM {identities} WHERE user_id = $1 AND provider = $2 AND subject = $3`),
		userID, provider, subject); err != nil {
		return err
	}
	return tx.Commit()
}

// keepTokens stores the sealed tokens of a sign-in, replacing those of an
// earlier one, only if epoch is still the user's revocation counter: a
// revocation that ran since the user was read wins (SEC-S8). It reports
// whether they were stored.
func (s *store) keepTokens(ctx context.Context, provider, subject string, userID, epoch int64, access, refresh []byte, now time.Time) (bool, error) {
	n, err := s.exec(ctx, `
		INSERT INTO {provider_tokens} (provider, subject, user_id, epoch, access_token, refresh_token, updated_at)
		SELECT $1, $2, u.id, $4, $5, $6, $7 FROM {users} u WHERE u.id = $3 AND u.session_epoch = $4
		ON CONFLICT (provider, subject) DO UPDATE SET user_id = EXCLUDED.user_id, epoch = EXCLUDED.epoch,
			access_token = EXCLUDED.access_token,
			refresh_token = coalesce(EXCLUDED.refresh_token, {provider_tokens}.refresh_token),
			updated_at = EXCLUDED.updated_at`,
		provider, subject, userID, epoch, access, refresh, now)
	return n == 1, err
}

// tokenRow is the live tokens of one of a user's provider accounts.
type tokenRow struct {
	Subject string `db:"subject"`
	Epoch   int64  `db:"epoch"`
	Sealed  []byte `db:"sealed"`
}

// live is the condition that a provider_tokens row t still belongs to the
// user u it was stored for: no revocation since.
const live = `t.user_id = u.id AND t.epoch = u.session_epoch`

// takeAccessToken hands out the access token kept for the user at the
// provider once: it returns the sealed token of the newest sign-in and
// forgets it, in one statement, so two requests racing for it cannot both
// have it.
func (s *store) takeAccessToken(ctx context.Context, userID int64, provider string) (tokenRow, error) {
	var row tokenRow
	err := s.get(ctx, &row, `
		WITH old AS (SELECT t.provider, t.subject, t.epoch, t.access_token FROM {provider_tokens} t JOIN {users} u ON `+live+`
		             WHERE t.user_id = $1 AND t.provider = $2 AND t.access_token IS NOT NULL
		             ORDER BY t.updated_at DESC LIMIT 1 FOR UPDATE OF t)
		UPDATE {provider_tokens} t SET access_token = NULL FROM old
		WHERE t.provider = old.provider AND t.subject = old.subject AND t.access_token IS NOT NULL
		RETURNING old.subject, old.epoch, old.access_token AS sealed`, userID, provider)
	return row, err
}

// refreshToken returns the sealed refresh token kept for the user at the
// provider, from the newest sign-in that left one.
func (s *store) refreshToken(ctx context.Context, userID int64, provider string) (tokenRow, error) {
	var row tokenRow
	err := s.get(ctx, &row, `
		SELECT t.subject, t.epoch, t.refresh_token AS sealed FROM {provider_tokens} t JOIN {users} u ON `+live+`
		WHERE t.user_id = $1 AND t.provider = $2 AND t.refresh_token IS NOT NULL
		ORDER BY t.updated_at DESC LIMIT 1`, userID, provider)
	return row, err
}

// replaceRefreshToken stores the refresh token a refresh returned, if the
// row is still the one read (same epoch).
func (s *store) replaceRefreshToken(ctx context.Context, provider, subject string, epoch int64, refresh []byte, now time.Time) error {
	_, err := s.exec(ctx, `UPDATE {provider_tokens} SET refresh_token = $4, updated_at = $5
		WHERE provider = $1 AND subject = $2 AND epoch = $3`, provider, subject, epoch, refresh, now)
	return err
}
