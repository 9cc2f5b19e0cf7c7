package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/authkittest"
)

// dataDir holds the private PostgreSQL used when DATABASE_URL is unset. It
// is relative to the current directory and git-ignored.
const dataDir = ".authkit-example/postgres"

// openDatabase connects to url (DATABASE_URL) or, when it is empty, to a
// private PostgreSQL started in dataDir. The returned function closes the
// connection pool and stops the server if one was started.
func openDatabase(ctx context.Context, url string) (*sqlx.DB, func(), error) {
	stopServer := func() {}
	if url == "" {
		slog.Info("starting a private PostgreSQL; set DATABASE_URL to use another", "dir", dataDir)
		devURL, stop, err := authkittest.DevDatabase(ctx, dataDir)
		if err != nil {
			return nil, nil, err
		}
		url, stopServer = devURL, func() { closeLogged("PostgreSQL", stop) }
	}
	db, err := sqlx.ConnectContext(ctx, "postgres", url)
	if err != nil {
		stopServer()
		return nil, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	// A bounded pool: if the database stalls, requests fail after
	// authkit's QueryTimeout instead of each holding a new connection.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	return db, func() {
		closeLogged("database", db.Close)
		stopServer()
	}, nil
}

func closeLogged(what string, close func() error) {
	if err := close(); err != nil {
		slog.Error("closing "+what+" failed", "error", err)
	}
}
