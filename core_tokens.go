package authkit

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/authkit/authkit/internal/core"
)

// What package tokens reaches of the session core (core.TokensKit).

func (c coreKit) SessionUser(r *http.Request) (core.User, error) {
	a := From(r)
	st, err := a.requireLogin()
	if err != nil {
		return core.User{}, err
	}
	u := a.user
	return core.User{ID: st.UserID, Email: u.Email, EmailVerified: u.Verified, Roles: u.Roles, Epoch: u.Epoch}, nil
}

func (c coreKit) EndSession(r *http.Request) error {
	a := From(r)
	if err := a.ready(); err != nil {
		return err
	}
	if err := a.forgetRemember(); err != nil {
		return err
	}
	return a.endSession("exchanged for tokens")
}

func (c coreKit) Throttle(r *http.Request, kind string, burst int, every time.Duration) error {
	if err := From(r).ready(); err != nil {
		return err
	}
	return c.k.take(r.Context(), c.ipBucket(r, kind, burst, every))
}

func (c coreKit) Unthrottle(r *http.Request, kind string, burst int) {
	c.k.giveBack(r.Context(), c.ipBucket(r, kind, burst, 0))
}

func (c coreKit) ipBucket(r *http.Request, kind string, burst int, every time.Duration) bucket {
	return bucket{kind + ":ip:" + ipKey(c.k.clientIP(r)), Limit{Burst: burst, Every: every}}
}

func (c coreKit) AuditContext(ctx context.Context, e core.Event) {
	c.k.audit(ctx, nil, auditEvent{event: e.Event, outcome: e.Outcome, userID: e.UserID, detail: e.Detail})
}

func (c coreKit) Logger() *slog.Logger { return c.k.log }

var _ core.TokensKit = coreKit{}
