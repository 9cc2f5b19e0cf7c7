package core

import (
	"context"
	"net/http"

	"github.com/authkit/authkit/twofactor"
)

// PasskeyKit is what package passkey needs of the core beyond [Kit]: the
// cookie session that registers or uses a passkey, the pending login a
// passkey proves as its second factor, reauthentication, the login
// throttle, and a place among the user's second factors. The Kit that
// [Of] returns implements it; find it by type assertion.
type PasskeyKit interface {
	Kit
	// InMiddleware returns authkit.ErrNoMiddleware for a request that did
	// not pass through the Kit's middleware, whose session cannot be
	// used.
	InMiddleware(r *http.Request) error
	// Get reads a value that Put keeps in r's session, leaving it there.
	Get(r *http.Request, key string) any
	// LoggedIn returns the user logged in on r with a cookie session,
	// with Epoch the revocation counter that session lives under, and
	// whether the session is fresh (the user proved who they are within
	// Config.ReauthenticationWindow). An anonymous request gets
	// authkit.ErrNotLoggedIn, one authenticated by a bearer credential
	// authkit.ErrCookieSessionRequired (SEC-K2).
	LoggedIn(r *http.Request) (u User, fresh bool, err error)
	// PendingLogin returns the user whose login waits on r for its second
	// factor, and the id of that login attempt: authkit.ErrNoPendingLogin
	// when there is none, authkit.ErrSecondFactorExpired when it timed out
	// or a revocation voided it.
	PendingLogin(r *http.Request) (userID int64, attemptID string, err error)
	// ProveSecondFactor proves the pending login on r with a factor of
	// method that check verifies, under the core's rules for every second
	// factor (SEC-F1, SEC-F3): the per-user throttle on code entry, one of
	// the login's tries reserved before check runs, the audit entry, and,
	// when check says yes, the mark that lets CompleteTwoFactorLogin
	// finish. A no from check is authkit.ErrSecondFactorInvalid (or
	// authkit.ErrTooManyWrongCodes once the tries are spent); an error
	// from check is returned as it is.
	ProveSecondFactor(r *http.Request, method twofactor.Method, check func(userID int64) (bool, error)) error
	// Reauthenticated marks r's cookie session fresh, as a password check
	// in Auth.Reauthenticate does, after the user proved who they are in
	// another way (how, for the audit log): it renews the session token
	// (SEC-S2) and the session stops counting as remembered.
	Reauthenticated(r *http.Request, how string) error
	// ThrottleLoginIP takes one token from the bucket of failed logins of
	// r's client IP (Config.Limits.LoginPerIP, the bucket password logins
	// use): *authkit.TooManyRequestsError when it is empty.
	// UnthrottleLoginIP gives it back, for an attempt that succeeded.
	// There is no per-account bucket, so that a stranger cannot spend
	// the owner's budget (SEC-E5).
	ThrottleLoginIP(r *http.Request) error
	UnthrottleLoginIP(r *http.Request)
	// OfferPasskeys makes the core list twofactor.Passkey among a user's
	// second factors (SecondFactorRequiredError.Methods,
	// TwoFactor.Methods) when count finds passkeys and the user has
	// another second factor enabled. Call it once, at start-up.
	OfferPasskeys(count func(ctx context.Context, userID int64) (int, error))
}
