package tokens

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/authkit/authkit"
)

// BenchmarkMiddleware compares a request authenticated by an access token
// with one authenticated by a cookie session, in-process (no network),
// and reports the database round trips per request as "queries/op". Run
// it with
//
//	go test -run '^$' -bench Middleware -benchtime 2000x ./tokens
func BenchmarkMiddleware(b *testing.B) {
	e := newEnv(b)
	id := e.user("bench@example.com")
	tok := e.issue(id)
	c := e.client()
	c.login("bench@example.com")
	srvURL, _ := url.Parse(e.srv.URL)
	var session *http.Cookie
	for _, ck := range c.http.Jar.Cookies(srvURL) {
		if ck.Name == e.kit.Sessions().Cookie.Name {
			session = ck
		}
	}
	if session == nil {
		b.Fatal("no session cookie")
	}
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if authkit.From(r).UserID() != id {
			b.Fatal("not logged in")
		}
	}))

	b.Run("cookie session", func(b *testing.B) {
		req := httptest.NewRequest("GET", "https://auth.example.com/", nil)
		req.AddCookie(session)
		runBench(b, e, h, req)
	})
	b.Run("access token", func(b *testing.B) {
		req := httptest.NewRequest("GET", "https://auth.example.com/", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		runBench(b, e, h, req)
	})
	// A token's first request checks its signature; the Issuer remembers
	// it for the requests after.
	b.Run("access token first use", func(b *testing.B) {
		req := httptest.NewRequest("GET", "https://auth.example.com/", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		runBench(b, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.iss.verified.forget()
			h.ServeHTTP(w, r)
		}), req)
	})
}

func runBench(b *testing.B, e *env, h http.Handler, req *http.Request) {
	b.ReportAllocs()
	e.probe.Counter().Store(0)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	b.ReportMetric(float64(e.probe.Statements())/float64(b.N), "queries/op")
}
