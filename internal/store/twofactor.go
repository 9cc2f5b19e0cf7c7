package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Factor is a row of the second factors table.
type Factor struct {
	UserID    int64     `db:"user_id"`
	Method    int16     `db:"method"`
	Verified  bool      `db:"verified"`
	Contact   string    `db:"contact"`
	Secret    []byte    `db:"secret"`
	Encrypted bool      `db:"encrypted"`
	LastStep  int64     `db:"last_step"`
	CreatedAt time.Time `db:"created_at"`
}

// ErrFactorEnabled is returned when a factor that is already verified
// would be replaced.
var ErrFactorEnabled = errors.New("store: factor already enabled")

// Factors returns the user's second factors, verified or not, by method.
func (s *Store) Factors(ctx context.Context, userID int64) ([]Factor, error) {
	fs := []Factor{}
	err := s.sel(ctx, &fs, `
		SELECT user_id, method, verified, contact, secret, encrypted, last_step, created_at
		FROM {second_factors} WHERE user_id = $1 ORDER BY method`, userID)
	return fs, err
}

// PutUnverifiedFactor stores a factor that is being set up, replacing an
// earlier unfinished set-up of the same method, or returns
// ErrFactorEnabled if that method is already verified.
func (s *Store) PutUnverifiedFactor(ctx context.Context, f Factor) error {
	res, err := s.exec(ctx, `
		INSERT INTO {second_factors} (user_id, method, verified, contact, secret, encrypted, last_step, created_at)
		VALUES ($1, $2, FALSE, $3, $4, $5, 0, $6)
		ON CONFLICT (user_id, method) DO UPDATE
		SET contact = EXCLUDED.contact, secret = EXCLUDED.secret, encrypted = EXCLUDED.encrypted,
		    last_step = 0, created_at = EXCLUDED.created_at
		WHERE NOT {second_factors}.verified`,
		f.UserID, f.Method, f.Contact, f.Secret, f.Encrypted, f.CreatedAt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, ErrFactorEnabled)
	}
	return nil
}

// VerifyFactor marks a factor as working, remembering the TOTP step that
// proved it — only if the factor being set up is still the one the code
// proved: its contact is still contact (where the code was sent) and its
// secret still secret (the one the code was checked against), so that a
// set-up replaced meanwhile is not turned on by a code that was not its
// own. It returns ErrNotFound if there is no such unverified factor.
func (s *Store) VerifyFactor(ctx context.Context, userID int64, method int16, lastStep int64, contact string, secret []byte) error {
	return s.execOne(ctx, `UPDATE {second_factors} SET verified = TRUE, last_step = $3
		WHERE user_id = $1 AND method = $2 AND NOT verified AND contact = $4 AND secret IS NOT DISTINCT FROM $5`,
		userID, method, lastStep, contact, secret)
}

// AdvanceTOTPStep records step as the last accepted TOTP step, only if it
// is later than the one stored: of two requests with the same code, only
// one advances (SEC-F2).
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID int64, method int16, step int64) (bool, error) {
	err := s.execOne(ctx, `UPDATE {second_factors} SET last_step = $3
		WHERE user_id = $1 AND method = $2 AND verified AND last_step < $3`, userID, method, step)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DeleteFactor removes one of the user's factors. When no verified factor
// is left, the backup codes go too. It returns ErrNotFound if the user had
// no such factor.
func (s *Store) DeleteFactor(ctx context.Context, userID int64, method int16) error {
	var n int
	err := s.row(ctx, `
		WITH gone AS (DELETE FROM {second_factors} WHERE user_id = $1 AND method = $2 RETURNING 1),
		     left_ AS (SELECT 1 FROM {second_factors} WHERE user_id = $1 AND method <> $2 AND verified),
		     codes AS (DELETE FROM {backup_codes}
		               WHERE user_id = $1 AND EXISTS (SELECT 1 FROM gone) AND NOT EXISTS (SELECT 1 FROM left_))
		SELECT count(*) FROM gone`, userID, method).Scan(&n)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// Attempt is a login waiting for its second factor.
type Attempt struct {
	ID        string    `db:"id"`
	UserID    int64     `db:"user_id"`
	Remember  bool      `db:"remember"`
	Failures  int       `db:"failures"`
	Verified  bool      `db:"verified"`
	Epoch     int64     `db:"epoch"` // the user's session epoch read before the password check
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

const attemptColumns = "id, user_id, remember, failures, verified, epoch, created_at, expires_at"

// CreateAttempt stores a new pending login, made under the session epoch
// a.Epoch, and deletes the user's expired ones — only if a.Epoch is still
// the user's and the account still eligible, like a session (see
// StartSession). started is false when that condition failed and nothing
// was written.
func (s *Store) CreateAttempt(ctx context.Context, a Attempt) (started bool, err error) {
	err = s.row(ctx, `
		WITH cur AS (SELECT u.id FROM {users} u WHERE u.id = $2 AND u.session_epoch = $6 AND {eligible}),
		     old AS (DELETE FROM {attempts} WHERE user_id = (SELECT id FROM cur) AND expires_at < $4),
		     ins AS (INSERT INTO {attempts} (id, user_id, remember, epoch, created_at, expires_at)
		             SELECT $1, id, $3, $6, $4, $5 FROM cur RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM ins)`,
		a.ID, a.UserID, a.Remember, a.CreatedAt, a.ExpiresAt, a.Epoch).Scan(&started)
	return started, err
}

// ReserveTry counts one try against a pending login before the code is
// checked, so that parallel requests cannot check more codes than max
// between them, and returns the tries used so far. It returns ErrNotFound
// when the login is missing, expired or out of tries (OutOfTries tells
// which).
func (s *Store) ReserveTry(ctx context.Context, id string, now time.Time, max int) (int, error) {
	var tries int
	err := s.row(ctx, `
		UPDATE {attempts} SET failures = failures + 1
		WHERE id = $1 AND expires_at > $2 AND failures < $3 RETURNING failures`,
		id, now, max).Scan(&tries)
	return tries, err
}

// OutOfTries reports whether a pending login exists and used up its tries.
func (s *Store) OutOfTries(ctx context.Context, id string, max int) (bool, error) {
	var out bool
	err := s.row(ctx, `SELECT failures >= $2 FROM {attempts} WHERE id = $1`, id, max).Scan(&out)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return out, err
}

// PassTry marks a pending login verified and gives back the try its right
// code reserved.
func (s *Store) PassTry(ctx context.Context, id string) error {
	return s.execOne(ctx, `UPDATE {attempts} SET verified = TRUE, failures = failures - 1 WHERE id = $1`, id)
}

// LiveAttempt returns a pending login that has not expired and has
// failures left, or ErrNotFound.
func (s *Store) LiveAttempt(ctx context.Context, id string, now time.Time, max int) (Attempt, error) {
	var a Attempt
	err := s.get(ctx, &a, `
		SELECT `+attemptColumns+` FROM {attempts}
		WHERE id = $1 AND expires_at > $2 AND failures < $3`, id, now, max)
	return a, err
}

// FinishAttempt deletes a verified, unexpired pending login that no
// revocation has overtaken (its epoch is still the user's) and returns it:
// only one request can finish a login.
func (s *Store) FinishAttempt(ctx context.Context, id string, now time.Time) (Attempt, error) {
	var a Attempt
	err := s.get(ctx, &a, `
		DELETE FROM {attempts} a USING {users} u
		WHERE a.id = $1 AND a.verified AND a.expires_at > $2 AND u.id = a.user_id AND u.session_epoch = a.epoch
		RETURNING a.id, a.user_id, a.remember, a.failures, a.verified, a.epoch, a.created_at, a.expires_at`, id, now)
	return a, err
}

// DeleteAttempt deletes a pending login.
func (s *Store) DeleteAttempt(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM {attempts} WHERE id = $1`, id)
	return err
}

// CountSend allows one more code to be sent for a pending login if at
// least gap has passed since the last one and fewer than max were sent.
// When it refuses, it returns when a send would be allowed (zero when the
// login has used all its sends).
func (s *Store) CountSend(ctx context.Context, id string, now time.Time, gap time.Duration, max int) (bool, time.Time, error) {
	var n int
	err := s.row(ctx, `
		WITH upd AS (UPDATE {attempts} SET sends = sends + 1, last_send_at = $2
		             WHERE id = $1 AND sends < $4 AND (last_send_at IS NULL OR last_send_at <= $3) RETURNING 1)
		SELECT count(*) FROM upd`, id, now, now.Add(-gap), max).Scan(&n)
	if err != nil || n == 1 {
		return n == 1, time.Time{}, err
	}
	var sends int
	var last sql.NullTime
	err = s.row(ctx, `SELECT sends, last_send_at FROM {attempts} WHERE id = $1`, id).Scan(&sends, &last)
	if err != nil {
		return false, time.Time{}, err
	}
	if sends >= max || !last.Valid {
		return false, time.Time{}, nil
	}
	return false, last.Time.Add(gap), nil
}

// OTPCode is a one-time code sent by email or SMS. CodeHash is the code
// hashed under Scheme (with Salt, for a scheme that needs one).
type OTPCode struct {
	UserID    int64
	Method    int16
	Binding   string
	CodeHash  []byte
	Scheme    string
	Salt      []byte
	Contact   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ReplaceOTPCode stores a code, voiding earlier codes of the same method
// and binding.
func (s *Store) ReplaceOTPCode(ctx context.Context, c OTPCode) error {
	_, err := s.exec(ctx, `
		WITH old AS (DELETE FROM {otp_codes} WHERE binding = $3 AND method = $2)
		INSERT INTO {otp_codes} (user_id, method, binding, code_hash, scheme, salt, contact, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.UserID, c.Method, c.Binding, c.CodeHash, c.Scheme, c.Salt, c.Contact, c.CreatedAt, c.ExpiresAt)
	return err
}

// SentCode is a stored one-time code that may still be entered.
type SentCode struct {
	ID       int64  `db:"id"`
	Method   int16  `db:"method"`
	CodeHash []byte `db:"code_hash"`
	Scheme   string `db:"scheme"`
	Salt     []byte `db:"salt"`
	Contact  string `db:"contact"`
	Failures int    `db:"failures"`
}

const sentCodeColumns = "id, method, code_hash, scheme, salt, contact, failures"

// LiveOTPCodes returns the unexpired codes bound to binding and sent by
// one of methods, for a caller that counts the tries elsewhere (a pending
// login counts them on itself).
func (s *Store) LiveOTPCodes(ctx context.Context, binding string, methods []int16, now time.Time) ([]SentCode, error) {
	ms := make(pq.Int64Array, len(methods))
	for i, m := range methods {
		ms[i] = int64(m)
	}
	codes := []SentCode{}
	err := s.sel(ctx, &codes, `SELECT `+sentCodeColumns+` FROM {otp_codes}
		WHERE binding = $1 AND method = ANY($2) AND expires_at > $3 ORDER BY id`, binding, ms, now)
	return codes, err
}

// ReserveOTPTry counts one try against the unexpired codes of binding and
// method that have tries left (fewer than max failures), before the code
// entered is checked, and returns them with the try counted: parallel
// requests cannot check more than max codes against one sent code between
// them. The caller consumes the code on a match, and otherwise calls
// DeleteSpentOTPCodes.
func (s *Store) ReserveOTPTry(ctx context.Context, binding string, method int16, now time.Time, max int) ([]SentCode, error) {
	codes := []SentCode{}
	err := s.sel(ctx, &codes, `UPDATE {otp_codes} SET failures = failures + 1
		WHERE binding = $1 AND method = $2 AND expires_at > $3 AND failures < $4
		RETURNING `+sentCodeColumns, binding, method, now, max)
	return codes, err
}

// ConsumeOTPCode deletes the code id if its hash is still hash, and
// reports whether it did: of two requests with the same right code, one
// gets true.
func (s *Store) ConsumeOTPCode(ctx context.Context, id int64, hash []byte) (bool, error) {
	err := s.execOne(ctx, `DELETE FROM {otp_codes} WHERE id = $1 AND code_hash = $2`, id, hash)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DeleteSpentOTPCodes deletes the codes of binding that have used up their
// max tries.
func (s *Store) DeleteSpentOTPCodes(ctx context.Context, binding string, max int) error {
	_, err := s.exec(ctx, `DELETE FROM {otp_codes} WHERE binding = $1 AND failures >= $2`, binding, max)
	return err
}

// ReplaceBackupCodes stores a new set of hashed backup codes, made under
// salt, voiding the old set in the same transaction.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID int64, salt []byte, hashes [][]byte) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM {backup_codes} WHERE user_id = $1`), userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`
			INSERT INTO {backup_codes} (user_id, code_hash, salt) SELECT $1, unnest($2::bytea[]), $3`),
			userID, pq.ByteaArray(hashes), salt)
		return err
	})
}

// BackupCodeSalt returns the salt of the user's backup codes, or
// ErrNotFound when the user has none left.
func (s *Store) BackupCodeSalt(ctx context.Context, userID int64) ([]byte, error) {
	var salt []byte
	err := s.row(ctx, `SELECT salt FROM {backup_codes} WHERE user_id = $1 LIMIT 1`, userID).Scan(&salt)
	return salt, err
}

// ConsumeBackupCode deletes the user's backup code with this hash and
// reports whether there was one: of two requests spending the same code,
// one gets true.
func (s *Store) ConsumeBackupCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	err := s.execOne(ctx, `DELETE FROM {backup_codes} WHERE user_id = $1 AND code_hash = $2`, userID, hash)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// CountBackupCodes returns how many unused backup codes the user has.
func (s *Store) CountBackupCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.row(ctx, `SELECT count(*) FROM {backup_codes} WHERE user_id = $1`, userID).Scan(&n)
	return n, err
}
