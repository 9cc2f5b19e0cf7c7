package authkit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func TestNew_RefusesBadConfigWithAClearError(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	mailer := NewDevMailer(nil)
	const base = "https://app.example.com"
	for _, tc := range []struct {
		name string
		cfg  Config
		says string
	}{
		{"no database", Config{Mailer: mailer, BaseURL: base}, "Config.DB is required"},
		{"bad prefix", Config{DB: db, Mailer: mailer, BaseURL: base, TablePrefix: "x; DROP TABLE users"}, "TablePrefix"},
		{"upper-case prefix", Config{DB: db, Mailer: mailer, BaseURL: base, TablePrefix: "Auth_"}, "TablePrefix"},
		{"short key", Config{DB: db, Mailer: mailer, BaseURL: base, EncryptionKey: make([]byte, 16)}, "EncryptionKey must be 32 bytes"},
		{"no mailer", Config{DB: db, BaseURL: base}, "Mailer is required"},
		{"no base URL outside Development", Config{DB: db, Mailer: mailer}, "set Development for http://localhost"},
		{"relative base URL", Config{DB: db, Mailer: mailer, BaseURL: "example.com"}, "BaseURL"},
		{"idle longer than lifetime", Config{DB: db, Mailer: mailer, BaseURL: base, SessionLifetime: 1e9, IdleTimeout: 2e9}, "IdleTimeout"},
		{"weak password policy", Config{DB: db, Mailer: mailer, BaseURL: base, PasswordPolicy: PasswordPolicy{MinLength: 6}}, "PasswordPolicy"},
		{"insecure sessions", Config{DB: db, Mailer: mailer, BaseURL: base, Sessions: scs.New()}, "Secure"},
		{"session cookie named like remember-me's", Config{DB: db, Mailer: mailer, BaseURL: base, SessionCookieName: "remember_token"}, "SessionCookieName"},
		{"session cookie name with a space", Config{DB: db, Mailer: mailer, BaseURL: base, SessionCookieName: "my session"}, "SessionCookieName"},
	} {
		kit, err := New(tc.cfg)
		if err == nil {
			kit.Close()
			t.Errorf("%s: New succeeded", tc.name)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error = %q, want ErrInvalidConfig saying %q", tc.name, err, tc.says)
		}
	}
}

func TestNew_RefusesAMissingOrOutdatedSchemaSayingWhatToRun(t *testing.T) { // SEC-M1
	t.Parallel()
	db := pgtest.DB(t)
	for _, prefix := range []string{"authkit_", "other_"} {
		_, err := New(Config{DB: db, Mailer: NewDevMailer(nil), BaseURL: "http://localhost:8080", TablePrefix: prefix})
		if !errors.Is(err, ErrSchemaOutdated) || !strings.Contains(err.Error(), "sqlschema.Apply(ctx, db, \""+prefix+"\")") {
			t.Errorf("%s: error = %v, want ErrSchemaOutdated naming sqlschema.Apply", prefix, err)
		}
	}
	if err := sqlschema.Apply(context.Background(), db, "authkit_"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM authkit_schema_version WHERE version = $1`, sqlschema.Latest()); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{DB: db, Mailer: NewDevMailer(nil), BaseURL: "http://localhost:8080"})
	if !errors.Is(err, ErrSchemaOutdated) || !strings.Contains(err.Error(), "psql -f sqlschema/postgres.sql") {
		t.Errorf("one migration behind: error = %v, want ErrSchemaOutdated", err)
	}
}

func TestNew_WorksWithAnyTablePrefix(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), db, "myapp_auth_"); err != nil {
		t.Fatal(err)
	}
	// Applying twice is harmless.
	if err := sqlschema.Apply(context.Background(), db, "myapp_auth_"); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db, func(c *Config) { c.TablePrefix = "myapp_auth_" })
	id := e.user("prefixed@example.com")
	b := e.browser()
	b.login("prefixed@example.com", testPassword)
	if b.userID() != id {
		t.Fatal("login failed with a custom prefix")
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM myapp_auth_sessions`).Scan(&n)
	if n != 1 {
		t.Fatalf("sessions in the prefixed table: %d", n)
	}
}

func TestKitClose_CanBeCalledTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.kit.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.kit.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNew_DevelopmentDefaultsBaseURLToLocalhostAndDropsSecureCookies(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	kit, err := New(Config{DB: db, Mailer: NewDevMailer(nil), Development: true})
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	if kit.cfg.BaseURL != "http://localhost:8080" {
		t.Errorf("BaseURL = %q, want http://localhost:8080", kit.cfg.BaseURL)
	}
	if c := kit.Sessions().Cookie; c.Secure || c.Name != "authkit_session" {
		t.Errorf("session cookie in Development: %+v, want not Secure and without __Host-", c)
	}
}
