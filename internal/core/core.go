// Package core is the seam through which authkit's subpackages (httpapi,
// oauth, passkey, tokens) reach the session core of the root package
// without the root package exporting it: they log users in, check
// eligibility and audit through the same functions as the root package's
// own ways in, so no subpackage restates a rule (SEC-S9).
//
// The root package registers itself at init; a subpackage calls [Of] with
// the *authkit.Kit it was given.
package core

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
)

// Kit is what a subpackage reaches of an *authkit.Kit.
type Kit interface {
	// DB is the Kit's database; Table returns the name of one of
	// authkit's tables ("users", "passkeys", ...) under the Kit's prefix.
	DB() *sqlx.DB
	Table(name string) string
	// QueryTimeout bounds every query on a request's path.
	QueryTimeout() time.Duration
	// Now is the Kit's clock.
	Now() time.Time
	// EncryptionKey is Config.EncryptionKey (nil when unset).
	EncryptionKey() []byte
	// BaseURL is Config.BaseURL.
	BaseURL() string
	// Sessions keeps subpackage state (OAuth state, WebAuthn challenges)
	// in the request's session.
	Put(r *http.Request, key string, value any)
	Pop(r *http.Request, key string) any

	// User loads a user and applies the session core's eligibility rule:
	// it returns the user, and the error a login would give (nil when the
	// account may have a session).
	User(ctx context.Context, userID int64) (User, error)
	// LogIn logs userID in on the request r (inside Kit.Middleware)
	// through the session core: the eligibility rule, a pending second
	// factor when the user has one and the way in did not prove two factors
	// (the error is then the *authkit.SecondFactorRequiredError), and a new
	// session token.
	LogIn(r *http.Request, userID int64, s Start) error
	// Audit records an authentication event of the request.
	Audit(r *http.Request, e Event)
	// Throttle takes a token from the bucket of r's client (its IP, as
	// the Kit determines it) for kind, which holds burst tokens and gains
	// one every every: *authkit.TooManyRequestsError when it is empty, and
	// authkit.ErrNoMiddleware for a request outside Kit.Middleware. The
	// function it returns gives the token back, for an attempt that turns
	// out not to count.
	Throttle(r *http.Request, kind string, burst int, every time.Duration) (giveBack func(), err error)
	// Logger is Config.Logger, for what has nobody to return an error to.
	Logger() *slog.Logger
	// SetBearer installs the verifier of bearer credentials that are not
	// API keys (JWT access tokens); the middleware then accepts them.
	SetBearer(b Bearer)
}

// User is an account as the core sees it.
type User struct {
	ID            int64
	Email         string
	EmailVerified bool
	Roles         []string
	// Epoch is the user's revocation counter: credentials made under an
	// older one are dead.
	Epoch int64
}

// Start says how a subpackage's way in starts a session.
type Start struct {
	// How names the way in for the audit log, for example "oauth:github"
	// or "passkey".
	How string
	// TwoFactors is set when the way in proved two factors at once (a
	// passkey with user verification): no second factor is asked.
	TwoFactors bool
	// Fresh makes the session count as having just proved the password
	// (for sensitive changes).
	Fresh bool
	// Remember issues a remember-me token for the device.
	Remember bool
	// Epoch is the revocation counter read before the credentials were
	// checked (from User): the session starts only if it is still the
	// user's (SEC-S8).
	Epoch int64
}

// Event is an audit event.
type Event struct {
	Event, Outcome string // Outcome: "ok", "failed", "pending" or "throttled"
	UserID         int64
	Detail         string // a short fixed reason; never a secret
}

// Bearer verifies bearer credentials without a database query.
type Bearer interface {
	// Authenticate returns who a credential (an Authorization: Bearer
	// value) belongs to, or an error for one that is not valid now.
	Authenticate(ctx context.Context, credential string) (Identity, error)
}

// Identity is who a bearer credential belongs to.
type Identity struct {
	UserID    int64
	Email     string
	Roles     []string
	Scopes    []string
	SessionID string // the credential's session or token family
	IssuedAt  time.Time
	ExpiresAt time.Time
}

var of func(kit any) Kit

// Register is called by the root package at init.
func Register(f func(kit any) Kit) { of = f }

// Of returns the core of kit, an *authkit.Kit, or nil for anything else.
func Of(kit any) Kit {
	if of == nil {
		return nil
	}
	return of(kit)
}
