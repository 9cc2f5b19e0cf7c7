package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The OpenAPI document, loaded once: the one the API serves under /auth,
// read from the embedded file through the API's own route would need a
// server, so the test reads the file it embeds.
var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

func openAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromFile("openapi.json")
		if specErr != nil {
			return
		}
		if specErr = spec.Validate(loader.Context); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	if specErr != nil {
		t.Fatalf("openapi.json: %v", specErr)
	}
	return spec, specRouter
}

// validating is a RoundTripper that checks every response against the
// OpenAPI document: a response of a documented route must have a status
// the operation lists and a body its schema allows (JSON Schema 2020-12,
// as OpenAPI 3.1 asks); any other response must be a documented Error.
// Every response must also forbid caching (SEC-H1).
type validating struct {
	t    testing.TB
	base http.RoundTripper
	// prefixes are where the APIs are mounted; the document's server is
	// /auth.
	prefixes []string
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	asDocumented := req.Clone(req.Context())
	for _, prefix := range v.prefixes {
		if rest, ok := strings.CutPrefix(req.URL.Path, prefix+"/"); ok {
			asDocumented.URL.Path = "/auth/" + rest
		}
	}
	if err := checkResponse(v.t, asDocumented, resp.StatusCode, resp.Header, body); err != nil {
		v.t.Errorf("%s %s answered %d %s, which the OpenAPI document does not allow: %v", req.Method, req.URL.Path, resp.StatusCode, body, err)
	}
	return resp, nil
}

// checkResponse checks one response against the document.
func checkResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) error {
	doc, router := openAPI(t)
	// Every answer holds, or follows from, one user's credentials, but
	// for the public keys, which clients should cache (SEC-H1).
	want := "no-store"
	if strings.HasSuffix(req.URL.Path, "/.well-known/jwks.json") && status == http.StatusOK {
		want = "public, max-age=300"
	}
	if cc := header.Get("Cache-Control"); cc != want {
		return fmt.Errorf("Cache-Control is %q, want %s", cc, want)
	}
	if len(body) == 0 && status != http.StatusNoContent {
		return fmt.Errorf("an empty body with status %d", status)
	}
	if status == http.StatusNoContent && len(body) != 0 {
		return fmt.Errorf("a body with 204 No Content")
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Unknown routes and methods answer a documented Error.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("no route in the document (%v), yet status %d", err, status)
		}
		var value any
		if err := json.Unmarshal(body, &value); err != nil {
			return err
		}
		return doc.Components.Schemas["Error"].Value.VisitJSON(value, openapi3.EnableJSONSchema2020())
	}
	if !doc.IsOpenAPI31OrLater() {
		return fmt.Errorf("the document is not OpenAPI 3.1, so its schemas would not be read as JSON Schema 2020-12")
	}
	if op := route.Operation.Responses.Status(status); op != nil && len(op.Value.Content) == 0 && len(body) != 0 {
		return fmt.Errorf("a body where the document has none")
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// fakeRequest is a request to path (under /auth) for checking responses
// the API did not give.
func fakeRequest(method, path string) *http.Request {
	req, _ := http.NewRequest(method, "https://example.com/auth/"+path, nil)
	return req
}

func TestOpenAPI_TheDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	doc, _ := openAPI(t)
	if !doc.IsOpenAPI31OrLater() || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi = %q, want 3.1", doc.OpenAPI)
	}
}

// The validation must really validate: these responses break the
// document in one way each, and each must be refused.
func TestOpenAPI_ValidationRefusesResponsesThatDriftFromTheDocument(t *testing.T) {
	t.Parallel()
	json := "application/json"
	good := `{"user":{"id":1,"email":"a@x.io","name":"","metadata":{},"email_verified":true,"two_factor_enabled":false,"roles":[],"created_at":"2026-01-02T03:04:05Z","anonymous":false}}`
	h := func(ct string) http.Header { return http.Header{"Content-Type": {ct}, "Cache-Control": {"no-store"}} }
	if err := checkResponse(t, fakeRequest("POST", "login"), 200, h(json), []byte(good)); err != nil {
		t.Fatalf("a good response was refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		header http.Header
		body   string
	}{
		{"roles null", fakeRequest("POST", "login"), 200, h(json), strings.Replace(good, `"roles":[]`, `"roles":null`, 1)},
		{"a field more", fakeRequest("POST", "login"), 200, h(json), strings.Replace(good, `"name":""`, `"name":"","password":"x"`, 1)},
		{"a field less", fakeRequest("POST", "login"), 200, h(json), strings.Replace(good, `"email":"a@x.io",`, ``, 1)},
		{"a number as a string", fakeRequest("POST", "login"), 200, h(json), strings.Replace(good, `"id":1`, `"id":"1"`, 1)},
		{"an undocumented status", fakeRequest("POST", "login"), 201, h(json), good},
		{"an error shape for a success", fakeRequest("POST", "login"), 200, h(json), `{"error":{"code":"x","message":"y"}}`},
		{"a method outside the enum", fakeRequest("POST", "login"), 202, h(json), `{"second_factor":{"methods":[{"method":"carrier pigeon"}]}}`},
		{"an error without a message", fakeRequest("POST", "login"), 401, h(json), `{"error":{"code":"invalid_credentials"}}`},
		{"429 without Retry-After", fakeRequest("POST", "login"), 429, h(json), `{"error":{"code":"too_many_requests","message":"m","retry_after":3}}`},
		{"another content type", fakeRequest("POST", "login"), 200, h("text/plain"), good},
		{"a cacheable response", fakeRequest("POST", "login"), 200, http.Header{"Content-Type": {json}}, good},
		{"a body with 204", fakeRequest("POST", "logout"), 204, h(json), `{}`},
		{"a 404 that is not an Error", fakeRequest("GET", "nowhere"), 404, h(json), `{"message":"not found"}`},
	} {
		if err := checkResponse(t, tc.req, tc.status, tc.header, []byte(tc.body)); err == nil {
			t.Errorf("%s: the response was accepted", tc.name)
		}
	}
}
