package core

import (
	"context"
	"net/http"
	"time"
)

// HTTPKit is what package httpapi needs of the Kit beyond [Kit]; the
// value [Of] returns implements it.
type HTTPKit interface {
	// Serves reports whether r passed through this Kit's middleware, so
	// that a handler mounted outside it can apply it itself.
	Serves(r *http.Request) bool
	// Bearer reports whether r authenticates with an Authorization:
	// Bearer header, which the middleware serves without a cookie session
	// (so it needs no protection against cross-site requests).
	Bearer(r *http.Request) bool
	// Session describes the request's session; false when nobody is
	// logged in.
	Session(r *http.Request) (Session, bool)
	// Cause describes, for the log, the database failure behind an
	// error: never a secret, and "" for errors that are not one.
	Cause(err error) string
}

// Session is the request's session as its user may see it.
type Session struct {
	// ID names the session as the user's list of sessions does, without
	// revealing its token or store key; empty for a bearer credential.
	ID string
	// CreatedAt is when the session started (the credential was issued).
	CreatedAt time.Time
	// ExpiresAt is when the session ends if it is not used again (the
	// sooner of its absolute and idle lifetimes); zero for a bearer
	// credential.
	ExpiresAt time.Time
}

type errorHandlerKey struct{}

// ErrorHandler answers a request that failed with err.
type ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

// WithErrorHandler returns r with h in its context: the Kit's middleware
// then answers with h, not Config.ErrorHandler, when it cannot load the
// session, so that an API answers in its own format.
func WithErrorHandler(r *http.Request, h ErrorHandler) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), errorHandlerKey{}, h))
}

// ErrorHandlerOf returns the handler WithErrorHandler put in ctx, or nil.
func ErrorHandlerOf(ctx context.Context) ErrorHandler {
	h, _ := ctx.Value(errorHandlerKey{}).(ErrorHandler)
	return h
}
