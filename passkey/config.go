package passkey

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/authkit/authkit"
)

// Config is the relying party a Service speaks for: the site passkeys are
// bound to and the pages allowed to use them.
type Config struct {
	// RPID is the relying party ID: the domain passkeys are created for,
	// such as "example.com". Browsers let pages on that domain or on its
	// subdomains use them, and authenticators check it: a passkey made for
	// one RP ID never works for another. It must be a domain name, not an
	// IP address or URL; "localhost" serves development. Required, and
	// hard to change later: passkeys made under an RP ID only work there.
	RPID string

	// RPDisplayName is the name of the site that authenticators show
	// while creating a passkey. The default is RPID.
	RPDisplayName string

	// Origins lists the origins of the pages that call
	// navigator.credentials, such as "https://example.com" and
	// "https://app.example.com": scheme, host and port, nothing else. Each
	// host must be RPID or a subdomain of it, and each scheme https,
	// except http for localhost in development. An answer from any other
	// origin is refused (SEC-W1). Required.
	Origins []string

	// UserVerification says whether a passkey must verify its user (a
	// PIN, a fingerprint, a face) to log in without a password or to
	// reauthenticate. The default, [VerificationRequired], is what
	// SEC-W1 asks for: such a passkey proves two factors at once
	// (something you have, unlocked by something you know or are), so
	// the login needs no second step. [VerificationPreferred] also accepts
	// passkeys that only prove presence (a security key without a PIN):
	// such a login counts as one factor, so a user with a second factor
	// is asked for it, and one without gets in on the passkey alone, as
	// with a password. Use it only when you must support such keys. The
	// second step of a login never asks for user verification: the
	// password was the first factor.
	UserVerification UserVerification
}

// UserVerification is a policy on user verification (the UV flag of
// WebAuthn).
type UserVerification string

// The user verification policies.
const (
	// VerificationRequired refuses passkeys that did not verify their
	// user for passwordless logins and reauthentication.
	VerificationRequired UserVerification = "required"
	// VerificationPreferred asks for user verification but accepts a
	// passkey without it, as one factor.
	VerificationPreferred UserVerification = "preferred"
)

// challengeLifetime is how long a ceremony's challenge can be answered
// (SEC-W1).
const challengeLifetime = 5 * time.Minute

// ConfigError is returned by [New] for a Config it cannot use. It matches
// [authkit.ErrInvalidConfig].
type ConfigError struct {
	// Field names the Config field at fault.
	Field string
	// Problem says what is wrong with it.
	Problem string
}

// Error names the field and its problem.
func (e *ConfigError) Error() string {
	return "authkit: invalid passkey config: " + e.Field + ": " + e.Problem
}

// Unwrap makes the error match authkit.ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return authkit.ErrInvalidConfig }

// withDefaults checks cfg and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.RPID == "" {
		return cfg, &ConfigError{"RPID", "required"}
	}
	if cfg.RPID != strings.ToLower(cfg.RPID) || strings.ContainsAny(cfg.RPID, ":/") || protocol.ValidateRPID(cfg.RPID) != nil {
		return cfg, &ConfigError{"RPID", "must be a lower-case domain name such as example.com, not an IP address or URL"}
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = cfg.RPID
	}
	if len(cfg.Origins) == 0 {
		return cfg, &ConfigError{"Origins", "required: the origins of the pages that use passkeys, such as https://" + cfg.RPID}
	}
	cfg.Origins = slices.Clone(cfg.Origins)
	for i, o := range cfg.Origins {
		canonical, err := checkOrigin(o, cfg.RPID)
		if err != nil {
			return cfg, err
		}
		cfg.Origins[i] = canonical
	}
	switch cfg.UserVerification {
	case "":
		cfg.UserVerification = VerificationRequired
	case VerificationRequired, VerificationPreferred:
	default:
		return cfg, &ConfigError{"UserVerification", "must be VerificationRequired or VerificationPreferred"}
	}
	return cfg, nil
}

// checkOrigin checks that origin is an origin the relying party rpID may
// serve, and returns it in canonical form.
func checkOrigin(origin, rpID string) (string, error) {
	bad := func(problem string) error { return &ConfigError{"Origins", origin + ": " + problem} }
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", bad("not an origin such as https://" + rpID)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", bad("an origin is a scheme, a host and a port, without a path, query or user")
	}
	host := strings.ToLower(u.Hostname())
	if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		return "", bad("its host is neither " + rpID + " nor a subdomain of it")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && host == "localhost":
	default:
		return "", bad("must be https (http only for localhost)")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}
