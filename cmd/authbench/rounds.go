package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// round is what one round measured.
type round struct {
	kitMe, bareMe      measured // logged-in GET /me
	kitAnon, plainAnon measured // anonymous GET /anon
	login              measured // correct logins on the kit
	hash               time.Duration
	probe              measured // paced logged-in GETs on the kit, alone
	probeFlood         measured // the same during the flood
	flood              measured // the flood's attempts
}

// run runs the warm-up and the rounds.
func (b *bench) run(ctx context.Context) ([]round, error) {
	a := b.apps
	if b.opts.warmup > 0 {
		fmt.Fprintf(b.progress, "authbench: warming up for %v per phase\n", b.opts.warmup)
		for _, j := range []job{
			b.get(a.Kit, "/me", b.kitCookies), b.get(a.Bare, "/me", b.bareCookies),
			b.get(a.Kit, "/anon", nil), b.get(a.Plain, "/anon", nil), b.logins(),
		} {
			j.duration = b.opts.warmup
			j.run(ctx)
			b.settle(ctx)
		}
	}
	rounds := make([]round, b.opts.rounds)
	for i := range rounds {
		if err := b.round(ctx, i, &rounds[i]); err != nil {
			return nil, err
		}
	}
	return rounds, nil
}

// round runs round i into r.
func (b *bench) round(ctx context.Context, i int, r *round) error {
	a := b.apps
	// The two sides of a ratio alternate which goes first.
	kitFirst := i%2 == 0
	err := b.pair(ctx, i, kitFirst,
		phase{"kit GET /me (logged in)", &r.kitMe, b.get(a.Kit, "/me", b.kitCookies), kitQueries},
		phase{"bare scs GET /me", &r.bareMe, b.get(a.Bare, "/me", b.bareCookies), bareQueries})
	if err != nil {
		return err
	}
	err = b.pair(ctx, i, kitFirst,
		phase{"kit GET /anon", &r.kitAnon, b.get(a.Kit, "/anon", nil), kitQueries},
		phase{"net/http GET /anon", &r.plainAnon, b.get(a.Plain, "/anon", nil), nil})
	if err != nil {
		return err
	}
	// One hash is timed just before the logins and just after, so that
	// a neighbour's load during the logins weighs on the limit too.
	hashBefore, err := b.hashTimes(ctx)
	if err != nil {
		return err
	}
	b.settle(ctx)
	if err := b.phase(ctx, i, phase{"kit POST /login (correct)", &r.login, b.logins(), kitQueries}); err != nil {
		return err
	}
	hashAfter, err := b.hashTimes(ctx)
	if err != nil {
		return err
	}
	r.hash = median(append(hashBefore, hashAfter...))
	b.settle(ctx)
	if err := b.phase(ctx, i, phase{"kit GET /me, paced, no flood", &r.probe, b.probe(), kitQueries}); err != nil {
		return err
	}
	if err := b.floodRound(ctx, i, r); err != nil {
		return err
	}
	return ctx.Err()
}

// phase is one measured job of a round.
type phase struct {
	name string
	into *measured
	job  job
	// queries picks the app's count; nil for the plain app, which has no
	// database.
	queries func(queryCounts) int64
}

func kitQueries(c queryCounts) int64  { return c.Kit }
func bareQueries(c queryCounts) int64 { return c.Bare }

// pair runs two phases whose rates make a ratio, first the first one
// when firstFirst is set, else the second one.
func (b *bench) pair(ctx context.Context, i int, firstFirst bool, first, second phase) error {
	if !firstFirst {
		first, second = second, first
	}
	if err := b.phase(ctx, i, first); err != nil {
		return err
	}
	return b.phase(ctx, i, second)
}

// phase runs p, prints its outcome and lets the apps settle.
func (b *bench) phase(ctx context.Context, i int, p phase) error {
	before, err := b.apps.queries(ctx)
	if err != nil {
		return err
	}
	r := p.job.run(ctx)
	after, err := b.apps.queries(ctx)
	if err != nil {
		return err
	}
	*p.into = measured{result: r}
	if p.queries != nil {
		p.into.queries = p.queries(after) - p.queries(before)
	}
	b.report(i, p.name, *p.into)
	b.settle(ctx)
	return nil
}

// floodRound runs the flood and, once it has started, the paced
// logged-in GETs during it; the flood stops when the last of them has
// been answered.
func (b *bench) floodRound(ctx context.Context, i int, r *round) error {
	ramp := min(b.opts.duration/5, time.Second)
	before, err := b.apps.queries(ctx)
	if err != nil {
		return err
	}
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	flood := make(chan result, 1)
	go func() { flood <- b.flood().run(floodCtx) }()
	if sleepUntil(ctx, time.Now().Add(ramp)) {
		r.probeFlood = measured{result: b.probe().run(ctx)}
	}
	stopFlood()
	r.flood = measured{result: <-flood}
	after, err := b.apps.queries(ctx)
	if err != nil {
		return err
	}
	// The pool's queries during the flood are the flood's and the
	// probe's together: the probe's are estimated at their rate without
	// the flood, and the rest is the flood's.
	total := after.Kit - before.Kit
	r.flood.queries = max(0, total-int64(float64(r.probeFlood.all)*r.probe.perRequest()+0.5))
	r.probeFlood.queries = total - r.flood.queries
	b.report(i, "kit GET /me, paced, during flood", r.probeFlood)
	b.report(i, fmt.Sprintf("flood of %d connections", b.opts.floodConns), r.flood)
	// The cancelled attempts leave work (and their audit entries) that
	// should not fall on the next round's first phase: twice the pause.
	sleepUntil(ctx, time.Now().Add(2*b.opts.settle))
	return nil
}

// report prints one phase's outcome to the progress stream.
func (b *bench) report(i int, name string, m measured) {
	line := fmt.Sprintf("round %d/%d  %-34s %9.1f/s", i+1, b.opts.rounds, name, m.rate())
	if m.all > 0 && m.queries > 0 {
		line += fmt.Sprintf("  %.2f queries each", m.perRequest())
	}
	if len(m.latencies) > 0 {
		line += fmt.Sprintf("  p50 %s p99 %s", ms(m.percentile(0.50)), ms(m.percentile(0.99)))
	}
	if m.failed > 0 {
		line += fmt.Sprintf("  FAILED %d (%s)", m.failed, statusList(m.failures, m.firstErr))
	}
	fmt.Fprintln(b.progress, line)
}

// settle pauses between phases, so that one phase's leftovers (the
// pool's idle connections closing, the audit queue's last batch) do not
// fall on the next.
func (b *bench) settle(ctx context.Context) {
	sleepUntil(ctx, time.Now().Add(b.opts.settle))
}

// statusList describes the statuses of a result, as "200: 812, 503: 3".
func statusList(statuses map[int]int, firstErr error) string {
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	s := ""
	for _, c := range codes {
		if s != "" {
			s += ", "
		}
		if c == 0 {
			s += fmt.Sprintf("no answer: %d", statuses[c])
			if firstErr != nil {
				s += fmt.Sprintf(" (%v)", firstErr)
			}
			continue
		}
		s += fmt.Sprintf("%d: %d", c, statuses[c])
	}
	return s
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count), or the zero value for none.
func median[T number](xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// number is what median takes.
type number interface{ ~int | ~int64 | ~float64 }

// ms formats d in milliseconds, to two decimals below 10 ms.
func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", msf(d))
	}
	return fmt.Sprintf("%.1f ms", msf(d))
}
