package authkit

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/authkit/authkit/sqlschema"
)

// readyTimeout bounds the database checks of a readiness probe.
const readyTimeout = time.Second

// Health is what the probes of [Kit.Ready] and [Kit.Live] answer, as
// JSON: {"status":"ok","schema_version":3}.
type Health struct {
	// Status is "ok", "unavailable" (the database did not answer within
	// a second) or "schema_outdated" (it lacks migrations this release
	// needs).
	Status string `json:"status"`
	// SchemaVersion is the database's schema version; 0 when unknown, and
	// for liveness, which does not ask the database.
	SchemaVersion int `json:"schema_version,omitempty"`
}

// Ready returns the handler of a readiness probe (a Kubernetes
// readinessProbe, a load balancer's health check): 200 with
// {"status":"ok","schema_version":N} when the database answers a ping and
// a schema-version query within 1 second and its schema is as new as this
// release needs, and 503 Service Unavailable with status "unavailable" or
// "schema_outdated" otherwise, so that the instance gets no traffic while
// it cannot serve it. It needs no middleware and logs no failure: probes
// ask often, and the requests the database fails log their own errors.
func (k *Kit) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		h := Health{Status: "ok"}
		v, err := k.schemaVersion(ctx)
		switch {
		case err != nil:
			h.Status = "unavailable"
		case v < sqlschema.Latest():
			h.Status, h.SchemaVersion = "schema_outdated", v
		default:
			h.SchemaVersion = v
		}
		writeHealth(w, h)
	})
}

func (k *Kit) schemaVersion(ctx context.Context) (int, error) {
	if err := k.cfg.DB.PingContext(ctx); err != nil {
		return 0, err
	}
	return sqlschema.Version(ctx, k.cfg.DB, k.cfg.TablePrefix)
}

// Live returns the handler of a liveness probe: 200 with {"status":"ok"}
// whenever the process serves HTTP at all. It asks the database nothing,
// on purpose: restarting an instance does not mend a database outage, so
// liveness must not fail with one (that is what Ready is for).
func (k *Kit) Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeHealth(w, Health{Status: "ok"})
	})
}

func writeHealth(w http.ResponseWriter, h Health) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(h) // a client that went away needs no answer
}
