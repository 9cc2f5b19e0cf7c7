package smtpmail

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAddressLength is the longest address SMTP can carry: RFC 5321 limits a
// path to 256 octets, two of which are its angle brackets.
const maxAddressLength = 254

// InvalidAddressError reports a recipient that [Sender.Send] refused before
// connecting to the server: an empty or malformed address, more than one
// address, or one containing a control character such as CR, LF or NUL that
// could inject a header or an SMTP command.
type InvalidAddressError struct {
	// Address is the recipient exactly as it was given.
	Address string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns a message that quotes the address, so that a line break in
// it cannot forge a log line either.
func (e *InvalidAddressError) Error() string {
	return "smtpmail: invalid recipient address " + strconv.Quote(e.Address) + ": " + e.Reason
}

// parseAddress accepts one RFC 5322 address, with or without a display
// name. It returns a reason instead of an error so that the recipient and
// Config.From can each report it in their own error type.
func parseAddress(s string) (*mail.Address, string) {
	if s == "" {
		return nil, "empty"
	}
	if !utf8.ValidString(s) {
		return nil, "not valid UTF-8"
	}
	// net/mail would reject most of these too, but header and SMTP command
	// injection is ruled out here in one visible place rather than by
	// relying on the details of a parser.
	if strings.ContainsFunc(s, unicode.IsControl) {
		return nil, "contains a control character such as CR, LF or NUL"
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return nil, "not a single valid address (" + err.Error() + ")"
	}
	if len(addr.Address) > maxAddressLength {
		return nil, "longer than " + strconv.Itoa(maxAddressLength) + " bytes"
	}
	return addr, ""
}
