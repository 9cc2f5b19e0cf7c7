package authkit

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMessageTemplates_OverrideOneKindAndTheOthersKeepTheirWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Templates = map[MessageKind]MessageTemplate{
			MessageConfirmEmail: {
				Subject: "Welcome, {{.UserEmail}}",
				Text:    "Confirm within {{duration .ExpiresIn}}: {{.Link}}\n",
				HTML:    `<p>{{.Text}}</p><a href="{{.Link}}">Confirm</a>`,
			},
		}
	})
	d := e.device()
	if err := d.err(func(a *Auth) error { _, err := a.Register("ada@example.com", testPassword); return err }); err != nil {
		t.Fatal(err)
	}
	e.kit.mailWG.Wait()
	msg, _ := e.mail.Last("ada@example.com")
	if msg.Kind != MessageConfirmEmail || msg.Subject != "Welcome, ada@example.com" {
		t.Fatalf("subject %q of a %s", msg.Subject, msg.Kind)
	}
	if want := "Confirm within " + humanDuration(e.kit.cfg.ConfirmationExpiry) + ": " + msg.Link + "\n"; msg.Text != want {
		t.Fatalf("text %q, want %q", msg.Text, want)
	}
	if !strings.HasPrefix(msg.HTML, "<p>Confirm within") || !strings.Contains(msg.HTML, `href="`+strings.ReplaceAll(msg.Link, "&", "&amp;")+`"`) {
		t.Fatalf("html %q", msg.HTML)
	}

	// Another kind keeps authkit's subject and text, with the default HTML.
	e.user("bob@example.com")
	if err := e.device().err(func(a *Auth) error { return a.ForgotPassword("bob@example.com") }); err != nil {
		t.Fatal(err)
	}
	e.kit.mailWG.Wait()
	reset, _ := e.mail.Last("bob@example.com")
	if reset.Kind != MessagePasswordReset || strings.Contains(reset.Subject, "Welcome") || reset.Text == "" {
		t.Fatalf("the reset mail changed: %+v", reset)
	}
	if !strings.Contains(reset.HTML, "<!DOCTYPE html>") || !strings.Contains(reset.HTML, "Open the link") {
		t.Fatalf("the reset mail lacks the default HTML: %q", reset.HTML)
	}
}

func TestMessageTemplates_DefaultHTMLEscapesWhatItShowsForEveryKind(t *testing.T) {
	t.Parallel()
	mt, err := parseMessageTemplates(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	k := &Kit{templates: mt}
	kinds := []MessageKind{MessageConfirmEmail, MessageSecondFactorCode, MessagePasswordReset, MessageChangeEmail,
		MessagePasswordChanged, MessageEmailChangeRequested, MessageEmailChanged, MessageEmailTaken,
		MessageStolenLogin, MessageNewDevice, MessageLoginLink}
	for _, kind := range kinds {
		msg := k.renderMessage(context.Background(), Message{
			Kind: kind, To: "a@example.com", Subject: "Hello <b>", Text: "From <script>alert(1)</script>\n",
			Code: "123456", Link: "https://example.com/x?token=a&b=c", Device: "<img src=x>",
		})
		if strings.Contains(msg.HTML, "<script>") || !strings.Contains(msg.HTML, "&lt;script&gt;") || strings.Contains(msg.HTML, "Hello <b>") {
			t.Errorf("%s: user text not escaped:\n%s", kind, msg.HTML)
		}
		if !strings.Contains(msg.HTML, "123456") || !strings.Contains(msg.HTML, `href="https://example.com/x?token=a&amp;b=c"`) {
			t.Errorf("%s: code or link missing:\n%s", kind, msg.HTML)
		}
		if msg.Text != "From <script>alert(1)</script>\n" || msg.Subject != "Hello <b>" {
			t.Errorf("%s: the text or subject changed: %q %q", kind, msg.Subject, msg.Text)
		}
	}
}

func TestMessageTemplates_LocaleChoosesItsSetAndFallsBack(t *testing.T) {
	t.Parallel()
	mt, err := parseMessageTemplates(&Config{
		Templates: map[MessageKind]MessageTemplate{MessagePasswordReset: {Subject: "Reset"}},
		LocalizedTemplates: map[string]map[MessageKind]MessageTemplate{
			"de": {MessageConfirmEmail: {Subject: "Bitte bestätigen"}},
		},
		Locale: func(_ context.Context, email string) string {
			if strings.HasSuffix(email, ".de") {
				return "de"
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	k := &Kit{templates: mt}
	render := func(kind MessageKind, email string) string {
		return k.renderMessage(context.Background(), Message{Kind: kind, UserEmail: email, Subject: "Confirm"}).Subject
	}
	if got := render(MessageConfirmEmail, "jan@example.de"); got != "Bitte bestätigen" {
		t.Errorf("German confirmation: %q", got)
	}
	if got := render(MessageConfirmEmail, "ada@example.com"); got != "Confirm" {
		t.Errorf("English confirmation: %q", got)
	}
	if got := render(MessagePasswordReset, "jan@example.de"); got != "Reset" {
		t.Errorf("a kind the locale lacks falls back to Templates: %q", got)
	}
}

func TestNew_RefusesAMessageTemplateThatDoesNotParseOrNamesAMissingField(t *testing.T) {
	t.Parallel()
	for name, tpl := range map[string]MessageTemplate{
		"unclosed action": {Text: "Hello {{.UserEmail"},
		"missing field":   {Subject: "Hello {{.Name}}"},
		"unknown func":    {HTML: "{{upper .Code}}"},
	} {
		_, err := parseMessageTemplates(&Config{Templates: map[MessageKind]MessageTemplate{MessageConfirmEmail: tpl}})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), string(MessageConfirmEmail)) {
			t.Errorf("%s: error %v, want ErrInvalidConfig naming the kind", name, err)
		}
	}
	_, err := New(Config{DB: newEnv(t).db, BaseURL: "https://example.com",
		Templates: map[MessageKind]MessageTemplate{MessageConfirmEmail: {Subject: "{{.Nope}}"}}})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with a bad template: %v", err)
	}
}
