// Package sqlschema holds authkit's PostgreSQL schema as numbered
// migrations (migrations/0001_initial.sql, 0002_….sql, …), plain SQL files
// that golang-migrate and goose can read too. [Apply] runs the pending ones
// with any table prefix and records each in the {prefix}schema_version
// table; [Version] reports how far a database is. postgres.sql beside them
// is the whole current schema in one file for psql -f, generated from the
// migrations (go generate ./sqlschema) and checked by a test.
//
// A release of authkit that needs a new column ships a new migration;
// migrations that were released are never edited, so upgrading is always
// "apply what is pending". [authkit.New] refuses a database whose schema is
// older than the code (ErrSchemaOutdated) and says what to run.
package sqlschema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:generate go run ./internal/genschema

// DefaultPrefix is the table prefix written in the migration files and in
// postgres.sql.
const DefaultPrefix = "authkit_"

// ErrInvalidPrefix is returned for a table prefix that is not a plain
// lower-case SQL identifier.
var ErrInvalidPrefix = errors.New("sqlschema: table prefix must match [a-z_][a-z0-9_]* and be at most 30 bytes")

var prefixPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,29}$`)

// ValidPrefix reports whether prefix can start authkit's table names. The
// prefix is spliced into SQL text, so only plain identifiers are allowed.
func ValidPrefix(prefix string) bool {
	return prefixPattern.MatchString(prefix)
}

// Migration is one numbered step of the schema.
type Migration struct {
	Version int    // 1, 2, …: the number the file name starts with
	Name    string // the rest of the file name, for example "session_core"
	SQL     string // the statements, with table names under DefaultPrefix
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// migrations is every migration, in order, read once at start-up.
var migrations = mustLoad(migrationFiles)

func mustLoad(files fs.FS) []Migration {
	entries, err := fs.ReadDir(files, "migrations")
	if err != nil {
		panic(err)
	}
	var ms []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			panic("sqlschema: badly named migration " + e.Name())
		}
		b, err := fs.ReadFile(files, path.Join("migrations", e.Name()))
		if err != nil {
			panic(err)
		}
		v, _ := strconv.Atoi(m[1])
		ms = append(ms, Migration{Version: v, Name: m[2], SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	// Numbers may skip (features developed side by side each take one),
	// but never repeat.
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			panic(fmt.Sprintf("sqlschema: two migrations numbered %04d", ms[i].Version))
		}
	}
	return ms
}

// Migrations returns every migration, oldest first.
func Migrations() []Migration { return append([]Migration(nil), migrations...) }

// Latest is the schema version this release of authkit needs: the number
// of the newest migration.
func Latest() int {
	if len(migrations) == 0 {
		return 0
	}
	return migrations[len(migrations)-1].Version
}

// withPrefix puts prefix in place of DefaultPrefix in a statement.
func withPrefix(sql, prefix string) string {
	return strings.ReplaceAll(sql, DefaultPrefix, prefix)
}

// versionTable is the statement that creates the table recording which
// migrations ran.
const versionTable = `CREATE TABLE IF NOT EXISTS authkit_schema_version (
    version    INT PRIMARY KEY,
    name       TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`

// SQL returns the whole current schema with table and index names starting
// with prefix: every migration in order, then the rows that record them.
// postgres.sql is SQL(DefaultPrefix). Every statement in it is idempotent,
// so it applies to an empty database, to one at any earlier version, and
// again to one that is current.
func SQL(prefix string) (string, error) {
	if !ValidPrefix(prefix) {
		return "", ErrInvalidPrefix
	}
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n-- The migrations that have run.\n")
	b.WriteString(versionTable)
	for _, m := range migrations {
		fmt.Fprintf(&b, "\n-- Migration %04d_%s.sql\n", m.Version, m.Name)
		b.WriteString(strings.TrimPrefix(m.SQL, "-- +goose Up\n"))
	}
	b.WriteString("\n-- Record the migrations above as applied.\nINSERT INTO authkit_schema_version (version, name) VALUES\n")
	for i, m := range migrations {
		sep := ",\n"
		if i == len(migrations)-1 {
			sep = "\nON CONFLICT (version) DO NOTHING;\n"
		}
		fmt.Fprintf(&b, "    (%d, '%s')%s", m.Version, m.Name, sep)
	}
	return withPrefix(b.String(), prefix), nil
}

const header = `-- authkit schema for PostgreSQL, generated from migrations/*.sql by
-- go generate ./sqlschema. Do not edit: add a migration instead.
--
-- Apply it to your database with
--     psql "$DATABASE_URL" -f sqlschema/postgres.sql
-- or from Go with sqlschema.Apply, which runs only the migrations a
-- database lacks. Every statement is idempotent, so running the file again
-- (for example after upgrading authkit) only adds what is missing. Table
-- and index names start with the default prefix "authkit_"; sqlschema.Apply
-- substitutes Config.TablePrefix for it.
`

// Beginner is satisfied by *sql.DB and *sqlx.DB.
type Beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Querier is satisfied by *sql.DB, *sqlx.DB and their transactions.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Apply runs the migrations that the database lacks, for tables whose
// names start with prefix, and records each in {prefix}schema_version. It
// does nothing to a database that is current, and it is safe to call from
// several app instances starting at once: an advisory lock serialises
// them, and all pending migrations commit together or not at all.
//
// A database made by a release before schema versions (postgres.sql
// applied with psql) is upgraded too: its first migration finds every
// table in place.
func Apply(ctx context.Context, db Beginner, prefix string) error {
	if !ValidPrefix(prefix) {
		return ErrInvalidPrefix
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlschema: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "authkit-schema:"+prefix); err != nil {
		return fmt.Errorf("sqlschema: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, withPrefix(versionTable, prefix)); err != nil {
		return fmt.Errorf("sqlschema: create version table: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, withPrefix("SELECT coalesce(max(version), 0) FROM authkit_schema_version", prefix)).Scan(&current); err != nil {
		return fmt.Errorf("sqlschema: read version: %w", err)
	}
	for _, m := range migrations {
		if m.Version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, withPrefix(m.SQL, prefix)); err != nil {
			return fmt.Errorf("sqlschema: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, withPrefix("INSERT INTO authkit_schema_version (version, name) VALUES ($1, $2)", prefix), m.Version, m.Name); err != nil {
			return fmt.Errorf("sqlschema: record migration %04d: %w", m.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlschema: commit: %w", err)
	}
	return nil
}

// Version returns the newest migration applied to the database for
// prefix: 0 for a database without authkit's tables or from before schema
// versions, [Latest] for a current one, more for one that a newer release
// has migrated already.
func Version(ctx context.Context, db Querier, prefix string) (int, error) {
	if !ValidPrefix(prefix) {
		return 0, ErrInvalidPrefix
	}
	var table sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT to_regclass($1)::text", prefix+"schema_version").Scan(&table); err != nil {
		return 0, fmt.Errorf("sqlschema: find version table: %w", err)
	}
	if !table.Valid {
		return 0, nil
	}
	var v int
	if err := db.QueryRowContext(ctx, withPrefix("SELECT coalesce(max(version), 0) FROM authkit_schema_version", prefix)).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlschema: read version: %w", err)
	}
	return v, nil
}
