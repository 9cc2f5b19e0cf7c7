package sqlschema_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var tables = []string{"schema_version", "users", "sessions", "user_sessions", "email_tokens", "audit", "remembers",
	"second_factors", "two_factor_attempts", "otp_codes", "backup_codes", "throttles", "api_keys", "identities", "provider_tokens", "secrets",
	"signing_keys", "refresh_tokens", "passkey_users", "passkeys"}

func TestSQL_RefusesPrefixesThatAreNotPlainIdentifiers(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "Auth_", "1x_", "x-y_", "x; DROP TABLE users; --", strings.Repeat("a", 31), "ü_"} {
		if _, err := sqlschema.SQL(bad); err != sqlschema.ErrInvalidPrefix {
			t.Errorf("SQL(%q) = %v, want ErrInvalidPrefix", bad, err)
		}
		if err := sqlschema.Apply(context.Background(), nil, bad); err != sqlschema.ErrInvalidPrefix {
			t.Errorf("Apply(%q) = %v, want ErrInvalidPrefix", bad, err)
		}
	}
}

func TestSQL_RenamesEveryTableAndIndex(t *testing.T) {
	t.Parallel()
	s, err := sqlschema.SQL("myapp_")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "authkit_") {
		t.Fatal("the default prefix survived the substitution")
	}
	for _, table := range tables {
		if !strings.Contains(s, "CREATE TABLE IF NOT EXISTS myapp_"+table+" ") {
			t.Errorf("no table myapp_%s", table)
		}
	}
}

func TestPostgresSQL_IsGeneratedFromTheMigrations(t *testing.T) {
	t.Parallel()
	file, err := os.ReadFile("postgres.sql")
	if err != nil {
		t.Fatal(err)
	}
	want, err := sqlschema.SQL(sqlschema.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != want {
		t.Fatal("postgres.sql is out of date: run go generate ./sqlschema")
	}
}

// released holds the SHA-256 of every migration that has shipped. A
// deployed database has run them, so they must never change: a change of
// schema is a new migration.
var released = map[string]string{
	"0001_initial.sql":          "d1d2e13e5283da54af28ae7fc90c4eaba208b7d58635dec939298df7b659b2a9",
	"0002_session_core.sql":     "175a411a2bdffb4bc4879729babddcbc85c004ce8563809940aca55209c1b16d",
	"0003_devices_api_keys.sql": "e71cc0d24558f78c5caeb220501166c5242e665ae88967f5c9de0eb5ce095c9d",
	"0004_user_profile.sql":     "4612d6c30eb8d296ba0099fca3beaa6df99777e7400ca6a8f34230b8c59bc61d",
	"0005_identities.sql":       "1963c2a2ee6e726b5c55a60a3b3ffcc3f2d8e42ae897ceab6d7667c9e2a5e3ba",
	"0006_hardening.sql":        "6d5a998d77ef12d667e510bac4fd0f3c6cfcb9d6827c9d0402385d147c5363f4",
	"0007_tokens.sql":           "4d254b3ca238eb5c0ff0c869f5d6fcd6d52495699f63091a75b559ab003258e6",
	"0008_passkeys.sql":         "c633cfaf3fba1b247b6e3af73cf6e0e5f0027ee946495ab41fcfc6dce4086803",
}

func TestMigrations_ReleasedOnesAreNeverEdited(t *testing.T) {
	t.Parallel()
	for name, sum := range released {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatalf("released migration %s: %v", name, err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("migration %s was edited after its release; add a new migration instead", name)
		}
	}
	if n := len(sqlschema.Migrations()); n < len(released) {
		t.Fatalf("%d migrations, %d released", n, len(released))
	}
}

// psql finds the psql client of the machine's PostgreSQL.
func psql(t *testing.T) string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(matches) == 0 {
		t.Fatal("psql not found: install the PostgreSQL client (Debian: apt-get install postgresql)")
	}
	return matches[len(matches)-1]
}

func runPsqlFile(t *testing.T, url, file string) {
	t.Helper()
	out, err := exec.Command(psql(t), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file, url).CombinedOutput()
	if err != nil {
		t.Fatalf("psql -f %s: %v\n%s", file, err, out)
	}
}

func version(t *testing.T, db *sqlx.DB, prefix string) int {
	t.Helper()
	v, err := sqlschema.Version(context.Background(), db, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPostgresSQL_AppliesWithPsqlAndAgainWithoutChange(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	runPsqlFile(t, url, "postgres.sql")
	runPsqlFile(t, url, "postgres.sql")
	db := sqlx.MustConnect("postgres", url)
	defer db.Close()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'authkit\_%'`); err != nil || n != len(tables) {
		t.Fatalf("tables after psql: %d %v, want %d", n, err, len(tables))
	}
	if v := version(t, db, sqlschema.DefaultPrefix); v != sqlschema.Latest() {
		t.Fatalf("version after psql = %d, want %d", v, sqlschema.Latest())
	}
	// Apply finds nothing to do.
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
}

// columns describes every column of the prefix's tables, for comparing two
// schemas.
func columns(t *testing.T, db *sqlx.DB, prefix string) []string {
	t.Helper()
	var cols []string
	err := db.Select(&cols, `
		SELECT substr(table_name, length($1) + 1) || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
		FROM information_schema.columns WHERE table_name LIKE $1 || '%' ORDER BY table_name, column_name`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	var idx []string
	err = db.Select(&idx, `SELECT substr(indexname, length($1) + 1) FROM pg_indexes WHERE tablename LIKE $1 || '%' ORDER BY indexname`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return append(cols, idx...)
}

func TestApply_AndPostgresSQLMakeTheSameSchema(t *testing.T) {
	t.Parallel()
	viaPsql := pgtest.URL(t)
	runPsqlFile(t, viaPsql, "postgres.sql")
	a := sqlx.MustConnect("postgres", viaPsql)
	defer a.Close()
	b := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), b, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	ca, cb := columns(t, a, sqlschema.DefaultPrefix), columns(t, b, sqlschema.DefaultPrefix)
	if strings.Join(ca, "\n") != strings.Join(cb, "\n") {
		t.Fatalf("psql -f postgres.sql and Apply differ:\npsql:\n%s\n\nApply:\n%s", strings.Join(ca, "\n"), strings.Join(cb, "\n"))
	}
}

func TestApply_UpgradesADatabaseFromBeforeSchemaVersions(t *testing.T) { // SEC-M1
	t.Parallel()
	url := pgtest.URL(t)
	runPsqlFile(t, url, "testdata/schema_unversioned.sql")
	db := sqlx.MustConnect("postgres", url)
	defer db.Close()
	if v := version(t, db, sqlschema.DefaultPrefix); v != 0 {
		t.Fatalf("version before = %d, want 0", v)
	}
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	if v := version(t, db, sqlschema.DefaultPrefix); v != sqlschema.Latest() {
		t.Fatalf("version after = %d, want %d", v, sqlschema.Latest())
	}
	fresh := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), fresh, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	if got, want := columns(t, db, sqlschema.DefaultPrefix), columns(t, fresh, sqlschema.DefaultPrefix); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("upgraded schema differs from a fresh one:\nupgraded:\n%s\n\nfresh:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVersion_IsZeroForADatabaseWithoutTheSchema(t *testing.T) {
	t.Parallel()
	if v := version(t, pgtest.DB(t), "app_"); v != 0 {
		t.Fatalf("version = %d, want 0", v)
	}
}

func TestApply_IsIdempotentWhenInstancesStartTogether(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sqlschema.Apply(context.Background(), db, "app_")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range tables {
		var name *string
		if err := db.QueryRow("SELECT to_regclass($1)::text", "app_"+table).Scan(&name); err != nil || name == nil {
			t.Errorf("table app_%s missing (%v)", table, err)
		}
	}
	var runs int
	if err := db.Get(&runs, "SELECT count(*) FROM app_schema_version"); err != nil || runs != len(sqlschema.Migrations()) {
		t.Fatalf("schema_version rows = %d (%v), want one per migration", runs, err)
	}
	if v := version(t, db, "app_"); v != sqlschema.Latest() {
		t.Fatalf("version = %d, want %d", v, sqlschema.Latest())
	}
}
