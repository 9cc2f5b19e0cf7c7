package smtpmail

import (
	"errors"
	"slices"
	"strings"

	"github.com/wneessen/go-mail/smtp"
)

var (
	errUnencryptedAuth = errors.New("refusing to send credentials over a connection without TLS (only TLSNone allows it)")
	errNoAuthMechanism = errors.New("server offers neither AUTH PLAIN nor AUTH LOGIN")
)

// login is the SMTP AUTH used when Config.Username is set. It replaces
// go-mail's own choice of mechanism for two reasons: go-mail counts a
// connection as encrypted only when it did the TLS itself, which is not the
// case for implicit TLS through Sender's dialer, and the PLAIN and LOGIN
// mechanisms it inherits from net/smtp send the password unencrypted to any
// server named localhost, which TLSPolicy promises never to do.
//
// A login holds the state of one exchange, so each Send makes its own.
type login struct {
	username, password string
	allowPlaintext     bool
	mechanism          smtp.Auth
}

// Start checks the connection, then hands over to PLAIN, or to LOGIN for
// servers that offer only that.
func (a *login) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.allowPlaintext {
		return "", nil, errUnencryptedAuth
	}
	offers := func(name string) bool {
		return slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, name) })
	}
	// The encryption check is done above, so the mechanisms are told to
	// allow an unencrypted connection rather than to judge it again.
	switch {
	case offers("PLAIN"):
		a.mechanism = smtp.PlainAuth("", a.username, a.password, server.Name, true)
	case offers("LOGIN"):
		a.mechanism = smtp.LoginAuth(a.username, a.password, server.Name, true)
	default:
		return "", nil, errNoAuthMechanism
	}
	return a.mechanism.Start(server)
}

// Next answers the server's challenges with the mechanism Start chose.
func (a *login) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.mechanism.Next(fromServer, more)
}
