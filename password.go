package authkit

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/authkit/authkit/internal/blocklist"
	"github.com/authkit/authkit/internal/passhash"
	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
)

// Password length limits of SEC-P2, counted in Unicode code points.
const (
	minPasswordLength = 8
	maxPasswordLength = 256
)

// PasswordPolicy decides which new passwords are accepted. It follows NIST
// SP 800-63B: a minimum length, a generous maximum with no truncation, no
// composition rules, and a check against known common passwords. The zero
// value is the default policy.
type PasswordPolicy struct {
	// MinLength is the fewest code points a password may have. The default
	// is 8, which is also the lowest value New accepts.
	MinLength int

	// MaxLength is the most code points a password may have; longer ones
	// are refused, never truncated, and refused before any hashing. The
	// default is 256, which is also the highest value New accepts.
	MaxLength int

	// Checker is an extra check every new password must pass. The default
	// is [CommonPasswords], the list of common and breached passwords
	// shipped with authkit; set your own to call a breach-lookup service
	// or to combine checks. It receives the password after Unicode NFC
	// normalisation.
	Checker PasswordChecker
}

// PasswordChecker checks a new password. CheckPassword returns nil to
// accept it, or an error to refuse it; authkit passes the error on to the
// caller, so return [ErrPasswordTooCommon] or an error wrapping it for
// passwords that are known to be weak. It must not log the password.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, password string) error
}

// PasswordCheckerFunc adapts a function to [PasswordChecker].
type PasswordCheckerFunc func(ctx context.Context, password string) error

// CheckPassword calls f.
func (f PasswordCheckerFunc) CheckPassword(ctx context.Context, password string) error {
	return f(ctx, password)
}

// CommonPasswords refuses, with [ErrPasswordTooCommon], the passwords on
// the list of common and breached passwords that ships with authkit,
// compared case-insensitively. It is the default PasswordPolicy.Checker.
var CommonPasswords PasswordChecker = PasswordCheckerFunc(func(_ context.Context, password string) error {
	if blocklist.Contains(password) {
		return ErrPasswordTooCommon
	}
	return nil
})

func (p *PasswordPolicy) setDefaults() {
	if p.MinLength == 0 {
		p.MinLength = minPasswordLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = maxPasswordLength
	}
	if p.Checker == nil {
		p.Checker = CommonPasswords
	}
}

func (p *PasswordPolicy) validate() error {
	if p.MinLength < minPasswordLength || p.MaxLength > maxPasswordLength || p.MinLength > p.MaxLength {
		return configError("PasswordPolicy lengths must satisfy %d <= MinLength (%d) <= MaxLength (%d) <= %d",
			minPasswordLength, p.MinLength, p.MaxLength, maxPasswordLength)
	}
	return nil
}

// normalizePassword returns the NFC form of a password that is at most
// MaxLength code points, so that the same password typed on different
// systems hashes the same. It does no other checks: logins use it on
// passwords set under older policies.
func (p *PasswordPolicy) normalizePassword(password string) (string, error) {
	if !utf8.ValidString(password) || strings.ContainsRune(password, 0) {
		return "", ErrPasswordMalformed
	}
	// Count before normalising too: NFC of a huge input is itself work
	// an attacker could ask for.
	if utf8.RuneCountInString(password) > p.MaxLength {
		return "", ErrPasswordTooLong
	}
	password = norm.NFC.String(password)
	if utf8.RuneCountInString(password) > p.MaxLength {
		return "", ErrPasswordTooLong
	}
	return password, nil
}

// check applies the whole policy to a new password and returns its NFC
// form.
func (p *PasswordPolicy) check(ctx context.Context, password string) (string, error) {
	password, err := p.normalizePassword(password)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(password) < p.MinLength {
		return "", ErrPasswordTooShort
	}
	if err := p.Checker.CheckPassword(ctx, password); err != nil {
		return "", err
	}
	return password, nil
}

// ForgotPassword mails a password-reset link to the address if it belongs
// to an account that may reset its password. It returns nil for every
// well-formed address, known or not, and sends in the background so that
// its timing does not tell them apart (SEC-E2); the link works once,
// for Config.ResetExpiry, and a new request voids the previous link.
// Errors: [ErrInvalidEmail] for a malformed address, [*TooManyRequestsError]
// when the address or the client asked too often.
func (a *Auth) ForgotPassword(email string) error {
	if err := a.ready(); err != nil {
		return err
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	return a.mailAccountLater(email, eventPasswordReset, func(ctx context.Context, u store.User) (Message, string, error) {
		if !u.Resettable {
			return Message{}, "not resettable", nil
		}
		msg, err := a.kit.resetMessage(ctx, u)
		return msg, "", err
	})
}

// resetMessage stores a new reset token for the user, voiding older
// ones, and returns the message that carries it.
func (k *Kit) resetMessage(ctx context.Context, u store.User) (Message, error) {
	email := u.Email
	link, err := k.mailToken(ctx, u.ID, u.Epoch, email, store.PurposeReset, k.cfg.ResetExpiry, k.cfg.ResetPasswordPath)
	if err != nil {
		return Message{}, err
	}
	return Message{
		To:      email,
		Subject: "Reset your password",
		Text: "Someone, hopefully you, asked to reset the password of your account. To choose a new one, open this link:\n\n" +
			link + "\n\nThe link works once and expires in " + humanDuration(k.cfg.ResetExpiry) +
			".\nIf you did not ask for this, ignore this message: your password stays as it is.\n",
		Kind:      MessagePasswordReset,
		Link:      link,
		ExpiresIn: k.cfg.ResetExpiry,
		UserEmail: email,
	}, nil
}

// CheckResetToken reports whether a password-reset token still works,
// without using it up: nil, [ErrTokenInvalid] or [ErrTokenExpired]. A reset
// page can call it before showing its form, so a user with a dead link is
// told before typing a new password. Like ResetPassword it counts against
// [Limits.TokensPerIP] (SEC-E6).
func (a *Auth) CheckResetToken(tok string) error {
	if err := a.ready(); err != nil {
		return err
	}
	if err := a.takeTokenTry(eventPasswordReset); err != nil {
		return err
	}
	return a.checkResetToken(tok)
}

func (a *Auth) checkResetToken(tok string) error {
	split, err := token.Parse(tok)
	if err != nil {
		return ErrTokenInvalid
	}
	k := a.kit
	t, err := k.store.EmailToken(a.ctx(), split.Selector, store.PurposeReset)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !split.Matches(t.ValidatorHash)):
		return ErrTokenInvalid
	case err != nil:
		return unavailable("check token", err)
	case !k.now().Before(t.ExpiresAt):
		return ErrTokenExpired
	}
	return nil
}

// ResetPassword sets a new password with a token from a reset link. It is
// throttled per client IP ([Limits.TokensPerIP], SEC-E6), and the token is
// looked up before any hashing, so a forged one costs no hash (SEC-E7). The new password must pass the policy; a refused password
// leaves the token usable. The token works once, even when two requests
// race. Every session and remember-me token of the user ends, with every
// pending login, email change and other reset link (SEC-T3, SEC-S10), and
// nobody is logged in: the user logs in with the new password, and a
// second factor is still asked for.
func (a *Auth) ResetPassword(tok, newPassword string) error {
	if err := a.ready(); err != nil {
		return err
	}
	k := a.kit
	if err := a.takeTokenTry(eventPasswordReset); err != nil {
		return err
	}
	if err := a.checkResetToken(tok); err != nil {
		a.audit(auditEvent{event: eventPasswordReset, outcome: outcomeFailed, detail: failureDetail(err)})
		return err
	}
	hash, err := k.hashNewPassword(a.ctx(), newPassword)
	if err != nil {
		return err
	}
	t, err := k.consumeEmailToken(a.ctx(), tok, store.PurposeReset)
	if err != nil {
		a.audit(auditEvent{event: eventPasswordReset, outcome: outcomeFailed, detail: failureDetail(err)})
		return err
	}
	u, err := k.tokenOwner(a.ctx(), t)
	if err == nil && !sameEmail(u.Email, t.Email) {
		err = ErrTokenInvalid // the address changed since the link was sent
	}
	if err != nil {
		return err
	}
	if _, err := k.revoke(a.ctx(), store.Revocation{UserID: u.ID, PasswordHash: hash, Verify: true}); err != nil {
		return err
	}
	if a.state != nil && a.state.UserID == u.ID {
		if err := a.endSession("password reset"); err != nil {
			return err
		}
	}
	a.audit(auditEvent{event: eventPasswordReset, outcome: outcomeOK, userID: u.ID, detail: "password changed"})
	k.notify(a.ctx(), MessagePasswordChanged, u.Email, "Your password was changed",
		"The password of your account was just reset. If you did not do this, reset it again at once and check your two-step login settings.\n")
	return nil
}

// ChangePassword replaces the logged-in user's password. It needs the
// current password (SEC-P5; [ErrInvalidCredentials] otherwise) and a new
// one that passes the policy. This session stays logged in under a new
// token and counts as fresh; every other session and every remember-me
// token of the user ends (SEC-S5), and the user is told by email.
func (a *Auth) ChangePassword(current, newPassword string) error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	if err := a.refuseAnonymous(); err != nil {
		return err
	}
	k := a.kit
	if err := a.checkPassword(st.UserID, current); err != nil {
		return err
	}
	hash, err := k.hashNewPassword(a.ctx(), newPassword)
	if err != nil {
		return err
	}
	if err := a.renewToken(); err != nil {
		return err
	}
	epoch, err := k.revoke(a.ctx(), store.Revocation{UserID: st.UserID, KeepKey: a.sessionKeyOf(), PasswordHash: hash})
	if err != nil {
		return err
	}
	a.user.Epoch = epoch
	st.PasswordAt, st.RememberSelector = k.now(), ""
	a.saveState()
	a.clearRememberCookie()
	a.audit(auditEvent{event: eventPasswordChange, outcome: outcomeOK, userID: st.UserID})
	k.notify(a.ctx(), MessagePasswordChanged, a.user.Email, "Your password was changed",
		"The password of your account was just changed, and every other device was logged out. If you did not do this, reset your password at once.\n")
	return nil
}

// notify mails the user a notice in the background; a failure is logged.
func (k *Kit) notify(ctx context.Context, kind MessageKind, to, subject, text string) {
	if k.cfg.Mailer == nil {
		return
	}
	k.sendMailLater(ctx, func(context.Context) (Message, bool) {
		return Message{To: to, Subject: subject, Text: text, Kind: kind, UserEmail: to}, true
	})
}

// hashNewPassword applies the password policy to a new password and
// hashes its NFC form.
func (k *Kit) hashNewPassword(ctx context.Context, password string) (string, error) {
	password, err := k.cfg.PasswordPolicy.check(ctx, password)
	if err != nil {
		return "", err
	}
	return k.hash(ctx, password)
}

// hash hashes a password that passed the policy.
func (k *Kit) hash(ctx context.Context, password string) (string, error) {
	hash, err := k.hasher.Hash(ctx, password)
	if err != nil {
		return "", k.hashError(err)
	}
	return hash, nil
}

// hashError maps a failure of the password hasher.
func (k *Kit) hashError(err error) error {
	switch {
	case errors.Is(err, passhash.ErrPasswordTooLong):
		return ErrPasswordTooLong
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return unavailable("request ended", err)
	}
	return internal("hash password", err)
}
