package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"time"
)

// The apps run in a process of their own, this program started again
// with appsEnv set, so that they share the machine with the load
// generator as they would with a client elsewhere: the operating system
// shares the cores between the two processes, and neither's goroutines
// (a flood's argon2id hashes, say) nor garbage collector hold up the
// other's.

// appsEnv, set to an [appsConfig] in JSON, makes this program the apps
// process.
const appsEnv = "AUTHBENCH_APPS"

// ready is what the apps process prints, as one JSON line, once it
// serves.
type ready struct {
	Kit        string      `json:"kit"`     // URL of the app on authkit
	Bare       string      `json:"bare"`    // URL of the bare scs app
	Plain      string      `json:"plain"`   // URL of the bare net/http app
	Control    string      `json:"control"` // URL of the query counts
	Users      []benchUser `json:"users"`
	PostgreSQL string      `json:"postgresql"` // the server's version
}

// queryCounts are the statements the two apps' pools have sent so far.
type queryCounts struct {
	Kit  int64 `json:"kit"`
	Bare int64 `json:"bare"`
}

// isAppsProcess reports whether this process is the apps process.
func isAppsProcess() bool { return os.Getenv(appsEnv) != "" }

// serveApps is the apps process: it starts the apps on the configuration
// in appsEnv, prints [ready] to stdout and serves until stdin ends (the
// load generator closes it, or exits). It returns the exit code.
func serveApps(stdin io.Reader, stdout, stderr io.Writer) int {
	// An interrupt at the terminal reaches both processes; the load
	// generator then ends this one by closing stdin.
	signal.Ignore(os.Interrupt)
	if err := runApps(stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "authbench apps:", err)
		return 1
	}
	return 0
}

func runApps(stdin io.Reader, stdout, stderr io.Writer) (err error) {
	var cfg appsConfig
	if err := json.Unmarshal([]byte(os.Getenv(appsEnv)), &cfg); err != nil {
		return fmt.Errorf("reading %s: %w", appsEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := startApps(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, a.close()) }()
	users, err := a.createUsers(ctx, cfg.Users)
	if err != nil {
		return err
	}
	control, err := serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(queryCounts{Kit: a.kitQueries.Load(), Bare: a.bareQueries.Load()})
	}))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, control.close()) }()
	if err := json.NewEncoder(stdout).Encode(ready{
		Kit: a.kitApp.url, Bare: a.bareApp.url, Plain: a.plainApp.url, Control: control.url,
		Users: users, PostgreSQL: a.pgVersion,
	}); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin)
	if warnings := a.kitLog.summary(); len(warnings) > 0 {
		fmt.Fprintf(stderr, "authbench: the kit logged (by level and message):\n  %s\n", strings.Join(warnings, "\n  "))
	}
	return nil
}

// appsProcess is the load generator's handle on the apps process.
type appsProcess struct {
	ready
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	client *http.Client
}

// startAppsProcess starts the apps process on the database at dbURL and
// waits until it serves. Its error output goes to progress.
func startAppsProcess(ctx context.Context, dbURL string, opts options, progress io.Writer) (_ *appsProcess, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(appsConfig{DatabaseURL: dbURL, Pool: opts.pool, Users: max(opts.concurrency, opts.probeUsers)})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), appsEnv+"="+string(cfg))
	cmd.Stderr = progress
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &appsProcess{cmd: cmd, stdin: stdin, client: &http.Client{Timeout: 10 * time.Second}}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.close())
		}
	}()
	started := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err == nil {
			err = json.Unmarshal(line, &p.ready)
		}
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			return nil, fmt.Errorf("the apps process did not start: %w", err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p, nil
}

// queries returns the statements the apps' pools have sent so far.
func (p *appsProcess) queries(ctx context.Context) (queryCounts, error) {
	var c queryCounts
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Control, nil)
	if err != nil {
		return c, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return c, fmt.Errorf("reading the query counts: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return c, fmt.Errorf("reading the query counts: %w", err)
	}
	return c, nil
}

// close ends the apps process, and kills it if it does not end within
// half a minute.
func (p *appsProcess) close() error {
	p.client.CloseIdleConnections()
	err := p.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case waitErr := <-exited:
		return errors.Join(err, waitErr)
	case <-time.After(30 * time.Second):
		return errors.Join(err, errors.New("the apps process did not stop; killed it"), p.cmd.Process.Kill(), <-exited)
	}
}
