package authkit

import (
	"context"
	"errors"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/twofactor"
)

// ChangeEmail starts changing the logged-in user's address to newEmail: a
// confirmation link goes to the new address, and the change happens only
// when [Auth.ConfirmEmail] gets that link's token (SEC-T4). The old address
// is told now and again when the change takes effect. It needs a fresh
// password check ([ErrReauthenticationRequired]), and is throttled per
// user ([Limits.ChangeEmailPerUser]) and per new address
// ([Limits.EmailToAddress]), so that it cannot flood anyone's mailbox
// (SEC-E6).
//
// ChangeEmail does not tell whether newEmail belongs to another account
// (SEC-E8): it answers the same either way, the old address gets the same
// notice, and the mail is sent in the background so that timing does not
// tell either. An address that is taken gets, instead of a link, a notice
// that someone tried to use it; a taken address found at confirmation
// gives [ErrEmailTaken] then.
func (a *Auth) ChangeEmail(newEmail string) error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	if err := a.refuseAnonymous(); err != nil {
		return err
	}
	if !a.IsFresh() {
		return ErrReauthenticationRequired
	}
	newEmail, err = normalizeEmail(newEmail)
	if err != nil {
		return err
	}
	if sameEmail(newEmail, a.user.Email) {
		return nil
	}
	k := a.kit
	err = k.take(a.ctx(),
		userBucket("change-email", st.UserID, k.cfg.Limits.ChangeEmailPerUser),
		mailToBucket(emailKey(newEmail), k.cfg.Limits))
	if err != nil {
		a.audit(auditEvent{event: eventEmailChange, outcome: outcomeThrottled, userID: st.UserID})
		return err
	}
	userID, epoch, info, current := st.UserID, a.user.Epoch, a.info(), a.user.Email
	k.sendMailLater(a.ctx(), func(ctx context.Context) (Message, bool) {
		owner, err := k.userByEmail(ctx, newEmail)
		switch {
		case err == nil && owner.ID == userID:
			return Message{}, false // the user's own address after all
		case err == nil:
			k.audit(ctx, info, auditEvent{event: eventEmailChange, outcome: outcomeFailed, userID: userID, detail: "address taken"})
			return Message{
				To:      owner.Email,
				Subject: "Someone tried to use your email address",
				Text: "Someone asked to make this address the address of another account. " +
					"Nothing changed: it stays the address of your account. If it was you, log in to the account you meant instead.\n",
				Kind:      MessageEmailTaken,
				UserEmail: owner.Email,
			}, true
		case !errors.Is(err, store.ErrNotFound):
			k.log.ErrorContext(ctx, "authkit: preparing mail failed", "event", eventEmailChange, "error", err)
			return Message{}, false
		}
		link, err := k.mailToken(ctx, userID, epoch, newEmail, store.PurposeChangeEmail, k.cfg.ConfirmationExpiry, k.cfg.ConfirmEmailPath)
		if err != nil {
			if !errors.Is(err, ErrSessionRevoked) {
				k.log.ErrorContext(ctx, "authkit: preparing mail failed", "event", eventEmailChange, "error", err)
			}
			return Message{}, false
		}
		k.audit(ctx, info, auditEvent{event: eventEmailChange, outcome: outcomePending, userID: userID})
		return Message{
			To:      newEmail,
			Subject: "Confirm your new email address",
			Text: "To make this the address of your account, open this link:\n\n" + link +
				"\n\nThe link works once and expires in " + humanDuration(k.cfg.ConfirmationExpiry) +
				".\nIf you did not ask for this, ignore this message.\n",
			Kind:      MessageChangeEmail,
			Link:      link,
			ExpiresIn: k.cfg.ConfirmationExpiry,
			UserEmail: current,
		}, true
	})
	k.notify(a.ctx(), MessageEmailChangeRequested, a.user.Email, "A change of your email address was requested",
		"Someone asked to change the address of your account to "+twofactor.MaskEmail(newEmail)+
			". It changes only when the new address confirms. If this was not you, change your password now.\n")
	return nil
}

// finishEmailChange makes newEmail the user's address after the new
// address confirmed it, re-checking that no other account took it since.
func (a *Auth) finishEmailChange(u store.User, newEmail string) error {
	k := a.kit
	if err := k.store.SetEmail(a.ctx(), u.ID, newEmail, emailKey(newEmail), int16(twofactor.Email), enableBinding(u.ID, twofactor.Email)); err != nil {
		if errors.Is(err, store.ErrDuplicateEmail) {
			a.audit(auditEvent{event: eventEmailChange, outcome: outcomeFailed, userID: u.ID, detail: "address taken"})
			return ErrEmailTaken
		}
		return notFoundOr(err, "change email")
	}
	if a.state != nil && a.state.UserID == u.ID {
		a.user.Email = newEmail
	}
	a.audit(auditEvent{event: eventEmailChange, outcome: outcomeOK, userID: u.ID})
	k.notify(a.ctx(), MessageEmailChanged, u.Email, "Your email address was changed",
		"The address of your account is now "+twofactor.MaskEmail(newEmail)+
			". If you did not do this, contact us at once.\n")
	return nil
}
