package smtpmail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"unicode"

	gomail "github.com/wneessen/go-mail"
)

// Sender sends plain-text mail through one SMTP server.
//
// A Sender is safe for concurrent use by many goroutines. Each Send opens
// its own connection, authenticates, delivers one message and quits, so
// calls share nothing but the read-only configuration. That costs a
// handshake per message, which suits the low volume of confirmation and
// reset mail, and means a broken connection never outlives one Send.
type Sender struct {
	cfg settings
}

// New validates cfg and returns a Sender for it. It returns a
// [*ConfigError] naming the first field that is missing or wrong. New does
// not connect to the server; the first Send does.
func New(cfg Config) (*Sender, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return &Sender{cfg: s}, nil
}

// Send delivers one text/plain UTF-8 message to the single address to,
// which may carry a display name. It returns an [*InvalidAddressError],
// without connecting, if to is not exactly one well-formed address. Line
// breaks and other control characters in subject are replaced by spaces.
//
// Send gives up when ctx ends, at whatever step it has reached, and returns
// an error matching ctx.Err() with errors.Is. Once the server has accepted
// the message Send returns nil, even if ending the session fails, so that a
// caller who retries on error does not mail the user twice.
//
// Every error begins with "smtpmail: " and never contains Config.Password.
func (s *Sender) Send(ctx context.Context, to, subject, textBody string) error {
	return s.SendWithHTML(ctx, to, subject, textBody, "")
}

// SendWithHTML is Send with an HTML body too: the mail is
// multipart/alternative, the text part first, so that clients which show
// HTML show htmlBody and the others textBody. An empty htmlBody sends
// plain text only, as Send does.
func (s *Sender) SendWithHTML(ctx context.Context, to, subject, textBody, htmlBody string) error {
	rcpt, reason := parseAddress(to)
	if reason != "" {
		return &InvalidAddressError{Address: to, Reason: reason}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtpmail: not sent: %w", err)
	}
	msg := s.message(rcpt, subject, textBody, htmlBody)

	var stopWatching func() bool
	dial := func(dialCtx context.Context, _, _ string) (net.Conn, error) {
		conn, err := s.dial(dialCtx)
		if err == nil {
			// go-mail consults the context only while dialing. Closing the
			// connection when ctx ends is what stops a stalled server from
			// holding Send for up to Timeout at each later step.
			stopWatching = context.AfterFunc(ctx, func() { conn.Close() })
		}
		return conn, err
	}
	client, err := gomail.NewClient(s.cfg.host, s.clientOptions(dial)...)
	if err != nil {
		return fmt.Errorf("smtpmail: %w", err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if stopWatching != nil {
		stopWatching()
	}
	switch {
	case err == nil || msg.IsDelivered():
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("smtpmail: sending mail: %w (%w)", ctx.Err(), err)
	default:
		return fmt.Errorf("smtpmail: sending mail: %w", err)
	}
}

// dial opens the TCP connection, wrapped in TLS from the start for
// TLSImplicit. It ignores go-mail's idea of the address because go-mail
// joins host and port without brackets, which breaks IPv6 literals.
func (s *Sender) dial(ctx context.Context) (net.Conn, error) {
	dialer := &net.Dialer{}
	if s.cfg.tls == TLSImplicit {
		tlsDialer := &tls.Dialer{NetDialer: dialer, Config: s.cfg.tlsConfig}
		return tlsDialer.DialContext(ctx, "tcp", s.cfg.addr)
	}
	return dialer.DialContext(ctx, "tcp", s.cfg.addr)
}

func (s *Sender) clientOptions(dial gomail.DialContextFunc) []gomail.Option {
	// With TLSImplicit the dialer has already wrapped the connection in TLS,
	// so go-mail must not try STARTTLS inside it.
	policy := gomail.NoTLS
	switch s.cfg.tls {
	case TLSMandatory:
		policy = gomail.TLSMandatory
	case TLSOpportunistic:
		policy = gomail.TLSOpportunistic
	}
	opts := []gomail.Option{
		gomail.WithDialContextFunc(dial),
		gomail.WithTimeout(s.cfg.timeout),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(s.cfg.tlsConfig),
	}
	if s.cfg.username != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&login{
			username:       s.cfg.username,
			password:       s.cfg.password,
			allowPlaintext: s.cfg.tls == TLSNone,
		}))
	}
	return opts
}

func (s *Sender) message(to *mail.Address, subject, textBody, htmlBody string) *gomail.Msg {
	// The default User-Agent would tell every recipient which library and
	// version sent the mail, which helps nobody but an attacker.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.cfg.from)
	msg.ToMailAddress(to)
	msg.Subject(strings.Map(spaceForControl, subject))
	msg.SetDate()
	// go-mail's own Message-ID names this machine's host name, which leaks
	// internal names and often is no domain at all; the sender's domain is
	// what RFC 5322 suggests.
	if s.cfg.messageIDDomain != "" {
		msg.SetMessageIDWithValue(rand.Text() + "@" + s.cfg.messageIDDomain)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, textBody)
	if htmlBody != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, htmlBody)
	}
	return msg
}

// spaceForControl keeps a subject on one line. go-mail already encodes a
// line break into an RFC 2047 word, so it cannot start a new header, but
// once decoded it would still break the subject line in a mail client.
func spaceForControl(r rune) rune {
	if unicode.IsControl(r) {
		return ' '
	}
	return r
}
