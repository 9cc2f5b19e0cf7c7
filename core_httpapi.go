package authkit

import (
	"log/slog"
	"net/http"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/token"
)

func (c coreKit) Serves(r *http.Request) bool { return From(r).kit == c.k }

func (c coreKit) Bearer(r *http.Request) bool {
	_, ok := bearerCredential(r)
	return ok
}

func (c coreKit) Logger() *slog.Logger { return c.k.log }

func (c coreKit) Session(r *http.Request) (core.Session, bool) {
	a := From(r)
	if a.kit != c.k || a.state == nil {
		return core.Session{}, false
	}
	s := core.Session{CreatedAt: a.state.CreatedAt}
	if !a.bearer() {
		s.ID = sessionID(a.sessionKeyOf())
		cfg := c.k.cfg
		s.ExpiresAt = a.state.CreatedAt.Add(cfg.SessionLifetime)
		if idle := a.state.LastActive.Add(cfg.IdleTimeout); idle.Before(s.ExpiresAt) {
			s.ExpiresAt = idle
		}
	}
	return s, true
}

// sessionID names the session under the store key key for its user: a
// hash of the key, which is itself a hash of the token, so that neither
// can be learned from it (SEC-D1). It changes when the token is renewed.
func sessionID(key string) string { return token.HashString("session id:" + key)[:22] }

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
