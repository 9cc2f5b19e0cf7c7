package authkit

import (
	"context"
	"strings"
	"testing"

	"github.com/authkit/authkit/internal/passhash"
	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func TestRegister_RefusesInvisibleFormatCharactersThatMakeALookalikeAccount(t *testing.T) { // SEC-I5
	t.Parallel()
	e := newEnv(t)
	e.user("victim@example.com")
	for name, lookalike := range map[string]string{
		"zero-width space":       "vic\u200btim@example.com",
		"zero-width joiner":      "vic\u200dtim@example.com",
		"zero-width non-joiner":  "vic\u200ctim@example.com",
		"word joiner":            "victim\u2060@example.com",
		"right-to-left override": "\u202emoc.elpmaxe@mitciv",
		"left-to-right isolate":  "\u2066victim@example.com",
		"soft hyphen":            "vic\u00adtim@example.com",
		"byte order mark":        "\ufeffvictim@example.com",
		"in the domain":          "victim@exam\u200bple.com",
	} {
		var err error
		e.request(func(a *Auth) { _, err = a.Register(lookalike, testPassword) })
		if err != ErrInvalidEmail {
			t.Errorf("%s: Register(%q) = %v, want ErrInvalidEmail", name, lookalike, err)
		}
	}
	users, err := e.kit.Admin().Users(context.Background(), 0, 10)
	if err != nil || len(users) != 1 {
		t.Fatalf("the admin list shows %d users (%v), want the victim alone", len(users), err)
	}
}

func TestRegister_RefusesDomainLiterals(t *testing.T) { // SEC-I5
	t.Parallel()
	for _, literal := range []string{"a@[127.0.0.1]", "a@[10.0.0.1]", "a@[IPv6:::1]", "a@[192.168.0.1].example.com"} {
		if _, err := normalizeEmail(literal); err != ErrInvalidEmail {
			t.Errorf("normalizeEmail(%q) = %v, want ErrInvalidEmail", literal, err)
		}
	}
}

// cLocaleEmails gives the users table's email column the C collation, under
// which PostgreSQL's lower() folds ASCII only, as on a database created
// with the C locale; it fails the test if lower() still folds "É".
func cLocaleEmails(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.db.Exec(`ALTER TABLE authkit_users ALTER COLUMN email TYPE text COLLATE "C"`); err != nil {
		t.Fatal(err)
	}
	var folded string
	if err := e.db.Get(&folded, `SELECT lower('ÉMILE' COLLATE "C")`); err != nil || folded != "Émile" {
		t.Fatalf(`lower('ÉMILE') under C = %q, %v; the test needs a lower() that folds ASCII only`, folded, err)
	}
}

func TestRegister_AddressesThatDifferOnlyInUnicodeCaseAreOneAccountUnderACLocaleDatabase(t *testing.T) { // SEC-I5
	t.Parallel()
	e := newEnv(t)
	cLocaleEmails(t, e)
	for _, tc := range []struct{ first, second string }{
		{"Émile@example.com", "émile@example.com"},
		{"ÖSTERREICH@example.com", "österreich@EXAMPLE.com"},
		{"STRASSE@example.com", "straße@example.com"},    // full case folding: ß is ss
		{"ΣΊΣΥΦΟΣ@example.com", "σίσυφος@example.com"},   // final sigma
		{"ｅｖｅ@example.com", "eve@example.com"},           // fullwidth letters
		{"ma\u0301ria@example.com", "MÁRIA@example.com"}, // NFC first
	} {
		e.user(tc.first)
		var err error
		e.request(func(a *Auth) { _, err = a.Register(tc.second, testPassword) })
		if err != ErrEmailTaken {
			t.Errorf("Register(%q) after %q = %v, want ErrEmailTaken", tc.second, tc.first, err)
		}
		e.request(func(a *Auth) { err = a.Login(tc.second, testPassword, false) })
		if err != nil {
			t.Errorf("Login(%q) for the account of %q: %v", tc.second, tc.first, err)
		}
	}
}

func TestEmailKey_OfAnASCIIAddressIsItsLowerCaseAsTheMigrationComputesIt(t *testing.T) { // SEC-I5
	t.Parallel()
	e := newEnv(t)
	for _, addr := range []string{"Bob.Smith+Tag@Example.COM", "x'OR'1'='1'--@EXAMPLE.com", "KELVIN@example.com"} {
		var sqlKey string
		if err := e.db.Get(&sqlKey, `SELECT translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`, addr); err != nil {
			t.Fatal(err)
		}
		if got := emailKey(addr); got != sqlKey || got != strings.ToLower(addr) {
			t.Errorf("emailKey(%q) = %q; the migration computes %q", addr, got, sqlKey)
		}
	}
}

func TestUpgrade_AccountsFromBeforeTheEmailKeyGetItAndKeepLoggingIn(t *testing.T) { // SEC-I5 SEC-M1
	t.Parallel()
	db := pgtest.DB(t)
	// The schema as the release before email_key left it, with accounts
	// that release registered under the C locale: its lower() told
	// "Émile@" and "émile@" apart.
	before := sqlschema.Migrations()[:2]
	for _, m := range before {
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
	}
	if _, err := db.Exec(`ALTER TABLE authkit_users ALTER COLUMN email TYPE text COLLATE "C"`); err != nil {
		t.Fatal(err)
	}
	hasher, err := passhash.New(passhash.DefaultParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(context.Background(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"ADA@example.com", "Zoë@example.com", "Émile@example.com", "émile@example.com"} {
		if _, err := db.Exec(`INSERT INTO authkit_users (email, password_hash, verified) VALUES ($1, $2, TRUE)`, addr, hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	var missing int
	if err := db.Get(&missing, `SELECT count(*) FROM authkit_users WHERE email_key IS NULL`); err != nil || missing != 3 {
		t.Fatalf("after the migration %d keys are missing (%v), want the 3 non-ASCII ones", missing, err)
	}

	e := newEnvOn(t, db)
	for addr, want := range map[string]string{
		"ada@EXAMPLE.com":   "ADA@example.com",
		"ZOË@example.com":   "Zoë@example.com",
		"ÉMILE@example.com": "Émile@example.com", // the older of the two
	} {
		u, err := e.kit.Admin().UserByEmail(context.Background(), addr)
		if err != nil || u.Email != want {
			t.Errorf("UserByEmail(%q) = %q, %v; want %q", addr, u.Email, err, want)
		}
		var loginErr error
		e.request(func(a *Auth) { loginErr = a.Login(addr, testPassword, false) })
		if loginErr != nil {
			t.Errorf("Login(%q): %v", addr, loginErr)
		}
	}
	var clash int64
	if err := db.Get(&clash, `SELECT id FROM authkit_users WHERE email = 'émile@example.com'`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.logs.String(), "user_id="+itoa(clash)) {
		t.Errorf("the log does not name the account whose address clashes:\n%s", e.logs.String())
	}
	var err2 error
	e.request(func(a *Auth) { _, err2 = a.Register("zoë@EXAMPLE.COM", testPassword) })
	wantErr(t, err2, ErrEmailTaken)
}
