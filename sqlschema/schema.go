// Package sqlschema holds authkit's PostgreSQL schema: postgres.sql, plain
// SQL that psql can apply to an empty database, and [Apply], which applies
// the same file from Go with any table prefix.
package sqlschema

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DefaultPrefix is the table prefix written in postgres.sql.
const DefaultPrefix = "authkit_"

//go:embed postgres.sql
var postgresSQL string

// ErrInvalidPrefix is returned for a table prefix that is not a plain
// lower-case SQL identifier.
var ErrInvalidPrefix = errors.New("sqlschema: table prefix must match [a-z_][a-z0-9_]* and be at most 30 bytes")

var prefixPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,29}$`)

// ValidPrefix reports whether prefix can start authkit's table names. The
// prefix is spliced into SQL text, so only plain identifiers are allowed.
func ValidPrefix(prefix string) bool {
	return prefixPattern.MatchString(prefix)
}

// SQL returns the schema with table and index names starting with prefix.
func SQL(prefix string) (string, error) {
	if !ValidPrefix(prefix) {
		return "", ErrInvalidPrefix
	}
	return strings.ReplaceAll(postgresSQL, DefaultPrefix, prefix), nil
}

// Beginner is satisfied by *sql.DB and *sqlx.DB.
type Beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Apply creates the tables and indexes that are missing, with names
// starting with prefix. It is idempotent and safe to call from several
// app instances starting at once: a transaction-scoped advisory lock
// serialises concurrent calls.
func Apply(ctx context.Context, db Beginner, prefix string) error {
	schema, err := SQL(prefix)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlschema: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "authkit-schema:"+prefix); err != nil {
		return fmt.Errorf("sqlschema: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("sqlschema: apply: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlschema: commit: %w", err)
	}
	return nil
}
