package passkey

import (
	"errors"
	"net/http"

	"github.com/authkit/authkit"
)

// Errors for fixed conditions. Besides these, the package returns
// authkit's own errors: [authkit.ErrNotLoggedIn],
// [authkit.ErrCookieSessionRequired] and
// [authkit.ErrReauthenticationRequired] for who may do what;
// [authkit.ErrNotFound] for an unknown passkey id; the account errors of a
// login ([authkit.ErrAccountStatus], [authkit.ErrEmailNotVerified],
// [authkit.ErrSessionRevoked]) and [*authkit.SecondFactorRequiredError];
// the errors of a second step ([authkit.ErrNoPendingLogin],
// [authkit.ErrSecondFactorExpired], [authkit.ErrSecondFactorInvalid],
// [authkit.ErrTooManyWrongCodes]); [*authkit.TooManyRequestsError] from
// the throttles; and [authkit.ErrUnavailable] when the database fails.
var (
	// ErrInvalidChallenge is returned by the Finish calls when the
	// session holds no challenge for that ceremony: it was never begun in
	// this session, was answered already, is older than five minutes, or
	// belongs to another ceremony or user (SEC-W1). Begin again.
	ErrInvalidChallenge = errors.New("authkit: passkey challenge missing, used or expired; please start again")

	// ErrMalformedResponse is returned for an answer of the browser that
	// is not a WebAuthn response at all: not JSON, bad base64 or CBOR,
	// missing fields, or too large.
	ErrMalformedResponse = errors.New("authkit: malformed passkey response")

	// ErrInvalidPasskey is returned when the answer does not prove the
	// passkey: an unknown credential or one of another user, a bad
	// signature, another challenge, origin or RP ID (SEC-W1).
	ErrInvalidPasskey = errors.New("authkit: the passkey could not be verified")

	// ErrUserVerificationRequired is returned when the passkey did not
	// verify its user (a PIN or biometrics) for a ceremony whose policy
	// requires it (Config.UserVerification).
	ErrUserVerificationRequired = errors.New("authkit: the passkey did not verify the user (PIN or biometrics)")

	// ErrCloneWarning is returned when a passkey that is not synced
	// between devices signs with a counter that is not higher than the
	// last one seen: two copies of its key may exist. The passkey is
	// marked (Passkey.CloneWarning) and the attempt refused; the real
	// authenticator, whose counter is ahead, still works.
	ErrCloneWarning = errors.New("authkit: the passkey's signature counter went backwards; it may have been copied")

	// ErrPasskeyExists is returned when registering a credential that is
	// registered already.
	ErrPasskeyExists = errors.New("authkit: this passkey is registered already")

	// ErrTooManyPasskeys is returned when registering more than
	// MaxPasskeys passkeys for one user.
	ErrTooManyPasskeys = errors.New("authkit: too many passkeys")

	// ErrNoPasskey is returned by BeginReauthentication for a user
	// without passkeys.
	ErrNoPasskey = errors.New("authkit: the account has no passkey")

	// ErrInvalidName is returned for a passkey name that is longer than
	// 100 characters, is not valid UTF-8 or holds control characters.
	ErrInvalidName = errors.New("authkit: invalid passkey name")
)

// StatusCode returns the HTTP status an app usually answers err with: 400
// for [ErrInvalidChallenge], [ErrMalformedResponse] and [ErrInvalidName];
// 401 for [ErrInvalidPasskey], [ErrUserVerificationRequired] and
// [ErrCloneWarning]; 404 for [ErrNoPasskey]; 409 for [ErrPasskeyExists] and [ErrTooManyPasskeys];
// and [authkit.StatusCode] for the rest.
func StatusCode(err error) int {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return authkit.StatusCode(err)
}

var errorCodes = []struct {
	err    error
	status int
	code   string
}{
	{ErrInvalidChallenge, http.StatusBadRequest, "invalid_challenge"},
	{ErrMalformedResponse, http.StatusBadRequest, "malformed_response"},
	{ErrInvalidName, http.StatusBadRequest, "invalid_name"},
	{ErrInvalidPasskey, http.StatusUnauthorized, "invalid_passkey"},
	{ErrUserVerificationRequired, http.StatusUnauthorized, "user_verification_required"},
	{ErrCloneWarning, http.StatusUnauthorized, "clone_warning"},
	{ErrNoPasskey, http.StatusNotFound, "no_passkey"},
	{ErrPasskeyExists, http.StatusConflict, "passkey_exists"},
	{ErrTooManyPasskeys, http.StatusConflict, "too_many_passkeys"},
}

// hiddenError matches a sentinel and wraps the error behind it without
// showing its text, which can quote the database or the parser.
type hiddenError struct {
	sentinel error
	what     string
	err      error
}

func (e *hiddenError) Error() string   { return e.sentinel.Error() + " (" + e.what + ")" }
func (e *hiddenError) Unwrap() []error { return []error{e.sentinel, e.err} }

func hide(sentinel error, what string, err error) error {
	return &hiddenError{sentinel: sentinel, what: what, err: err}
}

// unavailable hides a database failure behind authkit.ErrUnavailable; nil
// stays nil.
func unavailable(what string, err error) error {
	if err == nil {
		return nil
	}
	return hide(authkit.ErrUnavailable, what, err)
}
