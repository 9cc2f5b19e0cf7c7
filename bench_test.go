package authkit

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The benchmarks run the middleware in-process (no network) and report
// the database round trips per request as "queries/op". Run them with
//
//	go test -run '^$' -bench Middleware -benchtime 2000x .

func BenchmarkMiddleware_Anonymous(b *testing.B) {
	e, queries := benchEnv(b)
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { From(r).IsLoggedIn() }))
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	runBench(b, h, req, queries)
}

func BenchmarkMiddleware_LoggedIn(b *testing.B) {
	e, queries := benchEnv(b)
	e.user("bench@example.com")
	var cookie *http.Cookie
	rec := e.request(func(a *Auth) {
		if err := a.Login("bench@example.com", testPassword, false); err != nil {
			b.Fatal(err)
		}
	})
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookieName(e) {
			cookie = c
		}
	}
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !From(r).IsLoggedIn() {
			b.Fatal("not logged in")
		}
	}))
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.AddCookie(cookie)
	runBench(b, h, req, queries)
}

func BenchmarkMiddleware_APIKey(b *testing.B) {
	e, queries := benchEnv(b)
	e.user("bench@example.com")
	var secret string
	d := e.device()
	d.do(func(a *Auth) {
		if err := a.Login("bench@example.com", testPassword, false); err != nil {
			b.Fatal(err)
		}
	})
	d.do(func(a *Auth) {
		var err error
		if _, secret, err = a.APIKeys().Create(APIKeySpec{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
	})
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if From(r).Via() != ViaAPIKey {
			b.Fatal("not authenticated by the key")
		}
	}))
	req := httptest.NewRequest("GET", "https://example.com/", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	runBench(b, h, req, queries)
}

func runBench(b *testing.B, h http.Handler, req *http.Request, queries *atomic.Int64) {
	b.ReportAllocs()
	queries.Store(0)
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
}

// benchEnv is an env whose database connections count the statements
// they run.
func benchEnv(b *testing.B) (*env, *atomic.Int64) {
	e, probe := probedEnv(b)
	return e, probe.Counter()
}

// BenchmarkRemember_Restore measures a request that arrives with only a
// remember-me cookie: the token is checked, rotated and a session started.
func BenchmarkRemember_Restore(b *testing.B) {
	e, queries := benchEnv(b)
	e.user("bench@example.com")
	rec := e.request(func(a *Auth) {
		if err := a.Login("bench@example.com", testPassword, true); err != nil {
			b.Fatal(err)
		}
	})
	cookie := findCookie(rec.Result().Cookies(), e.kit.rememberCookie)
	h := e.kit.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !From(r).IsRemembered() {
			b.Fatal("not restored")
		}
	}))
	b.ReportAllocs()
	queries.Store(0)
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "https://example.com/", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		cookie = findCookie(rec.Result().Cookies(), e.kit.rememberCookie)
	}
	b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
}

func findCookie(cookies []*http.Cookie, name string) *http.Cookie {
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// BenchmarkLogin measures a correct password login of a user without a
// second factor, from a browser the account knows (its device cookie) and
// that is not logged in: the throttle, the account (with whether it has a
// second factor), the password hash, the session, and the tokens given
// back to the throttle (off the request's path).
func BenchmarkLogin(b *testing.B) {
	e, queries := benchEnv(b)
	e.user("bench@example.com")
	d := e.device()
	d.do(func(a *Auth) {
		if err := a.Login("bench@example.com", testPassword, false); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	queries.Store(0)
	b.ResetTimer()
	for b.Loop() {
		delete(d.cookies, sessionCookieName(e)) // a browser that is not logged in
		if err := d.err(func(a *Auth) error { return a.Login("bench@example.com", testPassword, false) }); err != nil {
			b.Fatal(err)
		}
	}
	e.kit.mailWG.Wait() // the throttle tokens given back count too
	b.ReportMetric(float64(queries.Load())/float64(b.N), "queries/op")
}
