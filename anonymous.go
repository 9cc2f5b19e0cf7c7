package authkit

import (
	"context"
	"errors"
	"time"

	"github.com/authkit/authkit/internal/store"
)

// ErrAnonymous is returned when an anonymous user (see
// [Auth.LoginAnonymous]) tries an action that needs an address or a
// password; they register first (SEC-A1).
var ErrAnonymous = errors.New("authkit: anonymous user")

// howAnonymous is the way in of LoginAnonymous, for the audit log.
const howAnonymous = "anonymous"

// LoginAnonymous creates an anonymous user — no address, no password,
// status Normal — and logs the request in as it through the session core,
// so that a visitor can try the app before registering. Creation is
// throttled per client IP ([Limits.AnonymousPerIP], SEC-A1). A later
// [Auth.Register] from the session upgrades the same user id in place.
func (a *Auth) LoginAnonymous() error {
	if err := a.ready(); err != nil {
		return err
	}
	k := a.kit
	if err := k.take(a.ctx(), a.ipBucket("anonymous", k.cfg.Limits.AnonymousPerIP)); err != nil {
		a.audit(auditEvent{event: eventLogin, outcome: outcomeThrottled, detail: howAnonymous})
		return err
	}
	id, err := k.store.CreateAnonymousUser(a.ctx(), k.now())
	if err != nil {
		return unavailable("create anonymous user", err)
	}
	u, err := k.store.UserByID(a.ctx(), id)
	if err != nil {
		return unavailable("load user", err)
	}
	return a.admit(u, admission{how: howAnonymous, twoFactors: true})
}

// upgradeAnonymous upgrades the logged-in user in place if it is
// anonymous, giving it email and the password hash; upgraded is false when
// the request is not an anonymous user's, and Register then creates a new
// account. A taken address gives [ErrEmailTaken] as a normal registration
// does (SEC-E2); of two racing upgrades one wins and the other, like an
// upgrade racing a purge, gets [ErrAnonymous].
func (a *Auth) upgradeAnonymous(email, hash string) (id int64, upgraded bool, err error) {
	if a.state == nil {
		return 0, false, nil
	}
	k := a.kit
	u, err := k.store.UserByID(a.ctx(), a.state.UserID)
	if err != nil || !u.Anonymous {
		return 0, false, nil
	}
	err = k.store.UpgradeAnonymous(a.ctx(), u.ID, email, emailKey(email), hash, k.cfg.DisableEmailVerification)
	switch {
	case errors.Is(err, store.ErrDuplicateEmail):
		return 0, true, ErrEmailTaken
	case errors.Is(err, store.ErrNotFound):
		return 0, true, ErrAnonymous
	case err != nil:
		return 0, true, unavailable("upgrade anonymous user", err)
	}
	a.audit(auditEvent{event: eventRegister, outcome: outcomeOK, userID: u.ID, detail: "upgrade"})
	if k.cfg.DisableEmailVerification {
		return u.ID, true, nil
	}
	msg, err := k.confirmationMessage(a.ctx(), u.ID, u.Epoch, email)
	if err != nil {
		return u.ID, true, err
	}
	return u.ID, true, k.sendMail(a.ctx(), msg)
}

// PurgeAnonymous deletes the anonymous users not seen for olderThan,
// through [Admin.DeleteUser] so that their sessions and every row they
// own go too, and returns how many it deleted. Upgraded users are never
// anonymous and so never purged.
func (ad *Admin) PurgeAnonymous(ctx context.Context, olderThan time.Duration) (int64, error) {
	var n int64
	for {
		ids, err := ad.kit.store.StaleAnonymousUsers(ctx, ad.kit.now().Add(-olderThan), 500)
		if err != nil {
			return n, unavailable("find anonymous users", err)
		}
		for _, id := range ids {
			if err := ad.DeleteUser(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < 500 {
			return n, nil
		}
	}
}

// refuseAnonymous gives ErrAnonymous for a logged-in anonymous user, who
// has no address and no password to act on; anonymous users are the only
// ones whose address is empty.
func (a *Auth) refuseAnonymous() error {
	if a.user.Email == "" {
		return ErrAnonymous
	}
	return nil
}
