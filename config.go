package authkit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/passhash"
	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/sqlschema"
)

// Config configures a [Kit]. Only DB is required (and Mailer, unless email
// verification is switched off); every other field has a default, stated
// in its comment, that suits a production deployment.
type Config struct {
	// DB is the application's PostgreSQL database. authkit's tables must
	// exist in it: apply sqlschema/postgres.sql with psql, or call
	// sqlschema.Apply. Required.
	DB *sqlx.DB

	// Sessions is the scs session manager authkit keeps its state in. The
	// default is built for you on authkit's own PostgreSQL store (table
	// TablePrefix+"sessions"), with Lifetime SessionLifetime, hashed
	// tokens in the store, and a cookie named "__Host-"+SessionCookieName
	// that is HttpOnly, SameSite=Lax, Secure and Path=/; share it with the
	// rest of your app through [Kit.Sessions]. authkit's store loads a
	// session and checks that it was not revoked in one query, and never
	// writes back a session that a revocation ended during the request.
	//
	// Pass a manager of your own only when its store must be another (a
	// Redis, say). What that trades: every logged-in request costs a
	// second query (the revocation check against the session index), and
	// a request in flight during a revocation may write its session back
	// to your store — it is refused, and deleted, at its next request. Its
	// cookie must be Secure unless AllowInsecureCookies is set, and its
	// IdleTimeout should be zero (authkit enforces IdleTimeout itself
	// without writing to the database on every request).
	Sessions *scs.SessionManager

	// TablePrefix starts the name of every table authkit uses. It must be
	// a plain lower-case SQL identifier. The default is "authkit_".
	TablePrefix string

	// SessionLifetime is the absolute lifetime of a session: after it the
	// user must log in again however active they were. The default is 12
	// hours.
	SessionLifetime time.Duration

	// IdleTimeout ends a session that has seen no request for this long.
	// Activity is recorded at most every ResyncInterval (or a quarter of
	// IdleTimeout, if shorter), so a session may end up to that much
	// earlier than a strict timer would end it. The default is 1 hour.
	IdleTimeout time.Duration

	// ResyncInterval is how often a session records its activity (for
	// IdleTimeout) in the database; between, a logged-in request writes
	// nothing. A session's user — status, roles, address, and whether its
	// sessions were revoked — is read with the session on every request,
	// so every change, even one made directly in SQL, applies at the next
	// request. The default is 5 minutes.
	ResyncInterval time.Duration

	// QueryTimeout bounds every database query authkit runs on a
	// request's path, loading the session included: a request whose query
	// takes longer fails with [ErrUnavailable] (503) instead of waiting,
	// so a slow or locked database cannot pile requests up. Bound the
	// connection pool of DB too (SetMaxOpenConns), or a stalled database
	// collects a connection per waiting request. The default is 3
	// seconds.
	QueryTimeout time.Duration

	// RememberDuration is how long "remember me" keeps a user signed in on
	// a device without entering the password. Each use of the token
	// rotates it and restarts the period. The default is 30 days.
	RememberDuration time.Duration

	// RememberCookieName names the remember-me cookie. When cookies are
	// Secure the name gets the "__Host-" prefix. The default is
	// "remember_token".
	RememberCookieName string

	// SessionCookieName names the session cookie of the default session
	// manager (see Sessions). When cookies are Secure the name gets the
	// "__Host-" prefix. Give each Kit of one site a name of its own, as
	// several projects on one domain need. The default is
	// "authkit_session".
	SessionCookieName string

	// ConfirmationExpiry is how long an email confirmation link stays
	// valid. The default is 24 hours.
	ConfirmationExpiry time.Duration

	// DisableEmailVerification lets users log in without confirming their
	// address, and Register sends no confirmation mail. The default,
	// false, requires a confirmed address before the first login.
	DisableEmailVerification bool

	// PasswordPolicy decides which new passwords are accepted. The zero
	// value is the default policy: 8 to 256 characters, no composition
	// rules, not on the shipped list of common passwords.
	PasswordPolicy PasswordPolicy

	// MaxConcurrentHashes bounds how many password hashes run at once, so
	// a flood of logins queues instead of exhausting memory (each argon2id
	// hash uses 19 MiB). The default, 0, means runtime.GOMAXPROCS(0):
	// hashing is CPU-bound, so more at once adds memory but no throughput.
	MaxConcurrentHashes int

	// Mailer sends the emails authkit writes (confirmations, and later
	// password resets and notices). Required unless
	// DisableEmailVerification is set. See [DevMailer] for development and
	// [SMTPMailer] for production.
	Mailer Mailer

	// BaseURL is the public address of the application, used to build the
	// links in emails, for example "https://example.com". It is required
	// unless Development is set, in which case it defaults to
	// "http://localhost:8080".
	BaseURL string

	// ConfirmEmailPath is the path, under BaseURL, of the page that calls
	// ConfirmEmail with the "token" query parameter. The default is
	// "/confirm-email".
	ConfirmEmailPath string

	// LoginLinkPath is the path, under BaseURL, of the page that calls
	// LoginWithLink with the "token" query parameter. The default is
	// "/login/link".
	LoginLinkPath string

	// TwoFactorTimeout is how long a login that passed the password check
	// waits for its second factor. The default is 5 minutes.
	TwoFactorTimeout time.Duration

	// ReauthenticationWindow is how long after entering the password a
	// session counts as "fresh" for sensitive operations (two-factor
	// set-up and removal, new backup codes). The default is 10 minutes.
	ReauthenticationWindow time.Duration

	// SMS sends the codes of SMS two-factor authentication. Nil, the
	// default, leaves SMS codes unavailable. See [DevSMS] for development.
	SMS SMSSender

	// Issuer names the app in authenticator apps, next to the user's email.
	// The default is the host name of BaseURL.
	Issuer string

	// EncryptionKey, when set, encrypts TOTP secrets at rest with
	// XChaCha20-Poly1305, and keys derived from it (HKDF-SHA256, one per
	// purpose) sign device cookies and key the HMAC under which one-time
	// codes are stored, so that reading the database reveals neither. It
	// must be exactly 32 random bytes; keep it out of the database (for
	// example in an environment variable). The default, nil, stores TOTP
	// secrets unencrypted, one-time codes as argon2id hashes (each check
	// costs a hash), and the device-cookie key in the database. Losing the
	// key disables every TOTP factor it sealed; changing it voids codes in
	// flight and device cookies.
	EncryptionKey []byte

	// Limits sets the throttles on logins, registrations, mails, tokens,
	// text messages and two-factor codes, and so the lockout policy. The
	// zero value is the default set, see [Limits].
	Limits Limits

	// DisableNewDeviceMail stops the mail that tells a user their
	// password was used from a browser that had not used it before (one
	// without the account's device cookie), naming the browser and its
	// address. The mail is not sent for an account's first login. The
	// default, false, sends it.
	DisableNewDeviceMail bool

	// APIKeyScopes, when set, says which scopes a user with the given
	// roles may give an API key: creating a key with any other scope fails
	// with ErrScopeNotAllowed, and a key loses, at each request, the scopes
	// its owner's roles no longer allow. The default, nil, lets keys carry
	// any scope: the app decides what each scope means, with
	// [Auth.HasScope].
	APIKeyScopes func(roles []string) []string

	// TrustedProxies lists the reverse proxies (load balancers) in front
	// of the app. Only when a request comes from one of them is
	// ClientIPHeader believed; otherwise the client IP is the connection's
	// peer, whatever headers say. The default, none, suits an app that
	// faces the internet directly.
	TrustedProxies []netip.Prefix

	// ClientIPHeader is the header in which TrustedProxies report the
	// client's address. The default is "X-Forwarded-For".
	ClientIPHeader string

	// AuditRetention is how long audit entries are kept. The default is
	// 90 days.
	AuditRetention time.Duration

	// AnonymousRetention is how long an anonymous user (see
	// [Auth.LoginAnonymous]) who is not seen again is kept before the
	// Kit's background cleanup deletes it with everything it owns, so that
	// abandoned guests do not pile up (SEC-A1). A user counts as seen at
	// each login; an upgraded user is never purged. The default is 30
	// days; a negative value turns the purge off.
	AnonymousRetention time.Duration

	// ResetExpiry is how long a password-reset link stays valid. The
	// default is 1 hour.
	ResetExpiry time.Duration

	// ResetPasswordPath is the path, under BaseURL, of the page that calls
	// ResetPassword with the "token" query parameter. The default is
	// "/reset-password".
	ResetPasswordPath string

	// LoginURL, when set, makes RequireLogin redirect anonymous GET and
	// HEAD requests there (with the original path in the "next" query
	// parameter) instead of answering 401.
	LoginURL string

	// UnauthorizedHandler answers the anonymous requests that RequireLogin
	// and RequireRole turn away, for an app that wants its own page. The
	// default redirects GET and HEAD requests to LoginURL when it is set
	// and answers 401 Unauthorized otherwise.
	UnauthorizedHandler http.Handler

	// ForbiddenHandler answers the logged-in requests that RequireRole
	// turns away for lacking the role. The default answers 403 Forbidden.
	ForbiddenHandler http.Handler

	// Development is the one switch for running on http://localhost: it
	// drops the Secure flag and the "__Host-" prefix from authkit's cookies
	// (as AllowInsecureCookies does) and lets BaseURL default to
	// http://localhost:8080. Without it New refuses an empty BaseURL, so a
	// production deployment cannot build confirmation and reset links to
	// localhost by accident. Never set it in production. The default is
	// false.
	Development bool

	// AllowInsecureCookies drops the Secure flag and the "__Host-" prefix
	// from authkit's cookies so that a browser sends them over plain
	// http. It is kept for existing code; set Development instead for
	// http://localhost. Never set it in production: the session cookie
	// would travel in clear. The default is false.
	AllowInsecureCookies bool

	// Templates change how messages read, one kind at a time (see
	// [MessageTemplate]); kinds not in it keep authkit's words, with HTML
	// from a plain default layout. New refuses a template that does not
	// parse or names a field Message lacks. The default, nil, changes
	// nothing.
	Templates map[MessageKind]MessageTemplate

	// LocalizedTemplates are Templates per locale, chosen by Locale; a
	// kind a locale lacks falls back to Templates. The default is none.
	LocalizedTemplates map[string]map[MessageKind]MessageTemplate

	// Locale picks the locale of a message's user, by address (a lookup
	// in the app's own user settings, say), for LocalizedTemplates. It
	// must be fast and safe for concurrent use. The default, nil, uses
	// Templates for everyone.
	Locale func(ctx context.Context, userEmail string) string

	// Logger receives authkit's audit events and errors. No password,
	// code or token is ever logged. The default is slog.Default().
	Logger *slog.Logger

	// ErrorHandler answers a request that the middleware cannot serve
	// because the database failed. The default logs the error and
	// answers 503 Service Unavailable.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Now returns the current time. Tests move it to check expiry; the
	// default is time.Now.
	Now func() time.Time
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// New checks cfg, fills in its defaults and returns a Kit. It fails with
// an error wrapping [ErrInvalidConfig] for a bad Config, with
// [ErrSchemaOutdated] when the database lacks authkit's tables or has an
// older schema than this release needs (the message says what to run),
// and with [ErrUnavailable] when the database does not answer.
func New(cfg Config) (*Kit, error) {
	if cfg.DB == nil {
		return nil, configError("Config.DB is required")
	}
	setDefaults(&cfg)
	if err := validate(&cfg); err != nil {
		return nil, err
	}
	templates, err := parseMessageTemplates(&cfg)
	if err != nil {
		return nil, err
	}
	hasher, err := passhash.New(passhash.DefaultParams, cfg.MaxConcurrentHashes)
	if err != nil {
		return nil, configError("%v", err)
	}
	k := &Kit{
		cfg: cfg,
		store: store.New(cfg.DB, cfg.TablePrefix, store.Options{
			Timeout: cfg.QueryTimeout, RequireVerified: !cfg.DisableEmailVerification,
		}),
		hasher:    hasher,
		templates: templates,
		log:       cfg.Logger,
		// PostgreSQL keeps microseconds; times compared with stored ones
		// must not carry more.
		now: func() time.Time { return cfg.Now().Truncate(time.Microsecond) },
	}
	k.activityEvery = min(cfg.ResyncInterval, cfg.IdleTimeout/4)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := checkSchema(ctx, cfg.DB, cfg.TablePrefix); err != nil {
		return nil, err
	}
	if err := k.fillEmailKeys(ctx); err != nil {
		return nil, err
	}
	if err := k.loadDeviceKey(ctx); err != nil {
		return nil, err
	}
	if cfg.DB.Stats().MaxOpenConnections == 0 {
		k.log.Warn("authkit: the database pool is unbounded; call DB.SetMaxOpenConns so that a slow database cannot collect a connection per waiting request")
	}
	k.sessions = cfg.Sessions
	if k.sessions == nil {
		k.sessions = k.defaultSessions()
		k.ownStore = true
	}
	k.rememberCookie = k.cookieName(cfg.RememberCookieName)
	k.deviceCookie = k.cookieName("authkit_device")
	k.startAuditQueue()
	k.startCleanup(cleanupInterval)
	return k, nil
}

// checkSchema refuses a database whose schema is older than this release
// of authkit needs. A newer one is fine: during a rolling upgrade the
// instances still on the old release keep working.
func checkSchema(ctx context.Context, db *sqlx.DB, prefix string) error {
	v, err := sqlschema.Version(ctx, db, prefix)
	if err != nil {
		return unavailable("check schema", err)
	}
	if v < sqlschema.Latest() {
		return fmt.Errorf("%w: the tables %q* are at version %d, this release needs %d: "+
			"call sqlschema.Apply(ctx, db, %q) at start-up, or run psql -f sqlschema/postgres.sql",
			ErrSchemaOutdated, prefix, v, sqlschema.Latest(), prefix)
	}
	return nil
}

// validCookieName reports whether name is a cookie name (an RFC 7230
// token) that needs no quoting.
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func setDefaults(cfg *Config) {
	if cfg.TablePrefix == "" {
		cfg.TablePrefix = sqlschema.DefaultPrefix
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.SessionLifetime, 12*time.Hour)
	def(&cfg.IdleTimeout, time.Hour)
	def(&cfg.ResyncInterval, 5*time.Minute)
	def(&cfg.QueryTimeout, 3*time.Second)
	def(&cfg.ConfirmationExpiry, 24*time.Hour)
	def(&cfg.RememberDuration, 30*24*time.Hour)
	def(&cfg.TwoFactorTimeout, 5*time.Minute)
	def(&cfg.ReauthenticationWindow, 10*time.Minute)
	def(&cfg.AuditRetention, 90*24*time.Hour)
	def(&cfg.AnonymousRetention, 30*24*time.Hour)
	def(&cfg.ResetExpiry, time.Hour)
	if cfg.ClientIPHeader == "" {
		cfg.ClientIPHeader = "X-Forwarded-For"
	}
	if cfg.ResetPasswordPath == "" {
		cfg.ResetPasswordPath = "/reset-password"
	}
	cfg.Limits.setDefaults()
	if cfg.RememberCookieName == "" {
		cfg.RememberCookieName = "remember_token"
	}
	if cfg.SessionCookieName == "" {
		cfg.SessionCookieName = "authkit_session"
	}
	if cfg.Development {
		cfg.AllowInsecureCookies = true
		if cfg.BaseURL == "" {
			cfg.BaseURL = "http://localhost:8080"
		}
	}
	if cfg.LoginLinkPath == "" {
		cfg.LoginLinkPath = "/login/link"
	}
	if cfg.ConfirmEmailPath == "" {
		cfg.ConfirmEmailPath = "/confirm-email"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ErrorHandler == nil {
		cfg.ErrorHandler = defaultErrorHandler(cfg.Logger)
	}
	cfg.PasswordPolicy.setDefaults()
}

func validate(cfg *Config) error {
	if !sqlschema.ValidPrefix(cfg.TablePrefix) {
		return configError("TablePrefix %q must match [a-z_][a-z0-9_]* and be at most 30 bytes", cfg.TablePrefix)
	}
	for name, d := range map[string]time.Duration{
		"SessionLifetime": cfg.SessionLifetime, "IdleTimeout": cfg.IdleTimeout,
		"ResyncInterval": cfg.ResyncInterval, "ConfirmationExpiry": cfg.ConfirmationExpiry,
		"RememberDuration": cfg.RememberDuration, "TwoFactorTimeout": cfg.TwoFactorTimeout,
		"ReauthenticationWindow": cfg.ReauthenticationWindow, "AuditRetention": cfg.AuditRetention,
		"ResetExpiry": cfg.ResetExpiry, "QueryTimeout": cfg.QueryTimeout,
	} {
		if d < 0 {
			return configError("%s must not be negative", name)
		}
	}
	if cfg.IdleTimeout > cfg.SessionLifetime {
		return configError("IdleTimeout (%v) must not exceed SessionLifetime (%v)", cfg.IdleTimeout, cfg.SessionLifetime)
	}
	if !validCookieName(cfg.RememberCookieName) {
		return configError("RememberCookieName %q is not a valid cookie name", cfg.RememberCookieName)
	}
	if !validCookieName(cfg.SessionCookieName) || cfg.SessionCookieName == cfg.RememberCookieName {
		return configError("SessionCookieName %q is not a valid cookie name of its own", cfg.SessionCookieName)
	}
	if cfg.MaxConcurrentHashes < 0 {
		return configError("MaxConcurrentHashes must not be negative")
	}
	if n := len(cfg.EncryptionKey); n != 0 && n != 32 {
		return configError("EncryptionKey must be 32 bytes, got %d", n)
	}
	if cfg.Mailer == nil && !cfg.DisableEmailVerification {
		return configError("Config.Mailer is required unless DisableEmailVerification is set")
	}
	if cfg.BaseURL == "" {
		return configError("BaseURL is required: set it to the application's public address (https://app.example.com), or set Development for http://localhost")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return configError("BaseURL %q must be an absolute http or https URL", cfg.BaseURL)
	}
	if err := cfg.PasswordPolicy.validate(); err != nil {
		return err
	}
	if err := cfg.Limits.validate(); err != nil {
		return err
	}
	if cfg.Issuer == "" {
		cfg.Issuer = u.Hostname()
	}
	if strings.ContainsAny(cfg.Issuer, ":\x00") {
		return configError("Issuer %q must not contain a colon", cfg.Issuer)
	}
	if s := cfg.Sessions; s != nil && !s.Cookie.Secure && !cfg.AllowInsecureCookies {
		return configError("the Sessions cookie must be Secure (or set AllowInsecureCookies for http://localhost development)")
	}
	return nil
}

func defaultErrorHandler(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		log.ErrorContext(r.Context(), "authkit: request failed", "error", err, "cause", cause(err), "path", r.URL.Path)
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	}
}
