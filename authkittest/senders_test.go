package authkittest_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
)

// ForgotPassword answers at once and mails the link in the background, so
// the message may arrive after the request has returned.
func TestMailer_WaitReturnsMailThatAuthkitSendsInTheBackground(t *testing.T) {
	t.Parallel()
	app := startApp(t, authkittest.DB(t))
	if _, err := app.kit.Admin().CreateUser(t.Context(), "ada@example.com", password, true); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(app.srv, t.Fatal)
	if got := b.post("/forgot-password", url.Values{"email": {"ada@example.com"}}); got != "ok" {
		t.Fatalf("forgot password: %s", got)
	}
	msg, err := app.mail.Wait(t.Context(), "ada@example.com")

	if err != nil {
		t.Fatal(err)
	}
	if msg.Kind != authkit.MessagePasswordReset || token(msg.Link, t.Fatal) == "" {
		t.Errorf("got a %s message with link %q, want a password reset link", msg.Kind, msg.Link)
	}
}

func TestMailer_WaitReturnsEachMessageToAnAddressOnceInOrder(t *testing.T) {
	t.Parallel()
	var mail authkittest.Mailer
	for _, m := range []authkit.Message{
		{To: "ada@example.com", Subject: "first"},
		{To: "bob@example.com", Subject: "for bob"},
		{To: "Ada@Example.com", Subject: "second"},
	} {
		if err := mail.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}

	for _, want := range []string{"first", "second"} {
		msg, err := mail.Wait(t.Context(), "ada@example.com")
		if err != nil || msg.Subject != want {
			t.Errorf("Wait = %q, %v; want %q", msg.Subject, err, want)
		}
	}
	if last, ok := mail.Last("ADA@example.com"); !ok || last.Subject != "second" {
		t.Errorf("Last = %q, %v; want second", last.Subject, ok)
	}
	if n := len(mail.Messages()); n != 3 {
		t.Errorf("Messages has %d, want 3", n)
	}
}

func TestMailer_WaitGivesUpWithAnErrorThatNamesTheAddresses(t *testing.T) {
	t.Parallel()
	var mail authkittest.Mailer
	if err := mail.Send(t.Context(), authkit.Message{To: "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()

	_, err := mail.Wait(ctx, "ada@example.com")

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the deadline", err)
	}
	for _, want := range []string{"ada@example.com", "bob@example.com"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not name %s", err, want)
		}
	}
}

func TestMailer_FailWithMakesAuthkitReportThatMailWasNotSent(t *testing.T) {
	t.Parallel()
	app := startApp(t, authkittest.DB(t))
	app.mail.FailWith(errors.New("mail server down"))
	b := newBrowser(app.srv, t.Fatal)

	got := b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}})

	if !strings.HasPrefix(got, authkit.ErrMailNotSent.Error()) {
		t.Errorf("register answered %q, want %q", got, authkit.ErrMailNotSent)
	}
	if n := len(app.mail.Messages()); n != 0 {
		t.Errorf("the failing Mailer kept %d messages", n)
	}

	app.mail.FailWith(nil)
	b.post("/register", url.Values{"email": {"bob@example.com"}, "password": {password}})
	if _, err := app.mail.Wait(t.Context(), "bob@example.com"); err != nil {
		t.Errorf("after FailWith(nil): %v", err)
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func TestSMS_KeepsTheCodeAuthkitTextsAndFailsOnDemand(t *testing.T) {
	t.Parallel()
	app := startApp(t, authkittest.DB(t))
	b := newBrowser(app.srv, t.Fatal)
	app.signUp(t, b, "ada@example.com")
	const phone = "+442079460958"

	if got := b.post("/two-factor/sms", url.Values{"phone": {"+44 20 7946 0958"}}); got != "ok" {
		t.Fatalf("enable SMS: %s", got)
	}
	text, err := app.sms.Wait(t.Context(), phone)

	if err != nil {
		t.Fatal(err)
	}
	if !sixDigits.MatchString(text.Text) {
		t.Errorf("the text %q holds no code", text.Text)
	}
	if last, ok := app.sms.Last(phone); !ok || last != text {
		t.Errorf("Last = %+v, %v; want the text Wait returned", last, ok)
	}

	app.sms.FailWith(errors.New("provider down"))
	if got := b.post("/two-factor/sms", url.Values{"phone": {phone}}); !strings.HasPrefix(got, authkit.ErrSMSNotSent.Error()) {
		t.Errorf("with a failing sender: %q, want %q", got, authkit.ErrSMSNotSent)
	}
	if n := len(app.sms.Messages()); n != 1 {
		t.Errorf("SMS kept %d messages, want only the first", n)
	}
}
