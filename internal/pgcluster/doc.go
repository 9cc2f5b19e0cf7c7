// Package pgcluster runs a private PostgreSQL server from the server
// binaries installed on the machine, for tests and for the example app.
//
// [Start] creates and initialises a cluster in [Options.DataDir] the first
// time and reuses it afterwards. The server listens on a Unix socket only, in
// a directory of its own, and trusts every local connection as the superuser
// postgres, so [Cluster.URL] needs no password:
//
//	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: ".data/postgres"})
//	if err != nil {
//		return err
//	}
//	defer cluster.Stop()
//	db, err := sqlx.Connect("postgres", cluster.URL("postgres"))
//
// PostgreSQL refuses to run as root, so when this process is root the server
// and initdb run as the OS user postgres, which must exist and be able to
// reach the data and socket directories.
//
// The server is not tied to the context given to Start, nor to this
// process: it runs until [Cluster.Stop]. A server left behind by a process
// that was killed before it could stop it is found and stopped by the next
// Start on the same data directory, or by [StopServer].
package pgcluster
