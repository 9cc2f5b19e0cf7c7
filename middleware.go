package authkit

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/store"
)

type contextKey struct{}

// Middleware loads the session of every request, attaches the
// request-bound [Auth] that [From] returns, and enforces the session
// core's rules on it:
//
//   - A request without a session cookie costs no database query.
//   - A logged-in request costs one query, which loads the session
//     together with its user and finds nothing if the session was revoked
//     (logout everywhere, a ban, a password change, ...) or the account is
//     no longer allowed in — at the next request, not after a delay.
//     (With a session manager of your own in Config.Sessions, that check
//     is a second query.)
//   - Sessions past SessionLifetime or idle longer than IdleTimeout end.
//   - Without a session, a remember-me cookie restores one.
//
// If the database fails or does not answer within Config.QueryTimeout,
// Config.ErrorHandler answers (503 by default).
func (k *Kit) Middleware(next http.Handler) http.Handler {
	load := k.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// r carries the session scs loaded; its context still leads to a.
		a := FromContext(r.Context())
		a.w, a.r = w, r
		if err := a.load(); err != nil {
			k.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The Auth goes into the context before the session loads, so that
		// the session store can tell the core what the session belongs to,
		// and the core tell the store how to write it back.
		a := &Auth{kit: k}
		r = r.WithContext(context.WithValue(r.Context(), contextKey{}, a))
		if credential, ok := bearerCredential(r); ok {
			k.serveBearer(w, r, a, credential, next)
			return
		}
		load.ServeHTTP(w, r)
	})
}

// bearerCredential returns the credential of an Authorization: Bearer
// header.
func bearerCredential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, credential, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(credential), true
}

// maxBearerLength bounds the credentials looked at; longer ones are not
// any of authkit's.
const maxBearerLength = 4096

// serveBearer serves a request that authenticates with a bearer
// credential: it gets no cookie session (SEC-K2) — an empty one that is
// never saved, so handlers can use the session API without effect — and
// is logged in as the credential's user if the credential is valid, or
// anonymous if it is not.
func (k *Kit) serveBearer(w http.ResponseWriter, r *http.Request, a *Auth, credential string, next http.Handler) {
	ctx, err := k.sessions.Load(r.Context(), "")
	if err != nil {
		k.fail(w, r, unavailable("session", err))
		return
	}
	r = r.WithContext(ctx)
	a.w, a.r = w, r
	switch {
	case len(credential) > maxBearerLength:
	case strings.HasPrefix(credential, apiKeyPrefix):
		if err := a.authenticateAPIKey(ctx, credential); err != nil {
			k.refuse(w, r, err)
			return
		}
	case k.bearer != nil:
		if id, err := k.bearer.Authenticate(ctx, credential); err == nil {
			a.state = &sessionState{UserID: id.UserID, CreatedAt: id.IssuedAt, LastActive: k.now()}
			a.user = store.SessionUser{Email: id.Email, Verified: true, Roles: id.Roles}
			a.via, a.scopes = ViaAccessToken, id.Scopes
		}
	}
	next.ServeHTTP(w, r)
}

// refuse answers a request the middleware cannot serve: with the handler
// the request's context names (see core.WithErrorHandler), or 429 with
// Retry-After for a throttle and Config.ErrorHandler (503) for the
// database.
func (k *Kit) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if h := core.ErrorHandlerOf(r.Context()); h != nil {
		h(w, r, err) // an API answers in its own format
		return
	}
	var tm *TooManyRequestsError
	if errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.Itoa(int(tm.RetryAfter.Round(time.Second)/time.Second)))
		http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
		return
	}
	k.cfg.ErrorHandler(w, r, err)
}

// From returns the [Auth] bound to r. It never returns nil: for a request
// that did not pass through [Kit.Middleware] it returns an Auth that is
// logged out and whose actions fail with [ErrNoMiddleware].
func From(r *http.Request) *Auth {
	return FromContext(r.Context())
}

// FromContext returns the [Auth] stored in ctx by [Kit.Middleware], for code
// that has the request's context but not the request. Like [From], it never
// returns nil.
func FromContext(ctx context.Context) *Auth {
	if a, ok := ctx.Value(contextKey{}).(*Auth); ok {
		return a
	}
	return &Auth{}
}

// load reads the authkit state of the session scs has loaded, checks that
// it is live and within its lifetimes, and records activity.
func (a *Auth) load() error {
	k := a.kit
	st, ok := k.sessions.Get(a.ctx(), sessionKey).(sessionState)
	now := k.now()
	if ok && st.Pending != nil {
		if now.Before(st.Pending.ExpiresAt) {
			a.pending = st.Pending
			return nil
		}
		k.sessions.Remove(a.ctx(), sessionKey)
		a.pendingExpired = true // so second-factor actions can say so
	}
	if !ok || st.UserID == 0 {
		return a.restore()
	}
	user, live, err := a.liveUser(st.UserID)
	if err != nil {
		return err
	}
	if !live {
		return a.endSession("session revoked")
	}
	if now.Sub(st.CreatedAt) >= k.cfg.SessionLifetime || now.Sub(st.LastActive) >= k.cfg.IdleTimeout {
		if err := a.endSession("session expired"); err != nil {
			return err
		}
		return a.restore()
	}
	if now.Sub(st.LastActive) >= k.activityEvery {
		if err := a.recordActivity(&st, now); err != nil {
			return err
		}
	}
	a.state, a.user = &st, user
	return nil
}
