package smtpmail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser     = "mailer@example.com"
	testPassword = "correct horse battery staple"
)

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	sender, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return sender
}

func TestSend_DeliversHeadersAndUTF8BodyIntact(t *testing.T) {
	ts := startServer(t, serverOptions{})
	sender := newSender(t, ts.config(TLSNone))
	subject := "Bestätigen Sie Ihre Adresse — 確認してください"
	body := "Hallo Jürgen,\n\nbitte bestätigen: https://example.com/confirm?token=abc%3D&x=1\n" +
		strings.Repeat("Eine sehr lange Zeile mit Umlauten äöü. ", 5) + "\n— 🎉\n"

	if err := sender.Send(t.Context(), "Jürgen <user@example.org>", subject, body); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := ts.onlyDelivery(t)
	if got.from != "no-reply@example.com" {
		t.Errorf("MAIL FROM = %q, want no-reply@example.com", got.from)
	}
	if !slices.Equal(got.rcpts, []string{"user@example.org"}) {
		t.Errorf("RCPT TO = %q, want [user@example.org]", got.rcpts)
	}
	msg := parseDelivery(t, got)
	if from, err := mail.ParseAddress(msg.header.Get("From")); err != nil || from.Name != "Authkit Café" || from.Address != "no-reply@example.com" {
		t.Errorf("From header %q parses to %v, %v", msg.header.Get("From"), from, err)
	}
	if to, err := msg.header.AddressList("To"); err != nil || len(to) != 1 || to[0].Name != "Jürgen" || to[0].Address != "user@example.org" {
		t.Errorf("To header %q parses to %v, %v", msg.header.Get("To"), to, err)
	}
	if msg.subject != subject {
		t.Errorf("Subject decodes to %q, want %q", msg.subject, subject)
	}
	if date, err := msg.header.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date header %q parses to %v, %v; want about now", msg.header.Get("Date"), date, err)
	}
	if id := msg.header.Get("Message-Id"); !regexp.MustCompile(`^<[A-Z2-7]{26}@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID = %q, want a random id at the sender's domain", id)
	}
	if ct := msg.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") {
		t.Errorf("Content-Type = %q, want text/plain with charset UTF-8", ct)
	}
	if msg.body != body {
		t.Errorf("body arrived as\n%q\nwant\n%q", msg.body, body)
	}
}

func TestSend_AuthenticatesWithPLAINAfterSTARTTLS(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, username: testUser, password: testPassword})

	if err := newSender(t, ts.config(TLSMandatory)).Send(t.Context(), "user@example.org", "Hi", "Hello"); err != nil {
		t.Fatalf("Send: %v", err)
	}

	if got := ts.onlyDelivery(t); !slices.Equal(got.rcpts, []string{"user@example.org"}) {
		t.Errorf("RCPT TO = %q, want [user@example.org]", got.rcpts)
	}
}

func TestSend_DeliversOverImplicitTLS(t *testing.T) {
	ts := startServer(t, serverOptions{implicitTLS: true, username: testUser, password: testPassword})

	if err := newSender(t, ts.config(TLSImplicit)).Send(t.Context(), "user@example.org", "Hi", "Hello"); err != nil {
		t.Fatalf("Send: %v", err)
	}

	ts.onlyDelivery(t)
}

func TestSend_WrongPasswordFailsWithoutRevealingIt(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, username: testUser, password: testPassword})
	cfg := ts.config(TLSMandatory)
	wrong := "hunter2-wrong-secret"
	cfg.Password = wrong

	err := newSender(t, cfg).Send(t.Context(), "user@example.org", "Hi", "Hello")

	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	plainResponse := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + wrong))
	for _, secret := range []string{wrong, plainResponse} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q reveals %q", err, secret)
		}
	}
	if !strings.HasPrefix(err.Error(), "smtpmail: ") {
		t.Errorf("error %q lacks the smtpmail: prefix", err)
	}
	if _, _, deliveries := ts.stats(); len(deliveries) != 0 {
		t.Errorf("server received %d messages, want none", len(deliveries))
	}
}

func TestSend_TLSMandatoryRefusesServerWithoutSTARTTLS(t *testing.T) {
	ts := startServer(t, serverOptions{})

	err := newSender(t, ts.config(TLSMandatory)).Send(t.Context(), "user@example.org", "Hi", "Hello")

	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("Send error = %v, want one about missing STARTTLS", err)
	}
	if _, _, deliveries := ts.stats(); len(deliveries) != 0 {
		t.Errorf("server received %d messages in plain text, want none", len(deliveries))
	}
}

func TestSend_RefusesServerCertificateThatIsNotTrusted(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true})
	cfg := ts.config(TLSMandatory)
	cfg.TLSConfig = nil

	err := newSender(t, cfg).Send(t.Context(), "user@example.org", "Hi", "Hello")

	if err == nil {
		t.Fatal("Send trusted a self-signed certificate it was not told to trust")
	}
	if _, _, deliveries := ts.stats(); len(deliveries) != 0 {
		t.Errorf("server received %d messages, want none", len(deliveries))
	}
}

func TestSend_NeverSendsCredentialsWithoutTLSUnlessTLSNone(t *testing.T) {
	ts := startServer(t, serverOptions{allowInsecureAuth: true, username: testUser, password: testPassword})
	cfg := ts.config(TLSOpportunistic)

	err := newSender(t, cfg).Send(t.Context(), "user@example.org", "Hi", "Hello")

	if !errors.Is(err, errUnencryptedAuth) {
		t.Errorf("TLSOpportunistic without STARTTLS: Send error = %v, want %v", err, errUnencryptedAuth)
	}
	if _, attempts, _ := ts.stats(); attempts != 0 {
		t.Fatalf("server saw %d AUTH attempts in plain text, want none", attempts)
	}

	cfg.TLS = TLSNone
	if err := newSender(t, cfg).Send(t.Context(), "user@example.org", "Hi", "Hello"); err != nil {
		t.Fatalf("TLSNone, chosen explicitly: Send: %v", err)
	}
	ts.onlyDelivery(t)
}

func TestSend_RefusesRecipientsThatCouldInjectHeadersOrRecipients(t *testing.T) {
	ts := startServer(t, serverOptions{})
	sender := newSender(t, ts.config(TLSNone))
	tests := []struct{ name, to string }{
		{"CRLF then a Bcc header", "user@example.org\r\nBcc: evil@example.net"},
		{"bare LF then a Bcc header", "user@example.org\nBcc: evil@example.net"},
		{"bare CR then a Bcc header", "user@example.org\rBcc: evil@example.net"},
		{"CRLF then an SMTP command", "user@example.org>\r\nRCPT TO:<evil@example.net"},
		{"NUL byte", "user@example.org\x00evil@example.net"},
		{"CRLF in the display name", "\"Eve\r\nBcc: evil@example.net\" <user@example.org>"},
		{"two addresses", "user@example.org, evil@example.net"},
		{"empty", ""},
		{"no domain", "user@"},
		{"no at sign", "user.example.org"},
		{"invalid UTF-8", "us\xffer@example.org"},
		{"too long", strings.Repeat("a", 250) + "@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sender.Send(t.Context(), tt.to, "Hi", "Hello")

			var invalid *InvalidAddressError
			if !errors.As(err, &invalid) || invalid.Address != tt.to {
				t.Fatalf("Send error = %v, want an *InvalidAddressError for %q", err, tt.to)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Errorf("error message %q carries the raw control characters", err)
			}
		})
	}
	if sessions, _, _ := ts.stats(); sessions != 0 {
		t.Errorf("server saw %d SMTP sessions, want none for refused recipients", sessions)
	}
}

func TestSend_KeepsLineBreaksInSubjectFromStartingHeaders(t *testing.T) {
	ts := startServer(t, serverOptions{})
	subject := "Welcome\r\nBcc: evil@example.net\nX-Injected: yes"

	if err := newSender(t, ts.config(TLSNone)).Send(t.Context(), "user@example.org", subject, "Hello"); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := ts.onlyDelivery(t)
	if !slices.Equal(got.rcpts, []string{"user@example.org"}) {
		t.Errorf("RCPT TO = %q, want only user@example.org", got.rcpts)
	}
	msg := parseDelivery(t, got)
	for _, injected := range []string{"Bcc", "X-Injected"} {
		if values, ok := msg.header[injected]; ok {
			t.Errorf("message has an injected %s header: %q", injected, values)
		}
	}
	if want := "Welcome  Bcc: evil@example.net X-Injected: yes"; msg.subject != want {
		t.Errorf("Subject decodes to %q, want %q", msg.subject, want)
	}
}

func TestSend_KeepsBodyLinesThatLookLikeSMTPCommandsInsideTheMessage(t *testing.T) {
	ts := startServer(t, serverOptions{})
	body := "Hello\r\n.\r\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<evil@example.net>\r\nDATA\r\n.\n..\nbye\n"

	if err := newSender(t, ts.config(TLSNone)).Send(t.Context(), "user@example.org", "Hi", body); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := ts.onlyDelivery(t)
	if !slices.Equal(got.rcpts, []string{"user@example.org"}) {
		t.Errorf("RCPT TO = %q, want only user@example.org", got.rcpts)
	}
	if msg, want := parseDelivery(t, got), strings.ReplaceAll(body, "\r\n", "\n"); msg.body != want {
		t.Errorf("body arrived as %q, want %q", msg.body, want)
	}
}

func TestSend_SucceedsOnceServerAcceptedMessageEvenIfSessionThenBreaks(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ts := startServer(t, serverOptions{afterAccepting: func() {
		cancel()
		// Give Send time to close the connection before RSET is answered.
		time.Sleep(100 * time.Millisecond)
	}})

	err := newSender(t, ts.config(TLSNone)).Send(ctx, "user@example.org", "Hi", "Hello")

	if err != nil {
		t.Errorf("Send error = %v, want nil, so that a retry does not mail the user twice", err)
	}
	ts.onlyDelivery(t)
}

func TestSend_ReturnsAtOnceWhenContextIsAlreadyCancelled(t *testing.T) {
	ts := startServer(t, serverOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	err := newSender(t, ts.config(TLSNone)).Send(ctx, "user@example.org", "Hi", "Hello")

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send error = %v, want context.Canceled", err)
	}
	if sessions, _, _ := ts.stats(); sessions != 0 {
		t.Errorf("server saw %d SMTP sessions, want none", sessions)
	}
}

func TestSend_GivesUpPromptlyWhenContextEndsWhileServerStalls(t *testing.T) {
	tests := []struct {
		name    string
		context func(context.Context) (context.Context, context.CancelFunc)
		want    error
	}{
		{
			name: "deadline passes",
			context: func(parent context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(parent, 200*time.Millisecond)
			},
			want: context.DeadlineExceeded,
		},
		{
			name: "caller cancels",
			context: func(parent context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(parent)
				time.AfterFunc(200*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{stall: true})
			ctx, cancel := tt.context(t.Context())
			defer cancel()
			start := time.Now()

			err := newSender(t, ts.config(TLSNone)).Send(ctx, "user@example.org", "Hi", "Hello")

			if !errors.Is(err, tt.want) {
				t.Errorf("Send error = %v, want %v", err, tt.want)
			}
			// Timeout is 10 seconds, so returning well before it shows the
			// context, not the timeout, ended the stalled step.
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send returned after %v, want soon after the context ended", elapsed)
			}
		})
	}
}

func TestSend_FailsWithoutLeakingGoroutinesWhenServerIsDown(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	if err := listener.Close(); err != nil {
		t.Fatal(err)
	}
	sender := newSender(t, Config{Host: "127.0.0.1", Port: port, From: "no-reply@example.com"})
	before := runtime.NumGoroutine()

	err = sender.Send(t.Context(), "user@example.org", "Hi", "Hello")

	if err == nil || !strings.HasPrefix(err.Error(), "smtpmail: ") {
		t.Errorf("Send error = %v, want a smtpmail: error", err)
	}
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Send, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestSend_IsSafeForConcurrentUse(t *testing.T) {
	ts := startServer(t, serverOptions{startTLS: true, username: testUser, password: testPassword})
	sender := newSender(t, ts.config(TLSMandatory))
	const senders = 8

	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			if err := sender.Send(t.Context(), fmt.Sprintf("user%d@example.org", i), "Hi", "Hello"); err != nil {
				t.Errorf("Send %d: %v", i, err)
			}
		})
	}
	wg.Wait()

	_, _, deliveries := ts.stats()
	var rcpts []string
	for _, d := range deliveries {
		rcpts = append(rcpts, d.rcpts...)
	}
	slices.Sort(rcpts)
	if len(rcpts) != senders || len(slices.Compact(rcpts)) != senders {
		t.Errorf("server received recipients %q, want %d distinct ones", rcpts, senders)
	}
}
