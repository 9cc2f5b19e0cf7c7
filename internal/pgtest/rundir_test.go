package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/pgcluster"
)

func TestRemoveLeftovers_StopsAndRemovesTheClusterOfADeadRun(t *testing.T) {
	t.Parallel()
	root := ServerDir(t)
	dir := filepath.Join(root, fmt.Sprintf("%s%d-1", runDirPrefix, deadPID(t)))
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	// A cluster whose test binary died without stopping it.
	orphan, err := pgcluster.Start(t.Context(), pgcluster.Options{
		DataDir:   filepath.Join(dir, dataSubdir),
		SocketDir: filepath.Join(dir, socketSubdir),
		Settings:  clusterSettings,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { orphan.Stop() })
	serverPID := postmasterPID(t, filepath.Join(dir, dataSubdir))

	if err := removeLeftovers(t.Context(), root); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there (%v)", dir, err)
	}
	// The server is this process's child, which its Cluster reaps soon
	// after it exits.
	for deadline := time.Now().Add(10 * time.Second); processAlive(serverPID); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server (pid %d) still runs", serverPID)
		}
	}
}

func TestRemoveLeftovers_LeavesOtherDirsAlone(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	names := []string{
		fmt.Sprintf("%s%d-1", runDirPrefix, os.Getpid()), // a live run's
		runDirPrefix + "notapid-1",
		runDirPrefix + "1", // no dash after the pid
	}
	for _, name := range names {
		if err := os.Mkdir(filepath.Join(root, name), 0o700); err != nil {
			t.Fatal(err)
		}
	}

	if err := removeLeftovers(t.Context(), root); err != nil {
		t.Fatal(err)
	}

	for _, name := range names {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.Pid()
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(string(content), &pid); err != nil {
		t.Fatal(err)
	}
	return pid
}
