package tokens

import (
	"fmt"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// MaxAccessLifetime is the longest AccessLifetime [New] accepts (SEC-J1):
// an access token is checked without the database, so a revocation
// reaches it only when it expires.
const MaxAccessLifetime = 15 * time.Minute

// Config configures an [Issuer]. The zero value of every field takes its
// default.
type Config struct {
	// Issuer is the "iss" claim of every access token, and the only one
	// verification accepts. The default is the Kit's Config.BaseURL.
	Issuer string

	// Audiences are the "aud" values tokens are issued for, one per client
	// or API (for example "ios", "android", "https://api.example.com"). An
	// access token carries the audience its login was issued for, and the
	// Kit's middleware accepts an access token for any of them, so list
	// only audiences meant for this app. A refresh token stays bound to
	// its audience. The first is the default when a caller names none. The
	// default is []string{Issuer}.
	Audiences []string

	// AccessLifetime is how long an access token is valid. It is also the
	// longest a revocation (a ban, logout everywhere, a password change)
	// takes to reach a token already handed out, since access tokens are
	// verified without the database. The default is 10 minutes; New
	// refuses more than MaxAccessLifetime (15 minutes).
	AccessLifetime time.Duration

	// RefreshLifetime is how long a refresh token stays valid unused:
	// each refresh hands out a new one valid this long, so a client that
	// refreshes at least this often stays logged in until the login is
	// revoked. The default is 30 days.
	RefreshLifetime time.Duration

	// Grace is how long a refresh token that was used stays usable, so
	// that concurrent refreshes with the same token (two requests of one
	// app racing, a retry after a lost answer) all succeed. Presenting the
	// token after that is reuse: the whole family of tokens of that login
	// is revoked, as a stolen copy is the likely reason. The default is 10
	// seconds; New refuses more than a minute.
	Grace time.Duration

	// Leeway is the clock skew allowed when checking an access token's
	// exp and iat claims. The default is 30 seconds; New refuses more than
	// 2 minutes.
	Leeway time.Duration

	// KeyRotation is how long one signing key signs access tokens before
	// the next one takes over. The next key is published (in the JWKS and
	// to every app instance) several minutes before it signs, and a retired
	// key stays published until the last token it signed has expired. The
	// default is 30 days; New refuses less than an hour.
	KeyRotation time.Duration

	// RefreshPerIP bounds failed refreshes (unknown, expired or reused
	// refresh tokens) from one client IP. Successful refreshes do not
	// count, so a stranger cannot spend the budget of a client that
	// refreshes correctly from another address. The default is Burst 50,
	// then one every 10 seconds.
	RefreshPerIP authkit.Limit
}

// Defaults.
const (
	defaultAccessLifetime  = 10 * time.Minute
	defaultRefreshLifetime = 30 * 24 * time.Hour
	defaultGrace           = 10 * time.Second
	defaultLeeway          = 30 * time.Second
	defaultKeyRotation     = 30 * 24 * time.Hour
	maxGrace               = time.Minute
	maxLeeway              = 2 * time.Minute
	minKeyRotation         = time.Hour
)

// withDefaults fills in the defaults and checks the result.
func (c Config) withDefaults(baseURL string) (Config, error) {
	if c.Issuer == "" {
		c.Issuer = baseURL
	}
	if c.Issuer == "" {
		return c, configError("Issuer is empty and the Kit has no BaseURL")
	}
	if len(c.Audiences) == 0 {
		c.Audiences = []string{c.Issuer}
	}
	for _, aud := range c.Audiences {
		if aud == "" || strings.ContainsAny(aud, "\x00") {
			return c, configError("Audiences holds an empty or malformed audience")
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.AccessLifetime, defaultAccessLifetime)
	def(&c.RefreshLifetime, defaultRefreshLifetime)
	def(&c.Grace, defaultGrace)
	def(&c.Leeway, defaultLeeway)
	def(&c.KeyRotation, defaultKeyRotation)
	if c.RefreshPerIP.Burst == 0 {
		c.RefreshPerIP.Burst = 50
	}
	if c.RefreshPerIP.Every == 0 {
		c.RefreshPerIP.Every = 10 * time.Second
	}
	switch {
	case c.AccessLifetime < 0 || c.AccessLifetime > MaxAccessLifetime:
		return c, configError("AccessLifetime %v is not between 0 and %v (SEC-J1)", c.AccessLifetime, MaxAccessLifetime)
	case c.RefreshLifetime < 0:
		return c, configError("RefreshLifetime %v is negative", c.RefreshLifetime)
	case c.Grace < 0 || c.Grace > maxGrace:
		return c, configError("Grace %v is not between 0 and %v", c.Grace, maxGrace)
	case c.Leeway < 0 || c.Leeway > maxLeeway:
		return c, configError("Leeway %v is not between 0 and %v", c.Leeway, maxLeeway)
	case c.KeyRotation < minKeyRotation:
		return c, configError("KeyRotation %v is less than %v", c.KeyRotation, minKeyRotation)
	case c.RefreshPerIP.Burst < 1 || c.RefreshPerIP.Every <= 0:
		return c, configError("RefreshPerIP needs a positive Burst and Every")
	}
	return c, nil
}

// audience returns the audience a caller asked for, or the default for "".
func (c Config) audience(aud string) (string, error) {
	if aud == "" {
		return c.Audiences[0], nil
	}
	for _, a := range c.Audiences {
		if a == aud {
			return aud, nil
		}
	}
	return "", ErrUnknownAudience
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: tokens: %s", authkit.ErrInvalidConfig, fmt.Sprintf(format, args...))
}
