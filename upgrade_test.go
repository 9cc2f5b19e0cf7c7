package authkit

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/twofactor"
)

// What testdata/v0_data.sql holds besides its rows.
const (
	v0SessionCookie  = "zOm0PYPtZnkldb8J7Uhvw1fR7IWvSRgEhksXYjAMXnI" // ada's session
	v0RememberCookie = "EjxQmwi87IXMet6hEiRf4A.fplpPKSVMUYQOS4n2CMtWg78LRmMt8qxGHC6i5uYZQo"
	v0TOTPSecret     = "3BVKLFG4FEQAQX5DL3LI3XMQVXQSMOBC" // bob's
	v0BackupCode     = "rs2yx-6jpaw"                      // bob's
	v0EncryptionKey  = "0123456789abcdef0123456789abcdef"
)

// v0Time is just after the fixture's rows were written; the test's clock
// runs from there so that its sessions and tokens are as live as they were.
var v0Time = time.Date(2026, 12, 2, 16, 54, 30, 0, time.UTC)

func TestUpgrade_FromTheUnversionedSchemaKeepsEveryRowAndEveryLogin(t *testing.T) { // SEC-M1
	t.Parallel()
	url := pgtest.URL(t)
	psqlPath, err := exec.LookPath("psql")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
		if len(matches) == 0 {
			t.Fatal("psql not found: install the PostgreSQL client (Debian: apt-get install postgresql)")
		}
		psqlPath = matches[len(matches)-1]
	}
	for _, file := range []string{"sqlschema/testdata/schema_unversioned.sql", "testdata/v0_data.sql"} {
		if out, err := exec.Command(psqlPath, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file, url).CombinedOutput(); err != nil {
			t.Fatalf("psql -f %s: %v\n%s", file, err, out)
		}
	}
	db := sqlx.MustConnect("postgres", url)
	t.Cleanup(func() { db.Close() })

	tables := []string{"users", "sessions", "user_sessions", "remembers", "second_factors", "backup_codes", "audit", "throttles"}
	before := rowCounts(t, db, tables)
	if _, err := New(Config{DB: db, Mailer: NewDevMailer(nil), BaseURL: "http://localhost:8080"}); !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("New on the old schema = %v, want ErrSchemaOutdated", err)
	}
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	if after := rowCounts(t, db, tables); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("rows before the upgrade %v, after %v", before, after)
	}

	e := newEnvOn(t, db, func(c *Config) { c.EncryptionKey = []byte(v0EncryptionKey) })
	e.clock.now = v0Time
	ada, err := e.kit.Admin().UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}

	// ada's session, from before the upgrade, is still logged in, with
	// her role.
	d := e.device()
	d.cookies[sessionCookieName(e)] = &http.Cookie{Name: sessionCookieName(e), Value: v0SessionCookie}
	d.do(func(a *Auth) {
		if a.UserID() != ada.ID || !a.HasRole("admin") {
			t.Errorf("the old session is logged in as %d with roles %v", a.UserID(), a.Roles())
		}
	})
	// Her remember-me cookie still restores a session.
	r := e.device()
	r.cookies[e.kit.rememberCookie] = &http.Cookie{Name: e.kit.rememberCookie, Value: v0RememberCookie}
	if got := r.userID(); got != ada.ID {
		t.Fatalf("the old remember-me cookie restores %d, want %d\n%s", got, ada.ID, e.logs)
	}
	// Logging out everywhere still ends the old session.
	if err := r.err(func(a *Auth) error { return a.LogoutEverywhere() }); err != nil {
		t.Fatal(err)
	}
	if got := d.userID(); got != 0 {
		t.Fatalf("after logging out everywhere the old session is logged in as %d", got)
	}

	// bob logs in with his password and his TOTP secret, sealed before the
	// upgrade, and a backup code still works.
	for _, second := range []func(a *Auth) error{
		func(a *Auth) error {
			code, _ := twofactor.TOTPCode(v0TOTPSecret, e.clock.Now())
			return a.TwoFactor().VerifyTOTP(code)
		},
		func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(v0BackupCode) },
	} {
		b := e.device()
		if err := b.err(func(a *Auth) error { return a.Login("bob@example.com", testPassword, false) }); !errors.As(err, new(*SecondFactorRequiredError)) {
			t.Fatalf("bob's login = %v, want the second factor asked", err)
		}
		if err := b.err(second); err != nil {
			t.Fatal(err)
		}
		if err := b.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }); err != nil {
			t.Fatal(err)
		}
		if b.userID() == 0 {
			t.Fatal("bob is not logged in after the second factor")
		}
		e.clock.Advance(30 * time.Second)
	}
}

func rowCounts(t *testing.T, db *sqlx.DB, tables []string) []string {
	t.Helper()
	var counts []string
	for _, table := range tables {
		var n string
		if err := db.Get(&n, `SELECT count(*)::text FROM authkit_`+table); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, table+"="+n)
	}
	return counts
}

func TestUpgrade_FixtureSchemaIsTheFirstMigration(t *testing.T) { // SEC-M1
	t.Parallel()
	// The unversioned schema is the one released before migrations: it is
	// migration 0001 word for word, so a database made from either is the
	// same.
	old, err := os.ReadFile("sqlschema/testdata/schema_unversioned.sql")
	if err != nil {
		t.Fatal(err)
	}
	first := sqlschema.Migrations()[0].SQL
	if !strings.Contains(string(old), strings.TrimPrefix(first, "-- +goose Up\n")) {
		t.Fatal("migration 0001 is not the schema that was released before migrations")
	}
}
