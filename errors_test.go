package authkit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

func TestStatusCode_HasARowForEveryExportedError(t *testing.T) { // SEC-I6
	t.Parallel()
	for name, err := range sentinelsByName(t) {
		if err == nil {
			t.Errorf("%s has no row in errorTable", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "authkit: ") {
			t.Errorf("%s's message %q lacks the authkit: prefix", name, err)
		}
		if status := StatusCode(err); status < 400 {
			t.Errorf("%s maps to %d", name, status)
		}
	}
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{&SecondFactorRequiredError{}, http.StatusAccepted},
		{&TooManyRequestsError{RetryAfter: 5}, http.StatusTooManyRequests},
		{&StatusError{Status: StatusBanned}, http.StatusForbidden},
		{unavailable("x", errors.New("pq: boom")), http.StatusServiceUnavailable},
		{internal("x", errors.New("boom")), http.StatusInternalServerError},
		{errors.New("not authkit's"), http.StatusInternalServerError},
	} {
		if got := StatusCode(tc.err); got != tc.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// knownError reports whether err is one of authkit's documented errors.
func knownError(err error) bool {
	if err == nil {
		return true
	}
	for _, c := range errorTable {
		if errors.Is(err, c.err) {
			return true
		}
	}
	return errors.As(err, new(*TooManyRequestsError)) || errors.As(err, new(*SecondFactorRequiredError)) ||
		errors.As(err, new(*StatusError))
}

func TestErrors_EveryErrorOfBadInputIsADocumentedOne(t *testing.T) { // SEC-I6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SMS = NewDevSMS(nil) })
	e.user("input@example.com")
	garbage := []string{"", " ", "\x00", "\xff\xfe", strings.Repeat("a", 10000), "a.b", "x@", "@y", "'; DROP TABLE authkit_users; --", "ａ@example.com", "\u202e@example.com"}
	logged := loggedInDevice(t, e, "input@example.com", "")
	anon := e.device()
	for _, g := range garbage {
		for name, call := range map[string]func() error{
			"Register":           func() error { return anon.err(func(a *Auth) error { _, err := a.Register(g, g); return err }) },
			"Login":              func() error { return anon.err(func(a *Auth) error { return a.Login(g, g, true) }) },
			"ConfirmEmail":       func() error { return anon.err(func(a *Auth) error { return a.ConfirmEmail(g) }) },
			"ResendConfirmation": func() error { return anon.err(func(a *Auth) error { return a.ResendConfirmation(g) }) },
			"ForgotPassword":     func() error { return anon.err(func(a *Auth) error { return a.ForgotPassword(g) }) },
			"ResetPassword":      func() error { return anon.err(func(a *Auth) error { return a.ResetPassword(g, g) }) },
			"CheckResetToken":    func() error { return anon.err(func(a *Auth) error { return a.CheckResetToken(g) }) },
			"VerifyTOTP":         func() error { return anon.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(g) }) },
			"VerifyBackupCode":   func() error { return anon.err(func(a *Auth) error { return a.TwoFactor().VerifyBackupCode(g) }) },
			"Reauthenticate":     func() error { return logged.err(func(a *Auth) error { return a.Reauthenticate(g) }) },
			"ChangeEmail":        func() error { return logged.err(func(a *Auth) error { return a.ChangeEmail(g) }) },
			"EnableSMS":          func() error { return logged.err(func(a *Auth) error { return a.TwoFactor().EnableSMS(g) }) },
			"Confirm": func() error {
				return logged.err(func(a *Auth) error { _, err := a.TwoFactor().Confirm(twofactor.TOTP, g); return err })
			},
			"Disable": func() error {
				return logged.err(func(a *Auth) error { return a.TwoFactor().Disable(twofactor.TOTP, g) })
			},
			"LogInAsUser": func() error { return logged.err(func(a *Auth) error { return a.LogInAsUser(-1) }) },
			"Admin.UserByEmail": func() error {
				_, err := e.kit.Admin().UserByEmail(context.Background(), g)
				return err
			},
			"Admin.AddRole": func() error { return e.kit.Admin().AddRole(context.Background(), 1, g) },
			"Admin.CreateUser": func() error {
				_, err := e.kit.Admin().CreateUser(context.Background(), g, g, true)
				return err
			},
		} {
			err := call()
			if !knownError(err) {
				t.Errorf("%s(%q) = %v (%T), not a documented error", name, g, err, err)
			}
			if StatusCode(err) >= 500 && !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s(%q) = %v, a %d for bad input", name, g, err, StatusCode(err))
			}
		}
		// The logged-in device must stay logged in for the next round.
		if logged.userID() == 0 {
			logged = loggedInDevice(t, e, "input@example.com", "")
		}
	}
}

// failingSender fails every message with an error whose text quotes the
// secret it failed to send, as a careless SMTP or SMS client might.
type failingSender struct{}

func (failingSender) Send(_ context.Context, msg Message) error {
	return errors.New("550 rejected: " + msg.Text)
}

func (failingSender) SendSMS(_ context.Context, to, text string) error {
	return errors.New("gateway refused " + to + ": " + text)
}

func TestSenderErrors_AreWrappedWithoutTheirText(t *testing.T) { // SEC-I6
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Mailer = failingSender{}; c.SMS = failingSender{} })
	id, err := e.kit.Admin().CreateUser(context.Background(), "sender@example.com", testPassword, false)
	if !errors.Is(err, ErrMailNotSent) || id == 0 {
		t.Fatalf("CreateUser with a failing mailer = %d, %v; want the id and ErrMailNotSent", id, err)
	}
	if strings.Contains(err.Error(), "550") || strings.Contains(err.Error(), "token=") {
		t.Fatalf("the mailer's text reached the caller: %q", err)
	}
	var inner interface{ Error() string }
	if !errors.As(err, &inner) {
		t.Fatal("the mailer's error is not reachable with errors.As")
	}
	e.db.Exec(`UPDATE authkit_users SET verified = TRUE WHERE id = $1`, id)
	d := loggedInDevice(t, e, "sender@example.com", "")
	err = d.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+15555550199") })
	if !errors.Is(err, ErrSMSNotSent) || strings.Contains(err.Error(), "gateway") {
		t.Fatalf("EnableSMS with a failing sender = %q, want ErrSMSNotSent without its text", err)
	}
	if logs := e.logs.String(); strings.Contains(logs, "550 rejected") || strings.Contains(logs, "gateway refused") {
		t.Fatalf("a sender's text reached the log:\n%s", logs)
	}
}

func TestTOTP_ASecretTheKeyCannotOpenIsErrInternal(t *testing.T) { // SEC-I6
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	e := newEnv(t, func(c *Config) { c.EncryptionKey = key })
	e.user("sealed@example.com")
	withTOTP(t, e, "sealed@example.com")
	other := newEnvOn(t, e.db, func(c *Config) { c.EncryptionKey = []byte("fedcba9876543210fedcba9876543210") })
	d, _ := startPending(t, other, "sealed@example.com", false)
	err := d.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP("123456") })
	if !errors.Is(err, ErrInternal) || StatusCode(err) != http.StatusInternalServerError {
		t.Fatalf("VerifyTOTP with the wrong EncryptionKey = %v, want ErrInternal", err)
	}
}
