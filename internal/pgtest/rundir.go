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
	"testing"

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

// memoryRoot is where run directories go when it has room. There a cluster
// creates a database in about 10 ms; on a disk it can take ten times that,
// even without fsync, as the server creates some 300 files for each.
const memoryRoot = "/dev/shm"

// minMemoryRootSpace is the free space memoryRoot must have to be used:
// room for the clusters of several test binaries at once, at some 50 MB each
// with their tests' databases.
const minMemoryRootSpace = 1 << 30

// runRoots returns the directories that may hold run directories.
func runRoots() []string {
	return []string{memoryRoot, os.TempDir()}
}

// newRunDir creates a run directory for this test binary: in memoryRoot if
// it has room, else in os.TempDir.
func newRunDir() (string, error) {
	prefix := runDirPrefix + strconv.Itoa(os.Getpid()) + "-"
	var fs syscall.Statfs_t
	if syscall.Statfs(memoryRoot, &fs) == nil && uint64(fs.Bavail)*uint64(fs.Bsize) >= minMemoryRootSpace {
		if dir, err := os.MkdirTemp(memoryRoot, prefix); err == nil {
			return dir, nil
		}
		// Not writable: the disk will do.
	}
	return os.MkdirTemp("", prefix)
}

// removeLeftovers stops the servers of, and removes, the run directories in
// root whose test binaries have died. Directories of live binaries are
// theirs, as go test runs the binaries of several packages at once. It
// returns what failed, and carries on with the next directory after a
// failure.
func removeLeftovers(ctx context.Context, root string) error {
	dirs, err := filepath.Glob(filepath.Join(root, runDirPrefix+"*"))
	if err != nil {
		return fmt.Errorf("looking for leftover clusters: %w", err)
	}
	var errs []error
	for _, dir := range dirs {
		pid, ok := runDirOwner(filepath.Base(dir))
		if !ok || processAlive(pid) {
			continue
		}
		if err := pgcluster.StopServer(ctx, filepath.Join(dir, dataSubdir), pgcluster.ImmediateShutdown); err != nil {
			errs = append(errs, fmt.Errorf("stopping leftover cluster: %w", err))
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("removing leftover cluster: %w", err))
		}
	}
	return errors.Join(errs...)
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

// ServerDir returns a new directory, removed when the test ends, that the
// server's account can reach, for a test that starts a cluster of its own:
// t.TempDir's directory is private to this process's account, which is not
// the server's when the tests run as root.
func ServerDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
