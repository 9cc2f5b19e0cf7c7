package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/authkit/authkit"
)

// ServeHTTP serves the two routes of a sign-in, under Options.Prefix; it
// must run inside kit.Middleware:
//
//   - GET {Prefix}/oauth/{provider} starts it ([Service.Begin]) and
//     redirects to the provider. Query parameters: "next", the local path
//     to return to; "remember=1" for a remember-me token; "link=1" to link
//     the provider account to the logged-in user instead.
//   - GET {Prefix}/oauth/{provider}/callback is the redirect URL to
//     register at the provider: it finishes the sign-in ([Service.Finish])
//     and redirects (303) to the return-to path, to Options.SecondFactorURL
//     or Options.LinkURL, or lets Options.ErrorHandler answer.
//
// Mount it at the prefix, for example beside package httpapi's JSON API:
//
//	social, err := oauth.New(kit, oauth.Options{Prefix: "/auth", Providers: ...})
//	mux.Handle("/auth/oauth/", social)
//	mux.Handle("/auth/", httpapi.New(kit, httpapi.Options{Prefix: "/auth"}))
//
// Anything else under the prefix is 404 Not Found.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+s.opts.Prefix+"/oauth/{provider}", s.serveBegin)
	mux.HandleFunc("GET "+s.opts.Prefix+"/oauth/{provider}/callback", s.serveCallback)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	return mux
}

func (s *Service) serveBegin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st := Start{ReturnTo: q.Get("next"), Remember: isSet(q.Get("remember")), Link: isSet(q.Get("link"))}
	if err := s.Begin(w, r, r.PathValue("provider"), st); err != nil {
		s.opts.ErrorHandler(w, r, err)
	}
}

func isSet(v string) bool { return v == "1" || v == "true" || v == "on" }

func (s *Service) serveCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	res, err := s.Finish(r, r.PathValue("provider"))
	var sf *authkit.SecondFactorRequiredError
	var link *LinkRequiredError
	switch {
	case err == nil:
		http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
	case errors.As(err, &sf) && s.opts.SecondFactorURL != "":
		http.Redirect(w, r, withQuery(s.opts.SecondFactorURL, url.Values{"next": {res.ReturnTo}}), http.StatusSeeOther)
	case errors.As(err, &link) && s.opts.LinkURL != "":
		q := url.Values{"email": {link.Email}, "provider": {link.Provider}, "next": {res.ReturnTo}}
		http.Redirect(w, r, withQuery(s.opts.LinkURL, q), http.StatusSeeOther)
	default:
		s.opts.ErrorHandler(w, r, err)
	}
}

// withQuery adds q to the query of target.
func withQuery(target string, q url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	old := u.Query()
	for k, v := range q {
		old[k] = v
	}
	u.RawQuery = old.Encode()
	return u.String()
}

// defaultErrorHandler answers the error's status with its fixed text,
// which holds no secret.
func defaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusCode(err)
	var tm *authkit.TooManyRequestsError
	if errors.As(err, &tm) && tm.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(tm.RetryAfter.Seconds())))
	}
	msg := err.Error()
	if status >= 500 {
		msg = http.StatusText(status)
	}
	http.Error(w, msg, status)
}
