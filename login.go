package authkit

import (
	"context"
	"errors"

	"github.com/authkit/authkit/internal/store"
)

// Login checks the email and password and, when every check passes,
// starts a session for the user under a new session token. Malformed
// input is refused before anything else ([ErrInvalidEmail] for the
// address, [ErrPasswordTooLong] or [ErrPasswordMalformed] for the
// password, with no hashing and no throttle spent); then the checks run in
// this order, and the first that fails decides the error:
//
//  1. the throttles on failed logins ([*TooManyRequestsError]): the
//     browser's own budget if it holds the account's device cookie,
//     otherwise the budgets per client IP, per account and IP, and per
//     account (see [Limits]);
//  2. an account has this email and the password matches — an unknown
//     email costs the same hashing work as a wrong password and gives the
//     same [ErrInvalidCredentials];
//  3. the address is confirmed ([ErrEmailNotVerified]), unless
//     verification is disabled;
//  4. the account's status is Normal (a [*StatusError] naming the status);
//  5. if the account has a second factor, nobody is logged in yet: Login
//     returns a [*SecondFactorRequiredError] listing the methods, and the
//     session waits for [Auth.TwoFactor] to verify a code and
//     [Auth.CompleteTwoFactorLogin] to finish (remember is kept until then);
//  6. the session starts under a new token (the pre-login token is dead,
//     SEC-S2), with a remember-me token if remember is set — but only if
//     no revocation (logout everywhere, a ban, a password reset, ...) ran
//     since the account was read in step 2: otherwise [ErrSessionRevoked]
//     (or the new status's error) and nobody is logged in (SEC-S8).
//
// A legacy or weaker password hash is upgraded to the current argon2id
// parameters on success. A right password gives the browser the account's
// device cookie (SEC-E5) when the login succeeds or waits for its second
// factor.
func (a *Auth) Login(email, password string, remember bool) error {
	if err := a.ready(); err != nil {
		return err
	}
	k := a.kit
	email, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	password, err = k.cfg.PasswordPolicy.normalizePassword(password)
	if err != nil {
		return err
	}
	account := emailKey(email)
	buckets := a.loginBuckets(account)
	if err := k.take(a.ctx(), buckets...); err != nil {
		a.audit(auditEvent{event: eventLogin, outcome: outcomeThrottled, detail: failureDetail(err)})
		return err
	}
	u, err := k.userByEmail(a.ctx(), email)
	if errors.Is(err, store.ErrNotFound) {
		// Same work as a wrong password (SEC-E1); its only possible
		// error is the context ending, which the caller sees anyway.
		_ = k.hasher.VerifyDummy(a.ctx(), password)
		a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, detail: "unknown email"})
		return ErrInvalidCredentials
	}
	if err != nil {
		return unavailable("find user", err)
	}
	if !hasPassword(u) { // it signs in through a provider: as for an unknown email
		_ = k.hasher.VerifyDummy(a.ctx(), password)
		a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: u.ID, detail: "no password"})
		return ErrInvalidCredentials
	}
	ok, rehash, err := k.hasher.Verify(a.ctx(), u.PasswordHash, password)
	if err != nil {
		if ctxErr := a.ctx().Err(); ctxErr != nil {
			// The client gave up before the password was judged: the
			// attempt does not count against anyone's budget.
			k.giveBackLater(a.ctx(), buckets...)
			return unavailable("request ended", ctxErr)
		}
		// A hash that cannot be checked is treated as a wrong password,
		// so the account is no easier to guess; the log says why.
		k.log.ErrorContext(a.ctx(), "authkit: stored password hash unusable", "user_id", u.ID, "error", err)
		ok = false
	}
	if !ok {
		a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: u.ID, detail: "wrong password"})
		return ErrInvalidCredentials
	}
	k.giveBackLater(a.ctx(), buckets...) // the password was right: not a failed login
	if rehash {
		k.upgradeHash(a.ctx(), u.ID, password)
	}
	err = a.admit(u, admission{how: "password", fresh: true, remember: remember})
	if err == nil || errors.As(err, new(*SecondFactorRequiredError)) {
		if _, known := a.knownDevice(account); !known && u.LastLoginAt.Valid {
			a.mailNewDevice(u.Email)
		}
		a.trustDevice(account) // SEC-E5: this browser is the owner's
	}
	return err
}

// mailNewDevice tells the user that their password was just used from a
// browser that had not used it before (one without the account's device
// cookie), naming the browser and its address, unless
// Config.DisableNewDeviceMail is set.
func (a *Auth) mailNewDevice(email string) {
	k := a.kit
	if k.cfg.DisableNewDeviceMail || k.cfg.Mailer == nil {
		return
	}
	info := a.info()
	device := info.userAgent
	if device == "" {
		device = "an unknown browser"
	}
	text := "Your password was just used to log in from a device that had not used it before:\n\n  " +
		device + "\n  from " + info.ip + "\n\nIf this was you, there is nothing to do. If not, change your password now and log out everywhere.\n"
	k.sendMailLater(a.ctx(), func(context.Context) (Message, bool) {
		return Message{To: email, Subject: "New login to your account", Text: text, Kind: MessageNewDevice,
			UserEmail: email, Device: device, IP: info.ip}, true
	})
}

// Logout ends this device's session on the server, so that replaying its
// cookie afterwards gives an anonymous request (SEC-S3), and clears the
// cookie. Logging out when nobody is logged in is not an error.
func (a *Auth) Logout() error {
	if err := a.ready(); err != nil {
		return err
	}
	st := a.state
	if err := a.forgetRemember(); err != nil {
		return err
	}
	if err := a.endSession("logout"); err != nil {
		return err
	}
	if st != nil {
		a.audit(auditEvent{event: eventLogout, outcome: outcomeOK, userID: st.UserID})
	}
	return nil
}

// LogoutEverywhere ends every session of the logged-in user, on every
// device, this one included (SEC-S5).
func (a *Auth) LogoutEverywhere() error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	k := a.kit
	if _, err := k.revoke(a.ctx(), store.Revocation{UserID: st.UserID}); err != nil {
		return err
	}
	a.clearRememberCookie()
	if err := a.endSession("logout everywhere"); err != nil {
		return err
	}
	a.audit(auditEvent{event: eventLogoutEverywhere, outcome: outcomeOK, userID: st.UserID})
	return nil
}

// LogoutEverywhereElse ends every session of the logged-in user except
// this one (SEC-S5), for example after the user spots a device they do not
// recognise.
func (a *Auth) LogoutEverywhereElse() error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	k := a.kit
	epoch, err := k.revoke(a.ctx(), store.Revocation{UserID: st.UserID, KeepKey: a.sessionKeyOf(), KeepSelector: st.RememberSelector})
	if err != nil {
		return err
	}
	a.user.Epoch = epoch
	a.audit(auditEvent{event: eventLogoutEverywhereElse, outcome: outcomeOK, userID: st.UserID})
	return nil
}

// upgradeHash re-hashes a password that verified against a legacy or
// weaker hash. A failure only means the upgrade waits for the next login.
func (k *Kit) upgradeHash(ctx context.Context, userID int64, password string) {
	hash, err := k.hasher.Hash(ctx, password)
	if err == nil {
		err = k.store.SetPasswordHash(ctx, userID, hash)
	}
	if err != nil {
		k.log.WarnContext(ctx, "authkit: upgrading password hash failed", "user_id", userID, "error", err)
	}
}

// checkPassword verifies the password of the logged-in user, for actions
// that need it again. A wrong one gives ErrInvalidCredentials; too many
// wrong ones, *TooManyRequestsError.
func (a *Auth) checkPassword(userID int64, password string) error {
	k := a.kit
	password, err := k.cfg.PasswordPolicy.normalizePassword(password)
	if err != nil {
		return ErrInvalidCredentials
	}
	u, err := k.store.UserByID(a.ctx(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotLoggedIn
	}
	if err != nil {
		return unavailable("load user", err)
	}
	// Guesses here count against the same buckets as failed logins, so a
	// stolen session cannot be used to brute-force the password: from
	// another browser than the owner's, against the buckets strangers
	// share.
	account := emailKey(u.Email)
	buckets := a.loginBuckets(account)
	if err := k.take(a.ctx(), buckets...); err != nil {
		a.audit(auditEvent{event: eventReauthenticate, outcome: outcomeThrottled, userID: userID})
		return err
	}
	ok, _, err := k.hasher.Verify(a.ctx(), u.PasswordHash, password)
	if ctxErr := a.ctx().Err(); err != nil && ctxErr != nil {
		return unavailable("request ended", ctxErr)
	}
	if !ok {
		a.audit(auditEvent{event: eventReauthenticate, outcome: outcomeFailed, userID: userID, detail: "wrong password"})
		return ErrInvalidCredentials
	}
	k.giveBack(a.ctx(), buckets...)
	a.trustDevice(account)
	return nil
}

// Reauthenticate checks the logged-in user's password again and, if it is
// right, marks the session fresh for Config.ReauthenticationWindow, so
// that sensitive operations stop answering [ErrReauthenticationRequired].
// It renews the session token (SEC-S2). A session restored from a
// remember-me cookie needs this before any sensitive change (SEC-S7).
// An anonymous user has no password and gets [ErrAnonymous] (SEC-A1).
func (a *Auth) Reauthenticate(password string) error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	if err := a.refuseAnonymous(); err != nil {
		return err
	}
	if err := a.checkPassword(st.UserID, password); err != nil {
		return err
	}
	return a.reauthenticated(st, "")
}

// reauthenticated marks the session fresh after the user proved who they
// are (how says in what way, for the audit log), under a new token.
func (a *Auth) reauthenticated(st *sessionState, how string) error {
	if err := a.renewToken(); err != nil {
		return err
	}
	st.PasswordAt, st.Remembered = a.kit.now(), false
	a.saveState()
	a.audit(auditEvent{event: eventReauthenticate, outcome: outcomeOK, userID: st.UserID, detail: how})
	return nil
}

// RenewToken gives the logged-in session a new token and keeps everything
// in it; the old token stops working at once (SEC-S2). authkit renews the
// token itself whenever a login, a second factor, reauthentication or a
// password change raises what the session may do. Call RenewToken after a
// change of privileges that your app makes within a session — the admin
// role given to the user of this very request, a switch of tenant — as
// OWASP asks, so that a token that leaked before the change does not carry
// the new privileges. (Roles that [Admin.AddRole] gives another user apply
// to that user's sessions at their next request, under their old tokens;
// end those sessions with [Admin.ForceLogout] for a new login.)
func (a *Auth) RenewToken() error {
	if _, err := a.requireLogin(); err != nil {
		return err
	}
	return a.renewToken()
}

// LogInAsUser logs the logged-in user (support staff, say) in as another
// user, under a new session token (SEC-S2), for seeing the app as that
// user sees it. The audit log records the real user as the actor. The
// session is not fresh, so sensitive changes still need that user's
// password. Guard the handler that calls it: authkit does no
// authorisation of its own.
func (a *Auth) LogInAsUser(userID int64) error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	actor := st.UserID
	k := a.kit
	u, err := k.store.UserByID(a.ctx(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrUserNotFound
	}
	if err != nil {
		return unavailable("load user", err)
	}
	if err := k.eligible(u); err != nil {
		return err
	}
	if err := a.forgetRemember(); err != nil {
		return err
	}
	_, err = a.startSession(u, sessionStart{how: "logged in as user by an admin", actorID: actor})
	return err
}
