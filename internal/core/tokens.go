package core

import (
	"context"
	"net/http"
)

// TokensKit is what package tokens needs of the core beyond [Kit]: the
// cookie session a request logged in with, to exchange it for tokens, and
// the audit log outside a request. Get it by asserting the
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
	// AuditContext records an event that has no request, as the Admin API
	// does.
	AuditContext(ctx context.Context, e Event)
}
