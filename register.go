package authkit

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
)

// Register creates an account and returns its id. The email is trimmed,
// validated and NFC-normalised, and must not belong to another account,
// compared case-insensitively ([ErrEmailTaken]); the password must pass
// Config.PasswordPolicy. Unless email verification is disabled, the
// account cannot log in until the link mailed to the address is opened
// ([Auth.ConfirmEmail]).
//
// If only the mail fails, the account exists: Register returns its id with
// an error wrapping [ErrMailNotSent], and [Auth.ResendConfirmation] can try
// again. Register does not log the user in.
func (a *Auth) Register(email, password string) (int64, error) {
	if err := a.ready(); err != nil {
		return 0, err
	}
	k := a.kit
	email, err := normalizeEmail(email)
	if err != nil {
		return 0, err
	}
	password, err = k.cfg.PasswordPolicy.check(a.ctx(), password)
	if err != nil {
		return 0, err
	}
	if err := k.take(a.ctx(), bucket{"register:ip:" + ipKey(a.clientIP()), k.cfg.Limits.RegisterPerIP}); err != nil {
		a.audit(auditEvent{event: eventRegister, outcome: outcomeThrottled})
		return 0, err
	}
	hash, err := k.hash(a.ctx(), password)
	if err != nil {
		return 0, err
	}
	if id, upgraded, err := a.upgradeAnonymous(email, hash); upgraded {
		return id, err
	}
	id, err := k.createUser(a.ctx(), email, hash, k.cfg.DisableEmailVerification, nil, k.now())
	if err != nil {
		a.audit(auditEvent{event: eventRegister, outcome: outcomeFailed, detail: failureDetail(err)})
		return 0, err
	}
	a.audit(auditEvent{event: eventRegister, outcome: outcomeOK, userID: id})
	if k.cfg.DisableEmailVerification {
		return id, nil
	}
	msg, err := k.confirmationMessage(a.ctx(), id, 0, email)
	if err != nil {
		return id, err
	}
	return id, k.sendMail(a.ctx(), msg)
}

// createUser inserts a user registered at registeredAt, mapping the
// database's answers to authkit errors.
func (k *Kit) createUser(ctx context.Context, email, hash string, verified bool, roles []string, registeredAt time.Time) (int64, error) {
	id, err := k.store.CreateUser(ctx, email, emailKey(email), hash, verified, roles, registeredAt)
	switch {
	case errors.Is(err, store.ErrDuplicateEmail):
		return 0, ErrEmailTaken
	case err != nil:
		return 0, unavailable("create user", err)
	}
	return id, nil
}

// confirmationMessage stores a new confirmation token for the user (whose
// revocation counter is epoch), voiding older ones, and returns the
// message that carries it.
func (k *Kit) confirmationMessage(ctx context.Context, userID, epoch int64, email string) (Message, error) {
	link, err := k.mailToken(ctx, userID, epoch, email, store.PurposeConfirm, k.cfg.ConfirmationExpiry, k.cfg.ConfirmEmailPath)
	if err != nil {
		return Message{}, err
	}
	return Message{
		To:      email,
		Subject: "Confirm your email address",
		Text: "Please confirm your email address by opening this link:\n\n" + link +
			"\n\nThe link works once and expires in " + humanDuration(k.cfg.ConfirmationExpiry) +
			".\nIf you did not create an account, ignore this message.\n",
		Kind:      MessageConfirmEmail,
		Link:      link,
		ExpiresIn: k.cfg.ConfirmationExpiry,
		UserEmail: email,
	}, nil
}

// mailToken stores a new split token for purpose, sent to email and valid
// for ttl, voiding the user's older tokens of that purpose, and returns
// the link under path that carries it (SEC-T1). epoch is the user's
// revocation counter as the caller read it: if a revocation has moved it
// since, no token is made ([ErrSessionRevoked]), and a token made under
// it stops working once a revocation moves it (SEC-S10).
func (k *Kit) mailToken(ctx context.Context, userID, epoch int64, email, purpose string, ttl time.Duration, path string) (string, error) {
	tok := token.NewSplit()
	now := k.now()
	err := k.store.InsertEmailToken(ctx, store.EmailToken{
		Selector: tok.Selector, ValidatorHash: tok.Hash(), UserID: userID,
		Purpose: purpose, Email: email, Epoch: epoch, CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrSessionRevoked
	}
	if err != nil {
		return "", unavailable("store token", err)
	}
	return k.cfg.BaseURL + path + "?token=" + url.QueryEscape(tok.String()), nil
}

// ConfirmEmail confirms the address a token was mailed to: the address of
// a new account, or the new address of an email change ([Auth.ChangeEmail]),
// which takes effect now. The token works once, even when two requests
// race, and not after it expires ([ErrTokenExpired]); garbage, reused and
// unknown tokens give [ErrTokenInvalid]. Tokens presented from one client
// IP are throttled ([Limits.TokensPerIP], SEC-E6). It does not log the
// user in.
func (a *Auth) ConfirmEmail(tok string) error {
	if err := a.ready(); err != nil {
		return err
	}
	k := a.kit
	if err := a.takeTokenTry(eventConfirmEmail); err != nil {
		return err
	}
	t, err := k.consumeEmailToken(a.ctx(), tok, store.PurposeConfirm, store.PurposeChangeEmail)
	if err != nil {
		a.audit(auditEvent{event: eventConfirmEmail, outcome: outcomeFailed, detail: failureDetail(err)})
		return err
	}
	u, err := k.tokenOwner(a.ctx(), t)
	if err != nil {
		return err
	}
	if t.Purpose == store.PurposeChangeEmail {
		return a.finishEmailChange(u, t.Email)
	}
	// The token confirms the address it was sent to, not whatever the
	// account's address is now.
	if !sameEmail(u.Email, t.Email) {
		a.audit(auditEvent{event: eventConfirmEmail, outcome: outcomeFailed, userID: u.ID, detail: "address changed"})
		return ErrTokenInvalid
	}
	if err := k.store.MarkVerified(a.ctx(), u.ID); err != nil {
		return unavailable("mark verified", err)
	}
	a.audit(auditEvent{event: eventConfirmEmail, outcome: outcomeOK, userID: u.ID})
	return nil
}

// takeTokenTry counts a mailed token presented by the request's client
// against Limits.TokensPerIP.
func (a *Auth) takeTokenTry(event string) error {
	k := a.kit
	if err := k.take(a.ctx(), a.ipBucket("token", k.cfg.Limits.TokensPerIP)); err != nil {
		a.audit(auditEvent{event: event, outcome: outcomeThrottled})
		return err
	}
	return nil
}

// consumeEmailToken uses up a mailed token and returns its row if the
// token is genuine and unexpired.
func (k *Kit) consumeEmailToken(ctx context.Context, raw string, purposes ...string) (store.EmailToken, error) {
	tok, err := token.Parse(raw)
	if err != nil {
		return store.EmailToken{}, ErrTokenInvalid
	}
	t, err := k.store.ConsumeEmailToken(ctx, tok.Selector, purposes...)
	if errors.Is(err, store.ErrNotFound) {
		return store.EmailToken{}, ErrTokenInvalid
	}
	if err != nil {
		return store.EmailToken{}, unavailable("consume token", err)
	}
	if !tok.Matches(t.ValidatorHash) {
		return store.EmailToken{}, ErrTokenInvalid
	}
	if !k.now().Before(t.ExpiresAt) {
		return store.EmailToken{}, ErrTokenExpired
	}
	return t, nil
}

// tokenOwner loads the user a consumed token belongs to. A reset or
// email-change token dies with a revocation since it was made (SEC-S10):
// the user's revocation counter must still be the one it was made under.
func (k *Kit) tokenOwner(ctx context.Context, t store.EmailToken) (store.User, error) {
	u, err := k.store.UserByID(ctx, t.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return u, ErrTokenInvalid
	case err != nil:
		return u, unavailable("load user", err)
	case t.Purpose != store.PurposeConfirm && t.Epoch != u.Epoch:
		return u, ErrTokenInvalid
	}
	return u, nil
}

// ResendConfirmation mails a new confirmation link, voiding older ones, if
// the address belongs to an account that still needs confirming. It
// returns nil for unknown and already confirmed addresses alike, and
// sends in the background so that its timing does not tell them apart
// (SEC-E2). Only a malformed address ([ErrInvalidEmail]) and too many
// requests for the address or from the client ([*TooManyRequestsError])
// give an error.
func (a *Auth) ResendConfirmation(email string) error {
	if err := a.ready(); err != nil {
		return err
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	if a.kit.cfg.DisableEmailVerification {
		return nil
	}
	return a.mailAccountLater(email, eventConfirmEmail, func(ctx context.Context, u store.User) (Message, string, error) {
		if u.Verified {
			return Message{}, "already confirmed", nil
		}
		msg, err := a.kit.confirmationMessage(ctx, u.ID, u.Epoch, u.Email)
		return msg, "", err
	})
}

// mailAccountLater answers a request to mail something to the account of
// an address without telling whether there is one (SEC-E2): it throttles
// requests per address and per client, and then, in the background, finds
// the account and mails the message prepare makes for it. prepare gives a
// reason instead of a message to send nothing; the outcome goes to the
// audit log under event.
func (a *Auth) mailAccountLater(email, event string, prepare func(ctx context.Context, u store.User) (msg Message, refusal string, err error)) error {
	k := a.kit
	if err := k.take(a.ctx(), a.emailBuckets(emailKey(email))...); err != nil {
		a.audit(auditEvent{event: event, outcome: outcomeThrottled})
		return err
	}
	info := a.info()
	k.sendMailLater(a.ctx(), func(ctx context.Context) (Message, bool) {
		u, err := k.userByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return Message{}, false
		}
		var msg Message
		refusal := ""
		if err == nil {
			msg, refusal, err = prepare(ctx, u)
		}
		if errors.Is(err, ErrSessionRevoked) {
			refusal, err = "revoked meanwhile", nil
		}
		if err != nil {
			k.log.ErrorContext(ctx, "authkit: preparing mail failed", "event", event, "error", err)
			return Message{}, false
		}
		if refusal != "" {
			k.audit(ctx, info, auditEvent{event: event, outcome: outcomeFailed, userID: u.ID, detail: refusal})
			return Message{}, false
		}
		k.audit(ctx, info, auditEvent{event: event, outcome: outcomeOK, userID: u.ID, detail: "link sent"})
		return msg, true
	})
	return nil
}
