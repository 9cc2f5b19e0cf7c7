package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// describeRun is the paragraph above the table: what ran, on what.
func describeRun(a *appsProcess, cores int, opts options) string {
	return fmt.Sprintf("authbench, %s: %d interleaved round(s) of %v per phase, %d workers, "+
		"pools of %d connections (open = idle), %d cores (GOMAXPROCS) shared by the load generator, the apps and PostgreSQL; "+
		"Go %s, PostgreSQL %s. Queries are statements sent through database/sql, each BEGIN and COMMIT counting one.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), opts.rounds, opts.duration, opts.concurrency,
		opts.pool, cores, strings.TrimPrefix(runtime.Version(), "go"), a.PostgreSQL)
}

// Row names, which the smoke test looks for.
const (
	rowLoggedIn  = "logged-in GET, kit / bare scs + postgresstore"
	rowAnonymous = "anonymous GET, kit / bare net/http"
	rowLogin     = "login, kit / hash limit"
	rowFlood     = "logged-in GET p50 / p99 during a %d-connection login flood"
)

// writeReport prints the Markdown table of rounds to out.
func writeReport(out io.Writer, about string, rounds []round, opts options, cores int) error {
	var w strings.Builder
	fmt.Fprintf(&w, "%s\n\n", about)
	fmt.Fprintln(&w, "| path | per round | median | details (medians) | goal |")
	fmt.Fprintln(&w, "|---|---|---|---|---|")

	ratios := func(num, den func(round) float64) (perRound []float64) {
		for _, r := range rounds {
			perRound = append(perRound, safeDiv(num(r), den(r)))
		}
		return perRound
	}

	me := ratios(func(r round) float64 { return r.kitMe.rate() }, func(r round) float64 { return r.bareMe.rate() })
	fmt.Fprintf(&w, "| %s | %s | **%.2f×** | kit %s req/s, %s queries each; bare %s req/s, %s queries each | ≥ 1.1× |\n",
		rowLoggedIn, times(me), median(me),
		rate(rounds, func(r round) measured { return r.kitMe }), perRequest(rounds, func(r round) measured { return r.kitMe }),
		rate(rounds, func(r round) measured { return r.bareMe }), perRequest(rounds, func(r round) measured { return r.bareMe }))

	anon := ratios(func(r round) float64 { return r.kitAnon.rate() }, func(r round) float64 { return r.plainAnon.rate() })
	fmt.Fprintf(&w, "| %s | %s | **%.2f×** | kit %s req/s, %s queries each; net/http %s req/s | ≥ 0.95× |\n",
		rowAnonymous, times(anon), median(anon),
		rate(rounds, func(r round) measured { return r.kitAnon }), perRequest(rounds, func(r round) measured { return r.kitAnon }),
		rate(rounds, func(r round) measured { return r.plainAnon }))

	limit := func(r round) float64 { return safeDiv(float64(cores), r.hash.Seconds()) }
	login := ratios(func(r round) float64 { return r.login.rate() }, limit)
	var limits []float64
	var hashes []time.Duration
	for _, r := range rounds {
		limits = append(limits, limit(r))
		hashes = append(hashes, r.hash)
	}
	fmt.Fprintf(&w, "| %s | %s | **%.0f %%** | %s logins/s of a limit of %.1f/s (%d cores ÷ %s per hash); %s queries each | ≥ 90 %%, ≤ 4 queries |\n",
		rowLogin, percents(login), 100*median(login),
		rate(rounds, func(r round) measured { return r.login }), median(limits), cores, ms(median(hashes)),
		perRequest(rounds, func(r round) measured { return r.login }))

	var p50s, p99s, calmP50s, calmP99s []time.Duration
	var floodRates []float64
	perRound := make([]string, len(rounds))
	floodStatuses := map[int]int{}
	for i, r := range rounds {
		p50s = append(p50s, r.probeFlood.percentile(0.50))
		p99s = append(p99s, r.probeFlood.percentile(0.99))
		calmP50s = append(calmP50s, r.probe.percentile(0.50))
		calmP99s = append(calmP99s, r.probe.percentile(0.99))
		floodRates = append(floodRates, r.flood.rate())
		perRound[i] = fmt.Sprintf("%.1f / %.1f", msf(p50s[i]), msf(p99s[i]))
		for s, n := range r.flood.statuses {
			floodStatuses[s] += n
		}
	}
	fmt.Fprintf(&w, "| %s %s | %s ms | **p50 %s, p99 %s** | no flood: p50 %s, p99 %s (%d req/s at a fixed rate over %d sessions); flood %.0f attempts/s, ≈ %s queries each (%s) | p99 ≤ 50 ms |\n",
		fmt.Sprintf(rowFlood, opts.floodConns), floodSource(opts.floodIPs), strings.Join(perRound, " · "),
		ms(median(p50s)), ms(median(p99s)), ms(median(calmP50s)), ms(median(calmP99s)),
		opts.probeRate, opts.probeUsers, median(floodRates), perRequest(rounds, func(r round) measured { return r.flood }),
		statusList(floodStatuses, nil))

	fmt.Fprintf(&w, "\n%s\n", failures(rounds))
	_, err := io.WriteString(out, w.String())
	return err
}

// floodSource says where the flood comes from.
func floodSource(ips int) string {
	if ips == 1 {
		return "(wrong passwords for unknown addresses, all from one client IP via X-Forwarded-For)"
	}
	return fmt.Sprintf("(wrong passwords for unknown addresses, spread over %d client IPs via X-Forwarded-For)", ips)
}

// failures lists the phases in which requests failed, or says none did.
func failures(rounds []round) string {
	var lines []string
	for i, r := range rounds {
		for _, p := range []struct {
			name string
			m    measured
		}{
			{"kit GET /me", r.kitMe}, {"bare scs GET /me", r.bareMe}, {"kit GET /anon", r.kitAnon},
			{"net/http GET /anon", r.plainAnon}, {"kit POST /login", r.login},
			{"kit GET /me, paced", r.probe}, {"kit GET /me during the flood", r.probeFlood}, {"flood", r.flood},
		} {
			if p.m.failed > 0 {
				lines = append(lines, fmt.Sprintf("- round %d, %s: %d failed of %d (%s)",
					i+1, p.name, p.m.failed, p.m.done+p.m.failed, statusList(p.m.failures, p.m.firstErr)))
			}
		}
	}
	if len(lines) == 0 {
		return "No request failed (the flood's attempts are expected to get 401 or 429)."
	}
	return "Failed requests (they count in no rate, and in the latencies):\n" + strings.Join(lines, "\n")
}

// rate is the median over rounds of a phase's rate.
func rate(rounds []round, of func(round) measured) string {
	var rates []float64
	for _, r := range rounds {
		rates = append(rates, of(r).rate())
	}
	return fmt.Sprintf("%.0f", median(rates))
}

// perRequest is a phase's queries per request over all rounds together.
func perRequest(rounds []round, of func(round) measured) string {
	var total measured
	for _, r := range rounds {
		m := of(r)
		total.queries += m.queries
		total.all += m.all
	}
	return fmt.Sprintf("%.2f", total.perRequest())
}

// times formats ratios as "1.02× 0.98×".
func times(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.2f×", x)
	}
	return strings.Join(s, " ")
}

// percents formats fractions as "85 % 88 %".
func percents(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.0f %%", 100*x)
	}
	return strings.Join(s, " ")
}

// safeDiv is a/b, or 0 when b is 0.
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// msf is d in milliseconds.
func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
