package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestMain lets the test binary be the apps process too, as authbench
// starts itself again (os.Executable) to serve the apps.
func TestMain(m *testing.M) {
	if isAppsProcess() {
		os.Exit(serveApps(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestAuthbench_SmokeRunPrintsTheTable runs what `go run ./cmd/authbench
// -smoke` runs, so that CI keeps the tool compiling and working: a real
// PostgreSQL, the three apps and one very short round of every phase. It
// checks that every row is printed with a number, never how fast.
func TestAuthbench_SmokeRunPrintsTheTable(t *testing.T) {
	var out bytes.Buffer
	progress := &lockedBuffer{}
	if err := run(t.Context(), smokeOptions(), &out, progress); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, progress)
	}
	table := out.String()
	for _, want := range []string{
		"| path | per round | median | details (medians) | goal |",
		"|---|---|---|---|---|",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	for _, row := range []string{
		regexp.QuoteMeta(rowLoggedIn) + ` \| [0-9.]+× \| \*\*[0-9.]+×\*\*`,
		regexp.QuoteMeta(rowAnonymous) + ` \| [0-9.]+× \| \*\*[0-9.]+×\*\*`,
		regexp.QuoteMeta(rowLogin) + ` \| [0-9]+ % \| \*\*[0-9]+ %\*\*`,
		regexp.QuoteMeta(fmt.Sprintf(rowFlood, smokeOptions().floodConns)) + ` \(.*\) \| [0-9.]+ / [0-9.]+ ms \| \*\*p50 [0-9.]+ ms, p99 [0-9.]+ ms\*\*`,
	} {
		if !regexp.MustCompile(`(?m)^\| ` + row).MatchString(table) {
			t.Errorf("no row matches %q:\n%s", row, table)
		}
	}
	if t.Failed() {
		t.Logf("progress:\n%s", progress)
	}
}

// lockedBuffer is a progress stream that the apps process's output and
// the rounds may write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
