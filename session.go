package authkit

import (
	"context"
	"encoding/gob"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
)

// This file is the session core. Every way in — password login, the
// second factor, remember-me, logging in as a user, and the subpackages'
// ways (OAuth, passkeys, links, codes, keys, refresh tokens) — decides
// eligibility with [Kit.eligible] and starts a session with
// [Auth.startSession]; tokens are renewed only by [Auth.renewToken], and
// every revocation goes through [Kit.revoke]. No other code writes
// sessions, remember-me tokens or pending logins.
//
// Revocation wins races (SEC-S8) because every session, remember-me token
// and pending login records the user's revocation counter (session_epoch)
// that was read before the credentials were checked, is created only if
// that counter is still the user's (a conditional insert), and is valid
// only while it is: a revocation bumps the counter in the same statement
// that deletes what exists. authkit's own session store checks this in the
// query that loads the session, so the check costs no extra round trip,
// and writes a session back only while it is live.

// sessionKey is the scs key authkit keeps its state under.
const sessionKey = "authkit"

// sessionState is what a session remembers between requests. What it
// knows of its user beyond the id (address, roles, status) is read fresh
// with the session on every request, never cached.
type sessionState struct {
	UserID     int64
	Remembered bool

	// RememberSelector names this device's remember-me token, if any.
	RememberSelector string
	// PasswordAt is when the user last proved the password in this
	// session; zero for a session restored from a remember-me cookie,
	// which is therefore never "fresh" (SEC-S7).
	PasswordAt time.Time

	// Pending is a login waiting for its second factor; UserID is 0
	// meanwhile, so nobody counts as logged in.
	Pending *pendingLogin

	CreatedAt  time.Time // for the absolute lifetime
	LastActive time.Time // for the idle timeout; recorded at most every activityEvery
}

// pendingLogin is a login that passed the password check and waits for
// its second factor. AttemptID binds the codes and the verification to
// this one attempt (SEC-F1).
type pendingLogin struct {
	AttemptID string
	UserID    int64
	ExpiresAt time.Time
}

func init() {
	// scs encodes session values with encoding/gob, which must know the
	// concrete type. The name is fixed so renaming the Go type later does
	// not break stored sessions; gob ignores the fields that sessions
	// stored by older releases have and this type has not.
	gob.RegisterName("authkit.sessionState", sessionState{})
}

// storeKey returns the key under which the session store keeps the
// session whose cookie holds tok. The per-user session index uses the same
// key, so one user's sessions can be deleted from the store directly.
func (k *Kit) storeKey(tok string) string {
	if tok == "" || !k.sessions.HashTokenInStore {
		return tok
	}
	return token.HashString(tok)
}

// sessionKeyOf returns the store key of the request's session.
func (a *Auth) sessionKeyOf() string { return a.kit.storeKey(a.kit.sessions.Token(a.ctx())) }

// eligible is the one rule that decides whether an account may have a
// session (SEC-S9): its email is verified (unless verification is
// switched off) and its status is Normal. Every way in calls it, through
// startSession; the SQL statements that create and load sessions state
// the same rule ({eligible} in internal/store), so an account that stops
// being eligible loses its sessions at their next request.
func (k *Kit) eligible(u store.User) error {
	if !u.Verified && !k.cfg.DisableEmailVerification {
		return ErrEmailNotVerified
	}
	if Status(u.Status) != StatusNormal {
		return &StatusError{Status: Status(u.Status)}
	}
	return nil
}

// admission is how a way in that has proved who the user is wants them
// let in.
type admission struct {
	how        string // for the audit log
	fresh      bool   // the user just proved the password
	remember   bool   // remember the device
	twoFactors bool   // the way in proved two factors at once
}

// admit is the last step of every way in that proves who the user is
// (the password, OAuth, a passkey, a link or a code): the eligibility rule,
// then the second factor if the user has one and the way in did not prove
// two, then the session. u must have been read before the credentials were
// checked, so that a revocation since wins (SEC-S8).
func (a *Auth) admit(u store.User, ad admission) error {
	k := a.kit
	if err := k.eligible(u); err != nil {
		a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: u.ID, detail: ad.how + ": " + failureDetail(err)})
		return err
	}
	// A login read the account with whether it has a second factor; the
	// factors are loaded only when it has.
	if !ad.twoFactors && (!u.TwoFactor.Valid || u.TwoFactor.Bool) {
		_, factors, err := k.userFactors(a.ctx(), u.ID)
		if err != nil {
			return err
		}
		if methods := enabledOnly(factors); len(methods) > 0 {
			return a.beginSecondFactor(u, ad.remember, methods)
		}
	}
	_, err := a.startSession(u, sessionStart{fresh: ad.fresh, remember: ad.remember, how: ad.how})
	return err
}

// beginSecondFactor parks a login that passed the password check in the
// session, under a new token, until the second factor is proved. Like a
// session, the pending login is created only if u.Epoch is still the
// user's revocation counter (SEC-S8).
func (a *Auth) beginSecondFactor(u store.User, remember bool, methods []SecondFactor) error {
	k := a.kit
	now := k.now()
	p := &pendingLogin{AttemptID: token.Random(16), UserID: u.ID, ExpiresAt: now.Add(k.cfg.TwoFactorTimeout)}
	started, err := k.store.CreateAttempt(a.ctx(), store.Attempt{
		ID: p.AttemptID, UserID: u.ID, Remember: remember, Epoch: u.Epoch, CreatedAt: now, ExpiresAt: p.ExpiresAt,
	})
	if err != nil {
		return unavailable("store pending login", err)
	}
	if !started {
		return a.refusedStart(u.ID, "second factor required")
	}
	if a.state != nil { // someone else was logged in here: they are now logged out
		if err := a.endSession("another login"); err != nil {
			return err
		}
	}
	if err := k.sessions.RenewToken(a.ctx()); err != nil {
		return unavailable("renew session token", err)
	}
	k.sessions.Put(a.ctx(), sessionKey, sessionState{Pending: p, CreatedAt: now, LastActive: now})
	a.pending = p
	a.audit(auditEvent{event: eventLogin, outcome: outcomePending, userID: u.ID, detail: "second factor required"})
	return &SecondFactorRequiredError{Methods: methods}
}

// sessionStart says how a session begins.
type sessionStart struct {
	restore  *store.Rotation // restored from a remember-me token, rotating it
	remember bool            // issue a remember-me token for the device
	fresh    bool            // the user just proved the password
	how      string          // for the audit log
	actorID  int64           // an admin logging in as the user
}

// startSession is the one way a session starts: it checks that u may have
// one ([Kit.eligible]), renews the session token so the pre-login token is
// dead (SEC-S2), and records the session — with its audit entry, the
// remember-me token it rotates or issues, and the end of the session it
// replaces — in one conditional statement that succeeds only if u.Epoch,
// read before the credentials were checked, is still the user's
// revocation counter (SEC-S8). It reports whether a restore's rotation
// happened. A refused start returns the eligibility error, or
// [ErrSessionRevoked] when a revocation came in between.
func (a *Auth) startSession(u store.User, how sessionStart) (rotated bool, err error) {
	k := a.kit
	if err := k.eligible(u); err != nil {
		return false, err
	}
	oldKey := a.sessionKeyOf()
	if err := k.sessions.RenewToken(a.ctx()); err != nil {
		return false, unavailable("renew session token", err)
	}
	now := k.now()
	info := a.info()
	n := store.NewSession{
		ID: token.Random(16), UserID: u.ID, Epoch: u.Epoch, Key: a.sessionKeyOf(), Replaces: oldKey,
		CreatedAt: now, ExpiresAt: now.Add(k.cfg.SessionLifetime),
		IP: info.ip, UserAgent: info.userAgent, Restore: how.restore,
	}
	var remember token.Split
	if how.remember {
		remember = token.NewSplit()
		n.Remember = &store.Remember{
			Selector: remember.Selector, ValidatorHash: remember.Hash(),
			CreatedAt: now, ExpiresAt: now.Add(k.cfg.RememberDuration),
		}
		n.RememberReplaces = a.deviceRememberSelector()
		n.RememberKeep = maxRememberTokens - 1
	}
	e := auditEvent{event: eventLogin, outcome: outcomeOK, userID: u.ID, actorID: how.actorID, detail: how.how}
	started, rotated, err := k.store.StartSession(a.ctx(), n, k.auditRow(info, e))
	if err != nil {
		return false, unavailable("record session", err)
	}
	if !started {
		return false, a.refusedStart(u.ID, how.how)
	}
	k.logAudit(a.ctx(), info, e)
	st := sessionState{UserID: u.ID, Remembered: how.restore != nil, CreatedAt: now, LastActive: now}
	switch {
	case how.remember:
		st.RememberSelector = remember.Selector
		a.setRememberCookie(remember.String())
	case how.restore != nil:
		st.RememberSelector = how.restore.Selector
	}
	if how.fresh {
		st.PasswordAt = now
	}
	a.slot.UserID = u.ID
	a.user = store.SessionUser{SessionID: n.ID, Email: u.Email, Verified: u.Verified, Status: u.Status, Roles: u.Roles, Epoch: u.Epoch}
	a.state, a.pending = &st, nil
	a.saveState()
	a.warnDroppedCookie()
	return rotated, nil
}

// refusedStart explains why the conditional start of a session wrote
// nothing: the account changed after its credentials were checked.
func (a *Auth) refusedStart(userID int64, how string) error {
	k := a.kit
	err := ErrSessionRevoked
	switch u, lookup := k.store.UserByID(a.ctx(), userID); {
	case lookup == nil:
		if e := k.eligible(u); e != nil {
			err = e
		}
	case !errors.Is(lookup, store.ErrNotFound):
		return unavailable("load user", lookup)
	}
	a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: userID, detail: how + ": " + failureDetail(err)})
	return err
}

// deviceRememberSelector names the remember-me token this device holds,
// if any, so that a new one replaces it.
func (a *Auth) deviceRememberSelector() string {
	if tok, ok := a.rememberCookieToken(); ok {
		return tok.Selector
	}
	if a.state != nil {
		return a.state.RememberSelector
	}
	return ""
}

// saveState writes the request's state back into the session.
func (a *Auth) saveState() { a.kit.sessions.Put(a.ctx(), sessionKey, *a.state) }

// renewToken is the one way a logged-in session changes its token (after
// reauthentication or a password change, SEC-S2): the old token dies and
// the session's index entry moves to the new one. If a revocation removed
// the entry meanwhile, there is nothing to move, and the session is not
// written back.
func (a *Auth) renewToken() error {
	k := a.kit
	oldKey := a.sessionKeyOf()
	if err := k.sessions.RenewToken(a.ctx()); err != nil {
		return unavailable("renew session token", err)
	}
	if err := k.store.RenameSession(a.ctx(), oldKey, a.sessionKeyOf()); err != nil {
		return unavailable("record session", err)
	}
	return nil
}

// endSession destroys the request's session on the server and tells the
// browser to drop its cookie.
func (a *Auth) endSession(reason string) error {
	k := a.kit
	key := a.sessionKeyOf()
	if err := k.sessions.Destroy(a.ctx()); err != nil {
		return unavailable("destroy session", err)
	}
	a.state, a.user = nil, store.SessionUser{}
	a.slot.UserID = 0
	if err := k.store.ForgetSession(a.ctx(), key); err != nil {
		return unavailable("forget session", err)
	}
	k.log.DebugContext(a.ctx(), "authkit: session ended", "reason", reason)
	return nil
}

// revoke is the one way sessions end other than by their own logout: it
// bumps the user's revocation counter and deletes the user's sessions,
// remember-me tokens and pending state except what r keeps, together with
// the change r carries (a new password or status, or deleting the
// account), in one statement (see store.Revoke), and removes the ended
// sessions from a session store other than authkit's own. It returns the
// user's new revocation counter, or ErrUserNotFound.
func (k *Kit) revoke(ctx context.Context, r store.Revocation) (int64, error) {
	epoch, keys, err := k.store.Revoke(ctx, r)
	if err != nil {
		return 0, notFoundOr(err, "revoke sessions")
	}
	return epoch, k.deleteForeignSessions(ctx, keys)
}

// revokeRememberToken ends a remember-me token and the sessions that came
// from it, for theft detection (SEC-S11), and returns the token's user.
func (k *Kit) revokeRememberToken(ctx context.Context, selector string) (int64, error) {
	userID, keys, err := k.store.RevokeRemember(ctx, selector)
	if err != nil {
		return 0, err
	}
	return userID, k.deleteForeignSessions(ctx, keys)
}

// revokeDevice ends one session of a user and its device's remember-me
// token, and returns the keys of the sessions that ended.
func (k *Kit) revokeDevice(ctx context.Context, userID int64, id string) ([]string, error) {
	if id == "" || len(id) > 64 {
		return nil, ErrNotFound
	}
	keys, err := k.store.RevokeDevice(ctx, userID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("revoke session", err)
	}
	return keys, k.deleteForeignSessions(ctx, keys)
}

// deleteForeignSessions deletes ended sessions from a session store that
// Config.Sessions brought; authkit's own store lost them in the statement
// that ended them.
func (k *Kit) deleteForeignSessions(ctx context.Context, keys []string) error {
	if k.ownStore {
		return nil
	}
	for _, key := range keys {
		if err := k.storeDelete(ctx, key); err != nil {
			return unavailable("delete session", err)
		}
	}
	return nil
}

// recordActivity notes that the session was active now, for IdleTimeout
// and the user's list of devices. authkit's own store records it when it
// writes the session back; another store costs a query.
func (a *Auth) recordActivity(st *sessionState, now time.Time) error {
	st.LastActive = now
	a.kit.sessions.Put(a.ctx(), sessionKey, *st)
	if a.kit.ownStore {
		a.slot.SeenAt = now
		return nil
	}
	return unavailable("record activity", a.kit.store.TouchSession(a.ctx(), a.sessionKeyOf(), now))
}

// liveUser returns the user behind the request's session if the session
// is still live: with authkit's own store the query that loaded the
// session checked it; with another store it costs one query (see
// Config.Sessions).
func (a *Auth) liveUser(userID int64) (store.SessionUser, bool, error) {
	k := a.kit
	if k.ownStore {
		return a.slot.User, a.slot.UserID == userID, nil
	}
	u, err := k.store.CheckSession(a.ctx(), a.sessionKeyOf(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return u, false, nil
	}
	if err != nil {
		return u, false, unavailable("check session", err)
	}
	a.slot.UserID = userID
	return u, true, nil
}

// storeDelete deletes a session from the session store, through its
// context-aware method when it has one.
func (k *Kit) storeDelete(ctx context.Context, key string) error {
	if cs, ok := k.sessions.Store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, key)
	}
	return k.sessions.Store.Delete(key)
}
