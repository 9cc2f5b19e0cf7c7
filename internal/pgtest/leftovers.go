package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/authkit/authkit/internal/pgcluster"
)

// runDirPrefix starts the name of the directory that holds a test binary's
// cluster. The binary's pid follows it, then a dash, as in
// pgtest-4242-1234567, which tells whose the directory is without a file to
// write and read: the name is there the moment the directory is.
const runDirPrefix = "pgtest-"

// Where a cluster lives inside its run directory.
const (
	dataSubdir   = "data"
	socketSubdir = "s"
)

func newRunDir() (string, error) {
	return os.MkdirTemp("", runDirPrefix+strconv.Itoa(os.Getpid())+"-")
}

// removeLeftovers stops the servers of, and removes, the run directories in
// root whose test binaries have died. Directories of live binaries are
// theirs, as go test runs the binaries of several packages at once.
// Failures are reported to stderr but do not fail the tests, which do not
// depend on leftovers being gone.
func removeLeftovers(ctx context.Context, root string) {
	dirs, err := filepath.Glob(filepath.Join(root, runDirPrefix+"*"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: looking for leftover clusters: %v\n", err)
		return
	}
	for _, dir := range dirs {
		pid, ok := runDirOwner(filepath.Base(dir))
		if !ok || processAlive(pid) {
			continue
		}
		if err := pgcluster.StopServer(ctx, filepath.Join(dir, dataSubdir), pgcluster.ImmediateShutdown); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping leftover cluster: %v\n", err)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: removing leftover cluster: %v\n", err)
		}
	}
}

// runDirOwner returns the pid in the name of a run directory.
func runDirOwner(name string) (pid int, ok bool) {
	rest, ok := strings.CutPrefix(name, runDirPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

// processAlive reports whether pid names a process. A pid reused by an
// unrelated process counts as alive, which only postpones the removal.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
