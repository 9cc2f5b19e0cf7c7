package core

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// TokensKit is what package tokens needs of the core beyond [Kit]: the
// cookie session a request logged in with, to exchange it for tokens, and
// the throttles and audit log outside a login. Get it by asserting the
// result of [Of].
type TokensKit interface {
	Kit
	// SessionUser returns the user logged in on r with a cookie session
	// (a password login, a second factor, a remember-me cookie...), with
	// Epoch the revocation counter that session lives under. A request
	// authenticated by a bearer credential gets
	// authkit.ErrCookieSessionRequired (SEC-K2), an anonymous one
	// authkit.ErrNotLoggedIn.
	SessionUser(r *http.Request) (User, error)
	// EndSession ends r's cookie session on the server, with the device's
	// remember-me token, as a logout does, and clears the cookies.
	EndSession(r *http.Request) error
	// Throttle takes one token from the bucket kind keeps for r's client
	// IP (burst tokens, one more every every) and returns
	// *authkit.TooManyRequestsError when it is empty, or
	// authkit.ErrNoMiddleware for a request outside Kit.Middleware;
	// Unthrottle puts the token back, for an attempt that turned out not
	// to count.
	Throttle(r *http.Request, kind string, burst int, every time.Duration) error
	Unthrottle(r *http.Request, kind string, burst int)
	// AuditContext records an event that has no request, as the Admin API
	// does.
	AuditContext(ctx context.Context, e Event)
	// Logger is Config.Logger, for background work that has nobody to
	// return an error to.
	Logger() *slog.Logger
}
