package authkittest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/capture"
)

// WaitTimeout is the longest [Mailer.Wait] and [SMS.Wait] wait, whatever
// their context allows: a test whose message never comes then fails within
// seconds, naming the address, instead of at go test's ten-minute timeout.
const WaitTimeout = 10 * time.Second

// Mailer is an authkit.Mailer for tests: it keeps every message it is given
// instead of sending it, for the test to read. The zero value is ready to
// use, and a Mailer is safe for concurrent use; it must not be copied.
//
// The messages hold what a real inbox would: confirmation and reset links
// and one-time codes, which are secrets. Use a Mailer in tests and never in
// production, and do not log what it keeps outside a test.
type Mailer struct {
	rec recorder[authkit.Message]
}

// Send keeps msg, unless ctx has ended or [Mailer.FailWith] set an error,
// which Send then returns without keeping msg.
func (m *Mailer) Send(ctx context.Context, msg authkit.Message) error {
	return m.rec.send(ctx, msg)
}

// FailWith makes every later Send fail with err, so that a test can check
// what the app does when mail cannot be sent: authkit reports it as
// authkit.ErrMailNotSent. FailWith(nil) makes Send work again.
func (m *Mailer) FailWith(err error) { m.rec.failWith(err) }

// Messages returns the messages kept so far, oldest first.
func (m *Mailer) Messages() []authkit.Message { return m.rec.box.All() }

// Last returns the newest message to the address to, compared
// case-insensitively, and whether there is one.
func (m *Mailer) Last(to string) (authkit.Message, bool) {
	return m.rec.box.Last(mailTo(to))
}

// Wait returns the messages to the address to (compared case-insensitively)
// one at a time, oldest first, waiting for the next one if it has not been
// sent yet: the first call returns the first message to that address, the
// second call the second, and so on. It suits mail that authkit sends in
// the background, such as the notices of ForgotPassword and
// ResendConfirmation, which may arrive after the call that caused them has
// returned. [Mailer.Last] and [Mailer.Messages] do not move Wait on.
//
// Wait gives up when ctx ends or after [WaitTimeout], returning an error
// that wraps the context's error and names the addresses that did get
// mail.
func (m *Mailer) Wait(ctx context.Context, to string) (authkit.Message, error) {
	return m.rec.wait(ctx, "mail", to, strings.ToLower(to), mailTo(to), func(msg authkit.Message) string { return msg.To })
}

// WaitKind is [Mailer.Wait] for the messages of one kind to the address:
// the others are passed over, and Wait still returns them. A test that
// expects a confirmation link, say, is then not thrown by a notice sent
// in between (a new-device mail after a login from a new browser).
func (m *Mailer) WaitKind(ctx context.Context, to string, kind authkit.MessageKind) (authkit.Message, error) {
	match := func(msg authkit.Message) bool { return strings.EqualFold(msg.To, to) && msg.Kind == kind }
	return m.rec.wait(ctx, "mail of kind "+string(kind), to, strings.ToLower(to)+"\x00"+string(kind), match,
		func(msg authkit.Message) string { return msg.To })
}

func mailTo(to string) func(authkit.Message) bool {
	return func(msg authkit.Message) bool { return strings.EqualFold(msg.To, to) }
}

// SMS is an authkit.SMSSender for tests: it keeps every text message it is
// given instead of sending it, for the test to read. The zero value is
// ready to use, and an SMS is safe for concurrent use; it must not be
// copied.
//
// The messages hold one-time codes, which are secrets. Use an SMS in tests
// and never in production.
type SMS struct {
	rec recorder[authkit.SMS]
}

// SendSMS keeps the message, unless ctx has ended or [SMS.FailWith] set an
// error, which SendSMS then returns without keeping the message.
func (s *SMS) SendSMS(ctx context.Context, to, text string) error {
	return s.rec.send(ctx, authkit.SMS{To: to, Text: text})
}

// FailWith makes every later SendSMS fail with err, so that a test can
// check what the app does when a text cannot be sent: authkit reports it as
// authkit.ErrSMSNotSent. FailWith(nil) makes SendSMS work again.
func (s *SMS) FailWith(err error) { s.rec.failWith(err) }

// Messages returns the messages kept so far, oldest first.
func (s *SMS) Messages() []authkit.SMS { return s.rec.box.All() }

// Last returns the newest message to the phone number to, in the E.164 form
// authkit sends to ("+442079460958"), and whether there is one.
func (s *SMS) Last(to string) (authkit.SMS, bool) { return s.rec.box.Last(smsTo(to)) }

// Wait returns the messages to the phone number to, in E.164 form, one at a
// time as [Mailer.Wait] does for mail: each call returns the next one no
// earlier call returned, waiting for it if need be, at most until ctx ends
// or [WaitTimeout] has passed.
func (s *SMS) Wait(ctx context.Context, to string) (authkit.SMS, error) {
	return s.rec.wait(ctx, "text message", to, to, smsTo(to), func(msg authkit.SMS) string { return msg.To })
}

func smsTo(to string) func(authkit.SMS) bool {
	return func(msg authkit.SMS) bool { return msg.To == to }
}

// recorder is what Mailer and SMS share: the messages and the failure to
// inject.
type recorder[T any] struct {
	box capture.Box[T]

	mu   sync.Mutex
	fail error
}

func (r *recorder[T]) send(ctx context.Context, msg T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		return fail
	}
	r.box.Add(msg)
	return nil
}

func (r *recorder[T]) failWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// wait is Next on the messages match picks, with its own cursor, with
// WaitTimeout and an error that says what was sent instead. kind names
// the message in the error and recipient reads a message's address.
func (r *recorder[T]) wait(ctx context.Context, kind, to, cursor string, match func(T) bool, recipient func(T) string) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, WaitTimeout)
	defer cancel()
	msg, err := r.box.Next(ctx, cursor, match)
	if err == nil {
		return msg, nil
	}
	var others []string
	for _, m := range r.box.All() {
		others = append(others, recipient(m))
	}
	sent := "nothing was sent"
	if len(others) > 0 {
		sent = "sent so far, to: " + strings.Join(others, ", ")
	}
	return msg, fmt.Errorf("%s: waited for the next %s to %s (%w); %s", name, kind, to, err, sent)
}
