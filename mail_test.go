package authkit

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDevMailer_KeepsAndPrintsMessages(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	m := NewDevMailer(&out)
	ctx := context.Background()
	m.Send(ctx, Message{To: "a@example.com", Subject: "one", Text: "first"})
	m.Send(ctx, Message{To: "b@example.com", Subject: "two", Text: "second"})
	m.Send(ctx, Message{To: "a@example.com", Subject: "three", Text: "third"})
	if got := len(m.Messages()); got != 3 {
		t.Fatalf("kept %d messages, want 3", got)
	}
	if last, ok := m.Last("a@example.com"); !ok || last.Subject != "three" {
		t.Fatalf("Last = %+v, %v", last, ok)
	}
	if _, ok := m.Last("nobody@example.com"); ok {
		t.Fatal("Last found a message that was never sent")
	}
	if !strings.Contains(out.String(), "second") {
		t.Fatal("the message was not printed")
	}
}

func TestNewSMTPMailer_RefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	if _, err := NewSMTPMailer(SMTPConfig{From: "a@example.com"}); err == nil {
		t.Error("no host accepted")
	}
	if _, err := NewSMTPMailer(SMTPConfig{Host: "localhost"}); err == nil {
		t.Error("no sender accepted")
	}
	if _, err := NewSMTPMailer(SMTPConfig{Host: "localhost", From: "a@example.com", TLS: SMTPTLS(9)}); err == nil {
		t.Error("unknown TLS policy accepted")
	}
}

func TestRegister_ConfirmationMailCarriesALinkToTheConfirmPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://app.example.com"; c.ConfirmEmailPath = "/welcome" })
	e.request(func(a *Auth) { a.Register("link@example.com", testPassword) })
	msg, ok := e.mail.Last("link@example.com")
	if !ok || msg.Kind != MessageConfirmEmail || !strings.HasPrefix(msg.Link, "https://app.example.com/welcome?token=") ||
		!strings.Contains(msg.Text, msg.Link) {
		t.Fatalf("confirmation mail = %+v", msg)
	}
}

func TestMessages_CarryTheirLinkAndExpiryAsFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.request(func(a *Auth) { a.Register("fields@example.com", testPassword) })
	msg, ok := e.mail.Last("fields@example.com")
	if !ok || msg.Link == "" || msg.ExpiresIn != e.kit.cfg.ConfirmationExpiry || msg.UserEmail != "fields@example.com" {
		t.Fatalf("confirmation mail = %+v", msg)
	}
	if MessageLoginCode != MessageSecondFactorCode {
		t.Fatal("MessageLoginCode no longer matches the second-factor code")
	}
}
