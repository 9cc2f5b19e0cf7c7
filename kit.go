package authkit

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/store"
)

// Kit is authkit configured for one application. Make one with [New] at
// start-up and share it; it is safe for concurrent use.
type Kit struct {
	cfg      Config
	store    *store.Store
	sessions *scs.SessionManager
	ownStore bool // sessions live in authkit's own store (see Config.Sessions)
	hasher   passwordHasher
	// templates are Config.Templates, parsed; sendMail applies them.
	templates *messageTemplates
	log       *slog.Logger
	now       func() time.Time
	// passkeyCount counts a user's passkeys, once package passkey is in
	// use (see core_passkey.go).
	passkeyCount func(ctx context.Context, userID int64) (int, error)

	activityEvery time.Duration // how often a session records its activity
	bearer        core.Bearer   // verifies access tokens, when package tokens is in use
	auditQ        *auditQueue   // the audit entries of refused attempts, on their way

	rememberCookie string // the remember-me cookie's name, prefixed when Secure
	deviceCookie   string // the device cookie's name, prefixed when Secure
	deviceKey      []byte // signs device cookies

	stopCleanup chan struct{}
	cleanupDone chan struct{}
	mailWG      sync.WaitGroup // mail being sent, and throttle tokens given back, in the background
	closeOnce   sync.Once

	droppedCookieWarning sync.Once // see warnDroppedCookie
}

// passwordHasher is what authkit needs from internal/passhash; tests wrap
// it to count the work done.
type passwordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error)
	VerifyDummy(ctx context.Context, password string) error
	Key(ctx context.Context, secret string, salt []byte) ([]byte, error)
}

// defaultSessions builds the scs manager described on Config.Sessions.
func (k *Kit) defaultSessions() *scs.SessionManager {
	s := scs.New()
	s.Store = k.store.SessionStore(k.now, slotOf)
	s.Codec = sessionCodec{}
	s.Lifetime = k.cfg.SessionLifetime
	s.HashTokenInStore = true
	s.Cookie.Name = k.cookieName(k.cfg.SessionCookieName)
	s.Cookie.HttpOnly = true
	s.Cookie.SameSite = http.SameSiteLaxMode
	s.Cookie.Secure = !k.cfg.AllowInsecureCookies
	s.Cookie.Path = "/"
	// Without Persist the cookie ends with the browser; the server-side
	// lifetimes still apply. Remember-me is the way to outlive the browser.
	s.Cookie.Persist = false
	s.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		k.fail(w, r, unavailable("session store", err))
	}
	return s
}

// slotOf is how authkit's session store finds what the request's session
// belongs to: through the request's Auth.
func slotOf(ctx context.Context) *store.Slot {
	if a, ok := ctx.Value(contextKey{}).(*Auth); ok {
		return &a.slot
	}
	return nil
}

// cookieName adds the "__Host-" prefix when cookies are Secure: browsers
// then refuse the cookie unless it is Secure, host-only and Path=/, so a
// sibling subdomain cannot plant or overwrite it.
func (k *Kit) cookieName(name string) string {
	if k.cfg.AllowInsecureCookies {
		return name
	}
	return "__Host-" + name
}

// Sessions returns the scs session manager the Kit uses, so the app can
// keep its own values in the same session.
func (k *Kit) Sessions() *scs.SessionManager { return k.sessions }

// Close stops the Kit's background work: it stops the cleanup of expired
// tokens and sessions and waits for mail being sent in the background.
// The Kit must not be used afterwards; closing it again does nothing.
func (k *Kit) Close() (err error) {
	k.closeOnce.Do(func() {
		close(k.stopCleanup)
		<-k.cleanupDone
		k.mailWG.Wait()
		k.auditQ.close()
		err = k.store.Close()
	})
	return err
}

// cleanupInterval is how often expired tokens and session index entries
// are deleted.
const cleanupInterval = 10 * time.Minute

// startCleanup deletes expired rows every interval in the background, so
// that no request pays for it.
func (k *Kit) startCleanup(interval time.Duration) {
	k.stopCleanup, k.cleanupDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(k.cleanupDone)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-k.stopCleanup:
				return
			case <-tick.C:
				k.cleanup(context.Background())
			}
		}
	}()
}

// cleanup is one round of the background cleanup: expired rows, then the
// anonymous users older than Config.AnonymousRetention (SEC-A1). Failures
// are logged; the next round tries again.
func (k *Kit) cleanup(ctx context.Context) {
	now := k.now()
	err := k.store.WithTimeout(time.Minute).DeleteExpired(ctx, now, now.Add(-k.cfg.AuditRetention))
	if err != nil {
		k.log.Warn("authkit: deleting expired rows failed", "error", err)
	}
	if k.cfg.AnonymousRetention < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if n, err := k.Admin().PurgeAnonymous(ctx, k.cfg.AnonymousRetention); err != nil {
		k.log.Warn("authkit: purging anonymous users failed", "error", err, "purged", n)
	}
}
