package authkit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/token"
	"github.com/authkit/authkit/twofactor"
)

// The tests of this file try each entry point that takes a code or a
// token, or that sends a message, many times over, as an attacker would
// (SEC-E6, SEC-E7, SEC-E8).

func TestChangeEmail_TwoHundredCallsAreThrottledAndMailFewStrangers(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t)
	e.user("spammer@example.com")
	d := loggedInDevice(t, e, "spammer@example.com", "")
	refused := 0
	for i := range 200 {
		err := d.err(func(a *Auth) error { return a.ChangeEmail("stranger" + strconv.Itoa(i) + "@example.org") })
		var tm *TooManyRequestsError
		switch {
		case errors.As(err, &tm):
			if tm.RetryAfter <= 0 {
				t.Fatalf("call %d: RetryAfter %v", i, tm.RetryAfter)
			}
			refused++
		case err != nil:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	e.kit.mailWG.Wait()
	strangersMailed := 0
	for _, m := range e.mail.Messages() {
		if strings.HasSuffix(m.To, "@example.org") {
			strangersMailed++
		}
	}
	if limit := e.kit.cfg.Limits.ChangeEmailPerUser.Burst; strangersMailed != limit || refused != 200-limit {
		t.Fatalf("%d strangers mailed, %d calls refused; want %d and %d", strangersMailed, refused, limit, 200-limit)
	}
}

func TestChangeEmail_ManyAccountsCannotFloodOneMailbox(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.EmailToAddress = Limit{Burst: 3, Every: time.Hour} })
	throttled := 0
	for i := range 6 {
		email := "sock" + strconv.Itoa(i) + "@example.com"
		e.user(email)
		err := loggedInDevice(t, e, email, "").err(func(a *Auth) error { return a.ChangeEmail("victim@example.org") })
		if errors.As(err, new(*TooManyRequestsError)) {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	e.kit.mailWG.Wait()
	mailed := 0
	for _, m := range e.mail.Messages() {
		if m.To == "victim@example.org" {
			mailed++
		}
	}
	if mailed != 3 || throttled != 3 {
		t.Fatalf("the mailbox got %d mails and %d changes were refused; want 3 and 3", mailed, throttled)
	}
}

func TestChangeEmail_AnswersTheSameForATakenAddressAndMailsItsOwnerInstead(t *testing.T) { // SEC-E8
	t.Parallel()
	e := newEnv(t)
	e.user("prober@example.com")
	victim := e.user("victim@example.com")
	d := loggedInDevice(t, e, "prober@example.com", "")

	taken := d.err(func(a *Auth) error { return a.ChangeEmail("VICTIM@example.com") })
	e.kit.mailWG.Wait()
	noticeTaken, _ := e.mail.Last("prober@example.com")
	free := d.err(func(a *Auth) error { return a.ChangeEmail("nobody@example.com") })
	e.kit.mailWG.Wait()
	noticeFree, _ := e.mail.Last("prober@example.com")

	if taken != nil || free != nil {
		t.Fatalf("ChangeEmail answered %v for a taken address and %v for a free one; want the same nil", taken, free)
	}
	if strings.ReplaceAll(noticeTaken.Text, twofactor.MaskEmail("VICTIM@example.com"), "X") !=
		strings.ReplaceAll(noticeFree.Text, twofactor.MaskEmail("nobody@example.com"), "X") {
		t.Fatalf("the old address was told differently:\n%q\n%q", noticeTaken.Text, noticeFree.Text)
	}
	toOwner, ok := e.mail.Last("victim@example.com")
	if !ok || toOwner.Kind != MessageEmailTaken || toOwner.Link != "" || strings.Contains(toOwner.Text, "prober") {
		t.Fatalf("the owner of the taken address got %+v, want a notice without a link or the prober's address", toOwner)
	}
	var tokens int
	e.db.Get(&tokens, `SELECT count(*) FROM authkit_email_tokens WHERE lower(email) = 'victim@example.com'`)
	if tokens != 0 {
		t.Fatal("a token for the taken address was made")
	}
	if msg, ok := e.mail.Last("nobody@example.com"); !ok || msg.Kind != MessageChangeEmail || msg.Link == "" {
		t.Fatalf("the free address got %+v, want its confirmation link", msg)
	}
	if u, _ := e.kit.Admin().User(context.Background(), victim); u.Email != "victim@example.com" {
		t.Fatal("the victim's address changed")
	}
}

// forgedResetTokens are reset tokens an attacker makes up: garbage, a
// well-formed unknown one, and a known selector with a wrong validator.
func forgedResetTokens(t *testing.T, e *env) []string {
	t.Helper()
	real := resetToken(t, e, "reset-victim@example.com")
	parsed, err := token.Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	wrong := token.Split{Selector: parsed.Selector, Validator: token.NewSplit().Validator}
	return []string{"", "garbage", strings.Repeat("A", 5000), "\x00.\x00", token.NewSplit().String(), wrong.String()}
}

func TestResetPassword_AFloodOfForgedTokensFromOneIPIsThrottledAndHashesNothing(t *testing.T) { // SEC-E6 SEC-E7
	t.Parallel()
	e := newEnv(t)
	e.user("reset-victim@example.com")
	forged := forgedResetTokens(t, e)
	counter := &countingHasher{passwordHasher: e.kit.hasher}
	e.kit.hasher = counter
	flooder := e.from("203.0.113.77")
	judged, throttled := 0, 0
	for i := range 40 {
		err := flooder.err(func(a *Auth) error { return a.ResetPassword(forged[i%len(forged)], "a brand new password") })
		switch {
		case errors.As(err, new(*TooManyRequestsError)):
			throttled++
		case errors.Is(err, ErrTokenInvalid):
			judged++
		default:
			t.Fatalf("forged token %d: %v", i, err)
		}
	}
	if limit := e.kit.cfg.Limits.TokensPerIP.Burst; judged != limit || throttled != 40-limit {
		t.Fatalf("%d forged tokens judged and %d throttled; want %d and %d", judged, throttled, limit, 40-limit)
	}
	if n := counter.work(); n != 0 {
		t.Fatalf("forged tokens cost %d password hashes, want none", n)
	}
	if err := e.from("198.51.100.77").err(func(a *Auth) error { return a.CheckResetToken("garbage") }); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("another client = %v, want its own budget", err)
	}
}

func TestConfirmEmail_GuessingTokensFromOneIPIsThrottled(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Limits.TokensPerIP = Limit{Burst: 5, Every: time.Hour} })
	guesser := e.from("203.0.113.78")
	for i := range 6 {
		err := guesser.err(func(a *Auth) error { return a.ConfirmEmail(token.NewSplit().String()) })
		if i < 5 && !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("guess %d: %v", i, err)
		}
		if i == 5 && !errors.As(err, new(*TooManyRequestsError)) {
			t.Fatalf("a sixth guessed token = %v, want *TooManyRequestsError", err)
		}
	}
}

func TestAnonymousCalls_HashNoPasswordBeforeAThrottleAndATokenCheck(t *testing.T) { // SEC-E7
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Limits.RegisterPerIP = Limit{Burst: 1, Every: time.Hour}
		c.Limits.LoginPerIP = Limit{Burst: 1, Every: time.Hour}
	})
	e.user("reset-victim@example.com")
	forged := forgedResetTokens(t, e)
	real := resetToken(t, e, "reset-victim@example.com")
	e.clock.Advance(e.kit.cfg.ResetExpiry + time.Second) // the real token has expired
	counter := &countingHasher{passwordHasher: e.kit.hasher}
	e.kit.hasher = counter
	d := e.from("203.0.113.79")
	for _, tok := range append(forged, real) {
		if err := d.err(func(a *Auth) error { return a.ResetPassword(tok, "a brand new password") }); err == nil {
			t.Fatalf("ResetPassword(%q) succeeded", tok)
		}
	}
	if n := counter.work(); n != 0 {
		t.Fatalf("forged and expired reset tokens cost %d hashes", n)
	}

	if _, err := registerOn(d, "first@example.com"); err != nil {
		t.Fatal(err)
	}
	before := counter.work()
	if _, err := registerOn(d, "second@example.com"); !errors.As(err, new(*TooManyRequestsError)) {
		t.Fatalf("a throttled Register = %v", err)
	}
	d.login("nobody@example.com", "some password")
	if n := counter.work() - before; n != 1 {
		t.Fatalf("a throttled Register and one judged login cost %d hashes, want the login's 1", n)
	}
	before = counter.work()
	if err := d.login("nobody@example.com", "some password"); !errors.As(err, new(*TooManyRequestsError)) {
		t.Fatalf("a throttled login = %v", err)
	}
	if n := counter.work() - before; n != 0 {
		t.Fatalf("a throttled login cost %d hashes", n)
	}
}

func registerOn(d *device, email string) (id int64, err error) {
	err = d.err(func(a *Auth) error { id, err = a.Register(email, testPassword); return err })
	return id, err
}

// smsEnv is an env with an SMS sender and a small SMSPerNumber budget.
func smsEnv(t *testing.T, opts ...func(*Config)) (*env, *DevSMS) {
	sms := NewDevSMS(nil)
	e := newEnv(t, append([]func(*Config){func(c *Config) {
		c.SMS = sms
		c.Limits.SMSPerNumber = Limit{Burst: 2, Every: time.Hour}
	}}, opts...)...)
	return e, sms
}

func TestSMS_PumpingIsThrottledPerNumberAndPerIP(t *testing.T) { // SEC-E6
	t.Parallel()
	e, sms := smsEnv(t, func(c *Config) {
		c.Limits.CodeSendPerUser = Limit{Burst: 100, Every: time.Second}
		c.Limits.SMSPerIP = Limit{Burst: 3, Every: time.Hour}
	})
	e.user("pumper@example.com")
	d := loggedInDevice(t, e, "pumper@example.com", "")
	d.ip = "203.0.113.80"
	enable := func(d *device, number string) error {
		return d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS(number) })
	}
	for i, step := range []struct {
		number    string
		throttled bool
	}{
		{"+15550100001", false}, {"+15550100001", false},
		{"+15550100001", true}, // the number's budget
		{"+15550100002", false},
		{"+15550100003", true}, // the client's budget
	} {
		err := enable(d, step.number)
		if got := errors.As(err, new(*TooManyRequestsError)); got != step.throttled || (!got && err != nil) {
			t.Fatalf("step %d, SMS to %s: %v, want throttled=%v", i, step.number, err, step.throttled)
		}
	}
	if n := len(sms.Messages()); n != 3 {
		t.Fatalf("%d text messages sent, want 3", n)
	}
	d.ip = "198.51.100.80"
	if err := enable(d, "+15550100003"); err != nil {
		t.Fatalf("another client, another number: %v", err)
	}
	if err := enable(d, "+15550100001"); !errors.As(err, new(*TooManyRequestsError)) {
		t.Fatalf("the pumped number from another client = %v, want its own budget spent", err)
	}
}

func TestSMS_AStrangerSettingUpTheVictimsNumberCannotStopTheVictimsLoginCodes(t *testing.T) { // SEC-E6
	t.Parallel()
	e, sms := smsEnv(t)
	const number = "+15550100009"
	e.user("victim-phone@example.com")
	victim := loggedInDevice(t, e, "victim-phone@example.com", "")
	if err := victim.err(func(a *Auth) error { return a.TwoFactor().EnableSMS(number) }); err != nil {
		t.Fatal(err)
	}
	msg, _ := sms.Last(number)
	if _, err := confirm(victim, twofactor.SMS, sixDigits.FindString(msg.Text)); err != nil {
		t.Fatal(err)
	}

	// A stranger's account asks for set-up codes to the victim's number
	// until refused.
	e.user("stranger-phone@example.com")
	stranger := loggedInDevice(t, e, "stranger-phone@example.com", "")
	stranger.ip = "203.0.113.90"
	for stranger.err(func(a *Auth) error { return a.TwoFactor().EnableSMS(number) }) == nil {
	}

	p, _ := startPending(t, e, "victim-phone@example.com", false)
	if err := p.err(func(a *Auth) error { return a.TwoFactor().SendCode(twofactor.SMS) }); err != nil {
		t.Fatalf("the victim's login code after the stranger's set-up codes: %v", err)
	}
}

func TestSMS_PumpingIsThrottledPerCountryCallingCode(t *testing.T) { // SEC-E6 SEC-L2
	t.Parallel()
	e, _ := smsEnv(t, func(c *Config) {
		c.Limits.CodeSendPerUser = Limit{Burst: 100, Every: time.Second}
		c.Limits.SMSPerCountry = Limit{Burst: 2, Every: time.Hour}
	})
	e.user("country@example.com")
	d := loggedInDevice(t, e, "country@example.com", "")
	for i, step := range []struct {
		ip, number string
		throttled  bool
	}{
		{"203.0.113.81", "+44 20 7946 0001", false},
		{"203.0.113.82", "+44 20 7946 0002", false},
		{"203.0.113.83", "+44 20 7946 0003", true}, // the country's budget
		{"203.0.113.84", "+15550100009", false},    // another country
	} {
		d.ip = step.ip
		err := d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS(step.number) })
		if got := errors.As(err, new(*TooManyRequestsError)); got != step.throttled || (!got && err != nil) {
			t.Fatalf("step %d, SMS to %s: %v, want throttled=%v", i, step.number, err, step.throttled)
		}
	}
}
