package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configures [Start].
type Options struct {
	// DataDir is the directory the cluster lives in. Start creates and
	// initialises it when it is missing or empty, and otherwise reuses the
	// cluster in it. It is required.
	DataDir string

	// SocketDir is the directory the server puts its Unix socket in. Start
	// creates it for the server's account when it is missing, and leaves an
	// existing one as it is. The default is a new directory under
	// os.TempDir, which Stop removes. It must be a short path: the socket's
	// path, which adds 15 bytes to it, may be at most 107 bytes long.
	SocketDir string

	// Settings are server settings, as passed to postgres -c name=value;
	// they override postgresql.conf. Start sets listen_addresses and
	// unix_socket_directories itself, over any given here. A setting of
	// fsync=off also makes initdb skip syncing the cluster it creates, as
	// such a cluster does not survive a crash anyway. The default is none.
	Settings map[string]string

	// Log receives what initdb and the server print. The default is to
	// discard it; either way its end appears in the error if the server
	// fails to start.
	Log io.Writer
}

// Cluster is a running server started by [Start].
type Cluster struct {
	socketDir     string
	ownsSocketDir bool
	port          string
	log           *logTail

	server *exec.Cmd
	exited chan struct{} // closed when the server has exited
	// exitErr is what the server's exit status means; it is set before
	// exited is closed.
	exitErr error

	stopOnce sync.Once
	stopErr  error
}

// defaultPort only names the socket file, as the socket directory is
// private; it is set explicitly anyway so that a PGPORT in the environment
// changes neither the server nor its clients.
const defaultPort = "5432"

// maxSocketPath is the longest path a Unix socket may have on Linux: the
// 108 bytes of sun_path, less a terminating NUL.
const maxSocketPath = 107

// socketDirPrefix names the socket directories Start creates under
// os.TempDir.
const socketDirPrefix = "pgcluster-"

// Start starts a server on opts.DataDir, first creating the cluster there
// if there is none, and returns once the server accepts connections.
//
// If a server still runs on the data directory, as it does when the process
// that started it was killed, Start stops it and starts a new one. Reusing
// it would be quicker, but it would keep its old socket directory and
// settings instead of those in opts.
//
// ctx bounds creating the cluster and waiting for the server; the server
// itself runs until [Cluster.Stop], whatever becomes of ctx.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is required")
	}
	binDir, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	account, err := accountForServer()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		port:   defaultPort,
		log:    &logTail{},
		exited: make(chan struct{}),
	}
	if port := opts.Settings["port"]; port != "" {
		c.port = port
	}
	output := io.Writer(c.log)
	if opts.Log != nil {
		output = io.MultiWriter(opts.Log, c.log)
	}
	// The socket directory comes first, as a mistake in it is found at once,
	// without waiting for initdb.
	if err := c.prepareSocketDir(opts.SocketDir, account); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.removeSocketDir()
		}
	}()
	dataDir, err := prepareDataDir(ctx, binDir, opts.DataDir, account, opts.Settings, output, c.log)
	if err != nil {
		return nil, err
	}
	if err := StopServer(ctx, dataDir, FastShutdown); err != nil {
		return nil, err
	}
	if err := removeStaleSocket(c.socketDir, c.port, dataDir); err != nil {
		return nil, err
	}
	if err := c.start(ctx, binDir, dataDir, account, opts.Settings, output); err != nil {
		return nil, err
	}
	return c, nil
}

// prepareDataDir makes sure dataDir holds a cluster, running initdb if it is
// missing or empty, and returns its absolute path with symlinks resolved.
func prepareDataDir(ctx context.Context, binDir, dataDir string, account *serverAccount,
	settings map[string]string, output io.Writer, log *logTail,
) (string, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	entries, err := os.ReadDir(dataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := makeServerDir(dataDir); err != nil {
			return "", err
		}
	case err != nil:
		return "", fmt.Errorf("pgcluster: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
			return "", fmt.Errorf("pgcluster: %s is neither empty nor a PostgreSQL data directory", dataDir)
		}
		return resolveDataDir(dataDir, account)
	}

	dataDir, err = resolveDataDir(dataDir, account)
	if err != nil {
		return "", err
	}
	if err := account.chown(dataDir); err != nil {
		return "", err
	}
	args := []string{"-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--locale=C"}
	if settings["fsync"] == "off" {
		args = append(args, "--no-sync")
	}
	initdb := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	initdb.Dir = dataDir
	initdb.Stdout, initdb.Stderr = output, output
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: account.credential()}
	// An interrupted initdb removes what it created; a killed one would
	// leave a data directory that looks like a cluster but is not one.
	initdb.Cancel = func() error { return initdb.Process.Signal(os.Interrupt) }
	if err := initdb.Run(); err != nil {
		return "", fmt.Errorf("pgcluster: initdb %s: %w; its output ends:\n%s", dataDir, err, log)
	}
	return dataDir, nil
}

func resolveDataDir(dataDir string, account *serverAccount) (string, error) {
	dataDir, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	return dataDir, account.checkCanReach(dataDir)
}

// prepareSocketDir sets c.socketDir to dir, or to a new directory if dir is
// empty, and makes sure that the server can use it.
func (c *Cluster) prepareSocketDir(dir string, account *serverAccount) (err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", socketDirPrefix); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		c.ownsSocketDir = true
	} else if dir, err = filepath.Abs(dir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.socketDir = dir
	defer func() {
		if err != nil {
			c.removeSocketDir()
		}
	}()
	if socket := filepath.Join(dir, ".s.PGSQL."+c.port); len(socket) > maxSocketPath {
		return fmt.Errorf("pgcluster: socket path %s is %d bytes, more than the %d a Unix socket allows: use a shorter SocketDir",
			socket, len(socket), maxSocketPath)
	}
	if !c.ownsSocketDir {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			// An existing directory may be shared, such as /tmp, so it is
			// left as it is.
			return account.checkCanReach(dir)
		}
		if err := makeServerDir(dir); err != nil {
			return err
		}
	}
	if err := account.chown(dir); err != nil {
		return err
	}
	return account.checkCanReach(dir)
}

// makeServerDir creates dir, private to its owner, and any missing parents,
// readable by all like any directory made by hand, so that the server's
// account can reach dir once it owns it.
func makeServerDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// isOwnSocketDir reports whether dir is a socket directory that Start
// created.
func isOwnSocketDir(dir string) bool {
	return filepath.Dir(dir) == filepath.Clean(os.TempDir()) &&
		strings.HasPrefix(filepath.Base(dir), socketDirPrefix)
}

func (c *Cluster) removeSocketDir() {
	if c.ownsSocketDir {
		os.RemoveAll(c.socketDir)
	}
}

// start runs the server and waits until it accepts connections. The
// server is run directly rather than through pg_ctl, so that its exit is
// seen at once and its output can go to any writer.
func (c *Cluster) start(ctx context.Context, binDir, dataDir string, account *serverAccount,
	settings map[string]string, output io.Writer,
) error {
	args := []string{"-D", dataDir}
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", name+"="+settings[name])
	}
	args = append(args,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+c.socketDir,
		"-c", "port="+c.port,
	)
	c.server = exec.Command(filepath.Join(binDir, "postgres"), args...)
	c.server.Dir = dataDir
	c.server.Stdout, c.server.Stderr = output, output
	// Its own process group keeps the server from the Ctrl-C meant for this
	// process, which then stops the server in its own time.
	c.server.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: account.credential()}
	if err := c.server.Start(); err != nil {
		return fmt.Errorf("pgcluster: starting server: %w", err)
	}
	go func() {
		if err := c.server.Wait(); err != nil {
			c.exitErr = fmt.Errorf("pgcluster: server exited (%w); its log ends:\n%s", err, c.log)
		}
		close(c.exited)
	}()

	for !serverReady(dataDir, c.server.Process.Pid) {
		select {
		case <-c.exited:
			if c.exitErr == nil {
				return fmt.Errorf("pgcluster: server exited while starting; its log ends:\n%s", c.log)
			}
			return c.exitErr
		case <-ctx.Done():
			c.halt(ImmediateShutdown)
			return fmt.Errorf("pgcluster: waiting for server to start: %w; its log ends:\n%s", ctx.Err(), c.log)
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// URL returns the lib/pq connection URL for database dbname as the
// superuser postgres, such as
// postgres://postgres@/app?host=%2Ftmp%2Fpgcluster-1&port=5432&sslmode=disable.
// It sets every part, so that no PG* environment variable changes where it
// leads.
func (c *Cluster) URL(dbname string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.User("postgres"),
		Path:   "/" + dbname,
		RawQuery: url.Values{
			"host":    {c.socketDir},
			"port":    {c.port},
			"sslmode": {"disable"},
		}.Encode(),
	}
	return u.String()
}

// Stop stops the server the way pg_ctl stop -m fast does, disconnecting
// its clients, and waits until it has exited. It then removes the socket
// directory if Start created it. It returns an error if the server had
// exited with a failure before. Calling Stop again returns the first
// call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		c.stopErr = c.halt(FastShutdown)
		if c.ownsSocketDir {
			if err := os.RemoveAll(c.socketDir); err != nil && c.stopErr == nil {
				c.stopErr = fmt.Errorf("pgcluster: %w", err)
			}
		}
	})
	return c.stopErr
}

func (c *Cluster) halt(mode ShutdownMode) error {
	err := c.server.Process.Signal(mode.signal())
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgcluster: stopping server: %w", err)
	}
	<-c.exited
	return c.exitErr
}
