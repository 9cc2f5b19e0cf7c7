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
	via     Via               // how the request authenticated
	scopes  []string          // what a bearer credential may do

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

// requireLogin returns the state of a user logged in with a session
// (SEC-K2): ErrNotLoggedIn for an anonymous request, and
// ErrCookieSessionRequired for one authenticated by an API key or access
// token, which cannot change the account.
func (a *Auth) requireLogin() (*sessionState, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	if a.state == nil {
		return nil, ErrNotLoggedIn
	}
	if a.bearer() {
		return nil, ErrCookieSessionRequired
	}
	return a.state, nil
}

// Via says how a request authenticated.
type Via string

// The ways a request can authenticate.
const (
	// ViaNone is an anonymous request.
	ViaNone Via = ""
	// ViaCookie is a session started by a login in this browser.
	ViaCookie Via = "cookie"
	// ViaRemembered is a session restored from a remember-me cookie
	// (not fresh until [Auth.Reauthenticate]).
	ViaRemembered Via = "remembered"
	// ViaAPIKey is an Authorization: Bearer ak_… header.
	ViaAPIKey Via = "api_key"
	// ViaAccessToken is an Authorization: Bearer header with an access
	// token of package tokens.
	ViaAccessToken Via = "access_token"
)

// Via says how the request authenticated: [ViaNone] when nobody is logged
// in.
func (a *Auth) Via() Via {
	switch {
	case a.state == nil:
		return ViaNone
	case a.via != ViaNone:
		return a.via
	case a.state.Remembered:
		return ViaRemembered
	}
	return ViaCookie
}

// bearer reports whether the request authenticated with a bearer
// credential rather than a session.
func (a *Auth) bearer() bool { return a.via == ViaAPIKey || a.via == ViaAccessToken }

// HasScope reports whether the request may act within scope: a request
// with a session may do anything its user may; one with an API key or
// access token only what the credential's scopes list.
func (a *Auth) HasScope(scope string) bool {
	if a.state == nil {
		return false
	}
	return !a.bearer() || slices.Contains(a.scopes, scope)
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
