package oauth

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/authkit/authkit"
)

// Errors for fixed conditions. Besides these and [*LinkRequiredError],
// the package returns authkit's own errors: [authkit.ErrUnavailable] when
// the database fails, [*authkit.TooManyRequestsError] from its throttle,
// [*authkit.SecondFactorRequiredError] when the user must still prove a
// second factor, and the account errors of a login
// ([authkit.ErrAccountStatus], [authkit.ErrSessionRevoked], ...).
var (
	// ErrUnknownProvider is returned for a provider name that was not
	// configured.
	ErrUnknownProvider = errors.New("oauth: unknown provider")

	// ErrInvalidState is returned by a callback whose state is missing,
	// unknown to this browser's session, already used or older than ten
	// minutes (SEC-O1): start the sign-in again.
	ErrInvalidState = errors.New("oauth: invalid or expired sign-in state; please start again")

	// ErrProviderRefused is returned when the provider answered the
	// callback with an error (the user said no, say) or refused to
	// exchange the code (a wrong PKCE verifier, a used or foreign code).
	ErrProviderRefused = errors.New("oauth: the provider refused the sign-in")

	// ErrProviderUnavailable is returned when the provider could not be
	// reached or answered nonsense.
	ErrProviderUnavailable = errors.New("oauth: the provider is unavailable")

	// ErrInvalidIDToken is returned for an id_token that is malformed,
	// badly signed, expired, issued by another issuer or for another
	// client, or that carries another nonce than the sign-in sent (SEC-O1).
	ErrInvalidIDToken = errors.New("oauth: invalid id_token")

	// ErrIDTokensUnsupported is returned by the id_token calls for a
	// provider that issues none (GitHub).
	ErrIDTokensUnsupported = errors.New("oauth: this provider issues no id_tokens")

	// ErrSignUpClosed is returned when a provider account is linked to no
	// account and Options.AllowSignUp is off.
	ErrSignUpClosed = errors.New("oauth: no account is linked to this provider account")

	// ErrNoVerifiedEmail is returned when a new provider account would
	// make a new account but the provider vouched for no email address.
	ErrNoVerifiedEmail = errors.New("oauth: the provider confirmed no email address")

	// ErrIdentityTaken is returned when linking a provider account that is
	// linked to another account already.
	ErrIdentityTaken = errors.New("oauth: this provider account is linked to another account")

	// ErrLastWayIn is returned by Unlink for the only provider account of
	// an account without a password: the user could not sign in again.
	ErrLastWayIn = errors.New("oauth: cannot unlink the account's last way to sign in")

	// ErrNotLinked is returned by Unlink for a provider account that is not
	// linked to the user.
	ErrNotLinked = errors.New("oauth: this provider account is not linked")

	// ErrNoPendingLink is returned by CompleteLink when the session holds
	// no provider account waiting to be linked, or it expired.
	ErrNoPendingLink = errors.New("oauth: no provider account is waiting to be linked")

	// ErrNoProviderToken is returned by ProviderToken and
	// RefreshProviderToken when no token is kept for the user at the
	// provider (none was issued, it was handed out already, or a
	// revocation deleted it).
	ErrNoProviderToken = errors.New("oauth: no provider token is kept")

	// ErrInvalidReturnTo is returned for a return-to target that is not a
	// local path (SEC-O1): no scheme, no host, no "//" or "/\" start, no
	// encoded variants of them.
	ErrInvalidReturnTo = errors.New("oauth: the return-to target must be a local path")
)

// LinkRequiredError is returned when a provider account is new but its
// email address belongs to an existing account that the sign-in may not
// take over by itself: the provider did not vouch for the address, or the
// local account never confirmed it (SEC-O2). Ask the user for that
// account's password (log them in with [authkit.Auth.Login]), then call
// [Service.CompleteLink], which links the provider account the session
// keeps for ten minutes. Someone who is not the owner cannot do that: an
// unconfirmed account that a stranger registered with the victim's address
// never absorbs the victim's sign-in. (The real owner of the address can
// take such an account over with a password reset, which confirms the
// address.)
type LinkRequiredError struct {
	// Email is the address of the account to log in to.
	Email string
	// Provider names the provider.
	Provider string
}

// Error says that the account needs its password first.
func (e *LinkRequiredError) Error() string {
	return "oauth: an account with this email address exists; log in with its password to link " + e.Provider
}

// StatusCode returns the HTTP status an app usually answers err with:
// 409 Conflict for [*LinkRequiredError], [ErrIdentityTaken] and
// [ErrLastWayIn]; 400 for [ErrInvalidState], [ErrInvalidReturnTo] and
// [ErrIDTokensUnsupported]; 401 for [ErrProviderRefused] and
// [ErrInvalidIDToken]; 403 for [ErrSignUpClosed] and
// [ErrNoVerifiedEmail]; 404 for [ErrUnknownProvider], [ErrNotLinked],
// [ErrNoPendingLink] and [ErrNoProviderToken]; 502 for
// [ErrProviderUnavailable]; and [authkit.StatusCode] for the rest.
func StatusCode(err error) int {
	var link *LinkRequiredError
	if errors.As(err, &link) {
		return http.StatusConflict
	}
	for _, c := range statusCodes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return authkit.StatusCode(err)
}

var statusCodes = []struct {
	err    error
	status int
}{
	{ErrUnknownProvider, http.StatusNotFound},
	{ErrInvalidState, http.StatusBadRequest},
	{ErrProviderRefused, http.StatusUnauthorized},
	{ErrProviderUnavailable, http.StatusBadGateway},
	{ErrInvalidIDToken, http.StatusUnauthorized},
	{ErrIDTokensUnsupported, http.StatusBadRequest},
	{ErrSignUpClosed, http.StatusForbidden},
	{ErrNoVerifiedEmail, http.StatusForbidden},
	{ErrIdentityTaken, http.StatusConflict},
	{ErrLastWayIn, http.StatusConflict},
	{ErrNotLinked, http.StatusNotFound},
	{ErrNoPendingLink, http.StatusNotFound},
	{ErrNoProviderToken, http.StatusNotFound},
	{ErrInvalidReturnTo, http.StatusBadRequest},
}

// hiddenError matches a sentinel and wraps the error behind it without
// showing its text, which can quote a provider's answer or the database's.
type hiddenError struct {
	sentinel error
	what     string
	err      error
}

func (e *hiddenError) Error() string   { return fmt.Sprintf("%v (%s)", e.sentinel, e.what) }
func (e *hiddenError) Unwrap() []error { return []error{e.sentinel, e.err} }

func hide(sentinel error, what string, err error) error {
	return &hiddenError{sentinel: sentinel, what: what, err: err}
}

// unavailable hides a database failure behind authkit.ErrUnavailable.
func unavailable(what string, err error) error { return hide(authkit.ErrUnavailable, what, err) }
