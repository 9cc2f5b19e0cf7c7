package httpapi

import (
	"net/http"
)

// The routes of the other subpackages — tokens, oauth and passkey — are
// served by those packages' own handlers, mounted here when their Options
// field is set, so that one handler serves the whole API. Without it the
// route answers 404 not_found.

func (a *api) mountedRoutes() []route {
	tokens := func(h func() http.Handler) func(c *call) (any, error) {
		return a.mount(func() http.Handler {
			if a.opts.Tokens == nil {
				return nil
			}
			return h()
		})
	}
	oauth := a.mount(func() http.Handler {
		if a.opts.OAuth == nil {
			return nil
		}
		return a.opts.OAuth
	})
	passkeys := a.mount(func() http.Handler { return a.passkeys })
	return []route{
		{"POST", "token", tokens(func() http.Handler { return a.opts.Tokens.TokenHandler() })},
		{"GET", ".well-known/jwks.json", tokens(func() http.Handler { return a.opts.Tokens.JWKSHandler() })},
		{"GET", "oauth/{provider}", oauth},
		{"GET", "oauth/{provider}/callback", oauth},
		{"POST", "passkeys/register/begin", passkeys},
		{"POST", "passkeys/register/finish", passkeys},
		{"GET", "passkeys", passkeys},
		{"PATCH", "passkeys/{id}", passkeys},
		{"DELETE", "passkeys/{id}", passkeys},
		{"POST", "login/passkey/begin", passkeys},
		{"POST", "login/passkey/finish", passkeys},
		{"POST", "login/second-factor/passkey/begin", passkeys},
		{"POST", "login/second-factor/passkey/finish", passkeys},
		{"POST", "reauthenticate/passkey/begin", passkeys},
		{"POST", "reauthenticate/passkey/finish", passkeys},
	}
}

// mount serves a route with the handler of another package, or answers
// 404 when that package is not set up.
func (a *api) mount(handler func() http.Handler) func(c *call) (any, error) {
	return func(c *call) (any, error) {
		h := handler()
		if h == nil {
			return nil, ErrNotFound
		}
		h.ServeHTTP(c.w, c.r)
		return written, nil
	}
}
