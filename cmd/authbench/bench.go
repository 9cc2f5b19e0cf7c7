package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authkit/authkit/internal/passhash"
)

// bench holds what the rounds need: the apps, their users and the
// sessions the GET workers send.
type bench struct {
	apps     *appsProcess
	opts     options
	progress io.Writer

	// kitCookies and bareCookies are the Cookie headers of one session
	// per user on each app.
	kitCookies, bareCookies []string

	cores  int
	hasher *passhash.Hasher
	// floods numbers the flood's attempts across rounds, which picks
	// their address and client IP.
	floods atomic.Int64
}

// newBench logs each user in on both apps and checks that the sessions
// work.
func newBench(ctx context.Context, a *appsProcess, opts options, progress io.Writer) (*bench, error) {
	hasher, err := passhash.New(passhash.DefaultParams, 1)
	if err != nil {
		return nil, err
	}
	b := &bench{apps: a, opts: opts, progress: progress, cores: runtime.GOMAXPROCS(0), hasher: hasher}
	n := len(a.Users)
	b.kitCookies = make([]string, n)
	b.bareCookies = make([]string, n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: b.cores}}
	defer client.CloseIdleConnections()
	if err := parallel(n, b.cores, func(i int) error { return b.logInUser(ctx, client, i) }); err != nil {
		return nil, err
	}
	return b, nil
}

// logInUser logs user i in on both apps and checks the sessions.
func (b *bench) logInUser(ctx context.Context, client *http.Client, i int) error {
	u := b.apps.Users[i]
	var err error
	if b.kitCookies[i], err = logIn(ctx, client, b.apps.Kit, url.Values{"email": {u.Email}, "password": {u.Password}}); err != nil {
		return fmt.Errorf("kit app: %w", err)
	}
	if b.bareCookies[i], err = logIn(ctx, client, b.apps.Bare, url.Values{"user": {strconv.FormatInt(u.ID, 10)}}); err != nil {
		return fmt.Errorf("bare scs app: %w", err)
	}
	for app, cookie := range map[string]string{b.apps.Kit: b.kitCookies[i], b.apps.Bare: b.bareCookies[i]} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, app+"/me", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", cookie)
		if status, err := send(client, req); err != nil || status != http.StatusOK {
			return fmt.Errorf("GET %s/me with a new session answered %d (%v), not 200", app, status, err)
		}
	}
	return nil
}

// logIn posts form to app's /login and returns the Cookie header that
// sends back the cookies it set.
func logIn(ctx context.Context, client *http.Client, app string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusNoContent {
		return "", fmt.Errorf("POST /login answered %s", resp.Status)
	}
	var cookies []string
	for _, c := range resp.Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if len(cookies) == 0 {
		return "", fmt.Errorf("POST /login set no cookie")
	}
	return strings.Join(cookies, "; "), nil
}

// parallel runs f(0) … f(n-1) on at most workers goroutines and returns
// the first error.
func parallel(n, workers int, f func(i int) error) error {
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	for range min(n, workers) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// measured is a phase's result with the queries its app's pool ran
// meanwhile, its tail and background work included.
type measured struct {
	result
	queries int64
}

// perRequest is the queries per finished request.
func (m measured) perRequest() float64 {
	if m.all == 0 {
		return 0
	}
	return float64(m.queries) / float64(m.all)
}

// get is a job of logged-in (cookies set) or anonymous GETs of app+path,
// one worker per cookie or concurrency workers.
func (b *bench) get(app, path string, cookies []string) job {
	workers := b.opts.concurrency
	if cookies != nil {
		workers = min(workers, len(cookies))
	}
	return job{
		workers:  workers,
		duration: b.opts.duration,
		request: func(ctx context.Context, w, _ int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, app+path, nil)
			if err == nil && cookies != nil {
				req.Header.Set("Cookie", cookies[w])
			}
			return req, err
		},
		ok: func(status int) bool { return status == http.StatusOK },
	}
}

// logins is a job of correct logins on the kit, each worker as its own
// user.
func (b *bench) logins() job {
	return job{
		workers:  b.opts.concurrency,
		duration: b.opts.duration,
		request: func(ctx context.Context, w, _ int) (*http.Request, error) {
			u := b.apps.Users[w]
			return postLogin(ctx, b.apps.Kit, url.Values{"email": {u.Email}, "password": {u.Password}}, "")
		},
		ok: func(status int) bool { return status == http.StatusNoContent },
	}
}

// flood is a job of wrong-password logins on the kit over
// -flood connections, each for an address that has no account (which
// costs the kit the same hash as a wrong password for one that has), from
// -flood-ips client IPs, none of which is the loopback address the other
// phases come from. It runs until ctx ends, which cancels the attempts
// in flight.
func (b *bench) flood() job {
	return job{
		workers:  b.opts.floodConns,
		duration: time.Hour,
		request: func(ctx context.Context, _, _ int) (*http.Request, error) {
			n := b.floods.Add(1) - 1
			form := url.Values{
				"email":    {fmt.Sprintf("nobody-%d@example.com", n%1_000_000)},
				"password": {"not the password " + strconv.FormatInt(n, 10)},
			}
			return postLogin(ctx, b.apps.Kit, form, floodIP(n%int64(b.opts.floodIPs)))
		},
		ok: func(status int) bool {
			return status == http.StatusUnauthorized || status == http.StatusTooManyRequests
		},
	}
}

// floodIP is the flood's n-th client IP, in 10.0.0.0/8.
func floodIP(n int64) string {
	n++ // not 10.0.0.0
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

// probe is a job of paced logged-in GETs on the kit by the probe users in
// turn, -probe-rate requests per second together.
func (b *bench) probe() job {
	j := b.get(b.apps.Kit, "/me", b.kitCookies[:b.opts.probeUsers])
	j.every = time.Second / time.Duration(b.opts.probeRate)
	return j
}

// postLogin builds a POST /login of form, from client IP ip through the
// kit's trusted proxy unless ip is empty.
func postLogin(ctx context.Context, app string, form url.Values, ip string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	return req, nil
}

// hashTimes times opts.hashSamples argon2id hashes in a row with the kit's
// parameters, in this process while the apps are idle, one at a time.
func (b *bench) hashTimes(ctx context.Context) ([]time.Duration, error) {
	times := make([]time.Duration, b.opts.hashSamples)
	for i := range times {
		start := time.Now()
		if _, err := b.hasher.Hash(ctx, "authbench times one hash"); err != nil {
			return nil, err
		}
		times[i] = time.Since(start)
	}
	return times, nil
}
