package authkit

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/store"
)

// coreKit is the Kit as the subpackages see it through internal/core: the
// same session core the root package's own ways in use.
type coreKit struct{ k *Kit }

func init() {
	core.Register(func(kit any) core.Kit {
		if k, ok := kit.(*Kit); ok && k != nil {
			return coreKit{k}
		}
		return nil
	})
}

func (c coreKit) DB() *sqlx.DB                { return c.k.cfg.DB }
func (c coreKit) Table(name string) string    { return c.k.cfg.TablePrefix + name }
func (c coreKit) QueryTimeout() time.Duration { return c.k.cfg.QueryTimeout }
func (c coreKit) Now() time.Time              { return c.k.now() }
func (c coreKit) EncryptionKey() []byte       { return c.k.cfg.EncryptionKey }
func (c coreKit) BaseURL() string             { return c.k.cfg.BaseURL }
func (c coreKit) SetBearer(b core.Bearer)     { c.k.bearer = b }

func (c coreKit) Put(r *http.Request, key string, value any) {
	c.k.sessions.Put(r.Context(), key, value)
}
func (c coreKit) Pop(r *http.Request, key string) any { return c.k.sessions.Pop(r.Context(), key) }

func (c coreKit) User(ctx context.Context, userID int64) (core.User, error) {
	u, err := c.k.store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return core.User{}, ErrUserNotFound
	}
	if err != nil {
		return core.User{}, unavailable("load user", err)
	}
	cu := core.User{ID: u.ID, Email: u.Email, EmailVerified: u.Verified, Roles: u.Roles, Epoch: u.Epoch}
	return cu, c.k.eligible(u)
}

func (c coreKit) LogIn(r *http.Request, userID int64, s core.Start) error {
	a := From(r)
	if err := a.ready(); err != nil {
		return err
	}
	u, err := c.k.store.UserByID(a.ctx(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrUserNotFound
	}
	if err != nil {
		return unavailable("load user", err)
	}
	u.Epoch = s.Epoch // as read before the way in checked its credentials
	return a.admit(u, admission{how: s.How, fresh: s.Fresh, remember: s.Remember, twoFactors: s.TwoFactors})
}

func (c coreKit) Audit(r *http.Request, e core.Event) {
	From(r).audit(auditEvent{event: e.Event, outcome: e.Outcome, userID: e.UserID, detail: e.Detail})
}

func (c coreKit) Throttle(r *http.Request, kind string, burst int, every time.Duration) (func(), error) {
	if err := From(r).ready(); err != nil {
		return nil, err
	}
	b := bucket{kind + ":ip:" + ipKey(c.k.clientIP(r)), Limit{Burst: burst, Every: every}}
	if err := c.k.take(r.Context(), b); err != nil {
		return nil, err
	}
	return func() { c.k.giveBack(r.Context(), b) }, nil
}
