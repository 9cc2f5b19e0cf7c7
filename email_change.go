package authkit

import (
	"errors"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/twofactor"
)

// ChangeEmail starts changing the logged-in user's address to newEmail: a
// confirmation link goes to the new address, and the change happens only
// when [Auth.ConfirmEmail] gets that link's token (SEC-T4). The old address
// is told now and again when the change takes effect. It needs a fresh
// password check ([ErrReauthenticationRequired]); an address that belongs
// to another account gives [ErrEmailTaken], now or at confirmation.
func (a *Auth) ChangeEmail(newEmail string) error {
	st, err := a.requireLogin()
	if err != nil {
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
	switch _, err := k.userByEmail(a.ctx(), newEmail); {
	case err == nil:
		return ErrEmailTaken
	case !errors.Is(err, store.ErrNotFound):
		return unavailable("find user", err)
	}
	link, err := k.mailToken(a.ctx(), st.UserID, a.user.Epoch, newEmail, store.PurposeChangeEmail, k.cfg.ConfirmationExpiry, k.cfg.ConfirmEmailPath)
	if err != nil {
		return err
	}
	err = k.sendMail(a.ctx(), Message{
		To:      newEmail,
		Subject: "Confirm your new email address",
		Text: "To make this the address of your account, open this link:\n\n" + link +
			"\n\nThe link works once and expires in " + humanDuration(k.cfg.ConfirmationExpiry) +
			".\nIf you did not ask for this, ignore this message.\n",
		Kind: MessageChangeEmail,
		Link: link,
	})
	if err != nil {
		return err
	}
	a.audit(auditEvent{event: eventEmailChange, outcome: outcomePending, userID: st.UserID})
	k.notify(a.ctx(), a.user.Email, "A change of your email address was requested",
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
	k.notify(a.ctx(), u.Email, "Your email address was changed",
		"The address of your account is now "+twofactor.MaskEmail(newEmail)+
			". If you did not do this, contact us at once.\n")
	return nil
}
