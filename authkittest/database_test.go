package authkittest_test

import (
	"net/url"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/authkittest"
)

// The package overview's test, step by step: a database with authkit's
// tables, a Kit on it, and the mail that confirms the account.
func TestDB_GivesAKitWhatItNeedsToSignUpConfirmAndLogIn(t *testing.T) {
	t.Parallel()
	app := startApp(t, authkittest.DB(t))
	b := newBrowser(app.srv, t.Fatal)

	app.signUp(t, b, "ada@example.com")

	if got := b.get("/me"); got != "ada@example.com" {
		t.Errorf("after login /me says %q, want ada@example.com", got)
	}
}

func TestDB_GivesEachParallelTestADatabaseOfItsOwn(t *testing.T) {
	t.Run("tests", func(t *testing.T) {
		for _, name := range []string{"first", "second"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				app := startApp(t, authkittest.DB(t))

				// Both tests register the same address, which only works
				// in databases of their own.
				if _, err := app.kit.Admin().CreateUser(t.Context(), "ada@example.com", password, true); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func TestURL_GivesAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	dbURL := authkittest.URL(t)
	if u, err := url.Parse(dbURL); err != nil || u.Scheme != "postgres" {
		t.Fatalf("URL = %q, want a postgres:// URL", dbURL)
	}
	db, err := sqlx.Connect("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var tables int
	if err := db.Get(&tables, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the new database has %d tables, want none", tables)
	}
}
