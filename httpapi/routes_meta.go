package httpapi

import (
	"net/http"
	"runtime/debug"

	"github.com/authkit/authkit/sqlschema"
)

func (a *api) metaRoutes() []route {
	return []route{
		{"GET", "health", a.health},
		{"GET", "version", a.version},
		{"GET", "openapi.json", a.openAPI},
	}
}

// health is the Kit's readiness probe (authkit.Kit.Ready): 200
// {"status":"ok","schema_version":N}, or 503 while the database is down.
func (a *api) health(c *call) (any, error) {
	a.kit.Ready().ServeHTTP(c.w, c.r)
	return written, nil
}

// version names the release of authkit that serves the API and the
// schema version it needs: 200 {"version":"v1.2.0","schema_version":3}.
func (a *api) version(c *call) (any, error) {
	return versionResponse{Version: moduleVersion(), SchemaVersion: sqlschema.Latest()}, nil
}

// moduleVersion is authkit's version in the running binary's build
// information: "(devel)" when authkit is the main module or not a
// released version.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/authkit/authkit" {
			if d.Replace != nil {
				d = d.Replace
			}
			if d.Version != "" {
				return d.Version
			}
		}
	}
	return "(devel)"
}

// openAPI serves the OpenAPI 3.1 document of the API.
func (a *api) openAPI(c *call) (any, error) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(a.doc) // a client that went away needs no answer
	return written, nil
}
