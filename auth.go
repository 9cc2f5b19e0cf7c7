package authkit

import (
	"context"
	"net/http"
	"slices"

	"github.com/authkit/authkit/internal/store"
)

// Auth is authkit bound to one request: [From] returns it inside a handler
// wrapped by [Kit.Middleware]. Its methods use the request's context and
// write cookies to its response, so they take no context argument. An Auth
// belongs to one request and must not be used from other goroutines or
// after the handler returns.
type Auth struct {
	kit     *Kit
	w       http.ResponseWriter
	r       *http.Request
	state   *sessionState     // nil when nobody is logged in
	user    store.SessionUser // the logged-in user, read with the session
	pending *pendingLogin     // a login waiting for its second factor
	slot    store.Slot        // what the session belongs to, shared with the session store

	pendingExpired bool // the session held a pending login that timed out
}

func (a *Auth) ctx() context.Context { return a.r.Context() }

// ready returns ErrNoMiddleware for an Auth from a request that did not
// pass through the middleware.
func (a *Auth) ready() error {
	if a.kit == nil {
		return ErrNoMiddleware
	}
	return nil
}

// requireLogin returns the logged-in user's state or ErrNotLoggedIn.
func (a *Auth) requireLogin() (*sessionState, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	if a.state == nil {
		return nil, ErrNotLoggedIn
	}
	return a.state, nil
}

// IsLoggedIn reports whether the request belongs to a logged-in user.
func (a *Auth) IsLoggedIn() bool { return a.state != nil }

// UserID returns the logged-in user's id, or 0.
func (a *Auth) UserID() int64 {
	if a.state == nil {
		return 0
	}
	return a.state.UserID
}

// Email returns the logged-in user's email address, or "".
func (a *Auth) Email() string {
	if a.state == nil {
		return ""
	}
	return a.user.Email
}

// Status returns the logged-in user's status. A logged-in user is always
// [StatusNormal]: other statuses end the session.
func (a *Auth) Status() Status {
	if a.state == nil {
		return StatusNormal
	}
	return Status(a.user.Status)
}

// Roles returns a copy of the logged-in user's roles, or nil.
func (a *Auth) Roles() []string {
	if a.state == nil {
		return nil
	}
	return slices.Clone([]string(a.user.Roles))
}

// HasRole reports whether the logged-in user has the named role.
func (a *Auth) HasRole(role string) bool {
	return a.state != nil && slices.Contains(a.user.Roles, role)
}

// IsRemembered reports whether the session was restored from a remember-me
// cookie and the password has not been entered in it since.
func (a *Auth) IsRemembered() bool { return a.state != nil && a.state.Remembered }

// AwaitingSecondFactor reports whether a login in this session passed the
// password check and waits for its second factor (see [Auth.TwoFactor]).
func (a *Auth) AwaitingSecondFactor() bool { return a.state == nil && a.pending != nil }

// clientIP is the client's address, see [Kit.clientIP].
func (a *Auth) clientIP() string { return a.kit.clientIP(a.r) }
