package authkit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

const newPassword = "a brand new passphrase"

// resetToken asks for a reset link for email and returns its token.
func resetToken(t *testing.T, e *env, email string) string {
	t.Helper()
	if err := e.device().err(func(a *Auth) error { return a.ForgotPassword(email) }); err != nil {
		t.Fatal(err)
	}
	e.kit.mailWG.Wait()
	msg, ok := e.mail.Last(email)
	if !ok || msg.Kind != MessagePasswordReset {
		t.Fatalf("no reset mail to %s (last: %+v)", email, msg)
	}
	return e.mailToken(email)
}

func TestForgotPassword_AnswersTheSameForUnknownAddressesAndMailsOnlyKnownOnes(t *testing.T) { // SEC-E2
	t.Parallel()
	e := newEnv(t)
	e.user("known@example.com")
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.ForgotPassword("nobody@example.com") }); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	if err := d.err(func(a *Auth) error { return a.ForgotPassword("KNOWN@example.com") }); err != nil {
		t.Fatalf("known address: %v", err)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.ForgotPassword("not an address") }), ErrInvalidEmail)
	e.kit.mailWG.Wait()
	if _, ok := e.mail.Last("nobody@example.com"); ok {
		t.Fatal("mail went to an unknown address")
	}
	if msg, ok := e.mail.Last("known@example.com"); !ok || !strings.Contains(msg.Link, "/reset-password?token=") {
		t.Fatalf("reset mail = %+v", msg)
	}
}

// blockingMailer holds every message until release is closed.
type blockingMailer struct {
	release chan struct{}
	sent    atomic.Int32
}

func (m *blockingMailer) Send(ctx context.Context, msg Message) error {
	<-m.release
	m.sent.Add(1)
	return nil
}

func TestForgotPassword_ReturnsBeforeTheMailIsSent(t *testing.T) { // SEC-E2
	t.Parallel()
	m := &blockingMailer{release: make(chan struct{})}
	e := newEnv(t, func(c *Config) { c.Mailer = m })
	if _, err := e.kit.Admin().CreateUser(context.Background(), "slowmail@example.com", testPassword, true); err != nil {
		t.Fatal(err)
	}
	// If ForgotPassword waited for the mail server, this would hang.
	if err := e.device().err(func(a *Auth) error { return a.ForgotPassword("slowmail@example.com") }); err != nil {
		t.Fatal(err)
	}
	if m.sent.Load() != 0 {
		t.Fatal("the mail was sent before ForgotPassword returned")
	}
	close(m.release)
	e.kit.mailWG.Wait()
	if m.sent.Load() != 1 {
		t.Fatalf("%d mails sent, want 1", m.sent.Load())
	}
}

func TestResetPassword_OneTokenSucceedsOnceWhenTwoRequestsRace(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.user("racereset@example.com")
	tok := resetToken(t, e, "racereset@example.com")
	var ok, invalid atomic.Int32
	var wg sync.WaitGroup
	for _, pw := range []string{"first new passphrase", "second new passphrase"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := e.device().err(func(a *Auth) error { return a.ResetPassword(tok, pw) }); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrTokenInvalid):
				invalid.Add(1)
			default:
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || invalid.Load() != 1 {
		t.Fatalf("ok=%d invalid=%d, want exactly one success", ok.Load(), invalid.Load())
	}
}

func TestResetPassword_TokenExpiresAfterAnHourAndANewRequestVoidsTheOld(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.user("expiry@example.com")
	first := resetToken(t, e, "expiry@example.com")
	second := resetToken(t, e, "expiry@example.com")
	d := e.device()
	wantErr(t, d.err(func(a *Auth) error { return a.ResetPassword(first, newPassword) }), ErrTokenInvalid)
	e.clock.Advance(time.Hour + time.Second)
	wantErr(t, d.err(func(a *Auth) error { return a.ResetPassword(second, newPassword) }), ErrTokenExpired)
}

func TestResetPassword_AWeakPasswordLeavesTheTokenUsable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("weak@example.com")
	tok := resetToken(t, e, "weak@example.com")
	d := e.device()
	wantErr(t, d.err(func(a *Auth) error { return a.ResetPassword(tok, "password1") }), ErrPasswordTooCommon)
	if err := d.err(func(a *Auth) error { return a.ResetPassword(tok, newPassword) }); err != nil {
		t.Fatalf("the token died with the refused password: %v", err)
	}
	wantErr(t, d.err(func(a *Auth) error { return a.Login("weak@example.com", testPassword, false) }), ErrInvalidCredentials)
	if err := d.err(func(a *Auth) error { return a.Login("weak@example.com", newPassword, false) }); err != nil {
		t.Fatal(err)
	}
}

func TestResetPassword_EndsEverySessionAndRememberToken(t *testing.T) { // SEC-T3 SEC-S5
	t.Parallel()
	e := newEnv(t)
	e.user("resetall@example.com")
	laptop, phone := e.browser(), e.browser()
	laptop.loginRemembered("resetall@example.com")
	phone.login("resetall@example.com", testPassword)
	stolen := laptop.cookie(rememberCookie)
	tok := resetToken(t, e, "resetall@example.com")
	if err := e.device().err(func(a *Auth) error { return a.ResetPassword(tok, newPassword) }); err != nil {
		t.Fatal(err)
	}
	if laptop.userID() != 0 || phone.userID() != 0 || e.withCookie(stolen).userID() != 0 {
		t.Fatal("a session or remember-me token survived the reset")
	}
}

func TestResetPassword_DoesNotBypassTheSecondFactor(t *testing.T) { // SEC-T3
	t.Parallel()
	e := newEnv(t)
	e.user("reset2fa@example.com")
	withTOTP(t, e, "reset2fa@example.com")
	tok := resetToken(t, e, "reset2fa@example.com")
	d := e.device()
	if err := d.err(func(a *Auth) error { return a.ResetPassword(tok, newPassword) }); err != nil {
		t.Fatal(err)
	}
	if d.userID() != 0 {
		t.Fatal("ResetPassword logged the user in")
	}
	var sf *SecondFactorRequiredError
	if err := d.err(func(a *Auth) error { return a.Login("reset2fa@example.com", newPassword, false) }); !errors.As(err, &sf) {
		t.Fatalf("login after a reset = %v, want *SecondFactorRequiredError", err)
	}
}

func TestForgotPassword_SendsNothingForAnAccountMarkedNotResettable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("locked-reset@example.com")
	if err := e.kit.Admin().SetResettable(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	if err := e.device().err(func(a *Auth) error { return a.ForgotPassword("locked-reset@example.com") }); err != nil {
		t.Fatal(err)
	}
	e.kit.mailWG.Wait()
	if _, ok := e.mail.Last("locked-reset@example.com"); ok {
		t.Fatal("a reset link went to an account that is not resettable")
	}
	// An administrator can still send one.
	if err := e.kit.Admin().StartPasswordReset(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if msg, ok := e.mail.Last("locked-reset@example.com"); !ok || msg.Kind != MessagePasswordReset {
		t.Fatal("StartPasswordReset sent no reset link")
	}
}

func TestChangePassword_NeedsTheCurrentPassword(t *testing.T) { // SEC-P5
	t.Parallel()
	e := newEnv(t)
	e.user("change@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("change@example.com", testPassword, false) })
	wantErr(t, d.err(func(a *Auth) error { return a.ChangePassword("not my password", newPassword) }), ErrInvalidCredentials)
	wantErr(t, d.err(func(a *Auth) error { return a.ChangePassword(testPassword, "short") }), ErrPasswordTooShort)
	if err := d.err(func(a *Auth) error { return a.ChangePassword(testPassword, newPassword) }); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.device().err(func(a *Auth) error { return a.Login("change@example.com", testPassword, false) }), ErrInvalidCredentials)
	if msg, ok := e.mail.Last("change@example.com"); !ok || msg.Kind != MessagePasswordChanged {
		e.kit.mailWG.Wait()
		if msg, ok = e.mail.Last("change@example.com"); !ok || msg.Kind != MessagePasswordChanged {
			t.Fatal("the user was not told about the new password")
		}
	}
}

func TestChangePassword_KeepsThisSessionUnderANewTokenAndEndsTheOthers(t *testing.T) { // SEC-S5 SEC-S2
	t.Parallel()
	e := newEnv(t)
	id := e.user("keep@example.com")
	here, there := e.browser(), e.browser()
	here.loginRemembered("keep@example.com")
	there.loginRemembered("keep@example.com")
	before := here.cookie(sessionCookieName(e))
	remembered := there.cookie(rememberCookie)
	d := e.device()
	d.cookies[before.Name] = before
	if err := d.err(func(a *Auth) error { return a.ChangePassword(testPassword, newPassword) }); err != nil {
		t.Fatal(err)
	}
	after := d.cookies[before.Name]
	if after == nil || after.Value == before.Value {
		t.Fatal("the session token was not renewed")
	}
	if d.userID() != id {
		t.Fatal("this session was logged out")
	}
	if e.withCookie(before).userID() != 0 || there.userID() != 0 || e.withCookie(remembered).userID() != 0 {
		t.Fatal("another session or remember-me token survived the change")
	}
	e.clock.Advance(6 * time.Minute) // past a resync: the new epoch is in this session
	if d.userID() != id {
		t.Fatal("this session died at the next resync")
	}
}

func TestChangeEmail_TakesEffectOnlyWhenTheNewAddressConfirms(t *testing.T) { // SEC-T4
	t.Parallel()
	e := newEnv(t)
	id := e.user("old@example.com")
	other := e.browser()
	other.login("old@example.com", testPassword)
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("old@example.com", testPassword, false) })
	if err := d.err(func(a *Auth) error { return a.ChangeEmail("new@example.com") }); err != nil {
		t.Fatal(err)
	}
	u, _ := e.kit.Admin().User(context.Background(), id)
	if u.Email != "old@example.com" {
		t.Fatal("the address changed before the new one confirmed")
	}
	e.kit.mailWG.Wait()
	if msg, ok := e.mail.Last("old@example.com"); !ok || msg.Kind != MessageEmailChangeRequested || strings.Contains(msg.Text, "new@example.com") {
		t.Fatalf("the old address was not told (or saw the new one unmasked): %+v", msg)
	}
	if msg, _ := e.mail.Last("new@example.com"); msg.Kind != MessageChangeEmail || msg.Link == "" ||
		msg.ExpiresIn != e.kit.cfg.ConfirmationExpiry || msg.UserEmail != "old@example.com" {
		t.Fatalf("the new address got %+v, want its kind, link, expiry and the account's current address as fields", msg)
	}
	tok := e.mailToken("new@example.com")
	if err := e.device().err(func(a *Auth) error { return a.ConfirmEmail(tok) }); err != nil {
		t.Fatal(err)
	}
	u, _ = e.kit.Admin().User(context.Background(), id)
	if u.Email != "new@example.com" || !u.Verified {
		t.Fatalf("after confirming: %+v", u)
	}
	e.kit.mailWG.Wait()
	if msg, _ := e.mail.Last("old@example.com"); msg.Kind != MessageEmailChanged {
		t.Fatalf("the former address got %+v, want a %s notice", msg, MessageEmailChanged)
	}
	if _, body := other.get("/me"); !strings.Contains(body, "new@example.com") {
		t.Fatalf("another session still shows the old address: %q", body)
	}
	if err := e.device().err(func(a *Auth) error { return a.Login("new@example.com", testPassword, false) }); err != nil {
		t.Fatal(err)
	}
}

func TestChangeEmail_RechecksUniquenessWhenConfirmed(t *testing.T) { // SEC-T4
	t.Parallel()
	e := newEnv(t)
	e.user("mover@example.com")
	e.user("taken@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("mover@example.com", testPassword, false) })
	if err := d.err(func(a *Auth) error { return a.ChangeEmail("TAKEN@example.com") }); err != nil {
		t.Fatalf("ChangeEmail to a taken address = %v, want the answer a free one gets (SEC-E8)", err)
	}
	if err := d.err(func(a *Auth) error { return a.ChangeEmail("free@example.com") }); err != nil {
		t.Fatal(err)
	}
	tok := e.mailToken("free@example.com")
	e.user("free@example.com") // someone takes the address meanwhile
	wantErr(t, e.device().err(func(a *Auth) error { return a.ConfirmEmail(tok) }), ErrEmailTaken)
}

func TestChangeEmail_NeedsAFreshPasswordCheck(t *testing.T) { // SEC-S7
	t.Parallel()
	e := newEnv(t)
	e.user("stale-email@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("stale-email@example.com", testPassword, true) })
	delete(d.cookies, sessionCookieName(e)) // restored from remember-me next
	wantErr(t, d.err(func(a *Auth) error { return a.ChangeEmail("elsewhere@example.com") }), ErrReauthenticationRequired)
	if err := d.err(func(a *Auth) error { return a.Reauthenticate(testPassword) }); err != nil {
		t.Fatal(err)
	}
	if err := d.err(func(a *Auth) error { return a.ChangeEmail("elsewhere@example.com") }); err != nil {
		t.Fatal(err)
	}
}

func TestRequireRole_Answers401Then403ThenLetsTheRoleIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("role@example.com")
	b := e.browser()
	if code, _ := b.get("/admin"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", code)
	}
	b.login("role@example.com", testPassword)
	if code, _ := b.get("/admin"); code != http.StatusForbidden {
		t.Fatalf("without the role: %d", code)
	}
	e.kit.Admin().AddRole(context.Background(), id, "support")
	if code, _ := b.get("/admin"); code != http.StatusOK {
		t.Fatalf("with the role: %d", code)
	}
}

func TestLogInAsUser_StartsANewSessionAndRecordsTheRealAdmin(t *testing.T) { // SEC-S2 SEC-I3
	t.Parallel()
	e := newEnv(t)
	admin := e.user("admin@example.com")
	target := e.user("customer@example.com")
	d := e.device()
	d.err(func(a *Auth) error { return a.Login("admin@example.com", testPassword, false) })
	before := d.cookies[sessionCookieName(e)].Value
	if err := d.err(func(a *Auth) error { return a.LogInAsUser(target) }); err != nil {
		t.Fatal(err)
	}
	if d.userID() != target || d.cookies[sessionCookieName(e)].Value == before {
		t.Fatal("not logged in as the user under a new token")
	}
	entries, err := e.kit.Admin().AuditLog(context.Background(), target, 0, 10)
	if err != nil || len(entries) == 0 || entries[0].Event != "login" || entries[0].ActorID != admin {
		t.Fatalf("audit = %+v, %v; want a login with the admin as actor", entries, err)
	}
	wantErr(t, d.err(func(a *Auth) error { _, err := a.TwoFactor().EnrollTOTP(); return err }), ErrReauthenticationRequired)
}

func TestAdminSetPassword_EndsSessionsAndTheNewPasswordWorks(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("adminset@example.com")
	b := e.browser()
	b.loginRemembered("adminset@example.com")
	stolen := b.cookie(rememberCookie)
	if err := e.kit.Admin().WithActor(42).SetPassword(context.Background(), id, newPassword); err != nil {
		t.Fatal(err)
	}
	if b.userID() != 0 || e.withCookie(stolen).userID() != 0 {
		t.Fatal("a session survived an admin password change")
	}
	if err := e.device().err(func(a *Auth) error { return a.Login("adminset@example.com", newPassword, false) }); err != nil {
		t.Fatal(err)
	}
}

func TestAuditLog_RecordsEveryEventAndPrunesOldEntries(t *testing.T) { // SEC-I3
	t.Parallel()
	e := newEnv(t)
	id := e.user("audited@example.com")
	d := e.device()
	for _, step := range []func(){
		func() { d.err(func(a *Auth) error { return a.Login("audited@example.com", "wrong password", false) }) },
		func() { d.err(func(a *Auth) error { return a.Login("audited@example.com", testPassword, false) }) },
		func() { d.err(func(a *Auth) error { return a.Logout() }) },
		func() { e.kit.Admin().SetStatus(context.Background(), id, StatusSuspended) },
	} {
		e.clock.Advance(time.Second)
		step()
	}
	entries, err := e.kit.Admin().AuditLog(context.Background(), id, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.Event+"/"+en.Outcome)
		if en.At.IsZero() || (en.Event == "login" && en.IP == "") {
			t.Errorf("entry without time or IP: %+v", en)
		}
	}
	want := "status_change/ok logout/ok login/ok login/failed user_created/ok"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit log = %v, want %s", got, want)
	}
	e.clock.Advance(91 * 24 * time.Hour)
	if err := e.kit.store.DeleteExpired(context.Background(), e.kit.now(), e.kit.now().Add(-e.kit.cfg.AuditRetention)); err != nil {
		t.Fatal(err)
	}
	if entries, _ := e.kit.Admin().AuditLog(context.Background(), id, 0, 100); len(entries) != 0 {
		t.Fatalf("%d entries older than the retention survived", len(entries))
	}
}

func TestLogs_OfEveryFlowHoldNoPasswordCodeOrToken(t *testing.T) { // SEC-I3 SEC-F7
	t.Parallel()
	sms := NewDevSMS(nil)
	e := newEnv(t, func(c *Config) { c.SMS = sms })
	var secrets []string
	keep := func(s ...string) { secrets = append(secrets, s...) }
	keep(testPassword, newPassword)
	d := e.device()
	d.err(func(a *Auth) error { _, err := a.Register("everything@example.com", testPassword); return err })
	confirmTok := e.mailToken("everything@example.com")
	keep(confirmTok)
	d.err(func(a *Auth) error { return a.ConfirmEmail(confirmTok) })
	d.err(func(a *Auth) error { return a.Login("everything@example.com", "a wrong password", true) })
	keep("a wrong password")
	d.err(func(a *Auth) error { return a.Login("everything@example.com", testPassword, true) })
	for k, c := range d.cookies {
		_ = k
		keep(c.Value)
	}
	var enrol *TOTPEnrollment
	d.err(func(a *Auth) (err error) { enrol, err = a.TwoFactor().EnrollTOTP(); return err })
	code := totpNow(t, e, enrol.Secret)
	var backup []string
	d.err(func(a *Auth) (err error) { backup, err = a.TwoFactor().Confirm(twofactor.TOTP, code); return err })
	keep(enrol.Secret, code)
	keep(backup...)
	d.err(func(a *Auth) error { return a.ChangePassword(testPassword, newPassword) })
	d.err(func(a *Auth) error { return a.ChangeEmail("everything2@example.com") })
	keep(e.mailToken("everything2@example.com"))
	d.err(func(a *Auth) error { return a.LogoutEverywhere() })
	p, _ := startPendingWith(t, e, "everything@example.com", newPassword)
	p.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(backup[0]) })
	p.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode("zzzzz-zzzzz") })
	p.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() })
	p.err(func(a *Auth) error { return a.ForgotPassword("everything@example.com") })
	e.kit.mailWG.Wait()
	keep(e.mailToken("everything@example.com"))
	logs := e.logs.String()
	var audit strings.Builder
	e.kit.flushAudit(context.Background())
	rows, _ := e.db.Query(`SELECT event || outcome || ip || user_agent || detail FROM authkit_audit`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		audit.WriteString(s)
	}
	rows.Close()
	if !strings.Contains(logs, "authkit: login") || audit.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret (%d bytes)", len(s))
		}
		if strings.Contains(audit.String(), s) {
			t.Errorf("the audit table holds a secret (%d bytes)", len(s))
		}
	}
}

// startPendingWith logs in with a password on a new device, up to the
// second factor.
func startPendingWith(t *testing.T, e *env, email, password string) (*device, *SecondFactorRequiredError) {
	t.Helper()
	d := e.device()
	var sf *SecondFactorRequiredError
	if err := d.err(func(a *Auth) error { return a.Login(email, password, false) }); !errors.As(err, &sf) {
		t.Fatalf("Login = %v, want *SecondFactorRequiredError", err)
	}
	return d, sf
}

func TestCheckResetToken_TellsADeadLinkWithoutUsingItUp(t *testing.T) { // SEC-T2
	t.Parallel()
	e := newEnv(t)
	e.user("check@example.com")
	tok := resetToken(t, e, "check@example.com")
	d := e.device()
	for range 2 {
		if err := d.err(func(a *Auth) error { return a.CheckResetToken(tok) }); err != nil {
			t.Fatalf("a fresh token: %v", err)
		}
	}
	wrong := strings.SplitN(tok, ".", 2)[0] + "." + strings.Repeat("A", 43)
	wantErr(t, d.err(func(a *Auth) error { return a.CheckResetToken(wrong) }), ErrTokenInvalid)
	wantErr(t, d.err(func(a *Auth) error { return a.CheckResetToken("garbage") }), ErrTokenInvalid)
	e.clock.Advance(time.Hour)
	wantErr(t, d.err(func(a *Auth) error { return a.CheckResetToken(tok) }), ErrTokenExpired)
}

func TestRequireRole_UsesTheAppsOwnRefusalPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.UnauthorizedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "please log in", http.StatusUnauthorized)
		})
		c.ForbiddenHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "admins only", http.StatusForbidden)
		})
	})
	e.user("plain@example.com")
	b := e.browser()
	if code, body := b.get("/admin"); code != 401 || body != "please log in" {
		t.Fatalf("anonymous: %d %q", code, body)
	}
	b.login("plain@example.com", testPassword)
	if code, body := b.get("/admin"); code != 403 || body != "admins only" {
		t.Fatalf("without the role: %d %q", code, body)
	}
}
