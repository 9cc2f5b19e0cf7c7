package sqlschema_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var tables = []string{"users", "sessions", "user_sessions", "email_tokens", "audit", "remembers",
	"second_factors", "two_factor_attempts", "otp_codes", "backup_codes", "throttles"}

func TestSQL_RefusesPrefixesThatAreNotPlainIdentifiers(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "Auth_", "1x_", "x-y_", "x; DROP TABLE users; --", strings.Repeat("a", 31), "ü_"} {
		if _, err := sqlschema.SQL(bad); err != sqlschema.ErrInvalidPrefix {
			t.Errorf("SQL(%q) = %v, want ErrInvalidPrefix", bad, err)
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

func TestPostgresSQL_AppliesWithPsqlAndAgainWithoutChange(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	for run := 1; run <= 2; run++ {
		out, err := exec.Command(psql(t), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "postgres.sql", url).CombinedOutput()
		if err != nil {
			t.Fatalf("psql -f postgres.sql, run %d: %v\n%s", run, err, out)
		}
	}
	out, err := exec.Command(psql(t), "-X", "-At", "-c",
		"SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'authkit\\_%'", url).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "11" {
		t.Fatalf("tables after psql: %s %v", out, err)
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
}
