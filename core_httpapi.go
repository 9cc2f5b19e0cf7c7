package authkit

import (
	"log/slog"
	"net/http"

	"github.com/authkit/authkit/internal/core"
)

func (c coreKit) Serves(r *http.Request) bool { return From(r).kit == c.k }

func (c coreKit) Bearer(r *http.Request) bool {
	_, ok := bearerCredential(r)
	return ok
}

func (c coreKit) Logger() *slog.Logger { return c.k.log }

func (c coreKit) Cause(err error) string { return cause(err) }

func (c coreKit) Session(r *http.Request) (core.Session, bool) {
	a := From(r)
	if a.kit != c.k || a.state == nil {
		return core.Session{}, false
	}
	s := core.Session{CreatedAt: a.state.CreatedAt}
	if !a.bearer() {
		s.ID = a.user.SessionID
		cfg := c.k.cfg
		s.ExpiresAt = a.state.CreatedAt.Add(cfg.SessionLifetime)
		if idle := a.state.LastActive.Add(cfg.IdleTimeout); idle.Before(s.ExpiresAt) {
			s.ExpiresAt = idle
		}
	}
	return s, true
}

// fail answers a request the middleware cannot serve: with the handler
// the request's context names (see core.WithErrorHandler), or
// Config.ErrorHandler.
func (k *Kit) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h := core.ErrorHandlerOf(r.Context()); h != nil {
		h(w, r, err)
		return
	}
	k.cfg.ErrorHandler(w, r, err)
}
