package authkit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// importedPassword is the password the imported hashes below were made of.
const importedPassword = "a password from the old system"

// Hashes made with Python's hashlib as each system makes them.
const (
	// Django 5.2's PBKDF2PasswordHasher: 1,000,000 iterations of
	// PBKDF2-HMAC-SHA256, a salt of 22 letters and digits:
	//
	//	key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1_000_000)
	//	"pbkdf2_sha256$%d$%s$%s" % (1_000_000, salt, base64.b64encode(key).decode())
	djangoImported = "pbkdf2_sha256$1000000$3YvSAqEcG77Q3I8OBs1IUs$1YW1uN9rJXpcuq22M7wwt7pqsg7iEErYSk+spZr3tJI="

	// Better Auth's hashPassword: scrypt N=16384, r=16, p=1, 64-byte key,
	// the hex text of 16 random bytes as salt, the password in NFKC:
	//
	//	salt = secrets.token_bytes(16).hex()
	//	key = hashlib.scrypt(unicodedata.normalize("NFKC", password).encode(), salt=salt.encode(),
	//	                     n=16384, r=16, p=1, dklen=64, maxmem=128*16384*16*2)
	//	salt + ":" + key.hex()
	betterAuthImported = "ab36250569aaac3f939cdd18fa092c41:2cc537046d25c486952b4b792eb8f3fff401d3e892d9ab387eddb62a48720cd9c0f13e9cf1334d4a8ce9cab516c5134d0ae73456d9c01c47d1a4e580832c4401"
)

// phpBcrypt returns a hash as PHP's password_hash(PASSWORD_BCRYPT) writes
// it, cost 10 with the $2y$ prefix; x/crypto writes the same algorithm as
// $2a$.
func phpBcrypt(t *testing.T, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		t.Fatal(err)
	}
	return "$2y$" + string(hash[4:])
}

// argon2idPHC returns an argon2id PHC string with the given parameters and
// a 16-byte salt, as libraries other than authkit write them.
func argon2idPHC(password string, memory, passes uint32, threads uint8) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, passes, memory, threads, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", memory, passes, threads, b64(salt), b64(key))
}

func (e *env) login(email, password string) error {
	e.t.Helper()
	var err error
	e.request(func(a *Auth) { err = a.Login(email, password, false) })
	return err
}

func (e *env) storedHash(id int64) string {
	e.t.Helper()
	var hash string
	if err := e.db.Get(&hash, "SELECT password_hash FROM authkit_users WHERE id = $1", id); err != nil {
		e.t.Fatal(err)
	}
	return hash
}

// importAndLogIn imports a user with hash, checks that a wrong password
// fails and leaves the hash alone, and that the right one logs in. It
// returns the hash stored afterwards.
func importAndLogIn(t *testing.T, hash string) string {
	t.Helper()
	e := newEnv(t)
	id, err := e.kit.Admin().ImportUser(t.Context(), ImportedUser{Email: "ada@example.com", PasswordHash: hash, Verified: true})
	if err != nil {
		t.Fatal(err)
	}

	wantErr(t, e.login("ada@example.com", importedPassword+"!"), ErrInvalidCredentials)
	if got := e.storedHash(id); got != hash {
		t.Fatalf("a wrong password changed the stored hash to %q", got)
	}
	if err := e.login("ada@example.com", importedPassword); err != nil {
		t.Fatalf("login with the imported password: %v", err)
	}
	stored := e.storedHash(id)
	// Whatever the hash is now, the password still logs in and only it.
	if err := e.login("ada@example.com", importedPassword); err != nil {
		t.Fatalf("second login: %v", err)
	}
	wantErr(t, e.login("ada@example.com", importedPassword+"!"), ErrInvalidCredentials)
	return stored
}

// wantUpgraded fails the test unless hash is what authkit writes today.
func wantUpgraded(t *testing.T, hash string) {
	t.Helper()
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("after the login the stored hash is %q, want authkit's argon2id", hash)
	}
}

func TestImportUser_VerifiesPHPBcryptAndUpgrades(t *testing.T) {
	t.Parallel()
	wantUpgraded(t, importAndLogIn(t, phpBcrypt(t, importedPassword)))
}

func TestImportUser_VerifiesDjangoPBKDF2AndUpgrades(t *testing.T) {
	t.Parallel()
	wantUpgraded(t, importAndLogIn(t, djangoImported))
}

func TestImportUser_VerifiesBetterAuthScryptAndUpgrades(t *testing.T) {
	t.Parallel()
	wantUpgraded(t, importAndLogIn(t, betterAuthImported))
}

// An argon2id hash weaker than authkit's is upgraded like a foreign one;
// one at least as strong, such as argon2-cffi's defaults (64 MiB, 3 passes,
// 4 threads), is kept.
func TestImportUser_VerifiesArgon2idAndUpgradesOnlyAWeakerOne(t *testing.T) {
	t.Parallel()
	t.Run("weaker", func(t *testing.T) {
		t.Parallel()
		wantUpgraded(t, importAndLogIn(t, argon2idPHC(importedPassword, 4096, 3, 1)))
	})
	t.Run("stronger", func(t *testing.T) {
		t.Parallel()
		strong := argon2idPHC(importedPassword, 65536, 3, 4)
		if got := importAndLogIn(t, strong); got != strong {
			t.Errorf("the stored hash changed to %q; want the stronger one kept", got)
		}
	})
}

func TestImportUser_RefusesAHashItCannotVerifyAndCreatesNoAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"the password itself", importedPassword},
		{"unsalted MD5", "5f4dcc3b5aa765d61d8327deb882cf99"},
		{"Django's pbkdf2_sha1", strings.Replace(djangoImported, "sha256", "sha1", 1)},
		{"Django's argon2", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{"a truncated Better Auth hash", betterAuthImported[:100]},
		{"argon2i", strings.Replace(argon2idPHC(importedPassword, 19456, 2, 1), "argon2id", "argon2i", 1)},
		// SEC-I7: parameters no real system uses, which would stall logins.
		{"pbkdf2_sha256 with a billion iterations", strings.Replace(djangoImported, "$1000000$", "$1000000000$", 1)},
		{"bcrypt with cost 31", "$2b$31$" + strings.Repeat("a", 53)},
		{"argon2id with 2 GiB and 100 passes", "$argon2id$v=19$m=2097152,t=100,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := e.kit.Admin().ImportUser(t.Context(), ImportedUser{Email: "ada@example.com", PasswordHash: tt.hash})

			wantErr(t, err, ErrUnsupportedHash)
			if tt.hash != "" && strings.Contains(err.Error(), tt.hash) {
				t.Errorf("the error %q quotes the hash", err)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("refusing took %v", elapsed)
			}
		})
	}
	_, err := e.kit.Admin().UserByEmail(t.Context(), "ada@example.com")
	wantErr(t, err, ErrUserNotFound)
}

// SEC-I1: imported addresses go through the rules registered ones do.
func TestImportUser_NormalisesTheEmailAndRefusesTakenOrInvalidOnes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.kit.Admin()
	e.user("bob@example.com")
	hash := phpBcrypt(t, importedPassword)

	id, err := admin.ImportUser(t.Context(), ImportedUser{Email: "  Ada@Example.com\n", PasswordHash: hash, Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := admin.User(t.Context(), id); err != nil || u.Email != "Ada@Example.com" {
		t.Errorf("stored email %q (%v), want it trimmed: Ada@Example.com", u.Email, err)
	}
	for _, taken := range []string{"ada@example.com", "BOB@example.com"} {
		_, err := admin.ImportUser(t.Context(), ImportedUser{Email: taken, PasswordHash: hash})
		wantErr(t, err, ErrEmailTaken)
	}
	for _, invalid := range []string{"", "not an email", "ada@example.com\x00", "Ada <ada@example.org>"} {
		_, err := admin.ImportUser(t.Context(), ImportedUser{Email: invalid, PasswordHash: hash})
		wantErr(t, err, ErrInvalidEmail)
	}
}

func TestImportUser_KeepsRolesVerificationAndRegistrationTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.kit.Admin()
	registered := time.Date(2019, 3, 14, 15, 9, 26, 0, time.UTC)

	id, err := admin.ImportUser(t.Context(), ImportedUser{
		Email: "ada@example.com", PasswordHash: djangoImported,
		Roles: []string{"admin", "support", "admin"}, CreatedAt: registered,
	})
	if err != nil {
		t.Fatal(err)
	}

	u, err := admin.User(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Roles, []string{"admin", "support"}) || u.Verified || !u.RegisteredAt.Equal(registered) {
		t.Errorf("imported as roles %v, verified %v, registered %v; want [admin support], false, %v",
			u.Roles, u.Verified, u.RegisteredAt, registered)
	}
	wantErr(t, e.login("ada@example.com", importedPassword), ErrEmailNotVerified)
	if n := len(e.mail.Messages()); n != 0 {
		t.Errorf("importing sent %d messages, want none", n)
	}
	entries, err := admin.AuditLog(t.Context(), id, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(a AuditEntry) bool { return a.Event == eventUserCreated && a.Detail == "imported" }) {
		t.Errorf("the audit log %+v has no entry for the import", entries)
	}

	_, err = admin.ImportUser(t.Context(), ImportedUser{Email: "bob@example.com", PasswordHash: djangoImported, Roles: []string{"has space"}})
	wantErr(t, err, ErrInvalidRole)
}

func TestImportUser_RegistersAtTheKitsNowWithoutACreationTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.Advance(-48 * time.Hour)

	id, err := e.kit.Admin().ImportUser(context.Background(), ImportedUser{Email: "ada@example.com", PasswordHash: djangoImported})
	if err != nil {
		t.Fatal(err)
	}

	u, err := e.kit.Admin().User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d := u.RegisteredAt.Sub(e.clock.Now()); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("registered at %v, want the Kit's now, %v", u.RegisteredAt, e.clock.Now())
	}
}
