package authkit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Errors for fixed conditions. Every error authkit returns matches one of
// these with errors.Is, or one of the struct types below with errors.As.
var (
	// ErrNoMiddleware is returned by every action of an [Auth] taken from a
	// request that did not pass through [Kit.Middleware].
	ErrNoMiddleware = errors.New("authkit: request did not pass through Kit.Middleware")

	// ErrInvalidConfig wraps every error New returns for a bad Config.
	ErrInvalidConfig = errors.New("authkit: invalid config")

	// ErrUnavailable is returned when the database fails or cannot be
	// reached. Apps usually answer 503 Service Unavailable. The driver's
	// error is wrapped too, for logs, but never shown in the message.
	ErrUnavailable = errors.New("authkit: database unavailable")

	// ErrInvalidEmail is returned for an email address that is empty,
	// malformed, too long, or contains NUL bytes, control characters or
	// invalid UTF-8.
	ErrInvalidEmail = errors.New("authkit: invalid email address")

	// ErrEmailTaken is returned by Register, and by ConfirmEmail for an
	// email change, when the address (compared case-insensitively, for all
	// of Unicode) already belongs to an account. ChangeEmail itself never
	// returns it (SEC-E8).
	ErrEmailTaken = errors.New("authkit: email address is already registered")

	// ErrInvalidCredentials is returned by Login for an unknown email and
	// for a wrong password alike, so that it reveals neither (SEC-E1).
	ErrInvalidCredentials = errors.New("authkit: invalid email or password")

	// ErrEmailNotVerified is returned by Login when the password is right
	// but the address has not been confirmed yet.
	ErrEmailNotVerified = errors.New("authkit: email address is not confirmed")

	// ErrAccountStatus is matched by every [*StatusError].
	ErrAccountStatus = errors.New("authkit: account status does not allow this")

	// ErrPasswordTooShort is returned for a password with fewer code points
	// than PasswordPolicy.MinLength.
	ErrPasswordTooShort = errors.New("authkit: password is too short")

	// ErrPasswordTooLong is returned for a password with more code points
	// than PasswordPolicy.MaxLength. Nothing is truncated.
	ErrPasswordTooLong = errors.New("authkit: password is too long")

	// ErrPasswordTooCommon is returned for a password on the blocklist of
	// common and breached passwords.
	ErrPasswordTooCommon = errors.New("authkit: password is too common")

	// ErrPasswordMalformed is returned for a password that contains NUL
	// bytes or is not valid UTF-8.
	ErrPasswordMalformed = errors.New("authkit: password contains invalid characters")

	// ErrTokenInvalid is returned for a token that is malformed, unknown,
	// already used or meant for something else.
	ErrTokenInvalid = errors.New("authkit: invalid or already used token")

	// ErrTokenExpired is returned for a token that was valid but expired.
	// It has been used up all the same; ask for a new one.
	ErrTokenExpired = errors.New("authkit: token has expired")

	// ErrNotLoggedIn is returned by actions that need a logged-in user.
	ErrNotLoggedIn = errors.New("authkit: not logged in")

	// ErrUserNotFound is returned by the Admin API for an unknown user id
	// or email.
	ErrUserNotFound = errors.New("authkit: user not found")

	// ErrNotFound is returned for an id (of a session, an API key) that
	// names nothing of the logged-in user's: another user's is not found
	// either.
	ErrNotFound = errors.New("authkit: not found")

	// ErrInvalidAPIKeySpec is returned by APIKeys.Create for a name that
	// is empty, padded, longer than 100 characters or holds control
	// characters, for more than 32 scopes or a malformed one, and for a
	// negative lifetime or one under a minute.
	ErrInvalidAPIKeySpec = errors.New("authkit: invalid API key name, scopes or lifetime")

	// ErrScopeNotAllowed is returned by APIKeys.Create for a scope that
	// Config.APIKeyScopes does not allow the user's roles.
	ErrScopeNotAllowed = errors.New("authkit: the account may not give a key that scope")

	// ErrTooManyAPIKeys is returned by APIKeys.Create when the user has
	// 100 live keys; revoke some first.
	ErrTooManyAPIKeys = errors.New("authkit: too many API keys")

	// ErrInvalidStatus is returned for a Status value outside the six
	// defined ones.
	ErrInvalidStatus = errors.New("authkit: invalid status")

	// ErrInvalidRole is returned for a role name that is empty, longer than
	// 64 bytes, or not printable ASCII without spaces.
	ErrInvalidRole = errors.New("authkit: invalid role name")

	// ErrMailNotSent is returned when the Mailer failed. The operation that
	// wanted to send mail has taken effect (an account registered stays
	// registered); the user can ask for the mail again.
	ErrMailNotSent = errors.New("authkit: email could not be sent")

	// ErrSMSNotSent is returned when the SMSSender failed.
	ErrSMSNotSent = errors.New("authkit: text message could not be sent")

	// ErrNoMailer is returned by operations that need to send mail when
	// Config.Mailer is nil.
	ErrNoMailer = errors.New("authkit: no Mailer configured")

	// ErrNoSMSSender is returned by operations that need to send a text
	// message when Config.SMS is nil.
	ErrNoSMSSender = errors.New("authkit: no SMS sender configured")

	// ErrReauthenticationRequired is returned by sensitive operations
	// (setting up or removing a second factor, new backup codes) when the
	// password was not entered recently in this session; call
	// [Auth.Reauthenticate] first. A session restored from a remember-me
	// cookie always needs it.
	ErrReauthenticationRequired = errors.New("authkit: please enter your password again")

	// ErrNoPendingLogin is returned by second-factor actions when no login
	// is waiting for a second factor in this session.
	ErrNoPendingLogin = errors.New("authkit: no login is waiting for a second factor")

	// ErrSecondFactorExpired is returned when the login waiting for a
	// second factor ran past Config.TwoFactorTimeout; log in again.
	ErrSecondFactorExpired = errors.New("authkit: the login has expired; please log in again")

	// ErrSecondFactorInvalid is returned for a wrong or malformed code:
	// empty, with spaces or letters, too long, or in other scripts' digits.
	ErrSecondFactorInvalid = errors.New("authkit: invalid code")

	// ErrTooManyWrongCodes is returned for the wrong code that uses up a
	// pending login's tries; the login is void and must start again.
	ErrTooManyWrongCodes = errors.New("authkit: too many wrong codes; please log in again")

	// ErrSecondFactorNotVerified is returned by CompleteTwoFactorLogin
	// when no Verify call succeeded in this pending login.
	ErrSecondFactorNotVerified = errors.New("authkit: the second factor has not been verified")

	// ErrMethodNotEnabled is returned when the user has no working second
	// factor of the method asked for.
	ErrMethodNotEnabled = errors.New("authkit: that second-factor method is not enabled")

	// ErrMethodAlreadyEnabled is returned when setting up a method the
	// user already has; disable it first to replace it.
	ErrMethodAlreadyEnabled = errors.New("authkit: that second-factor method is already enabled")

	// ErrInvalidPhone is returned for a phone number that is not in
	// international form (+ and 8 to 15 digits).
	ErrInvalidPhone = errors.New("authkit: invalid phone number")

	// ErrSessionRevoked is returned when the account's sessions were
	// revoked (logout everywhere, a ban, a password change or reset)
	// while a login or another action was under way: the revocation wins,
	// nobody is logged in, and the user starts again.
	ErrSessionRevoked = errors.New("authkit: the account's sessions were revoked meanwhile; please log in again")

	// ErrCookieSessionRequired is returned by actions that change the
	// account (its password, address, factors or keys) when the request
	// authenticated with an API key or access token rather than a session
	// (SEC-K2).
	ErrCookieSessionRequired = errors.New("authkit: this needs a login session, not an API key or access token")

	// ErrInvalidName is returned by UpdateUser for a name longer than 200
	// characters or holding NUL bytes, invalid UTF-8, control characters
	// or bidirectional overrides.
	ErrInvalidName = errors.New("authkit: invalid name")

	// ErrInvalidMetadata is returned by UpdateUser for metadata that is
	// not a JSON object, is larger than 16 KiB, nests deeper than 16
	// levels or holds a NUL character.
	ErrInvalidMetadata = errors.New("authkit: invalid metadata")

	// ErrSchemaOutdated is returned by New when the database lacks
	// authkit's tables or has an older schema than this release needs.
	// The error says what to run: sqlschema.Apply, or psql -f
	// sqlschema/postgres.sql.
	ErrSchemaOutdated = errors.New("authkit: database schema is outdated")

	// ErrInternal is returned when authkit cannot do its work for a
	// reason that is neither the caller's input nor the database: a TOTP
	// secret that the configured EncryptionKey cannot decrypt, a stored
	// value it cannot use, a failure of the system's random source. The
	// log has the details; apps usually answer 500.
	ErrInternal = errors.New("authkit: internal error")
)

// SecondFactorRequiredError is returned by Login when the password was
// right and the account has a second factor. Nobody is logged in yet: the
// session holds the pending login until a Verify method of
// [Auth.TwoFactor] succeeds and [Auth.CompleteTwoFactorLogin] is called.
type SecondFactorRequiredError struct {
	// Methods lists the factors the user can prove, with masked contacts.
	Methods []SecondFactor
}

// Error says that a second factor is required; it lists no codes.
func (e *SecondFactorRequiredError) Error() string { return "authkit: second factor required" }

// TooManyRequestsError is returned when a throttle refuses an action.
// Apps usually answer 429 Too Many Requests with a Retry-After header.
type TooManyRequestsError struct {
	// RetryAfter is how long to wait before trying again; zero when
	// waiting will not help (start over instead).
	RetryAfter time.Duration
}

// Error says when to try again, if waiting helps.
func (e *TooManyRequestsError) Error() string {
	if e.RetryAfter <= 0 {
		return "authkit: too many requests"
	}
	return "authkit: too many requests; try again in " + humanDuration(e.RetryAfter.Round(time.Second))
}

// StatusError is returned when an account's status forbids the action, for
// example Login by a banned user. It matches [ErrAccountStatus].
type StatusError struct {
	Status Status
}

// Error names the status, for example "authkit: account is banned".
func (e *StatusError) Error() string {
	return "authkit: account is " + e.Status.String()
}

// Is makes every StatusError match ErrAccountStatus.
func (e *StatusError) Is(target error) bool { return target == ErrAccountStatus }

// hiddenError matches a sentinel and wraps the error behind it, whose text
// it never shows: a driver's error (which can quote the query), a
// Mailer's or SMS sender's (which can quote the code it failed to send).
type hiddenError struct {
	sentinel error
	what     string // what failed, for the message
	err      error
}

func (e *hiddenError) Error() string   { return fmt.Sprintf("%v (%s)", e.sentinel, e.what) }
func (e *hiddenError) Unwrap() []error { return []error{e.sentinel, e.err} }

// internal wraps a failure that is neither input nor the database as
// ErrInternal.
func internal(what string, err error) error {
	if err == nil {
		return nil
	}
	return &hiddenError{sentinel: ErrInternal, what: what, err: err}
}

// cause describes, for the operator's log, the database error behind an
// ErrUnavailable: PostgreSQL's error code and message (never its detail,
// which can quote values), or the error itself for a network failure or
// an expired deadline. It is "" for other errors, whose text can hold a
// secret (a Mailer's can quote the code it failed to send).
func cause(err error) string {
	var h *hiddenError
	if !errors.As(err, &h) || h.sentinel != ErrUnavailable {
		return ""
	}
	var pqErr *pq.Error
	if errors.As(h.err, &pqErr) {
		return string(pqErr.Code) + " " + pqErr.Message
	}
	return h.err.Error()
}

// unavailable hides a database failure behind ErrUnavailable: the message
// names the operation only, while errors.Is/As still reach the driver's
// error.
func unavailable(op string, err error) error {
	if err == nil {
		return nil
	}
	return &hiddenError{sentinel: ErrUnavailable, what: op, err: err}
}

// failureDetail is the reason an audit entry gives for a failure. Every
// authkit error message is fixed text that holds no secret.
func failureDetail(err error) string {
	return cleanText(strings.TrimPrefix(err.Error(), "authkit: "), 200)
}

// errorTable is every authkit error with its HTTP status and its code for
// machines (the snake_case name of its sentinel without "Err"), most
// specific first. Every exported error has its row; tests keep it so.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{ErrInternal, http.StatusInternalServerError, "internal"},
	{ErrNoMiddleware, http.StatusInternalServerError, "no_middleware"},
	{ErrInvalidConfig, http.StatusInternalServerError, "invalid_config"},
	{ErrSchemaOutdated, http.StatusInternalServerError, "schema_outdated"},
	{ErrInvalidEmail, http.StatusBadRequest, "invalid_email"},
	{ErrPasswordTooShort, http.StatusBadRequest, "password_too_short"},
	{ErrPasswordTooLong, http.StatusBadRequest, "password_too_long"},
	{ErrPasswordTooCommon, http.StatusBadRequest, "password_too_common"},
	{ErrPasswordMalformed, http.StatusBadRequest, "password_malformed"},
	{ErrInvalidPhone, http.StatusBadRequest, "invalid_phone"},
	{ErrInvalidName, http.StatusBadRequest, "invalid_name"},
	{ErrInvalidMetadata, http.StatusBadRequest, "invalid_metadata"},
	{ErrInvalidRole, http.StatusBadRequest, "invalid_role"},
	{ErrInvalidStatus, http.StatusBadRequest, "invalid_status"},
	{ErrInvalidAPIKeySpec, http.StatusBadRequest, "invalid_api_key_spec"},
	{ErrUnsupportedHash, http.StatusBadRequest, "unsupported_hash"},
	{ErrTokenInvalid, http.StatusBadRequest, "token_invalid"},
	{ErrTokenExpired, http.StatusBadRequest, "token_expired"},
	{ErrInvalidNext, http.StatusBadRequest, "invalid_next"},
	{ErrMethodNotEnabled, http.StatusBadRequest, "method_not_enabled"},
	{ErrSecondFactorNotVerified, http.StatusBadRequest, "second_factor_not_verified"},
	{ErrInvalidCredentials, http.StatusUnauthorized, "invalid_credentials"},
	{ErrNotLoggedIn, http.StatusUnauthorized, "not_logged_in"},
	{ErrSessionRevoked, http.StatusUnauthorized, "session_revoked"},
	{ErrSecondFactorInvalid, http.StatusUnauthorized, "second_factor_invalid"},
	{ErrTooManyWrongCodes, http.StatusUnauthorized, "too_many_wrong_codes"},
	{ErrNoPendingLogin, http.StatusUnauthorized, "no_pending_login"},
	{ErrSecondFactorExpired, http.StatusUnauthorized, "second_factor_expired"},
	{ErrEmailNotVerified, http.StatusForbidden, "email_not_verified"},
	{ErrAccountStatus, http.StatusForbidden, "account_status"},
	{ErrReauthenticationRequired, http.StatusForbidden, "reauthentication_required"},
	{ErrCookieSessionRequired, http.StatusForbidden, "cookie_session_required"},
	{ErrScopeNotAllowed, http.StatusForbidden, "scope_not_allowed"},
	{ErrUserNotFound, http.StatusNotFound, "user_not_found"},
	{ErrNotFound, http.StatusNotFound, "not_found"},
	{ErrEmailTaken, http.StatusConflict, "email_taken"},
	{ErrAnonymous, http.StatusForbidden, "anonymous"},
	{ErrMethodAlreadyEnabled, http.StatusConflict, "method_already_enabled"},
	{ErrTooManyAPIKeys, http.StatusConflict, "too_many_api_keys"},
	{ErrMailNotSent, http.StatusBadGateway, "mail_not_sent"},
	{ErrSMSNotSent, http.StatusBadGateway, "sms_not_sent"},
	{ErrNoMailer, http.StatusNotImplemented, "no_mailer"},
	{ErrNoSMSSender, http.StatusNotImplemented, "no_sms_sender"},
}

// StatusCode returns the HTTP status an app usually answers err with:
//
//   - 200 for nil, and 202 Accepted for a [*SecondFactorRequiredError]
//     (the password was right; the second step comes next);
//   - 400 Bad Request for malformed or unusable input: [ErrInvalidEmail],
//     the password policy's errors, [ErrInvalidPhone], [ErrInvalidName],
//     [ErrInvalidMetadata], [ErrInvalidRole], [ErrInvalidStatus],
//     [ErrUnsupportedHash], [ErrInvalidAPIKeySpec], [ErrTokenInvalid], [ErrTokenExpired], [ErrInvalidNext],
//     [ErrMethodNotEnabled], [ErrSecondFactorNotVerified];
//   - 401 Unauthorized when who the caller is was not proved:
//     [ErrInvalidCredentials], [ErrNotLoggedIn], [ErrSessionRevoked], and
//     the second step's [ErrSecondFactorInvalid], [ErrTooManyWrongCodes],
//     [ErrNoPendingLogin], [ErrSecondFactorExpired];
//   - 403 Forbidden when it was, but the account may not do this:
//     [ErrEmailNotVerified], [*StatusError], [ErrReauthenticationRequired],
//     [ErrCookieSessionRequired], [ErrScopeNotAllowed];
//   - 404 Not Found for [ErrUserNotFound] and [ErrNotFound];
//   - 409 Conflict for [ErrEmailTaken], [ErrMethodAlreadyEnabled] and
//     [ErrTooManyAPIKeys];
//   - 429 Too Many Requests for a [*TooManyRequestsError] (send its
//     RetryAfter as a Retry-After header);
//   - 501 Not Implemented for [ErrNoMailer] and [ErrNoSMSSender];
//   - 502 Bad Gateway for [ErrMailNotSent] and [ErrSMSNotSent];
//   - 503 Service Unavailable for [ErrUnavailable];
//   - 500 for [ErrInternal], [ErrNoMiddleware], [ErrInvalidConfig],
//     [ErrSchemaOutdated] and any error that is not authkit's.
func StatusCode(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var sf *SecondFactorRequiredError
	if errors.As(err, &sf) {
		return http.StatusAccepted
	}
	var tm *TooManyRequestsError
	if errors.As(err, &tm) {
		return http.StatusTooManyRequests
	}
	for _, c := range errorTable {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return http.StatusInternalServerError
}
