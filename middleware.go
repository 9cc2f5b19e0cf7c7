package authkit

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/authkit/authkit/internal/store"
)

type contextKey struct{}

// Middleware loads the session of every request, attaches the
// request-bound [Auth] that [From] returns, and keeps the session in step
// with the database:
//
//   - A request without a session cookie costs no database query.
//   - A logged-in request costs loading its session and nothing else,
//     except once per resync interval, when the user's status, roles,
//     email and revocation counter are read again (and a session whose
//     user was revoked, banned or deleted ends).
//   - Sessions past SessionLifetime or idle longer than IdleTimeout end.
//
// If the database fails, Config.ErrorHandler answers (503 by default).
func (k *Kit) Middleware(next http.Handler) http.Handler {
	return k.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := &Auth{kit: k, w: w, r: r}
		if err := a.load(); err != nil {
			k.cfg.ErrorHandler(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), contextKey{}, a))
		a.r = r
		next.ServeHTTP(w, r)
	}))
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

// RequireLogin lets logged-in requests through to next. Others go to
// Config.UnauthorizedHandler: by default a redirect to Config.LoginURL
// (with the original location in the "next" query parameter) for GET and
// HEAD requests when LoginURL is set, and 401 Unauthorized otherwise. It
// must be used inside [Kit.Middleware]. The login page must check "next"
// before redirecting to it after login (a local path only), or it becomes
// an open redirect.
func (k *Kit) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !From(r).IsLoggedIn() {
			k.unauthorized(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireRole lets through requests of logged-in users who have at least
// one of roles. Anonymous requests are turned away as by RequireLogin;
// logged-in users without the role go to Config.ForbiddenHandler (403
// Forbidden by default).
func (k *Kit) RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return k.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := From(r)
			for _, role := range roles {
				if a.HasRole(role) {
					next.ServeHTTP(w, r)
					return
				}
			}
			if k.cfg.ForbiddenHandler != nil {
				k.cfg.ForbiddenHandler.ServeHTTP(w, r)
				return
			}
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
		}))
	}
}

func (k *Kit) unauthorized(w http.ResponseWriter, r *http.Request) {
	switch {
	case k.cfg.UnauthorizedHandler != nil:
		k.cfg.UnauthorizedHandler.ServeHTTP(w, r)
	case k.cfg.LoginURL != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		http.Redirect(w, r, k.cfg.LoginURL+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	default:
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
	}
}

// load reads the authkit state of the session scs has loaded and enforces
// the lifetimes and the periodic resync.
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
	if now.Sub(st.CreatedAt) >= k.cfg.SessionLifetime || now.Sub(st.LastActive) >= k.cfg.IdleTimeout {
		if err := a.endSession("session expired"); err != nil {
			return err
		}
		return a.restore()
	}
	if now.Sub(st.SyncedAt) >= k.syncEvery {
		u, err := k.store.SessionUser(a.ctx(), st.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return a.endSession("user deleted")
		}
		if err != nil {
			return unavailable("resync session", err)
		}
		if u.Epoch != st.Epoch {
			return a.endSession("session revoked")
		}
		if Status(u.Status) != StatusNormal {
			return a.endSession("account " + Status(u.Status).String())
		}
		if !u.Verified && !k.cfg.DisableEmailVerification {
			return a.endSession("email not verified")
		}
		st.Email, st.Verified, st.Status, st.Roles = u.Email, u.Verified, Status(u.Status), u.Roles
		st.SyncedAt, st.LastActive = now, now
		k.sessions.Put(a.ctx(), sessionKey, st)
	}
	a.state = &st
	return nil
}

// endSession destroys the current session on the server and tells the
// browser to drop its cookie.
func (a *Auth) endSession(reason string) error {
	k := a.kit
	key := k.storeKey(k.sessions.Token(a.ctx()))
	if err := k.sessions.Destroy(a.ctx()); err != nil {
		return unavailable("destroy session", err)
	}
	a.state = nil
	if err := k.store.ForgetSession(a.ctx(), key); err != nil {
		return unavailable("forget session", err)
	}
	k.log.DebugContext(a.ctx(), "authkit: session ended", "reason", reason)
	return nil
}
