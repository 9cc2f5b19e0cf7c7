package smtpmail

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// TLSPolicy says how a [Sender] protects the connection to the SMTP server.
// The zero value is [TLSMandatory].
type TLSPolicy int

const (
	// TLSMandatory connects in plain text and requires the server to offer
	// STARTTLS; a server that does not is refused rather than used without
	// encryption. It is the default and suits submission on port 587.
	TLSMandatory TLSPolicy = iota

	// TLSOpportunistic upgrades with STARTTLS when the server offers it and
	// otherwise sends in plain text, so anyone on the path can read and alter
	// the mail. Credentials are still never sent without TLS: with a
	// Username set, a server without STARTTLS makes Send fail. Do not use it
	// for confirmation or reset mail over an untrusted network.
	TLSOpportunistic

	// TLSImplicit speaks TLS from the first byte (SMTPS, RFC 8314), as on
	// port 465.
	TLSImplicit

	// TLSNone never encrypts, and sends credentials in plain text if they
	// are set. Use it only for a relay on the same host or a development
	// mail catcher.
	TLSNone
)

// String returns the policy's constant name, for error messages and logs.
func (p TLSPolicy) String() string {
	switch p {
	case TLSMandatory:
		return "TLSMandatory"
	case TLSOpportunistic:
		return "TLSOpportunistic"
	case TLSImplicit:
		return "TLSImplicit"
	case TLSNone:
		return "TLSNone"
	}
	return fmt.Sprintf("TLSPolicy(%d)", int(p))
}

// Defaults for the zero values of [Config] fields.
const (
	// DefaultPort is the submission port used with STARTTLS or no TLS.
	DefaultPort = 587

	// DefaultImplicitTLSPort is the submissions port used with [TLSImplicit].
	DefaultImplicitTLSPort = 465

	// DefaultTimeout bounds each network step of a Send.
	DefaultTimeout = 10 * time.Second
)

// Config configures a [Sender]. Only Host and From are required.
type Config struct {
	// Host is the SMTP server's host name or IP address, without a port.
	// It is also the name the server's certificate must carry, unless
	// TLSConfig says otherwise.
	Host string

	// Port is the server's TCP port. The default value is 587, or 465 when
	// TLS is TLSImplicit.
	Port int

	// Username, when set, makes Send authenticate with SMTP AUTH PLAIN, or
	// LOGIN if the server offers only that, and fail if the server offers
	// neither. Credentials are only ever sent over TLS, unless TLS is
	// TLSNone. The default value sends mail without authenticating.
	Username string

	// Password goes with Username; the two must be set together. It never
	// appears in an error.
	Password string

	// From is the sender's address, with an optional display name:
	// "Example <no-reply@example.com>". It is used for the From header and
	// the envelope (MAIL FROM).
	From string

	// TLS is the connection's TLS policy. The default value is TLSMandatory.
	TLS TLSPolicy

	// TLSConfig, when set, is used for STARTTLS and implicit TLS, for
	// instance to trust a private CA. A copy is taken, and its ServerName
	// defaults to Host. The default value verifies the server against the
	// system's roots with TLS 1.2 or newer.
	TLSConfig *tls.Config

	// Timeout bounds each network step of a Send: the dial, each SMTP
	// command and the transfer of the message. The context given to Send
	// bounds the whole of it. The default value is 10 seconds.
	Timeout time.Duration
}

// ConfigError reports a [Config] field that [New] refused.
type ConfigError struct {
	// Field is the name of the Config field, such as "Port".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns the message "smtpmail: invalid Config.Field: Reason".
func (e *ConfigError) Error() string {
	return "smtpmail: invalid Config." + e.Field + ": " + e.Reason
}

// settings is a Config that has been validated and had its defaults filled
// in, so that Send never has to check it again.
type settings struct {
	host     string
	addr     string
	username string
	password string
	from     *mail.Address
	// messageIDDomain is From's domain, or empty when it cannot stand in a
	// Message-ID as it is (an internationalised domain, for one).
	messageIDDomain string
	tls             TLSPolicy
	tlsConfig       *tls.Config
	timeout         time.Duration
}

func (cfg Config) settings() (settings, error) {
	if err := checkHost(cfg.Host); err != nil {
		return settings{}, err
	}
	if cfg.TLS < TLSMandatory || cfg.TLS > TLSNone {
		return settings{}, &ConfigError{"TLS", "unknown policy " + cfg.TLS.String()}
	}
	port := cfg.Port
	switch {
	case port == 0 && cfg.TLS == TLSImplicit:
		port = DefaultImplicitTLSPort
	case port == 0:
		port = DefaultPort
	case port < 0 || port > 65535:
		return settings{}, &ConfigError{"Port", fmt.Sprintf("%d is not between 1 and 65535", port)}
	}
	timeout := cfg.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		return settings{}, &ConfigError{"Timeout", "must not be negative"}
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return settings{}, &ConfigError{"Username", "Username and Password must be set together"}
	}
	from, reason := parseAddress(cfg.From)
	if reason != "" {
		return settings{}, &ConfigError{"From", reason}
	}

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}

	return settings{
		host:            cfg.Host,
		addr:            net.JoinHostPort(cfg.Host, fmt.Sprint(port)),
		username:        cfg.Username,
		password:        cfg.Password,
		from:            from,
		messageIDDomain: messageIDDomain(from.Address),
		tls:             cfg.TLS,
		tlsConfig:       tlsConfig,
		timeout:         timeout,
	}, nil
}

func checkHost(host string) error {
	if host == "" {
		return &ConfigError{"Host", "required"}
	}
	if _, port, err := net.SplitHostPort(host); err == nil {
		return &ConfigError{"Host", fmt.Sprintf("must not include a port (%s); set Port instead", port)}
	}
	// A slash would make go-mail read "unix://..." as a socket path, brackets
	// would be doubled when the port is joined, and spaces or control
	// characters would reach the SMTP conversation and the TLS server name.
	if strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("/[]", r) }) {
		return &ConfigError{"Host", fmt.Sprintf("%q is not a host name or IP address (write IPv6 without brackets)", host)}
	}
	return nil
}

func messageIDDomain(address string) string {
	domain := address[strings.LastIndexByte(address, '@')+1:]
	if strings.ContainsFunc(domain, func(r rune) bool { return r <= ' ' || r > '~' || r == '<' || r == '>' }) {
		return ""
	}
	return domain
}
