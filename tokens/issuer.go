package tokens

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/token"
)

// Issuer issues access and refresh tokens for the users of one Kit and
// verifies access tokens; the Kit's middleware accepts them once [New] has
// returned. Make one at start-up, after [authkit.New], and share it; it is
// safe for concurrent use.
type Issuer struct {
	cfg    Config
	core   core.TokensKit
	store  *store
	parser *jwt.Parser
	ring   atomic.Pointer[keyring]
	// verified remembers the access tokens verified lately.
	verified verifiedTokens

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Tokens is a token response, as [Issuer.TokenHandler] sends it (RFC 6749
// section 5.1).
type Tokens struct {
	// AccessToken goes in the Authorization header: "Bearer " +
	// AccessToken. It is a JWT valid for Config.AccessLifetime.
	AccessToken string `json:"access_token"`
	// RefreshToken gets the next Tokens from [Issuer.Refresh] (POST token)
	// once the access token has expired. It is opaque, works once, and
	// must be kept secret (in the platform's keychain, say).
	RefreshToken string `json:"refresh_token"`
	// TokenType is "Bearer".
	TokenType string `json:"token_type"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int `json:"expires_in"`
	// ExpiresAt is when the access token expires.
	ExpiresAt time.Time `json:"-"`
}

// refreshPrefix starts every refresh token, so that one pasted where it
// does not belong (or found by a secret scanner) says what it is.
const refreshPrefix = "rt_"

// cleanupEvery is how many key refreshes pass between deletions of
// expired refresh tokens.
const cleanupEvery = 10

// New returns the Issuer of kit's tokens and makes kit's middleware accept
// its access tokens in Authorization: Bearer headers (a request so
// authenticated has [authkit.Auth.Via] [authkit.ViaAccessToken], no cookie
// session, and cannot call cookie-only actions, SEC-K2). kit needs a
// Config.EncryptionKey, which seals the signing keys in the database.
//
// New creates the first signing key if the database has none, and starts
// a background goroutine that reloads the keys every minute and rotates
// them (see Config.KeyRotation); [Issuer.Close] stops it. One Issuer per
// Kit: a second New for the same Kit takes over its middleware.
func New(kit *authkit.Kit, cfg Config) (*Issuer, error) {
	c, ok := core.Of(kit).(core.TokensKit)
	if !ok {
		return nil, configError("New needs a Kit made by authkit.New")
	}
	if len(c.EncryptionKey()) == 0 {
		return nil, configError("the Kit needs a Config.EncryptionKey to seal the signing keys")
	}
	cfg, err := cfg.withDefaults(c.BaseURL())
	if err != nil {
		return nil, err
	}
	i := &Issuer{cfg: cfg, core: c, store: newStore(c), stop: make(chan struct{}), done: make(chan struct{})}
	i.parser = i.newParser()
	if err := i.rotate(context.Background()); err != nil {
		return nil, unavailable("prepare signing keys", err)
	}
	if err := i.loadKeys(context.Background()); err != nil {
		return nil, err
	}
	c.SetBearer(bearer{i})
	go i.background()
	return i, nil
}

// Close stops the Issuer's background work. Tokens are still issued and
// verified with the keys loaded last, so close it when the app stops,
// before the Kit. Closing it again does nothing.
func (i *Issuer) Close() error {
	i.closeOnce.Do(func() {
		close(i.stop)
		<-i.done
	})
	return nil
}

// background reloads and rotates the keys, and deletes expired refresh
// tokens, until Close.
func (i *Issuer) background() {
	defer close(i.done)
	tick := time.NewTicker(keyRefresh)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-i.stop:
			return
		case <-tick.C:
		}
		if err := i.refreshKeys(context.Background()); err != nil {
			i.core.Logger().Warn("authkit: tokens: refreshing signing keys failed; the loaded ones stay in use", "error", err)
		}
		if n%cleanupEvery == 0 {
			if err := i.store.deleteExpired(context.Background(), i.core.Now()); err != nil {
				i.core.Logger().Warn("authkit: tokens: deleting expired refresh tokens failed", "error", err)
			}
		}
	}
}

// refreshKeys rotates the keys if their time has come, and reloads them.
func (i *Issuer) refreshKeys(ctx context.Context) error {
	if err := i.rotate(ctx); err != nil {
		return unavailable("rotate signing keys", err)
	}
	return i.loadKeys(ctx)
}

// IssueTokens starts a login for the user userID, for an app that
// authenticated the user its own way (a custom SSO, a magic link of its
// own), and returns its tokens, for audience ("" for the first of
// Config.Audiences). The account must be allowed in by the same rule as
// every login (SEC-S9): [authkit.ErrUserNotFound],
// [authkit.ErrEmailNotVerified] or an [*authkit.StatusError] otherwise.
// No second factor is asked: an app that uses one must have checked it.
// The login lives until a revocation of the user's sessions (SEC-S8) or
// Config.RefreshLifetime without a refresh.
func (i *Issuer) IssueTokens(ctx context.Context, userID int64, audience string) (*Tokens, error) {
	aud, err := i.cfg.audience(audience)
	if err != nil {
		return nil, err
	}
	u, err := i.core.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	t, err := i.startFamily(ctx, u, aud)
	if err != nil {
		return nil, err
	}
	i.core.AuditContext(ctx, core.Event{Event: eventIssued, Outcome: "ok", UserID: u.ID, Detail: "issued by the app for " + aud})
	return t, nil
}

// ExchangeSession turns the login of the request r — a cookie session,
// typically one that Login or CompleteTwoFactorLogin started a moment ago
// in the same handler — into tokens for audience ("" for the first of
// Config.Audiences): the session ends (with the device's remember-me
// token), so the response clears the session cookie instead of setting
// one, and the tokens carry the login on. This is how a JSON API answers
// a login that asked for tokens. A request without a cookie session gets
// [authkit.ErrNotLoggedIn]; one authenticated by an access token or API
// key, [authkit.ErrCookieSessionRequired], so a short-lived credential
// cannot be traded for a lasting one. A revocation since the session was
// loaded gives [authkit.ErrSessionRevoked]. A login that asks for tokens
// has no use for remember-me: Login's remember should be false.
func (i *Issuer) ExchangeSession(r *http.Request, audience string) (*Tokens, error) {
	aud, err := i.cfg.audience(audience)
	if err != nil {
		return nil, err
	}
	u, err := i.core.SessionUser(r)
	if err != nil {
		return nil, err
	}
	t, family, err := i.startFamilyOf(r.Context(), u, aud)
	if err != nil {
		return nil, err
	}
	if err := i.core.EndSession(r); err != nil {
		// The caller sees the error and no tokens: take them back.
		if rerr := i.store.revokeFamily(context.WithoutCancel(r.Context()), family); rerr != nil {
			i.core.Logger().Warn("authkit: tokens: revoking unused tokens failed", "error", rerr)
		}
		return nil, err
	}
	i.core.Audit(r, core.Event{Event: eventIssued, Outcome: "ok", UserID: u.ID, Detail: "session exchanged for " + aud})
	return t, nil
}

// Audit events of the package.
const (
	eventIssued  = "tokens_issued"
	eventRefresh = "token_refresh"
	eventReuse   = "refresh_token_reuse"
	eventRevoked = "refresh_token_revoked"
)

// startFamily starts a login family for u, whose Epoch was read before
// the way in checked the user's credentials, and returns its first tokens.
func (i *Issuer) startFamily(ctx context.Context, u core.User, aud string) (*Tokens, error) {
	t, _, err := i.startFamilyOf(ctx, u, aud)
	return t, err
}

func (i *Issuer) startFamilyOf(ctx context.Context, u core.User, aud string) (*Tokens, string, error) {
	now := i.core.Now()
	family, rt := token.Random(16), token.NewSplit()
	started, err := i.store.startFamily(ctx, refreshToken{
		Selector: rt.Selector, ValidatorHash: rt.Hash(), Family: family, UserID: u.ID, Epoch: u.Epoch,
		Audience: aud, CreatedAt: now, ExpiresAt: now.Add(i.cfg.RefreshLifetime),
	})
	if err != nil {
		return nil, "", unavailable("store refresh token", err)
	}
	if !started {
		return nil, "", authkit.ErrSessionRevoked
	}
	t, err := i.tokens(u, aud, family, rt, now)
	return t, family, err
}

// tokens returns the Tokens of a login: a new access token, and the
// refresh token rt.
func (i *Issuer) tokens(u core.User, aud, family string, rt token.Split, now time.Time) (*Tokens, error) {
	access, err := i.signAccess(u, aud, family, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		AccessToken: access, RefreshToken: refreshPrefix + rt.String(), TokenType: "Bearer",
		ExpiresIn: int(i.cfg.AccessLifetime / time.Second), ExpiresAt: now.Add(i.cfg.AccessLifetime),
	}, nil
}

// hiddenError matches an authkit sentinel and wraps the error behind it
// without showing its text, which can be a driver's.
type hiddenError struct {
	sentinel error
	what     string
	err      error
}

func (e *hiddenError) Error() string   { return fmt.Sprintf("%v (%s)", e.sentinel, e.what) }
func (e *hiddenError) Unwrap() []error { return []error{e.sentinel, e.err} }

// unavailable hides a database failure behind authkit.ErrUnavailable.
func unavailable(what string, err error) error {
	return &hiddenError{sentinel: authkit.ErrUnavailable, what: what, err: err}
}

// internalError is a failure that is neither the input's nor the
// database's, such as signing keys that the EncryptionKey does not open;
// its text has no secret and goes into the message.
func internalError(err error) error {
	return &hiddenError{sentinel: authkit.ErrInternal, what: err.Error(), err: err}
}
