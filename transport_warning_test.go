package authkit

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// loginAt logs ada in through the middleware with a request to target,
// as a browser would send it; tls marks the request as come over HTTPS.
func loginAt(t *testing.T, e *env, target string, overTLS bool, header http.Header) {
	t.Helper()
	req := httptest.NewRequest("POST", target, nil)
	if !overTLS {
		req.TLS = nil
	} else if req.TLS == nil {
		req.TLS = &tls.ConnectionState{}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := From(r).Login("ada@example.com", testPassword, false); err != nil {
			t.Errorf("Login at %s: %v", target, err)
		}
	})).ServeHTTP(rec, req)
}

const droppedCookieWarning = "the browser will drop it"

func TestLogin_OverPlainHTTPToAnotherHostWarnsOnceThatTheBrowserDropsTheSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("ada@example.com")

	// Where browsers keep a Secure cookie, or TLS is in front: no warning.
	loginAt(t, e, "http://localhost:8080/login", false, nil)
	loginAt(t, e, "http://127.0.0.1:8080/login", false, nil)
	loginAt(t, e, "http://[::1]:8080/login", false, nil)
	loginAt(t, e, "http://app.localhost/login", false, nil)
	loginAt(t, e, "https://192.168.1.20/login", true, nil)
	loginAt(t, e, "http://192.168.1.20/login", false, http.Header{"X-Forwarded-Proto": {"https"}})
	if strings.Contains(e.logs.String(), droppedCookieWarning) {
		t.Fatalf("warned for a host that keeps the cookie:\n%s", e.logs)
	}

	// A LAN address and a docker name over plain http: one warning, naming
	// the host and the fix.
	loginAt(t, e, "http://192.168.1.20:8080/login", false, nil)
	loginAt(t, e, "http://app.test/login", false, nil)
	logs := e.logs.String()
	if n := strings.Count(logs, droppedCookieWarning); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "192.168.1.20:8080") || !strings.Contains(logs, "Config.Development") {
		t.Fatalf("the warning names neither the host nor the fix:\n%s", logs)
	}
}

func TestLogin_InDevelopmentOverPlainHTTPDoesNotWarn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Development = true })
	e.user("ada@example.com")
	loginAt(t, e, "http://192.168.1.20:8080/login", false, nil)
	if strings.Contains(e.logs.String(), droppedCookieWarning) {
		t.Fatalf("warned although the cookie is not Secure:\n%s", e.logs)
	}
}
