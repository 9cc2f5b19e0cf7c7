package main

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// job is one phase's load: for duration, or until its context ends,
// either workers goroutines (each with its own keep-alive connection)
// send requests back to back, or, when every is set, requests are sent
// at a fixed rate whatever the answers.
type job struct {
	workers  int
	duration time.Duration
	// request builds worker's n-th request. A paced job's n-th request
	// is worker n % workers's.
	request func(ctx context.Context, worker, n int) (*http.Request, error)
	// ok tells an expected status from a failure.
	ok func(status int) bool
	// every, when set, sends one request every so often, each on its
	// own goroutine (open loop): a slow answer delays no later request,
	// and each latency is the server's alone, counted from when the
	// request was due. Every request due within the duration is waited
	// for and counts, the slowest included.
	every time.Duration
}

// result is what a job measured. Only requests that finished within the
// duration count in done, failed, statuses and latencies; all counts every request
// that finished, for the queries per request.
type result struct {
	elapsed  time.Duration
	done     int         // finished in time with an expected status
	failed   int         // finished in time otherwise
	all      int         // finished at all, in time or after
	statuses map[int]int // of the requests in done and failed; 0 for a transport error
	failures map[int]int // of the requests in failed alone
	// latencies are those of the requests in done and failed: a 503
	// after a wait is what its user waited for.
	latencies []time.Duration
	firstErr  error // the first transport error, for the report
}

// rate is the expected answers per second.
func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.done) / r.elapsed.Seconds()
}

// percentile returns the latency that p (0 to 1) of the requests stayed
// within, nearest rank, or 0 without requests.
func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(r.latencies)))) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// requestTimeout is how long the load generator waits for an answer
// before it counts the request as failed, so that a server that hangs
// cannot hang the run. A flood's attempts may queue for a hash that long.
const requestTimeout = time.Minute

// run runs j until its duration is over or ctx ends.
func (j job) run(ctx context.Context) result {
	transport := &http.Transport{
		MaxIdleConnsPerHost: j.workers,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: requestTimeout}
	start := time.Now()
	if j.every > 0 {
		return j.runPaced(ctx, client, start)
	}
	results := make([]result, j.workers)
	var wg sync.WaitGroup
	for w := range j.workers {
		wg.Go(func() { results[w] = j.work(ctx, client, w, start.Add(j.duration)) })
	}
	wg.Wait()
	return merge(results, min(time.Since(start), j.duration))
}

// work is one worker's loop. A request that finishes after end counts in
// all only, so that the rate is that of the duration: the worker's last
// request is not abandoned (a login cancelled mid-way is not the load
// being measured), but it is not counted either.
func (j job) work(ctx context.Context, client *http.Client, w int, end time.Time) result {
	r := newResult()
	for n := 0; ctx.Err() == nil && time.Now().Before(end); n++ {
		req, err := j.request(ctx, w, n)
		if err != nil {
			r.note(0, err)
			break
		}
		sent := time.Now()
		status, err := send(client, req)
		finished := time.Now()
		r.all++
		if finished.After(end) || ctx.Err() != nil {
			continue
		}
		r.record(j, status, err, finished.Sub(sent))
	}
	return r
}

// runPaced sends j's requests at its fixed rate.
func (j job) runPaced(ctx context.Context, client *http.Client, start time.Time) result {
	var (
		mu sync.Mutex
		r  = newResult()
		wg sync.WaitGroup
	)
	end := start.Add(j.duration)
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * j.every)
		if !due.Before(end) || !sleepUntil(ctx, due) {
			break
		}
		wg.Go(func() {
			req, err := j.request(ctx, n%j.workers, n)
			status := 0
			if err == nil {
				status, err = send(client, req)
			}
			latency := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			r.all++
			if ctx.Err() == nil {
				r.record(j, status, err, latency)
			}
		})
	}
	wg.Wait()
	r.elapsed = min(time.Since(start), j.duration)
	slices.Sort(r.latencies)
	return r
}

// newResult returns an empty result.
func newResult() result {
	return result{statuses: map[int]int{}, failures: map[int]int{}}
}

// record counts a request that finished in time.
func (r *result) record(j job, status int, err error, latency time.Duration) {
	r.latencies = append(r.latencies, latency)
	switch {
	case err != nil:
		r.note(0, err)
	case j.ok(status):
		r.done++
		r.statuses[status]++
	default:
		r.note(status, nil)
	}
}

// note counts a failed request.
func (r *result) note(status int, err error) {
	r.failed++
	r.statuses[status]++
	r.failures[status]++
	if err != nil && r.firstErr == nil {
		r.firstErr = err
	}
}

// send sends req and reads the whole answer, so that the connection is
// reused.
func send(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	err = errors.Join(err, resp.Body.Close())
	return resp.StatusCode, err
}

// sleepUntil waits until t, and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// merge adds the workers' results up.
func merge(rs []result, elapsed time.Duration) result {
	m := newResult()
	m.elapsed = elapsed
	for _, r := range rs {
		m.done += r.done
		m.failed += r.failed
		m.all += r.all
		for s, n := range r.statuses {
			m.statuses[s] += n
		}
		for s, n := range r.failures {
			m.failures[s] += n
		}
		m.latencies = append(m.latencies, r.latencies...)
		if m.firstErr == nil {
			m.firstErr = r.firstErr
		}
	}
	slices.Sort(m.latencies)
	return m
}
