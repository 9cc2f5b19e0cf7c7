package authkit

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/token"
)

func TestRegister_NewAccountLogsInOnlyAfterConfirmingEmail(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	var id int64
	var err error
	e.request(func(a *Auth) { id, err = a.Register("  new@example.com ", testPassword) })
	if err != nil || id == 0 {
		t.Fatalf("Register = %d, %v", id, err)
	}
	e.request(func(a *Auth) { err = a.Login("new@example.com", testPassword, false) })
	wantErr(t, err, ErrEmailNotVerified)

	tok := e.mailToken("new@example.com")
	e.request(func(a *Auth) { err = a.ConfirmEmail(tok) })
	if err != nil {
		t.Fatalf("ConfirmEmail: %v", err)
	}
	e.request(func(a *Auth) { err = a.ConfirmEmail(tok) })
	wantErr(t, err, ErrTokenInvalid) // single use
	e.request(func(a *Auth) { err = a.Login("NEW@example.com", testPassword, false) })
	if err != nil {
		t.Fatalf("Login after confirming: %v", err)
	}
}

func TestConfirmEmail_TokenIsASplitTokenStoredHashed(t *testing.T) { // SEC-T1
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("split@example.com", testPassword) })
	raw := e.mailToken("split@example.com")
	tok, err := token.Parse(raw)
	if err != nil {
		t.Fatalf("mailed token %q is not a split token: %v", raw, err)
	}
	if bits := len(tok.Validator) * 6; bits < 128 {
		t.Fatalf("validator has %d bits, want >= 128", bits)
	}
	var selector string
	var hash []byte
	if err := e.db.QueryRow(`SELECT selector, validator_hash FROM authkit_email_tokens`).Scan(&selector, &hash); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(tok.Validator))
	if selector != tok.Selector || string(hash) != string(want[:]) {
		t.Fatal("the row must hold the selector and only a SHA-256 of the validator")
	}
	var leaks int
	e.db.QueryRow(`SELECT count(*) FROM authkit_email_tokens WHERE encode(validator_hash, 'escape') LIKE '%' || $1 || '%'`, tok.Validator).Scan(&leaks)
	if leaks != 0 {
		t.Fatal("the validator is stored in clear")
	}
}

func TestConfirmEmail_OneTokenConfirmsOnceWhenRequestsRace(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("race@example.com", testPassword) })
	tok := e.mailToken("race@example.com")
	var ok, invalid atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			e.request(func(a *Auth) { err = a.ConfirmEmail(tok) })
			switch {
			case err == nil:
				ok.Add(1)
			case err == ErrTokenInvalid:
				invalid.Add(1)
			default:
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || invalid.Load() != 9 {
		t.Fatalf("ok=%d invalid=%d, want exactly one success", ok.Load(), invalid.Load())
	}
}

func TestConfirmEmail_RefusesATokenPastItsExpiry(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("late@example.com", testPassword) })
	tok := e.mailToken("late@example.com")
	e.clock.Advance(24*time.Hour + time.Second)
	var err error
	e.request(func(a *Auth) { err = a.ConfirmEmail(tok) })
	wantErr(t, err, ErrTokenExpired)
	u, _ := e.kit.Admin().UserByEmail(context.Background(), "late@example.com")
	if u.Verified {
		t.Fatal("an expired token confirmed the address")
	}
}

func TestConfirmEmail_RefusesGarbageTokens(t *testing.T) { // SEC-T1
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("garbage@example.com", testPassword) })
	real := e.mailToken("garbage@example.com")
	sel, _, _ := strings.Cut(real, ".")
	for _, tc := range []struct{ name, token string }{
		{"empty", ""},
		{"no separator", strings.Repeat("a", 65)},
		{"NUL bytes", "abc\x00def"},
		{"huge", strings.Repeat("x", 1<<20)},
		{"SQL injection", "' OR 1=1; --"},
		{"well-formed but unknown", token.NewSplit().String()},
		{"right selector, wrong validator", sel + "." + token.NewSplit().Validator},
		{"invalid UTF-8", "\xff\xfe.\xfd"},
	} {
		var err error
		e.request(func(a *Auth) { err = a.ConfirmEmail(tc.token) })
		if err != ErrTokenInvalid {
			t.Errorf("%s: error = %v, want ErrTokenInvalid", tc.name, err)
		}
	}
	// A wrong validator burned the token: even the real one is dead now.
	var err error
	e.request(func(a *Auth) { err = a.ConfirmEmail(real) })
	wantErr(t, err, ErrTokenInvalid)
}

func TestResendConfirmation_VoidsTheOlderLinkAndIgnoresUnknownAddresses(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("again@example.com", testPassword) })
	first := e.mailToken("again@example.com")
	var errKnown, errUnknown error
	e.request(func(a *Auth) {
		errKnown = a.ResendConfirmation("again@example.com")
		errUnknown = a.ResendConfirmation("nobody@example.com")
	})
	e.kit.mailWG.Wait()
	if errKnown != nil || errUnknown != nil {
		t.Fatalf("ResendConfirmation = %v, %v; want nil for both", errKnown, errUnknown)
	}
	second := e.mailToken("again@example.com")
	if second == first {
		t.Fatal("no new link was sent")
	}
	var err error
	e.request(func(a *Auth) { err = a.ConfirmEmail(first) })
	wantErr(t, err, ErrTokenInvalid)
	e.request(func(a *Auth) { err = a.ConfirmEmail(second) })
	if err != nil {
		t.Fatalf("new link: %v", err)
	}
	if _, ok := e.mail.Last("nobody@example.com"); ok {
		t.Fatal("mail was sent to an unknown address")
	}
}

func TestRegister_SameEmailRacingGivesOneAccountAndOneErrEmailTaken(t *testing.T) { // SEC-I1
	t.Parallel()
	e := newEnv(t)
	var ok, taken atomic.Int32
	var wg sync.WaitGroup
	for _, email := range []string{"twin@example.com", "TWIN@example.com"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			e.request(func(a *Auth) { _, err = a.Register(email, testPassword) })
			switch err {
			case nil:
				ok.Add(1)
			case ErrEmailTaken:
				taken.Add(1)
			default:
				t.Errorf("Register(%s) = %v", email, err)
			}
		}()
	}
	wg.Wait()
	var n int
	e.db.QueryRow(`SELECT count(*) FROM authkit_users`).Scan(&n)
	if ok.Load() != 1 || taken.Load() != 1 || n != 1 {
		t.Fatalf("ok=%d taken=%d accounts=%d; want 1, 1, 1", ok.Load(), taken.Load(), n)
	}
}

func TestRegister_ValidatesAndNormalisesEmail(t *testing.T) { // SEC-I1
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"  alice@example.com\t", "alice@example.com"},
		{"Bob.Smith+tag@Example.COM", "Bob.Smith+tag@Example.COM"},
		{"zoe\u0301@example.com", "zo\u00e9@example.com"}, // NFC
	} {
		got, err := normalizeEmail(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("normalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "   ", "plain", "@example.com", "a@", "a@b", "a@.com", "a@com.",
		"a b@example.com", "a@exa mple.com", "nul\x00@example.com", "\xff@example.com",
		"Alice <alice@example.com>", "a@example.com\r\nBcc: x@example.com",
		strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 250) + ".com",
	} {
		if _, err := normalizeEmail(bad); err != ErrInvalidEmail {
			t.Errorf("normalizeEmail(%q) = %v, want ErrInvalidEmail", bad, err)
		}
	}
}

func TestRegister_EmailIsUniqueCaseInsensitively(t *testing.T) { // SEC-I1
	t.Parallel()
	e := newEnv(t)
	e.user("carol@example.com")
	var err error
	e.request(func(a *Auth) { _, err = a.Register(" CAROL@Example.com", testPassword) })
	wantErr(t, err, ErrEmailTaken)
}

func TestRegister_InjectionStringsAreStoredAsPlainData(t *testing.T) { // SEC-I2
	t.Parallel()
	e := newEnv(t)
	email := `x'OR'1'='1'--@example.com` // apostrophes are legal in addresses
	password := `'; DELETE FROM authkit_users WHERE ''='`
	e.user("victim@example.com")
	e.request(func(a *Auth) {
		if _, err := a.Register(email, password); err != nil {
			t.Fatalf("Register: %v", err)
		}
	})
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM authkit_users`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("users = %d, %v; the injection strings must be plain data", n, err)
	}
	u, err := e.kit.Admin().UserByEmail(context.Background(), email)
	if err != nil || u.Email != email {
		t.Fatalf("stored email = %q, %v", u.Email, err)
	}
	e.request(func(a *Auth) { err = a.Login(`x'OR'1'='1'--@example.com`, "' OR ''='", false) })
	wantErr(t, err, ErrInvalidCredentials)
	e.request(func(a *Auth) { err = a.Login(email, password, false) })
	wantErr(t, err, ErrEmailNotVerified) // the right password, taken literally
}

func TestRegister_DisabledVerificationLogsInWithoutConfirming(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.DisableEmailVerification = true; c.Mailer = nil })
	var err error
	e.request(func(a *Auth) {
		if _, err = a.Register("quick@example.com", testPassword); err == nil {
			err = a.Login("quick@example.com", testPassword, false)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
