package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ShutdownMode is how [StopServer] stops a server; the modes are those of
// pg_ctl stop.
type ShutdownMode int

const (
	// FastShutdown disconnects the clients, rolls back their transactions
	// and writes a checkpoint, so the next start needs no recovery.
	FastShutdown ShutdownMode = iota

	// ImmediateShutdown kills the server's processes without a checkpoint,
	// so the next start runs crash recovery. It suits a cluster that is about
	// to be deleted, and nothing else.
	ImmediateShutdown
)

func (m ShutdownMode) signal() syscall.Signal {
	if m == ImmediateShutdown {
		return syscall.SIGQUIT
	}
	return syscall.SIGINT
}

// The lines of postmaster.pid, and of the lock file next to a server's
// socket, that are read here.
const (
	lockLinePID       = 0
	lockLineDataDir   = 1
	lockLineSocketDir = 4
	lockLineStatus    = 7
)

// pollInterval is how often the state of a starting or stopping server is
// checked. Either takes some tens of milliseconds.
const pollInterval = 10 * time.Millisecond

// StopServer stops the server that runs on dataDir, if any, and waits until
// it has exited. It is for a server whose [Cluster] is gone, such as one
// left running by a process that was killed; a server that Start started
// in this process is stopped with [Cluster.Stop].
//
// A postmaster.pid that names no running server on dataDir is stale and
// StopServer removes it, because the server refuses to start while the pid
// in it belongs to any live process, and pids get reused. It also removes the
// socket directory that Start created for the server it stopped.
func StopServer(ctx context.Context, dataDir string, mode ShutdownMode) error {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	// The server's working directory, which identifies it, is the resolved
	// path.
	dataDir, err = filepath.EvalSymlinks(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	pidPath := filepath.Join(dataDir, "postmaster.pid")
	pid, lines, err := readLockFile(pidPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	running, err := serverRunsOn(pid, dataDir)
	if err != nil {
		return err
	}
	if !running {
		if err := os.Remove(pidPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pgcluster: removing stale %s: %w", pidPath, err)
		}
		return nil
	}
	if err := syscall.Kill(pid, mode.signal()); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgcluster: stopping server (pid %d) of %s: %w", pid, dataDir, err)
	}
	for running {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: waiting for server (pid %d) of %s to stop: %w", pid, dataDir, ctx.Err())
		case <-time.After(pollInterval):
		}
		if running, err = serverRunsOn(pid, dataDir); err != nil {
			return err
		}
	}
	if len(lines) > lockLineSocketDir && isOwnSocketDir(lines[lockLineSocketDir]) {
		if err := os.RemoveAll(lines[lockLineSocketDir]); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

// serverRunsOn reports whether process pid is a server of dataDir. Every
// server process works in its data directory, which tells it from an
// unrelated process that reused the pid of a dead server; a mere liveness
// check cannot.
func serverRunsOn(pid int, dataDir string) (bool, error) {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	switch {
	case err == nil:
		return cwd == dataDir, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("pgcluster: cannot tell whether process %d is the server of %s: %w", pid, dataDir, err)
	case procMounted():
		// The process is gone, or a zombie.
		return false, nil
	default:
		// Without /proc, all there is to go on is whether pid lives.
		err := syscall.Kill(pid, 0)
		return err == nil || errors.Is(err, syscall.EPERM), nil
	}
}

func procMounted() bool {
	_, err := os.Stat("/proc/self")
	return err == nil
}

// removeStaleSocket removes the socket and its lock file that a dead server
// of dataDir left in socketDir. Like a stale postmaster.pid, a stale socket
// lock file stops the server from starting when its pid has been reused.
// The caller must know that no server runs on dataDir.
func removeStaleSocket(socketDir, port, dataDir string) error {
	socket := filepath.Join(socketDir, ".s.PGSQL."+port)
	_, lines, err := readLockFile(socket + ".lock")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(lines) <= lockLineDataDir || lines[lockLineDataDir] != dataDir {
		// Another cluster's socket: the server will say so when it starts.
		return nil
	}
	for _, path := range []string{socket, socket + ".lock"} {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pgcluster: removing stale socket: %w", err)
		}
	}
	return nil
}

// serverReady reports whether the server of dataDir with the given pid
// accepts connections, which it notes in postmaster.pid; pg_ctl start -w
// waits for the same.
func serverReady(dataDir string, pid int) bool {
	filePID, lines, err := readLockFile(filepath.Join(dataDir, "postmaster.pid"))
	return err == nil && filePID == pid &&
		len(lines) > lockLineStatus && strings.TrimSpace(lines[lockLineStatus]) == "ready"
}

// readLockFile reads postmaster.pid or a socket lock file, whose first line
// is the pid of the server that wrote it.
func readLockFile(path string) (pid int, lines []string, err error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	lines = strings.Split(string(content), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(lines[lockLinePID]))
	if err != nil || pid <= 0 {
		return 0, nil, fmt.Errorf("pgcluster: %s does not start with a server pid", path)
	}
	return pid, lines, nil
}
