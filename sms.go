package authkit

import (
	"context"
	"fmt"
	"io"
)

// SMSSender sends text messages, for two-factor codes by SMS. SendSMS
// gets the phone number in E.164 form ("+15551234567"); it must honour
// ctx, be safe for concurrent use, and never log the text, which holds a
// code.
type SMSSender interface {
	SendSMS(ctx context.Context, to, text string) error
}

// SMS is a text message a [DevSMS] sent.
type SMS struct {
	To   string
	Text string
}

// DevSMS is an SMSSender for development and tests: it keeps every
// message in memory and, if Out is set, prints it there. Never use it in
// production: the messages hold login codes.
type DevSMS struct {
	// Out receives a copy of every message. Nil prints nothing.
	Out io.Writer

	sent outbox[SMS]
}

// NewDevSMS returns a DevSMS that prints to out (nil for none).
func NewDevSMS(out io.Writer) *DevSMS { return &DevSMS{Out: out} }

// SendSMS keeps the message and prints it to Out.
func (s *DevSMS) SendSMS(ctx context.Context, to, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.sent.add(SMS{To: to, Text: text})
	if s.Out != nil {
		_, err := fmt.Fprintf(s.Out, "---- SMS to %s: %s\n", to, text)
		return err
	}
	return nil
}

// Messages returns the messages sent so far, oldest first.
func (s *DevSMS) Messages() []SMS { return s.sent.all() }

// Last returns the newest message sent to the number to.
func (s *DevSMS) Last(to string) (SMS, bool) {
	return s.sent.last(func(m SMS) bool { return m.To == to })
}
