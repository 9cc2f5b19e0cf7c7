package tokens

import "github.com/authkit/authkit"

// Errors of package tokens. Each also matches the authkit error named in
// its comment, so authkit.StatusCode maps it to an HTTP status. Besides
// these, the methods return authkit's own: ErrUnavailable,
// ErrSessionRevoked, ErrEmailNotVerified, a *StatusError,
// *TooManyRequestsError, ErrNotLoggedIn, ErrCookieSessionRequired,
// ErrUserNotFound and ErrInternal.
var (
	// ErrRefreshTokenInvalid is returned for a refresh token that is
	// malformed, unknown, revoked or bound to another audience. It
	// matches authkit.ErrTokenInvalid (400).
	ErrRefreshTokenInvalid error = &kindError{"authkit: invalid refresh token", authkit.ErrTokenInvalid}

	// ErrRefreshTokenExpired is returned for a refresh token that went
	// unused for longer than Config.RefreshLifetime; log in again. It
	// matches authkit.ErrTokenExpired (400).
	ErrRefreshTokenExpired error = &kindError{"authkit: refresh token has expired", authkit.ErrTokenExpired}

	// ErrRefreshTokenReused is returned for a refresh token presented
	// again after its grace window: someone may hold a stolen copy, so
	// every token of its family (that login of that client) is revoked and
	// the event audited; log in again. It matches authkit.ErrTokenInvalid
	// (400).
	ErrRefreshTokenReused error = &kindError{"authkit: refresh token was already used; the login is revoked", authkit.ErrTokenInvalid}

	// ErrAccessTokenInvalid is returned by [Issuer.Verify] for an access
	// token that is malformed, not signed by a current key of this Issuer
	// with EdDSA, meant for another issuer or audience, or expired. It
	// matches authkit.ErrNotLoggedIn (401).
	ErrAccessTokenInvalid error = &kindError{"authkit: invalid or expired access token", authkit.ErrNotLoggedIn}

	// ErrUnknownAudience is returned when a caller asks for tokens for an
	// audience that is not in Config.Audiences. It matches
	// authkit.ErrInvalidConfig (500): the app asked, not the client.
	ErrUnknownAudience error = &kindError{"authkit: audience is not one of the Issuer's", authkit.ErrInvalidConfig}
)

// kindError is a sentinel of this package that also matches the authkit
// error of its kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
