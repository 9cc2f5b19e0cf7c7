package authkit

import (
	"context"
	"net/http"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/twofactor"
)

// What package passkey reaches of the session core (core.PasskeyKit).

func (c coreKit) LoggedIn(r *http.Request) (core.User, bool, error) {
	a := From(r)
	st, err := a.requireLogin()
	if err != nil {
		return core.User{}, false, err
	}
	u := a.user
	cu := core.User{ID: st.UserID, Email: u.Email, EmailVerified: u.Verified, Roles: u.Roles, Epoch: u.Epoch}
	return cu, a.IsFresh(), nil
}

func (c coreKit) InMiddleware(r *http.Request) error {
	if From(r).kit != c.k {
		return ErrNoMiddleware
	}
	return nil
}

func (c coreKit) Get(r *http.Request, key string) any { return c.k.sessions.Get(r.Context(), key) }

func (c coreKit) PendingLogin(r *http.Request) (int64, string, error) {
	p, err := From(r).TwoFactor().livePending()
	if err != nil {
		return 0, "", err
	}
	return p.UserID, p.AttemptID, nil
}

func (c coreKit) ProveSecondFactor(r *http.Request, method twofactor.Method, check func(userID int64) (bool, error)) error {
	return From(r).TwoFactor().verify(method, normalized{}, func(p *pendingLogin, _ string) (bool, error) {
		return check(p.UserID)
	})
}

func (c coreKit) Reauthenticated(r *http.Request, how string) error {
	a := From(r)
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	return a.reauthenticated(st, how)
}

func (c coreKit) ThrottleLoginIP(r *http.Request) error {
	if err := c.InMiddleware(r); err != nil {
		return err
	}
	return c.k.take(r.Context(), c.loginIPBucket(r))
}

func (c coreKit) UnthrottleLoginIP(r *http.Request) { c.k.giveBack(r.Context(), c.loginIPBucket(r)) }

// loginIPBucket is the bucket of failed logins from r's client.
func (c coreKit) loginIPBucket(r *http.Request) bucket {
	return c.k.loginIPBucket(c.k.clientIP(r))
}

func (c coreKit) OfferPasskeys(count func(ctx context.Context, userID int64) (int, error)) {
	c.k.passkeyCount = count
}

// withPasskeys adds the user's passkeys to the second factors list, when
// package passkey offers them and another factor is enabled: a passkey
// alone does not turn two-step login on.
func (k *Kit) withPasskeys(ctx context.Context, userID int64, list []SecondFactor, enabled bool) ([]SecondFactor, error) {
	if k.passkeyCount == nil || !enabled {
		return list, nil
	}
	n, err := k.passkeyCount(ctx, userID)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		list = append(list, SecondFactor{Method: twofactor.Passkey, Enabled: true, Remaining: n})
	}
	return list, nil
}

var _ core.PasskeyKit = coreKit{}
