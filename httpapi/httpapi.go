package httpapi

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/passkey"
	"github.com/authkit/authkit/tokens"
)

// defaultMaxBodyBytes is Options.MaxBodyBytes's default.
const defaultMaxBodyBytes = 64 << 10

// Options configures the handler [New] returns. The zero value serves the
// API at the root of the site; every field has a default stated in its
// comment.
type Options struct {
	// Prefix is the path the API is mounted under, without a trailing
	// slash: with "/auth", logging in is POST /auth/login. Mount the
	// handler on the prefix with a trailing slash
	// (mux.Handle("/auth/", ...)). The default, "", serves the routes at
	// the root.
	Prefix string

	// MaxBodyBytes bounds a request's body; a larger one is refused with
	// 413 Request Entity Too Large before it is read further. The default
	// is 64 KiB, room for the largest input (16 KiB of user metadata).
	MaxBodyBytes int64

	// CrossOrigin guards requests that carry cookies against cross-site
	// forgery, login included (login CSRF): a browser's unsafe request
	// (POST, PATCH, DELETE) from another origin is refused with 403
	// cross_origin. Requests with an Authorization: Bearer header are not
	// checked: they get no cookie session, and no other site can make a
	// browser send one. The default is http.NewCrossOriginProtection(),
	// which trusts no other origin; call AddTrustedOrigin on one of your
	// own for a front end served from another origin. Do not use its
	// AddInsecureBypassPattern for the API's routes.
	CrossOrigin *http.CrossOriginProtection

	// Tokens, when set, serves POST token (the refresh grant) and GET
	// .well-known/jwks.json, and lets POST login and POST
	// login/second-factor answer with tokens instead of a cookie when the
	// body asks for them ("token": true). The default, nil, serves
	// neither, and a login asking for tokens is refused.
	Tokens *tokens.Issuer

	// OAuth, when set, serves GET oauth/{provider} and its callback. Make
	// it with oauth.Options.Prefix equal to Prefix. The default, nil,
	// serves neither.
	OAuth *oauth.Service

	// Passkeys, when set, serves the passkey routes: registration, the
	// list, passwordless login, the second step and reauthentication. The
	// default, nil, serves none of them.
	Passkeys *passkey.Service
}

// api is the handler New returns.
type api struct {
	kit    *authkit.Kit
	core   apiCore
	opts   Options
	routes []route
	doc    []byte // the OpenAPI document, with the server URL set to the prefix

	passkeys http.Handler // Options.Passkeys' routes, nil without it
}

// apiCore is what the API reaches of the session core.
type apiCore interface {
	core.Kit
	core.HTTPKit
}

// New returns the JSON API of kit as an http.Handler: the routes listed in
// the package documentation, under opts.Prefix. Each request runs inside
// kit's middleware: if the handler is mounted outside [authkit.Kit.Middleware]
// it applies the middleware itself, and then also answers in JSON when
// the database fails while the session loads. New panics if kit is nil,
// as http.Handle does for a nil handler.
func New(kit *authkit.Kit, opts Options) http.Handler {
	c, ok := core.Of(kit).(apiCore)
	if !ok {
		panic("httpapi: New needs the *authkit.Kit that authkit.New returned")
	}
	opts.Prefix = strings.TrimSuffix(opts.Prefix, "/")
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}
	if opts.CrossOrigin == nil {
		opts.CrossOrigin = http.NewCrossOriginProtection()
	}
	a := &api{kit: kit, core: c, opts: opts}
	if opts.Passkeys != nil {
		a.passkeys = opts.Passkeys.Handler(opts.Prefix)
	}
	a.routes = a.table()
	a.doc = document(opts.Prefix)
	return a
}

func (a *api) log() *slog.Logger { return a.core.Logger() }

// ServeHTTP answers every request in JSON and never lets a response be
// cached: each holds, or follows from, one user's credentials.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if !a.core.Serves(r) {
		r = core.WithErrorHandler(r, a.writeError)
		a.kit.Middleware(http.HandlerFunc(a.serve)).ServeHTTP(w, r)
		return
	}
	a.serve(w, r)
}

// serve routes a request that passed through the Kit's middleware.
func (a *api) serve(w http.ResponseWriter, r *http.Request) {
	rt, params, allow := a.match(r)
	switch {
	case rt == nil && allow == nil:
		a.writeError(w, r, ErrNotFound)
		return
	case rt == nil:
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, ErrMethodNotAllowed)
		return
	}
	if !a.core.Bearer(r) {
		if err := a.opts.CrossOrigin.Check(r); err != nil {
			a.writeError(w, r, ErrCrossOrigin)
			return
		}
	}
	c := &call{api: a, w: w, r: r, auth: authkit.From(r), params: params}
	body, err := rt.handle(c)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	c.reply(body)
}

// match finds the route of r's method and path. When the path is known
// but not the method, it returns the methods that are allowed.
func (a *api) match(r *http.Request) (*route, map[string]string, []string) {
	rest, ok := strings.CutPrefix(r.URL.Path, a.opts.Prefix+"/")
	if !ok || rest == "" {
		return nil, nil, nil
	}
	segments := strings.Split(rest, "/")
	var allow []string
	for i := range a.routes {
		rt := &a.routes[i]
		params, ok := rt.matches(segments)
		if !ok {
			continue
		}
		if rt.method == r.Method {
			return rt, params, nil
		}
		allow = append(allow, rt.method)
	}
	slices.Sort(allow)
	return nil, nil, slices.Compact(allow)
}
