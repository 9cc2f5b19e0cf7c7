package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOutbox_ShowsWhatTheAppSentInDevelopmentMode(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	b := app.browser(t)
	expect(t, "home page", b.get("/"), http.StatusOK, `<a href="/dev/outbox">outbox</a>`)
	b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}})
	msg, _ := app.mail.Last("ada@example.com")

	r := b.get("/dev/outbox")
	expect(t, "outbox", r, http.StatusOK, "<strong>Confirm your email address</strong> to ada@example.com")
	expect(t, "outbox", r, http.StatusOK, `<a href="`+msg.Link+`">`+msg.Link+`</a>`)

	b = app.loggedIn(t, "bob@example.com")
	b.post("/account/two-factor/email", nil)
	b.post("/account/two-factor/sms", url.Values{"phone": {"+44 20 7946 0958"}})
	text, _ := app.sms.Last("+442079460958")
	r = b.get("/dev/outbox")
	expect(t, "outbox with a text message", r, http.StatusOK,
		`To &#43;442079460958
  <pre>Your code to turn on two-step login is <strong class="code">`+sixDigits.FindString(text.Text)+`</strong>.`)
	newest := "<strong>Your code to turn on two-step login</strong> to bob@example.com"
	expect(t, "outbox with a code by email", r, http.StatusOK, newest)
	if strings.Index(r.body, newest) > strings.Index(r.body, "<strong>Confirm your email address</strong>") {
		t.Error("the outbox does not show the newest email first")
	}
}

func TestOutbox_IsNotFoundOutsideDevelopmentMode(t *testing.T) {
	t.Parallel()
	app := startTestApp(t, false)
	b := app.browser(t)
	b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}})
	if r := b.get("/dev/outbox"); r.status != http.StatusNotFound {
		t.Errorf("/dev/outbox: got %d, want 404", r.status)
	}
	if r := b.get("/"); strings.Contains(r.body, "/dev/outbox") {
		t.Error("the home page links to the outbox")
	}
}

// This test sets environment variables, so it cannot run in parallel.
func TestSenders_OutsideDevelopmentModeMailThroughSMTPFromTheEnvironment(t *testing.T) {
	t.Setenv("SMTP_HOST", "")
	if _, _, _, err := senders(false); err == nil || !strings.Contains(err.Error(), "SMTP_HOST") {
		t.Errorf("without SMTP_HOST: error %v, want one that names SMTP_HOST", err)
	}

	t.Setenv("SMTP_HOST", "smtp.example.com")
	t.Setenv("SMTP_PORT", "2525")
	t.Setenv("SMTP_FROM", "Example <no-reply@example.com>")
	mailer, sms, outbox, err := senders(false)
	if err != nil || mailer == nil || sms != nil || outbox != nil {
		t.Errorf("got mailer %v, SMS %v, outbox %v, error %v; want an SMTP mailer only", mailer, sms, outbox, err)
	}

	t.Setenv("SMTP_PORT", "smtp")
	if _, _, _, err := senders(false); err == nil || !strings.Contains(err.Error(), "SMTP_PORT") {
		t.Errorf("with a bad SMTP_PORT: error %v, want one that names SMTP_PORT", err)
	}
}
