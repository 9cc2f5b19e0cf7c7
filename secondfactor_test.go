package authkit

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// withTOTP gives the user (logged in on a fresh device) a confirmed TOTP
// factor and returns its secret and backup codes. The clock then moves on
// a step so that the next TOTP code is a new one.
func withTOTP(t *testing.T, e *env, email string) (string, []string) {
	t.Helper()
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.Login(email, testPassword, false) }); err != nil {
		t.Fatal(err)
	}
	var enrol *TOTPEnrollment
	var codes []string
	if err := d.err(func(a *Auth) (err error) { enrol, err = a.TwoFactor().EnrollTOTP(); return err }); err != nil {
		t.Fatal(err)
	}
	code, _ := twofactor.TOTPCode(enrol.Secret, e.clock.Now())
	if err := d.err(func(a *Auth) (err error) { codes, err = a.TwoFactor().Confirm(twofactor.TOTP, code); return err }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	return enrol.Secret, codes
}

// pendingLogin logs in on a new device up to the second factor.
func startPending(t *testing.T, e *env, email string, remember bool) (*device, *SecondFactorRequiredError) {
	t.Helper()
	d := e.device()
	err := d.err(func(a *Auth) error { return a.Login(email, testPassword, remember) })
	var sf *SecondFactorRequiredError
	if !errors.As(err, &sf) {
		t.Fatalf("Login = %v, want *SecondFactorRequiredError", err)
	}
	return d, sf
}

func totpNow(t *testing.T, e *env, secret string) string {
	code, err := twofactor.TOTPCode(secret, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestLogin_WithASecondFactorStartsNoSessionAndListsMaskedMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("john@example.com")
	withTOTP(t, e, "john@example.com")
	d, sf := startPending(t, e, "john@example.com", false)
	got := map[twofactor.Method]string{}
	for _, m := range sf.Methods {
		got[m.Method] = m.Contact
	}
	if _, ok := got[twofactor.TOTP]; !ok || len(got) != 2 {
		t.Fatalf("methods = %+v, want TOTP and backup codes", sf.Methods)
	}
	d.do(func(a *Auth) {
		if a.IsLoggedIn() || !a.AwaitingSecondFactor() || a.UserID() != 0 {
			t.Fatal("a pending login must not count as logged in")
		}
	})
	if code, _ := e.withCookie(d.cookies[sessionCookieName(e)]).get("/me"); code != 401 {
		t.Fatalf("protected page answered %d during a pending login", code)
	}
}

func TestCompleteTwoFactorLogin_FailsRightAfterLoginWithoutAVerify(t *testing.T) { // SEC-F1
	t.Parallel()
	e := newEnv(t)
	e.user("noverify@example.com")
	withTOTP(t, e, "noverify@example.com")
	d, _ := startPending(t, e, "noverify@example.com", false)
	wantErr(t, d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorNotVerified)
	if d.userID() != 0 {
		t.Fatal("CompleteTwoFactorLogin logged the user in without a verified factor")
	}
	// A wrong code does not help either.
	d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP("000000") })
	wantErr(t, d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorNotVerified)
}

func TestCompleteTwoFactorLogin_StartsTheSessionUnderANewToken(t *testing.T) { // SEC-F1 SEC-S2
	t.Parallel()
	e := newEnv(t)
	id := e.user("complete@example.com")
	secret, _ := withTOTP(t, e, "complete@example.com")
	d, _ := startPending(t, e, "complete@example.com", true)
	pendingCookie := d.cookies[sessionCookieName(e)]
	if err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) }); err != nil {
		t.Fatal(err)
	}
	if err := d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }); err != nil {
		t.Fatal(err)
	}
	if d.userID() != id {
		t.Fatal("not logged in after completing")
	}
	if d.cookies[sessionCookieName(e)].Value == pendingCookie.Value {
		t.Fatal("the session token was not renewed")
	}
	if e.withCookie(pendingCookie).userID() != 0 {
		t.Fatal("the pending login's token is logged in")
	}
	if d.cookies[rememberCookie] == nil {
		t.Fatal("remember chosen at login did not survive the second factor")
	}
	wantErr(t, d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrNoPendingLogin)
}

func TestSecondFactor_ACodeFromAnEarlierAttemptFailsInANewOne(t *testing.T) { // SEC-F1 SEC-F3
	t.Parallel()
	e := newEnv(t)
	e.user("attempts@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("attempts@example.com", testPassword, false) })
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	code := sixDigits.FindString(lastMail(t, e, "attempts@example.com"))
	if _, err := confirm(d, twofactor.Email, code); err != nil {
		t.Fatal(err)
	}
	first, _ := startPending(t, e, "attempts@example.com", false)
	if err := first.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }); err != nil {
		t.Fatal(err)
	}
	old := sixDigits.FindString(lastMail(t, e, "attempts@example.com"))
	second, _ := startPending(t, e, "attempts@example.com", false)
	wantErr(t, second.err(func(a *Auth) error { return a.TwoFactor().VerifyEmail(old) }), ErrSecondFactorInvalid)
	wantErr(t, second.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorNotVerified)
}

func confirm(d *device, m twofactor.Method, code string) (codes []string, err error) {
	d.do(func(a *Auth) { codes, err = a.TwoFactor().Confirm(m, code) })
	return codes, err
}

func lastMail(t *testing.T, e *env, to string) string {
	t.Helper()
	msg, ok := e.mail.Last(to)
	if !ok {
		t.Fatalf("no mail to %s", to)
	}
	return msg.Text
}

func TestVerifyTOTP_TheSameCodeTwiceInOneStepIsRefused(t *testing.T) { // SEC-F2
	t.Parallel()
	e := newEnv(t)
	e.user("replay2fa@example.com")
	secret, _ := withTOTP(t, e, "replay2fa@example.com")
	code := totpNow(t, e, secret)
	d1, _ := startPending(t, e, "replay2fa@example.com", false)
	if err := d1.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(code) }); err != nil {
		t.Fatal(err)
	}
	d2, _ := startPending(t, e, "replay2fa@example.com", false)
	wantErr(t, d2.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(code) }), ErrSecondFactorInvalid)
	// The previous step's code is older than the accepted one: refused too.
	prev, _ := twofactor.TOTPCode(secret, e.clock.Now().Add(-30*time.Second))
	wantErr(t, d2.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(prev) }), ErrSecondFactorInvalid)
}

func TestVerifyTOTP_AllowsOneStepOfSkewButNotTwo(t *testing.T) { // SEC-F2
	t.Parallel()
	e := newEnv(t)
	e.user("skew@example.com")
	secret, _ := withTOTP(t, e, "skew@example.com")
	e.clock.Advance(5 * time.Minute)
	d, _ := startPending(t, e, "skew@example.com", false)
	twoAhead, _ := twofactor.TOTPCode(secret, e.clock.Now().Add(60*time.Second))
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(twoAhead) }), ErrSecondFactorInvalid)
	oneBehind, _ := twofactor.TOTPCode(secret, e.clock.Now().Add(-30*time.Second))
	if err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(oneBehind) }); err != nil {
		t.Fatalf("a code one step old must pass: %v", err)
	}
}

func TestVerifyBackupCode_TwentyGoroutinesSpendingOneCodeSucceedOnce(t *testing.T) { // SEC-F4
	t.Parallel()
	e := newEnv(t)
	e.user("backup@example.com")
	_, codes := withTOTP(t, e, "backup@example.com")
	var devices []*device
	for range 20 {
		d, _ := startPending(t, e, "backup@example.com", false)
		devices = append(devices, d)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for _, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(codes[0]) })
			if err == nil {
				ok.Add(1)
			} else if !errors.Is(err, ErrSecondFactorInvalid) {
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d goroutines spent one backup code, want exactly 1", ok.Load())
	}
}

func TestBackupCodes_AreTenOfAtLeast40BitsStoredHashedAndUsedOnce(t *testing.T) { // SEC-F4
	t.Parallel()
	e := newEnv(t)
	id := e.user("codes@example.com")
	_, codes := withTOTP(t, e, "codes@example.com")
	if len(codes) < 10 {
		t.Fatalf("%d backup codes, want at least 10", len(codes))
	}
	for _, c := range codes {
		if bits := 5 * len(strings.ReplaceAll(c, "-", "")); bits < 40 {
			t.Fatalf("code %q has %d bits", c, bits)
		}
		var n int
		e.db.QueryRow(`SELECT count(*) FROM authkit_backup_codes WHERE position($1::bytea in code_hash) > 0`, []byte(c)).Scan(&n)
		if n != 0 {
			t.Fatal("a backup code is stored in clear")
		}
	}
	// 50-bit codes need a slow, salted hash (NIST SP 800-63B): argon2id
	// keys under a random per-set salt.
	var hashLen, saltLen, salts int
	e.db.QueryRow(`SELECT min(length(code_hash)), min(length(salt)), count(DISTINCT salt) FROM authkit_backup_codes`).Scan(&hashLen, &saltLen, &salts)
	if hashLen != 32 || saltLen != 16 || salts != 1 {
		t.Fatalf("hash %d bytes, salt %d bytes, %d salts; want argon2id keys under one 16-byte salt", hashLen, saltLen, salts)
	}
	d, _ := startPending(t, e, "codes@example.com", false)
	if err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(strings.ToUpper(codes[1])) }); err != nil {
		t.Fatalf("an upper-case backup code must work: %v", err)
	}
	d2, _ := startPending(t, e, "codes@example.com", false)
	wantErr(t, d2.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(codes[1]) }), ErrSecondFactorInvalid)
	var left int
	e.db.QueryRow(`SELECT count(*) FROM authkit_backup_codes WHERE user_id = $1`, id).Scan(&left)
	if left != len(codes)-1 {
		t.Fatalf("%d codes left, want %d", left, len(codes)-1)
	}
}

func TestRegenerateBackupCodes_VoidsTheOldSet(t *testing.T) { // SEC-F4
	t.Parallel()
	e := newEnv(t)
	e.user("regen@example.com")
	_, old := withTOTP(t, e, "regen@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("regen@example.com", testPassword, false) }) // pending
	var fresh []string
	d2 := e.device()
	d2.err(func(a *Auth) error { return a.Login("regen@example.com", testPassword, false) })
	if err := d2.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(old[0]) }); err != nil {
		t.Fatal(err)
	}
	d2.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
	if err := d2.err(func(a *Auth) (err error) { fresh, err = a.TwoFactor().RegenerateBackupCodes(); return err }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(old[1]) }), ErrSecondFactorInvalid)
	if err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(fresh[0]) }); err != nil {
		t.Fatalf("a new backup code failed: %v", err)
	}
}

func TestVerifyEmail_ACodeOlderThanTenMinutesFails(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.TwoFactorTimeout = time.Hour })
	e.user("slow@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("slow@example.com", testPassword, false) })
	d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() })
	confirm(d, twofactor.Email, sixDigits.FindString(lastMail(t, e, "slow@example.com")))

	p, _ := startPending(t, e, "slow@example.com", false)
	if err := p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }); err != nil {
		t.Fatal(err)
	}
	text := lastMail(t, e, "slow@example.com")
	code := sixDigits.FindString(text)
	if len(code) != 6 {
		t.Fatalf("mail %q carries no 6-digit code", text)
	}
	var stored int
	e.db.QueryRow(`SELECT count(*) FROM authkit_otp_codes WHERE position($1::bytea in code_hash) > 0`, []byte(code)).Scan(&stored)
	if stored != 0 {
		t.Fatal("an email code is stored in clear")
	}
	e.clock.Advance(10*time.Minute + time.Second)
	wantErr(t, p.err(func(a *Auth) error { return a.TwoFactor().VerifyEmail(code) }), ErrSecondFactorInvalid)
}

func TestSecondFactor_FiveWrongCodesVoidThePendingLogin(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t)
	e.user("guess@example.com")
	secret, _ := withTOTP(t, e, "guess@example.com")
	d, _ := startPending(t, e, "guess@example.com", false)
	right := totpNow(t, e, secret)
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	for i := 1; i <= 4; i++ {
		wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(wrong) }), ErrSecondFactorInvalid)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(wrong) }), ErrTooManyWrongCodes)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(right) }), ErrNoPendingLogin)
	wantErr(t, d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrNoPendingLogin)
}

func TestSecondFactor_ParallelGuessesShareTheFiveTries(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t)
	e.user("parallel@example.com")
	withTOTP(t, e, "parallel@example.com")
	d, _ := startPending(t, e, "parallel@example.com", false)
	var wg sync.WaitGroup
	var invalid atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP("99999" + string(rune('0'+i%10))) })
			if errors.Is(err, ErrSecondFactorInvalid) {
				invalid.Add(1)
			}
		}()
	}
	wg.Wait()
	if invalid.Load() > 4 {
		t.Fatalf("%d wrong codes were refused as merely invalid, want at most 4 before the login is void", invalid.Load())
	}
	var checked int
	e.kit.flushAudit(context.Background())
	e.db.QueryRow(`SELECT count(*) FROM authkit_audit WHERE event = 'second_factor' AND outcome = 'failed'`).Scan(&checked)
	if checked > maxCodeFailures {
		t.Fatalf("%d codes were checked for one pending login, want at most %d", checked, maxCodeFailures)
	}
}

func TestSecondFactor_MalformedCodesAreRefusedCleanly(t *testing.T) { // SEC-F6
	t.Parallel()
	e := newEnv(t)
	e.user("malformed@example.com")
	withTOTP(t, e, "malformed@example.com")
	d, _ := startPending(t, e, "malformed@example.com", false)
	malformed := []string{"", "      ", "abcdef", "12345", "1234567", "１２３４５６", "12 34 56", "123\x00456",
		"\xff\xfe\xfd\xfc\xfb\xfa", "٠١٢٣٤٥", strings.Repeat("9", 10000), "' OR 1=1 --"}
	verifiers := map[string]func(tf *TwoFactor, c string) error{
		"TOTP": (*TwoFactor).VerifyTOTP, "email": (*TwoFactor).VerifyEmail, "SMS": (*TwoFactor).VerifySMS,
		"OTP": (*TwoFactor).VerifyOTP, "backup": (*TwoFactor).VerifyBackupCode,
	}
	for name, verify := range verifiers {
		for _, code := range malformed {
			err := d.err(func(a *Auth) error { return verify(a.TwoFactor(), code) })
			if !errors.Is(err, ErrSecondFactorInvalid) {
				t.Errorf("%s(%.12q) = %v, want ErrSecondFactorInvalid", name, code, err)
			}
		}
	}
	// Malformed input cannot be right, so it cost no tries.
	d.do(func(a *Auth) {
		if !a.AwaitingSecondFactor() {
			t.Fatal("malformed codes voided the pending login")
		}
	})
}

func TestSecondFactor_ThePendingLoginExpires(t *testing.T) { // SEC-F1
	t.Parallel()
	e := newEnv(t)
	e.user("late2fa@example.com")
	secret, _ := withTOTP(t, e, "late2fa@example.com")
	d, _ := startPending(t, e, "late2fa@example.com", false)
	e.clock.Advance(5*time.Minute + time.Second)
	err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
	wantErr(t, err, ErrSecondFactorExpired)
	if d.userID() != 0 {
		t.Fatal("logged in after the pending login expired")
	}
}

func TestSendCode_ResendingIsThrottled(t *testing.T) { // SEC-F3
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.TwoFactorTimeout = time.Hour })
	e.user("resend@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("resend@example.com", testPassword, false) })
	d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() })
	confirm(d, twofactor.Email, sixDigits.FindString(lastMail(t, e, "resend@example.com")))
	p, _ := startPending(t, e, "resend@example.com", false)
	send := func() error { return p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }) }
	if err := send(); err != nil {
		t.Fatal(err)
	}
	var tm *TooManyRequestsError
	if err := send(); !errors.As(err, &tm) || tm.RetryAfter <= 0 || tm.RetryAfter > 30*time.Second {
		t.Fatalf("an immediate resend = %v, want *TooManyRequestsError with RetryAfter <= 30s", err)
	}
	for range 4 {
		e.clock.Advance(31 * time.Second)
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(31 * time.Second)
	if err := send(); !errors.As(err, &tm) {
		t.Fatalf("a sixth code for one login = %v, want *TooManyRequestsError", err)
	}
}

func TestTOTPSecret_IsEncryptedAtRestWhenAKeyIsSet(t *testing.T) { // SEC-F5
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	e := newEnv(t, func(c *Config) { c.EncryptionKey = key })
	e.user("sealed@example.com")
	secret, _ := withTOTP(t, e, "sealed@example.com")
	var stored []byte
	var encrypted bool
	e.db.QueryRow(`SELECT secret, encrypted FROM authkit_second_factors`).Scan(&stored, &encrypted)
	if !encrypted || bytes.Contains(stored, []byte(secret)) {
		t.Fatal("the TOTP secret is stored in clear")
	}
	d, _ := startPending(t, e, "sealed@example.com", false)
	if err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) }); err != nil {
		t.Fatalf("the sealed secret does not verify: %v", err)
	}
}

func TestEnrollTOTP_NeedsAFreshPasswordCheck(t *testing.T) { // SEC-F5 SEC-S7
	t.Parallel()
	e := newEnv(t)
	e.user("stale@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("stale@example.com", testPassword, true) })
	e.clock.Advance(11 * time.Minute)
	enrol := func() error { return d.err(func(a *Auth) error { _, err := a.TwoFactor().EnrollTOTP(); return err }) }
	wantErr(t, enrol(), ErrReauthenticationRequired)
	wantErr(t, d.err(func(a *Auth) error { return a.Reauthenticate("wrong password") }), ErrInvalidCredentials)
	before := d.cookies[sessionCookieName(e)].Value
	if err := d.err(func(a *Auth) error { return a.Reauthenticate(testPassword) }); err != nil {
		t.Fatal(err)
	}
	if d.cookies[sessionCookieName(e)].Value == before {
		t.Fatal("Reauthenticate kept the session token") // SEC-S2
	}
	if err := enrol(); err != nil {
		t.Fatalf("after reauthenticating: %v", err)
	}
	// A session restored from the remember-me cookie is never fresh.
	delete(d.cookies, sessionCookieName(e))
	wantErr(t, enrol(), ErrReauthenticationRequired)
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }), ErrReauthenticationRequired)
}

func TestDisable_NeedsThePasswordAndTheLastFactorTakesTheBackupCodes(t *testing.T) { // SEC-F5
	t.Parallel()
	e := newEnv(t)
	id := e.user("disable@example.com")
	_, codes := withTOTP(t, e, "disable@example.com")
	d, _ := startPending(t, e, "disable@example.com", false)
	d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(codes[0]) })
	d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, "wrong password") }), ErrInvalidCredentials)
	if err := d.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, testPassword) }); err != nil {
		t.Fatal(err)
	}
	var n int
	e.db.QueryRow(`SELECT count(*) FROM authkit_backup_codes WHERE user_id = $1`, id).Scan(&n)
	if n != 0 {
		t.Fatal("backup codes survived the last factor")
	}
	if err := e.device().err(func(a *Auth) error { return a.Login("disable@example.com", testPassword, false) }); err != nil {
		t.Fatalf("login after disabling the last factor = %v, want a plain login", err)
	}
}

func TestSMSCodes_EnableThenLogInWithVerifyOTP(t *testing.T) {
	t.Parallel()
	sms := NewDevSMS(nil)
	e := newEnv(t, func(c *Config) { c.SMS = sms })
	id := e.user("sms@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("sms@example.com", testPassword, false) })
	wantErr(t, d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("555-1234") }), ErrInvalidPhone)
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+1 (555) 123-4567") }); err != nil {
		t.Fatal(err)
	}
	msg, _ := sms.Last("+15551234567")
	if _, err := confirm(d, twofactor.SMS, sixDigits.FindString(msg.Text)); err != nil {
		t.Fatal(err)
	}
	p, sf := startPending(t, e, "sms@example.com", false)
	if len(sf.Methods) == 0 || sf.Methods[0].Contact != "+1 *** *** 4567" {
		t.Fatalf("methods = %+v, want a masked phone number", sf.Methods)
	}
	if err := p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.SMS) }); err != nil {
		t.Fatal(err)
	}
	msg, _ = sms.Last("+15551234567")
	if err := p.err(func(a *Auth) error { return a.TwoFactor().VerifyOTP(sixDigits.FindString(msg.Text)) }); err != nil {
		t.Fatal(err)
	}
	p.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
	if p.userID() != id {
		t.Fatal("not logged in after an SMS code")
	}
}

func TestSecondFactor_CodesNeverAppearInErrorsOrLogs(t *testing.T) { // SEC-F7
	t.Parallel()
	sms := NewDevSMS(nil)
	e := newEnv(t, func(c *Config) { c.SMS = sms; c.TwoFactorTimeout = time.Hour })
	e.user("secret@example.com")
	secret, backup := withTOTP(t, e, "secret@example.com")
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	d := e.device()
	collect(d.err(func(a *Auth) error { return a.Login("secret@example.com", testPassword, false) }))
	collect(d.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.Email) }))
	code := totpNow(t, e, secret)
	for _, c := range []string{"123456", code, backup[0] + "x", backup[1]} {
		collect(d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(c) }))
		collect(d.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(c) }))
	}
	collect(d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }))
	logs := e.logs.String()
	for _, c := range append([]string{secret, code, "123456"}, backup...) {
		if strings.Contains(logs, c) {
			t.Errorf("a code or secret appears in the log")
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), c) {
				t.Errorf("error %q contains a code", err)
			}
		}
	}
	var sf *SecondFactorRequiredError
	if !errors.As(errs[0], &sf) {
		t.Fatalf("first error = %v", errs[0])
	}
	for _, m := range sf.Methods {
		if strings.ContainsAny(m.Contact, "0123456789") && m.Method != twofactor.SMS {
			t.Errorf("method %v carries digits: %q", m.Method, m.Contact)
		}
	}
}

func TestRemember_RestoresATwoFactorUserWithoutAskingForACode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("trusted@example.com")
	secret, _ := withTOTP(t, e, "trusted@example.com")
	d, _ := startPending(t, e, "trusted@example.com", true)
	d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
	d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
	delete(d.cookies, sessionCookieName(e)) // the browser restarts
	if d.userID() != id {
		t.Fatal("a remembered 2FA device was asked for a code again")
	}
}

func TestAdminSetStatus_DuringAPendingLoginVoidsIt(t *testing.T) { // SEC-S10
	t.Parallel()
	e := newEnv(t)
	id := e.user("midway@example.com")
	secret, _ := withTOTP(t, e, "midway@example.com")
	d, _ := startPending(t, e, "midway@example.com", false)
	d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
	e.kit.Admin().SetStatus(context.Background(), id, StatusBanned)
	wantErr(t, d.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorExpired)
	if d.userID() != 0 {
		t.Fatal("a banned user finished the login")
	}
}

func TestTwoFactor_FullFlowOverHTTP(t *testing.T) { // SEC-F1
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	email := "flow@example.com"
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v[kv[i]] = []string{kv[i+1]}
		}
		return v
	}
	must := func(step, path string, f url.Values) string {
		t.Helper()
		code, body := b.post(path, f)
		if code != 200 {
			t.Fatalf("%s: %d %s", step, code, body)
		}
		return body
	}
	must("register", "/register", form("email", email, "password", testPassword))
	must("confirm", "/confirm", form("token", e.mailToken(email)))
	must("login", "/login", form("email", email, "password", testPassword))
	secret := must("enroll", "/2fa/enroll", nil)
	code, _ := twofactor.TOTPCode(secret, e.clock.Now())
	must("confirm TOTP", "/2fa/confirm", form("code", code))
	must("logout", "/logout", nil)

	e.clock.Advance(30 * time.Second)
	status, body := b.post("/login", form("email", email, "password", testPassword))
	if status != 400 || !strings.Contains(body, "second factor required") {
		t.Fatalf("login with 2FA: %d %s", status, body)
	}
	if status, _ := b.get("/me"); status != 401 {
		t.Fatalf("protected page during the pending login: %d", status)
	}
	code, _ = twofactor.TOTPCode(secret, e.clock.Now())
	must("verify", "/2fa/verify", form("code", code))
	must("complete", "/2fa/complete", nil)
	if status, body := b.get("/me"); status != 200 || !strings.Contains(body, email) {
		t.Fatalf("protected page after completing: %d %s", status, body)
	}
}

func TestTwoFactor_PendingMethodsAndVerifyByMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("picker@example.com")
	secret, _ := withTOTP(t, e, "picker@example.com")
	d, _ := startPending(t, e, "picker@example.com", false)
	var methods []SecondFactor
	if err := d.err(func(a *Auth) (err error) { methods, err = a.TwoFactor().PendingMethods(); return err }); err != nil {
		t.Fatal(err)
	}
	if len(methods) != 2 || methods[0].Method != twofactor.TOTP || methods[1].Method != twofactor.BackupCode {
		t.Fatalf("PendingMethods = %+v", methods)
	}
	if err := d.err(func(a *Auth) error { return a.TwoFactor().Verify(twofactor.TOTP, totpNow(t, e, secret)) }); err != nil {
		t.Fatal(err)
	}
	_, err := e.device().TwoFactorMethods()
	wantErr(t, err, ErrNoPendingLogin)
}

func (d *device) TwoFactorMethods() (methods []SecondFactor, err error) {
	d.do(func(a *Auth) { methods, err = a.TwoFactor().PendingMethods() })
	return methods, err
}
