package authkit

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/authkit/authkit/internal/smtpmail"
)

// MessageKind says why authkit sends a message, so a Mailer can pick its
// own template for it.
type MessageKind string

// The kinds of message authkit sends.
const (
	// MessageConfirmEmail asks a new user to confirm their address; Link
	// leads to Config.ConfirmEmailPath with the token.
	MessageConfirmEmail MessageKind = "confirm-email"
	// MessageSecondFactorCode carries a one-time code for the second step
	// of a login, or for enabling email codes, in Code. It has no Link.
	MessageSecondFactorCode MessageKind = "login-code"
	// MessageLoginCode is the former name of MessageSecondFactorCode, kept
	// with the same value so that existing Mailers keep matching it.
	//
	// Deprecated: use MessageSecondFactorCode.
	MessageLoginCode = MessageSecondFactorCode
	// MessagePasswordReset carries a password-reset link; Link leads to
	// Config.ResetPasswordPath with the token.
	MessagePasswordReset MessageKind = "password-reset"
	// MessageChangeEmail asks the new address of an account to confirm
	// the change; Link leads to Config.ConfirmEmailPath with the token.
	MessageChangeEmail MessageKind = "change-email"
	// MessagePasswordChanged tells the user their password was changed
	// (by them, or by a reset). It has no Link.
	MessagePasswordChanged MessageKind = "password-changed"
	// MessageEmailChangeRequested tells the current address that a change
	// to another address was asked for, with the new one masked. It has no
	// Link.
	MessageEmailChangeRequested MessageKind = "email-change-requested"
	// MessageEmailChanged tells the former address that the change
	// happened. It has no Link.
	MessageEmailChanged MessageKind = "email-changed"
	// MessageEmailTaken tells the owner of an address that someone tried to
	// make it the address of another account. It has no Link.
	MessageEmailTaken MessageKind = "email-taken"
	// MessageStolenLogin tells the user that an old copy of a remember-me
	// cookie was used, so that device was logged out. It has no Link.
	MessageStolenLogin MessageKind = "stolen-login"
	// MessageNotice was the kind of every notice above before each got its
	// own; authkit no longer sends it. A Mailer that matched it should
	// match those kinds.
	//
	// Deprecated: use the notice's own kind.
	MessageNotice MessageKind = "notice"
	// MessageNewDevice tells the user that their password was used from a
	// device it had not been used from before. It has no Link.
	MessageNewDevice MessageKind = "new-device"
	// MessageLoginLink carries a login link; Link leads to
	// Config.LoginLinkPath with the token.
	MessageLoginLink MessageKind = "login-link"
)

// Message is an email authkit wants sent. Text is a complete plain-text
// body; Mailers that render their own templates use Kind and the
// structured fields (Link, Code, ExpiresIn, UserEmail) instead, so they
// never parse Text. Link and Code are secrets: a Mailer must not log them.
type Message struct {
	To      string
	Subject string
	Text    string
	Kind    MessageKind
	Link    string
	// Code is the one-time code of a MessageSecondFactorCode; empty
	// otherwise.
	Code string
	// ExpiresIn is how long Link or Code works; zero when there is none.
	ExpiresIn time.Duration
	// UserEmail is the account's address, which differs from To for a
	// message to a new address being confirmed.
	UserEmail string
	// HTML is the message as HTML, from Config.Templates or authkit's
	// default layout around Text; SMTPMailer sends it as an alternative
	// to Text. Mailers that render their own templates may ignore it.
	HTML string
	// Device and IP describe the client of a MessageNewDevice: its user
	// agent and address. Empty for other kinds.
	Device, IP string
}

// Mailer sends email. Send must honour ctx and be safe for concurrent use.
// An error means the message was not handed over for delivery.
type Mailer interface {
	Send(ctx context.Context, msg Message) error
}

// DevMailer is a Mailer for development and tests: it keeps every message
// in memory and, if Out is set, prints it there, link included, so a
// developer can click the confirmation link without an SMTP server. Never
// use it in production: the printed links are secrets.
type DevMailer struct {
	// Out receives a copy of every message. Nil prints nothing.
	Out io.Writer

	sent outbox[Message]
}

// NewDevMailer returns a DevMailer that prints to out (nil for none).
func NewDevMailer(out io.Writer) *DevMailer { return &DevMailer{Out: out} }

// Send keeps msg and prints it to Out.
func (m *DevMailer) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.sent.add(msg)
	if m.Out != nil {
		_, err := fmt.Fprintf(m.Out, "---- mail to %s: %s\n%s\n----\n", msg.To, msg.Subject, msg.Text)
		return err
	}
	return nil
}

// Messages returns the messages sent so far, oldest first.
func (m *DevMailer) Messages() []Message { return m.sent.all() }

// Last returns the newest message sent to the address to.
func (m *DevMailer) Last(to string) (Message, bool) {
	return m.sent.last(func(msg Message) bool { return msg.To == to })
}

// SMTPTLS is how an [SMTPMailer] protects its connection.
type SMTPTLS int

// The TLS policies of an SMTPMailer.
const (
	// SMTPStartTLS requires STARTTLS and refuses to send in clear. It is
	// the default.
	SMTPStartTLS SMTPTLS = iota
	// SMTPImplicitTLS connects with TLS from the start (SMTPS, port 465).
	SMTPImplicitTLS
	// SMTPOpportunisticTLS uses STARTTLS when the server offers it and
	// sends in clear otherwise.
	SMTPOpportunisticTLS
	// SMTPNoTLS sends in clear; only for a relay on localhost.
	SMTPNoTLS
)

// SMTPConfig configures an [SMTPMailer].
type SMTPConfig struct {
	// Host is the SMTP server's host name. Required.
	Host string
	// Port is the server's port. The default is 587, or 465 with
	// SMTPImplicitTLS.
	Port int
	// Username and Password, when set, authenticate with SMTP AUTH.
	Username, Password string
	// From is the sender, for example `"Example" <no-reply@example.com>`.
	// Required.
	From string
	// TLS is the TLS policy. The default is SMTPStartTLS.
	TLS SMTPTLS
	// Timeout bounds each delivery. The default is 10 seconds.
	Timeout time.Duration
}

// SMTPMailer sends authkit's messages through an SMTP server. It opens a
// connection per message and is safe for concurrent use.
type SMTPMailer struct {
	sender *smtpmail.Sender
}

// NewSMTPMailer checks cfg and returns an SMTPMailer.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	policy := map[SMTPTLS]smtpmail.TLSPolicy{
		SMTPStartTLS:         smtpmail.TLSMandatory,
		SMTPImplicitTLS:      smtpmail.TLSImplicit,
		SMTPOpportunisticTLS: smtpmail.TLSOpportunistic,
		SMTPNoTLS:            smtpmail.TLSNone,
	}
	p, ok := policy[cfg.TLS]
	if !ok {
		return nil, fmt.Errorf("authkit: unknown SMTPConfig.TLS %d", cfg.TLS)
	}
	s, err := smtpmail.New(smtpmail.Config{
		Host: cfg.Host, Port: cfg.Port, Username: cfg.Username, Password: cfg.Password,
		From: cfg.From, TLS: p, Timeout: cfg.Timeout,
	})
	if err != nil {
		return nil, err
	}
	return &SMTPMailer{sender: s}, nil
}

// Send delivers msg: as multipart/alternative when it has an HTML body,
// as plain text otherwise.
func (m *SMTPMailer) Send(ctx context.Context, msg Message) error {
	return m.sender.SendWithHTML(ctx, msg.To, msg.Subject, msg.Text, msg.HTML)
}

// sendMail sends msg now and wraps a failure in ErrMailNotSent.
func (k *Kit) sendMail(ctx context.Context, msg Message) error {
	if k.cfg.Mailer == nil {
		return ErrNoMailer
	}
	msg = k.renderMessage(ctx, msg)
	if err := k.cfg.Mailer.Send(ctx, msg); err != nil {
		return k.senderFailed(ctx, ErrMailNotSent, "mail", string(msg.Kind), err)
	}
	return nil
}

// sendMailLater runs prepare and sends the message it returns in the
// background, so that the caller's answer takes the same time whether or
// not there was anything to send (SEC-E2). Failures are logged. Close
// waits for mail still being sent.
func (k *Kit) sendMailLater(ctx context.Context, prepare func(ctx context.Context) (Message, bool)) {
	ctx = context.WithoutCancel(ctx)
	k.mailWG.Add(1)
	go func() {
		defer k.mailWG.Done()
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if msg, ok := prepare(ctx); ok {
			_ = k.sendMail(ctx, msg) // logged by sendMail
		}
	}()
}

// senderFailed logs and wraps the failure of a Mailer or SMS sender
// (SEC-I6). Neither the log nor the returned error's text shows the
// sender's own message, which can quote the code or link it failed to
// send; errors.Is/As still reach the sender's error.
func (k *Kit) senderFailed(ctx context.Context, sentinel error, what, kind string, err error) error {
	k.log.ErrorContext(ctx, "authkit: sending "+what+" failed", "kind", kind, "error_type", fmt.Sprintf("%T", err))
	return &hiddenError{sentinel: sentinel, what: "sending " + what, err: err}
}
