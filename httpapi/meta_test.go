package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
	"github.com/authkit/authkit/sqlschema"
)

func TestHealth_IsTheReadinessProbe(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var h authkit.Health
	s.client().get("health").want(200).decode(&h)
	if h.Status != "ok" || h.SchemaVersion != sqlschema.Latest() {
		t.Fatalf("health = %+v", h)
	}
}

func TestVersion_NamesTheReleaseAndTheSchemaItNeeds(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var v struct {
		Version       string
		SchemaVersion int `json:"schema_version"`
	}
	s.client().get("version").want(200).decode(&v)
	if v.Version == "" || v.SchemaVersion != sqlschema.Latest() {
		t.Fatalf("version = %+v", v)
	}
}

func TestOpenAPIJSON_IsServedWithThePrefixAsItsServer(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(_ *authkit.Config, o *httpapi.Options) { o.Prefix = "/api/auth/" })
	var doc struct {
		OpenAPI string
		Servers []struct{ URL string }
		Paths   map[string]any
	}
	r := s.client().do("GET", "/api/auth/openapi.json", nil).want(200)
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/auth" || doc.Paths["/login"] == nil {
		t.Fatalf("document: openapi %q, servers %+v, %d paths", doc.OpenAPI, doc.Servers, len(doc.Paths))
	}
}
