package authkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

// otherCode returns a six-digit code that is not code.
func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestConfirm_FiveWrongCodesVoidASentEnrolmentCode(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.CodeEntryPerUser = Limit{Burst: 100, Every: time.Second} })
	e.user("enrol-guess@example.com")
	d := loggedInDevice(t, e, "enrol-guess@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	right := sixDigits.FindString(lastMail(t, e, "enrol-guess@example.com"))
	for range 5 {
		_, err := confirm(d, twofactor.Email, otherCode(right))
		wantErr(t, err, ErrSecondFactorInvalid)
	}
	_, err := confirm(d, twofactor.Email, right)
	wantErr(t, err, ErrSecondFactorInvalid)
	var left int
	if err := e.db.Get(&left, `SELECT count(*) FROM authkit_otp_codes`); err != nil || left != 0 {
		t.Fatalf("%d codes left after five wrong ones (%v), want the sent code void", left, err)
	}
}

func TestConfirm_TwentyParallelGuessesAtAnEnrolmentCodeGetFiveTries(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.CodeEntryPerUser = Limit{Burst: 100, Every: time.Second} })
	e.user("enrol-flood@example.com")
	d := loggedInDevice(t, e, "enrol-flood@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	right := sixDigits.FindString(lastMail(t, e, "enrol-flood@example.com"))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			guess := fmt.Sprintf("%06d", i)
			if guess == right {
				guess = "999999"
			}
			_, err := confirm(d, twofactor.Email, guess)
			if !errors.Is(err, ErrSecondFactorInvalid) {
				t.Errorf("guess %s: %v", guess, err)
			}
		})
	}
	wg.Wait()
	if _, err := confirm(d, twofactor.Email, right); !errors.Is(err, ErrSecondFactorInvalid) {
		t.Fatalf("the right code after 20 parallel wrong ones = %v, want the code void", err)
	}
}

func TestConfirm_ThrottlesGuessesAtATOTPEnrolment(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.CodeEntryPerUser = Limit{Burst: 5, Every: time.Hour} })
	e.user("totp-guess@example.com")
	d := loggedInDevice(t, e, "totp-guess@example.com", "")
	var enrol *TOTPEnrollment
	if err := d.err(func(a *Auth) (err error) { enrol, err = a.TwoFactor().EnrollTOTP(); return err }); err != nil {
		t.Fatal(err)
	}
	// A session that is no longer fresh (a thief's, say) guesses on.
	e.clock.Advance(e.kit.cfg.ReauthenticationWindow + time.Minute)
	right := totpNow(t, e, enrol.Secret)
	var tm *TooManyRequestsError
	for i := range 300 {
		_, err := confirm(d, twofactor.TOTP, otherCode(right))
		if errors.As(err, &tm) {
			if i != 5 || tm.RetryAfter <= 0 {
				t.Fatalf("throttled at guess %d with RetryAfter %v, want at the sixth with a wait", i+1, tm.RetryAfter)
			}
			break
		}
		wantErr(t, err, ErrSecondFactorInvalid)
	}
	if tm == nil {
		t.Fatal("300 wrong TOTP codes at an enrolment were never throttled")
	}
	if _, err := confirm(d, twofactor.TOTP, right); !errors.As(err, &tm) {
		t.Fatalf("the right code while throttled = %v, want *TooManyRequestsError", err)
	}
}

func TestDisable_FromASessionThatIsNotFreshIsRefused(t *testing.T) { // SEC-F5
	t.Parallel()
	e := newEnv(t)
	e.user("stale@example.com")
	secret, _ := withTOTP(t, e, "stale@example.com")

	// A session whose password was entered long ago.
	d := loggedInDevice(t, e, "stale@example.com", secret)
	e.clock.Advance(e.kit.cfg.ReauthenticationWindow + time.Minute)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, testPassword) }), ErrReauthenticationRequired)

	// A session restored from a remember-me cookie.
	r := e.device()
	err := r.err(func(a *Auth) error { return a.Login("stale@example.com", testPassword, true) })
	if errors.As(err, new(*SecondFactorRequiredError)) {
		err = r.err(func(a *Auth) error {
			if err := a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)); err != nil {
				return err
			}
			return a.CompleteTwoFactorLogin()
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	delete(r.cookies, sessionCookieName(e)) // the browser restarts
	wantErr(t, r.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, testPassword) }), ErrReauthenticationRequired)

	if err := d.err(func(a *Auth) error { return a.Reauthenticate(testPassword) }); err != nil {
		t.Fatal(err)
	}
	if err := d.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, testPassword) }); err != nil {
		t.Fatalf("Disable after reauthenticating: %v", err)
	}
}

func TestChangeEmail_MovesTheEmailFactorSoLoginCodesGoToTheNewAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("old-box@example.com")
	d := loggedInDevice(t, e, "old-box@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	if _, err := confirm(d, twofactor.Email, sixDigits.FindString(lastMail(t, e, "old-box@example.com"))); err != nil {
		t.Fatal(err)
	}
	if err := d.err(func(a *Auth) error { return a.ChangeEmail("new-box@example.com") }); err != nil {
		t.Fatal(err)
	}
	tok := e.mailToken("new-box@example.com")
	if err := e.device().err(func(a *Auth) error { return a.ConfirmEmail(tok) }); err != nil {
		t.Fatal(err)
	}

	p, sf := startPendingWith(t, e, "new-box@example.com", testPassword)
	if len(sf.Methods) == 0 || sf.Methods[0].Contact != twofactor.MaskEmail("new-box@example.com") {
		t.Fatalf("methods = %+v, want the new address", sf.Methods)
	}
	before := len(e.mail.Messages())
	if err := p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }); err != nil {
		t.Fatal(err)
	}
	for _, m := range e.mail.Messages()[before:] {
		if m.Kind == MessageLoginCode && m.To != "new-box@example.com" {
			t.Fatalf("a login code went to %s after the address changed", m.To)
		}
	}
	if err := p.err(func(a *Auth) error {
		return a.TwoFactor().VerifyEmail(sixDigits.FindString(lastMail(t, e, "new-box@example.com")))
	}); err != nil {
		t.Fatalf("the code sent to the new address: %v", err)
	}
}

func TestEnableSMS_AConfirmRacingAChangeOfNumberCannotEnableANumberThatGotNoCode(t *testing.T) {
	t.Parallel()
	sms := NewDevSMS(nil)
	e, p := probedEnv(t, func(c *Config) { c.SMS = sms; c.QueryTimeout = time.Minute })
	e.user("racing-phone@example.com")
	d := loggedInDevice(t, e, "racing-phone@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+15550000001") }); err != nil {
		t.Fatal(err)
	}
	msg, _ := sms.Last("+15550000001")
	code := sixDigits.FindString(msg.Text)

	// The Confirm has checked the code sent to the first number and is
	// about to turn the factor on, when the number changes.
	finish := inBackground(t, p.HoldNext("UPDATE authkit_second_factors SET verified"), func() error {
		_, err := confirm(d, twofactor.SMS, code)
		return err
	})
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+15550000002") }); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err == nil {
		t.Fatal("a code sent to one number turned on another")
	}
	var verified bool
	if err := e.db.Get(&verified, `SELECT verified FROM authkit_second_factors WHERE contact = '+15550000002'`); err != nil || verified {
		t.Fatalf("the second number is verified=%v (%v); it never got a code that was entered", verified, err)
	}
	msg, _ = sms.Last("+15550000002")
	if _, err := confirm(d, twofactor.SMS, sixDigits.FindString(msg.Text)); err != nil {
		t.Fatalf("the second number's own code: %v", err)
	}
}

func TestEnrollTOTP_AConfirmRacingANewSecretCannotEnableTheNewOne(t *testing.T) {
	t.Parallel()
	e, p := probedEnv(t, func(c *Config) { c.QueryTimeout = time.Minute })
	e.user("racing-totp@example.com")
	d := loggedInDevice(t, e, "racing-totp@example.com", "")
	var first *TOTPEnrollment
	if err := d.err(func(a *Auth) (err error) { first, err = a.TwoFactor().EnrollTOTP(); return err }); err != nil {
		t.Fatal(err)
	}
	finish := inBackground(t, p.HoldNext("UPDATE authkit_second_factors SET verified"), func() error {
		_, err := confirm(d, twofactor.TOTP, totpNow(t, e, first.Secret))
		return err
	})
	if err := d.err(func(a *Auth) error { _, err := a.TwoFactor().EnrollTOTP(); return err }); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err == nil {
		t.Fatal("a code of the first secret turned on the second")
	}
}

func TestLoginCodes_AreKeyedByASecretOutsideTheDatabase(t *testing.T) { // SEC-F3
	t.Parallel()
	for name, key := range map[string][]byte{"with an EncryptionKey": bytes.Repeat([]byte{3}, 32), "without one": nil} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.EncryptionKey = key })
			e.user("keyed@example.com")
			d := loggedInDevice(t, e, "keyed@example.com", "")
			if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
				t.Fatal(err)
			}
			confirm(d, twofactor.Email, sixDigits.FindString(lastMail(t, e, "keyed@example.com")))
			p, _ := startPending(t, e, "keyed@example.com", false)
			if err := p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }); err != nil {
				t.Fatal(err)
			}
			code := sixDigits.FindString(lastMail(t, e, "keyed@example.com"))

			// Whoever reads the table has the hash and its binding: try
			// every six-digit code as the old scheme would let them.
			var row struct {
				Binding string `db:"binding"`
				Hash    []byte `db:"code_hash"`
				Scheme  string `db:"scheme"`
			}
			if err := e.db.Get(&row, `SELECT binding, code_hash, scheme FROM authkit_otp_codes`); err != nil {
				t.Fatal(err)
			}
			if row.Scheme == codeSchemeSHA256 {
				t.Fatal("the code is stored under the SHA-256 keyed by its binding")
			}
			if bytes.Equal(row.Hash, twofactor.HashCode(row.Binding, code)) {
				t.Fatal("the stored hash is the SHA-256 of the code and its binding")
			}
			for i := range 1000000 {
				if bytes.Equal(row.Hash, twofactor.HashCode(row.Binding, fmt.Sprintf("%06d", i))) {
					t.Fatalf("the code was inverted from the database alone: %06d", i)
				}
			}
			if err := p.err(func(a *Auth) error { return a.TwoFactor().VerifyEmail(code) }); err != nil {
				t.Fatalf("the code itself: %v", err)
			}
		})
	}
}

func TestLoginCodes_WithoutAnEncryptionKeyEachGuessCostsAnArgon2idHash(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t)
	e.user("slow-codes@example.com")
	d := loggedInDevice(t, e, "slow-codes@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	var salt []byte
	var hash []byte
	var binding string
	if err := e.db.QueryRow(`SELECT salt, code_hash, binding FROM authkit_otp_codes`).Scan(&salt, &hash, &binding); err != nil {
		t.Fatal(err)
	}
	if len(salt) < 16 {
		t.Fatalf("salt of %d bytes", len(salt))
	}
	code := sixDigits.FindString(lastMail(t, e, "slow-codes@example.com"))
	key, err := e.kit.hasher.Key(context.Background(), codeSecret(binding, code), salt)
	if err != nil || !bytes.Equal(key, hash) {
		t.Fatalf("the stored hash is not the argon2id key of the code under its salt (%v)", err)
	}
}
