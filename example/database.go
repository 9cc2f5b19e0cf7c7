package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/authkit/authkit/internal/pgcluster"
)

const (
	// dataDir holds the private PostgreSQL used when DATABASE_URL is unset.
	// It is relative to the current directory and git-ignored.
	dataDir = ".authkit-example/postgres"
	dbName  = "authkit_example"
)

// openDatabase connects to url (DATABASE_URL) or, when it is empty, to a
// private PostgreSQL started in dataDir. The returned function closes the
// connection pool and stops the server if one was started.
func openDatabase(ctx context.Context, url string) (*sqlx.DB, func(), error) {
	if url != "" {
		db, err := connect(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { closeLogged("database", db.Close) }, nil
	}

	slog.Info("starting a private PostgreSQL; set DATABASE_URL to use another", "dir", dataDir)
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dataDir})
	if err != nil {
		return nil, nil, err
	}
	stopCluster := func() { closeLogged("PostgreSQL", cluster.Stop) }
	if err := createDatabase(ctx, cluster.URL("postgres"), dbName); err != nil {
		stopCluster()
		return nil, nil, err
	}
	db, err := connect(ctx, cluster.URL(dbName))
	if err != nil {
		stopCluster()
		return nil, nil, err
	}
	return db, func() {
		closeLogged("database", db.Close)
		stopCluster()
	}, nil
}

func connect(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.ConnectContext(ctx, "postgres", url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return db, nil
}

// createDatabase creates the database name through the server's
// maintenance database unless it exists already.
func createDatabase(ctx context.Context, maintenanceURL, name string) error {
	db, err := connect(ctx, maintenanceURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if pqErr, ok := errors.AsType[*pq.Error](err); ok && pqErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	slog.Info("created database", "name", name)
	return nil
}

func closeLogged(what string, close func() error) {
	if err := close(); err != nil {
		slog.Error("closing "+what+" failed", "error", err)
	}
}
