package authkit

import (
	"net/http"
	"net/url"
)

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
