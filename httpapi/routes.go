package httpapi

import (
	"slices"
	"strings"
)

// route is one endpoint of the API.
//
// Adding routes (how the devices, API-key, token, OAuth, passkey and
// passwordless routes join): write the handlers in a file of their own,
// routes_<feature>.go, as methods of *api that take a *call; return their
// rows from a method <feature>Routes (reading the Options they need, for
// example a token issuer, and returning no rows when it is unset); add
// that method to the list in table; and describe each path in
// openapi.json. The tests refuse a route the document lacks, and check
// every response the suite gets against the document, so the handlers
// and the document cannot drift apart.
type route struct {
	method string
	// path is under the prefix, without a leading slash; a segment in
	// braces ("two-factor/{method}/enroll") matches any one segment and
	// is passed to the handler as a parameter.
	path string
	// handle serves the request: it returns the body of a success (nil
	// for 204 No Content) or the error to answer with.
	handle func(c *call) (any, error)
}

// table lists every route, group by group.
func (a *api) table() []route {
	return slices.Concat(
		a.signupRoutes(),
		a.loginRoutes(),
		a.passwordlessRoutes(),
		a.anonymousRoutes(),
		a.accountRoutes(),
		a.twoFactorRoutes(),
		a.deviceRoutes(),
		a.mountedRoutes(),
		a.metaRoutes(),
	)
}

// matches reports whether a request path, split into segments, is this
// route's, and returns the values of its parameters.
func (rt *route) matches(segments []string) (map[string]string, bool) {
	pattern := strings.Split(rt.path, "/")
	if len(pattern) != len(segments) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			if segments[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "}")] = segments[i]
			continue
		}
		if p != segments[i] {
			return nil, false
		}
	}
	return params, true
}
