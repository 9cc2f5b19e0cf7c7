package authkittest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"

	"github.com/authkit/authkit/internal/pgcluster"
)

// devDatabaseName is the database DevDatabase creates in its cluster.
const devDatabaseName = "app"

// DevDatabase starts a private PostgreSQL server for development, so that
// `go run` works on a machine with PostgreSQL installed but not set up. It
// returns the connection URL of the database "app" in it, and stop, which
// stops the server: call it when the app shuts down.
//
// The cluster lives in dir, which DevDatabase creates and initialises the
// first time and reuses afterwards, so the data outlives the process; put
// dir somewhere git ignores, such as ".data/postgres". The server listens
// on a Unix socket in a private directory only, never on the network, and
// trusts every local connection, so it is for development and nothing
// else. It uses the machine's server binaries as [Main] does, running them
// as the OS user postgres when this process is root. If a server left by a
// process that was killed still runs on dir, DevDatabase replaces it.
//
// DevDatabase creates no tables: the app applies authkit's schema itself
// (sqlschema.Apply) at start-up, as it does in production.
//
// ctx bounds the start only; the server runs until stop.
func DevDatabase(ctx context.Context, dir string) (url string, stop func() error, err error) {
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir})
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := createDatabase(ctx, cluster.URL("postgres"), devDatabaseName); err != nil {
		return "", nil, errors.Join(fmt.Errorf("%s: %w", name, err), cluster.Stop())
	}
	return cluster.URL(devDatabaseName), cluster.Stop, nil
}

// createDatabase creates the database dbname through the server's
// maintenance database unless it exists already.
func createDatabase(ctx context.Context, maintenanceURL, dbname string) error {
	db, err := sql.Open("postgres", maintenanceURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(dbname))
	if pqErr, ok := errors.AsType[*pq.Error](err); ok && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating database %s: %w", dbname, err)
	}
	return nil
}
