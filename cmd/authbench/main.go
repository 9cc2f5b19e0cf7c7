// Command authbench measures authkit under load, side by side with what
// it replaces, and prints the results as a Markdown table:
//
//	go run ./cmd/authbench                     # 6 rounds of 5 s per phase, 32 workers
//	go run ./cmd/authbench -rounds 12 -duration 10s -concurrency 64
//	go run ./cmd/authbench -smoke              # one very short round: does it still work?
//
// It starts a throwaway PostgreSQL server with the repository's own
// harness (in a temporary directory it removes afterwards), applies
// authkit's schema, and serves three apps in a child process (itself,
// started again), each on its own loopback listener:
//
//   - an app on authkit: Kit.Middleware around a mux with GET /me (login
//     required), GET /anon (no login) and POST /login (Auth.Login);
//   - a bare scs server on the same database with scs's postgresstore,
//     whose GET /me reads the user's id from its session;
//   - a bare net/http server with the same GET /anon, the anonymous
//     baseline.
//
// A Go load generator in the parent process (keep-alive clients, one
// connection per worker) drives them in interleaved rounds, so that the
// noise of a shared machine falls on both sides of each ratio alike;
// within a round the two sides of a ratio alternate which goes first. Each round runs, for -duration each:
// logged-in GET /me on the kit and on bare scs, anonymous GET /anon on the
// kit and on bare net/http, correct logins on the kit (against the hash
// limit: cores ÷ the time of one argon2id hash, measured in the same
// round), and logged-in GETs at a fixed rate, first alone and then during
// a flood of wrong-password logins over -flood connections. Queries are
// counted in the apps' pools, through a wrapped driver.Connector.
//
// The load generator, the apps and PostgreSQL share the machine, as they
// would on a small server; the ratios, not the absolute numbers, are what
// carries over to another machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	settle      time.Duration
	concurrency int
	pool        int
	floodConns  int
	floodIPs    int
	probeUsers  int
	probeRate   int
	hashSamples int
}

// defaultOptions are the flags' defaults: a run of about five minutes.
func defaultOptions() options {
	return options{
		rounds:      6,
		duration:    5 * time.Second,
		warmup:      2 * time.Second,
		settle:      300 * time.Millisecond,
		concurrency: 32,
		pool:        20,
		floodConns:  500,
		floodIPs:    65536,
		probeUsers:  8,
		probeRate:   200,
		hashSamples: 5,
	}
}

// smokeOptions are those of -smoke: one very short round at tiny
// concurrency, which checks that every phase works, not how fast.
func smokeOptions() options {
	return options{
		rounds:      1,
		duration:    400 * time.Millisecond,
		settle:      20 * time.Millisecond,
		concurrency: 2,
		pool:        4,
		floodConns:  8,
		floodIPs:    64,
		probeUsers:  2,
		probeRate:   40,
		hashSamples: 1,
	}
}

func main() {
	if isAppsProcess() {
		os.Exit(serveApps(os.Stdin, os.Stdout, os.Stderr))
	}
	opts := defaultOptions()
	smoke := flag.Bool("smoke", false, "one very short round at tiny concurrency (overrides the other flags): checks that the tool works, measures nothing")
	flag.IntVar(&opts.rounds, "rounds", opts.rounds, "number of interleaved rounds; the table gives each round's ratio and their median")
	flag.DurationVar(&opts.duration, "duration", opts.duration, "how long each phase of a round runs")
	flag.DurationVar(&opts.warmup, "warmup", opts.warmup, "how long each GET phase and the logins run once, unmeasured, before the first round")
	flag.IntVar(&opts.concurrency, "concurrency", opts.concurrency, "concurrent workers (each with its own keep-alive connection and session) for the GET and login phases")
	flag.IntVar(&opts.pool, "pool", opts.pool, "connection pool of each app's database handle (SetMaxOpenConns and SetMaxIdleConns)")
	flag.IntVar(&opts.floodConns, "flood", opts.floodConns, "connections of the wrong-password login flood")
	flag.IntVar(&opts.floodIPs, "flood-ips", opts.floodIPs, "client IPs the flood spreads over through X-Forwarded-For (the kit trusts the loopback proxy); 1 sends it all from one IP")
	flag.IntVar(&opts.probeUsers, "probe-users", opts.probeUsers, "logged-in users whose paced GETs measure latency with and without the flood")
	flag.IntVar(&opts.probeRate, "probe-rate", opts.probeRate, "requests per second the probe users send together")
	flag.Parse()
	if *smoke {
		opts = smokeOptions()
	}
	if err := opts.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		stop()
		os.Exit(1)
	}
}

// validate refuses flags that cannot make a run.
func (o options) validate() error {
	switch {
	case o.rounds < 1:
		return fmt.Errorf("-rounds must be at least 1")
	case o.duration <= 0:
		return fmt.Errorf("-duration must be positive")
	case o.warmup < 0:
		return fmt.Errorf("-warmup must not be negative")
	case o.concurrency < 1 || o.pool < 1 || o.floodConns < 1 || o.floodIPs < 1 || o.probeUsers < 1 || o.probeRate < 1:
		return fmt.Errorf("-concurrency, -pool, -flood, -flood-ips, -probe-users and -probe-rate must be at least 1")
	case o.floodIPs > 1<<24:
		return fmt.Errorf("-flood-ips must be at most %d (the flood's addresses are in 10.0.0.0/8)", 1<<24)
	}
	return nil
}

// run starts the database and the apps process, runs the rounds, prints
// the table to out and progress to progress, and removes everything it
// started.
func run(ctx context.Context, opts options, out, progress io.Writer) (err error) {
	db, err := startDatabase(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.stop()) }()

	fmt.Fprintf(progress, "authbench: starting the apps and creating %d users\n", max(opts.concurrency, opts.probeUsers))
	apps, err := startAppsProcess(ctx, db.url(), opts, progress)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, apps.close()) }()

	b, err := newBench(ctx, apps, opts, progress)
	if err != nil {
		return err
	}
	rounds, err := b.run(ctx)
	if err != nil {
		return err
	}
	return writeReport(out, describeRun(apps, b.cores, opts), rounds, opts, b.cores)
}
