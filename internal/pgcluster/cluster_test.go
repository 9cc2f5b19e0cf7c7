package pgcluster

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

func TestStart_CreatesAClusterServedOnlyOnItsSocket(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{DataDir: filepath.Join(serverDir(t), "new", "data")})
	db := connect(t, c)

	var listen, user string
	if err := db.QueryRow("SELECT current_setting('listen_addresses'), current_user").Scan(&listen, &user); err != nil {
		t.Fatal(err)
	}
	if listen != "" || user != "postgres" {
		t.Errorf("listen_addresses %q, user %q; want none and postgres", listen, user)
	}
}

func TestStart_AppliesTheSettings(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{
		DataDir:  filepath.Join(serverDir(t), "data"),
		Settings: map[string]string{"fsync": "off", "max_connections": "42"},
	})

	var fsync, maxConnections string
	err := connect(t, c).QueryRow("SELECT current_setting('fsync'), current_setting('max_connections')").
		Scan(&fsync, &maxConnections)
	if err != nil {
		t.Fatal(err)
	}
	if fsync != "off" || maxConnections != "42" {
		t.Errorf("fsync %s, max_connections %s; want off and 42", fsync, maxConnections)
	}
}

func TestStart_ReusesTheClusterInItsDataDir(t *testing.T) {
	t.Parallel()
	opts := Options{DataDir: filepath.Join(serverDir(t), "data")}
	first := startCluster(t, opts)
	if _, err := connect(t, first).Exec("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second := startCluster(t, opts)

	var n int
	if err := connect(t, second).QueryRow("SELECT n FROM kept").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("got %d, want 7", n)
	}
}

func TestStart_ReplacesAServerLeftRunningOnItsDataDir(t *testing.T) {
	t.Parallel()
	opts := Options{DataDir: filepath.Join(serverDir(t), "data")}
	abandoned := startCluster(t, opts)

	replacement := startCluster(t, opts)

	select {
	case <-abandoned.exited:
	case <-time.After(time.Minute):
		t.Fatal("the server left running is still running")
	}
	if _, err := os.Stat(abandoned.socketDir); !os.IsNotExist(err) {
		t.Errorf("its socket dir %s is still there (%v)", abandoned.socketDir, err)
	}
	if err := connect(t, replacement).Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestStart_RemovesLockFilesWhosePidWasReused(t *testing.T) {
	t.Parallel()
	dir := serverDir(t)
	opts := Options{DataDir: filepath.Join(dir, "data"), SocketDir: filepath.Join(dir, "socket")}
	c := startCluster(t, opts)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// What a server killed with SIGKILL leaves behind, after its pid has
	// gone to another process: this one.
	dataDir, err := filepath.EvalSymlinks(opts.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	lockFile := fmt.Sprintf("%d\n%s\n", os.Getpid(), dataDir)
	for _, path := range []string{
		filepath.Join(dataDir, "postmaster.pid"),
		filepath.Join(opts.SocketDir, ".s.PGSQL.5432.lock"),
	} {
		if err := os.WriteFile(path, []byte(lockFile), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := connect(t, startCluster(t, opts)).Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestStart_QuotesTheServerLogWhenTheServerFails(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Options{
		DataDir:  filepath.Join(serverDir(t), "data"),
		Settings: map[string]string{"shared_buffers": "plenty"},
	})
	if err == nil || !strings.Contains(err.Error(), `invalid value for parameter "shared_buffers": "plenty"`) {
		t.Errorf("got %v, want the server's complaint about shared_buffers", err)
	}
}

func TestStart_RefusesADataDirThatHoldsSomethingElse(t *testing.T) {
	t.Parallel()
	dir := serverDir(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "neither empty nor a PostgreSQL data directory") {
		t.Errorf("got %v, want a refusal", err)
	}
}

func TestStart_RefusesASocketDirTooLongForAUnixSocket(t *testing.T) {
	t.Parallel()
	dir := serverDir(t)
	_, err := Start(t.Context(), Options{
		DataDir:   filepath.Join(dir, "data"),
		SocketDir: filepath.Join(dir, strings.Repeat("s", maxSocketPath)),
	})
	if err == nil || !strings.Contains(err.Error(), "use a shorter SocketDir") {
		t.Errorf("got %v, want a refusal", err)
	}
}

func TestStart_ExplainsADataDirTheServerAccountCannotReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only then does Start run the server as the postgres account, whose reach this test checks")
	}
	t.Parallel()
	private := filepath.Join(serverDir(t), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Options{DataDir: filepath.Join(private, "data")})
	if err == nil || !strings.Contains(err.Error(), private+" is not traversable by OS user postgres") {
		t.Errorf("got %v, want it to name %s", err, private)
	}
}

func TestStop_RemovesTheSocketDirStartCreated(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{DataDir: filepath.Join(serverDir(t), "data")})

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Stat(c.socketDir); !os.IsNotExist(err) {
		t.Errorf("socket dir %s is still there (%v)", c.socketDir, err)
	}
}

func TestStopServer_StopsAServerWhoseClusterIsGone(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(serverDir(t), "data")
	c := startCluster(t, Options{DataDir: dataDir})

	if err := StopServer(t.Context(), dataDir, ImmediateShutdown); err != nil {
		t.Fatal(err)
	}

	// The server removes its pid file as the last thing before it exits.
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("StopServer returned before the server exited (%v)", err)
	}
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		t.Fatal("the server still runs")
	}
}

// startCluster starts a cluster and stops it at the end of the test.
func startCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

// serverDir returns a new directory that the server's account can reach;
// t.TempDir's own is private to this process's account.
func serverDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func connect(t *testing.T, c *Cluster) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
