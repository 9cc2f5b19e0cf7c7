package authkit

import (
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

// loginLinkToken asks for a login link to email and returns its token.
func loginLinkToken(t testing.TB, e *env, email string) string {
	t.Helper()
	if err := e.device().err(func(a *Auth) error { return a.SendLoginLink(email, "") }); err != nil {
		t.Fatal(err)
	}
	return e.mailToken(email)
}

func TestLoginWithLink_LogsTheUserInAndMarksTheMailVerified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("link@example.com")
	if _, err := e.db.Exec(`UPDATE authkit_users SET verified = false WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	tok := loginLinkToken(t, e, "link@example.com")
	msg, _ := e.mail.Last("link@example.com")
	if msg.Kind != MessageLoginLink {
		t.Fatalf("kind %q, want %q", msg.Kind, MessageLoginLink)
	}
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.LoginWithLink(tok) }); err != nil {
		t.Fatal(err)
	}
	if d.userID() != id {
		t.Fatal("the link did not log the user in")
	}
	var verified bool
	if err := e.db.Get(&verified, `SELECT verified FROM authkit_users WHERE id = $1`, id); err != nil || !verified {
		t.Fatalf("verified = %v (%v), want the link to prove the mailbox", verified, err)
	}
	var rows int
	if err := e.db.Get(&rows, `SELECT count(*) FROM authkit_audit WHERE user_id = $1 AND event = 'login' AND outcome = 'ok' AND detail = 'link'`, id); err != nil || rows != 1 {
		t.Fatalf("%d audit rows for the link login (%v), want 1", rows, err)
	}
	if err := e.db.Get(&rows, `SELECT count(*) FROM authkit_audit WHERE user_id = $1 AND event = 'login_link' AND outcome = 'ok'`, id); err != nil || rows != 1 {
		t.Fatalf("%d audit rows for the sent link (%v), want 1", rows, err)
	}
}

func TestLoginWithLink_TwentyRacingRequestsStartExactlyOneSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.TokensPerIP = Limit{Burst: 100, Every: time.Second} })
	e.user("race-link@example.com")
	tok := loginLinkToken(t, e, "race-link@example.com")
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := e.device().err(func(a *Auth) error { return a.LoginWithLink(tok) })
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, ErrTokenInvalid):
				t.Errorf("racing LoginWithLink: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d sessions from one link, want exactly 1", ok.Load())
	}
}

func TestLoginWithLink_FailsAfterFifteenMinutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("late-link@example.com")
	tok := loginLinkToken(t, e, "late-link@example.com")
	e.clock.Advance(LoginLinkExpiry + time.Second)
	wantErr(t, e.device().err(func(a *Auth) error { return a.LoginWithLink(tok) }), ErrTokenExpired)
}

func TestSendLoginLink_ANewLinkVoidsTheOlderOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("two-links@example.com")
	old := loginLinkToken(t, e, "two-links@example.com")
	fresh := loginLinkToken(t, e, "two-links@example.com")
	wantErr(t, e.device().err(func(a *Auth) error { return a.LoginWithLink(old) }), ErrTokenInvalid)
	if err := e.device().err(func(a *Auth) error { return a.LoginWithLink(fresh) }); err != nil {
		t.Fatal(err)
	}
}

func TestLoginWithLink_GarbageTokensAreRefusedCleanly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.TokensPerIP = Limit{Burst: 100, Every: time.Second} })
	for _, tok := range []string{"", "x", "a.b", "\x00\x00", string(make([]byte, 1<<16))} {
		wantErr(t, e.device().err(func(a *Auth) error { return a.LoginWithLink(tok) }), ErrTokenInvalid)
	}
}

func TestSendLoginLink_UnknownAddressGetsTheSameAnswerAndNoMail(t *testing.T) { // SEC-E2
	t.Parallel()
	e := newEnv(t)
	e.user("known@example.com")
	known := e.device().err(func(a *Auth) error { return a.SendLoginLink("known@example.com", "") })
	unknown := e.device().err(func(a *Auth) error { return a.SendLoginLink("nobody@example.com", "") })
	if known != nil || unknown != nil {
		t.Fatalf("known: %v, unknown: %v, want nil for both", known, unknown)
	}
	e.kit.mailWG.Wait()
	if _, ok := e.mail.Last("nobody@example.com"); ok {
		t.Fatal("a login link went to an address without an account")
	}
}

func TestSendLoginLink_IsThrottledPerAddress(t *testing.T) { // SEC-E5
	t.Parallel()
	e := newEnv(t)
	e.user("flooded@example.com")
	var err error
	for range 50 {
		if err = e.device().err(func(a *Auth) error { return a.SendLoginLink("flooded@example.com", "") }); err != nil {
			break
		}
	}
	if !errors.As(err, new(*TooManyRequestsError)) {
		t.Fatalf("50 links to one address: %v, want *TooManyRequestsError", err)
	}
}

func TestSendLoginLink_NextMustBeALocalPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("next@example.com")
	for _, next := range []string{"//evil.example", "/\\evil.example", "https://evil.example", "/%2F%2Fevil.example",
		"/%252F%252Fevil.example", "/%5Cevil.example", "/a\x00b", "/a\nb", "evil", "javascript:alert(1)"} {
		err := e.device().err(func(a *Auth) error { return a.SendLoginLink("next@example.com", next) })
		wantErr(t, err, ErrInvalidNext)
	}
	if err := e.device().err(func(a *Auth) error { return a.SendLoginLink("next@example.com", "/settings?tab=2") }); err != nil {
		t.Fatal(err)
	}
	e.kit.mailWG.Wait()
	msg, _ := e.mail.Last("next@example.com")
	u, err := url.Parse(msg.Link)
	if err != nil || u.Query().Get("next") != "/settings?tab=2" || u.Path != "/login/link" {
		t.Fatalf("link %q, want /login/link with next=/settings?tab=2", msg.Link)
	}
}

func TestLoginWithLink_ATOTPUserStillGetsTheSecondStep(t *testing.T) { // SEC-L1
	t.Parallel()
	e := newEnv(t)
	e.user("link-totp@example.com")
	withTOTP(t, e, "link-totp@example.com")
	tok := loginLinkToken(t, e, "link-totp@example.com")
	d := e.device()
	err := d.err(func(a *Auth) error { return a.LoginWithLink(tok) })
	if !errors.As(err, new(*SecondFactorRequiredError)) {
		t.Fatalf("LoginWithLink = %v, want *SecondFactorRequiredError", err)
	}
	if d.userID() != 0 {
		t.Fatal("a link logged a TOTP user in without the second factor")
	}
}

func TestLoginWithLink_TheLinkDoesNotSatisfyTheEmailFactor(t *testing.T) { // SEC-L1
	t.Parallel()
	e := newEnv(t)
	e.user("link-email@example.com")
	d := loggedInDevice(t, e, "link-email@example.com", "")
	if err := d.err(func(a *Auth) error { return a.TwoFactor().EnableEmail() }); err != nil {
		t.Fatal(err)
	}
	if _, err := confirm(d, twofactor.Email, sixDigits.FindString(lastMail(t, e, "link-email@example.com"))); err != nil {
		t.Fatal(err)
	}
	tok := loginLinkToken(t, e, "link-email@example.com")
	racer := e.device()
	err := racer.err(func(a *Auth) error { return a.LoginWithLink(tok) })
	if !errors.As(err, new(*SecondFactorRequiredError)) {
		t.Fatalf("LoginWithLink = %v, want *SecondFactorRequiredError", err)
	}
	// The link's token is no email code, and using it again is no way in.
	wantErr(t, racer.err(func(a *Auth) error { return a.TwoFactor().VerifyEmail(tok) }), ErrSecondFactorInvalid)
	wantErr(t, racer.err(func(a *Auth) error { return a.LoginWithLink(tok) }), ErrTokenInvalid)
	if racer.userID() != 0 {
		t.Fatal("the link satisfied the email factor")
	}
}

func TestLoginWithLink_DiesWithLogoutEverywhere(t *testing.T) { // SEC-S8
	t.Parallel()
	e := newEnv(t)
	e.user("revoked-link@example.com")
	tok := loginLinkToken(t, e, "revoked-link@example.com")
	d := loggedInDevice(t, e, "revoked-link@example.com", "")
	if err := d.err(func(a *Auth) error { return a.LogoutEverywhere() }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.device().err(func(a *Auth) error { return a.LoginWithLink(tok) }), ErrTokenInvalid)
}
