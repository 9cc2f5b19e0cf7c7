package authkit

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/authkit/authkit/internal/store"
)

// LoginLinkExpiry is how long a mailed login link works: 15 minutes, short
// because the link alone proves the mailbox and so logs the user in.
const LoginLinkExpiry = 15 * time.Minute

// maxNext bounds the path a login link leads to after the login.
const maxNext = 2048

// ErrInvalidNext is returned by [Auth.SendLoginLink] for a next target that
// is not a path on this site, so that a login link is never an open
// redirect.
var ErrInvalidNext = errors.New("authkit: next must be a local path")

// SendLoginLink mails a login link to the account of email, voiding the
// links it was sent before. The link leads to Config.LoginLinkPath with the
// "token" query parameter and, when next is not empty, a "next" parameter
// naming the local path to go to after the login; next must be a path on
// this site ([ErrInvalidNext]). The link works once and for
// [LoginLinkExpiry].
//
// Like [Auth.ForgotPassword], SendLoginLink gives the same answer, in the
// same time, for unknown addresses as for known ones (SEC-E2), and is
// throttled per address and per client with the buckets of SEC-E5, so a
// stranger can neither find accounts with it nor flood a mailbox: only a
// malformed address or next, and too many requests
// ([*TooManyRequestsError]), give an error. The mail goes in the
// background.
func (a *Auth) SendLoginLink(email, next string) error {
	if err := a.ready(); err != nil {
		return err
	}
	email, err := normalizeEmail(email)
	if err != nil {
		return err
	}
	if next != "" {
		if next, err = localNext(next); err != nil {
			return err
		}
	}
	return a.mailAccountLater(email, eventLoginLink, func(ctx context.Context, u store.User) (Message, string, error) {
		if err := a.kit.eligible(store.User{Verified: true, Status: u.Status}); err != nil {
			return Message{}, failureDetail(err), nil
		}
		msg, err := a.kit.loginLinkMessage(ctx, u, next)
		return msg, "", err
	})
}

// loginLinkMessage stores a new login token for the user, voiding older
// ones, and returns the message that carries it.
func (k *Kit) loginLinkMessage(ctx context.Context, u store.User, next string) (Message, error) {
	link, err := k.mailToken(ctx, u.ID, u.Epoch, u.Email, store.PurposeLogin, LoginLinkExpiry, k.cfg.LoginLinkPath)
	if err != nil {
		return Message{}, err
	}
	if next != "" {
		link += "&next=" + url.QueryEscape(next)
	}
	return Message{
		To:      u.Email,
		Subject: "Your login link",
		Text: "Someone, hopefully you, asked to log in to your account. To log in, open this link:\n\n" +
			link + "\n\nThe link works once and expires in " + humanDuration(LoginLinkExpiry) +
			".\nIf you did not ask for this, ignore this message.\n",
		Kind:      MessageLoginLink,
		Link:      link,
		ExpiresIn: LoginLinkExpiry,
		UserEmail: u.Email,
	}, nil
}

// LoginWithLink logs the request in with the token of a login link
// ([Auth.SendLoginLink]). The token works once, even when requests race,
// and not after [LoginLinkExpiry] ([ErrTokenExpired]); garbage, reused and
// unknown tokens, and tokens of a link sent before the account's address
// changed or its sessions were revoked, give [ErrTokenInvalid]. Tokens
// presented from one client are throttled ([Limits.TokensPerIP]).
//
// The link proves the mailbox, so an unconfirmed address counts as
// confirmed from now on; it proves one factor only (SEC-L1): a user with
// a second factor gets [*SecondFactorRequiredError] and must complete it
// as after a password, and the email factor then needs a new code, not
// this link. The page behind the link should show a button that POSTs the
// token, so that mail scanners fetching the link do not use it up.
func (a *Auth) LoginWithLink(tok string) error {
	if err := a.ready(); err != nil {
		return err
	}
	k := a.kit
	if err := a.takeTokenTry(eventLoginLink); err != nil {
		return err
	}
	t, err := k.consumeEmailToken(a.ctx(), tok, store.PurposeLogin)
	if err != nil {
		a.audit(auditEvent{event: eventLoginLink, outcome: outcomeFailed, detail: failureDetail(err)})
		return err
	}
	// The token was made under the user's revocation counter, and u is
	// read with it before anything else: a revocation since, or one that
	// comes while this login starts, wins (SEC-S8).
	u, err := k.tokenOwner(a.ctx(), t)
	if err == nil && !sameEmail(u.Email, t.Email) {
		err = ErrTokenInvalid
	}
	if err != nil {
		a.audit(auditEvent{event: eventLoginLink, outcome: outcomeFailed, userID: t.UserID, detail: failureDetail(err)})
		return err
	}
	if !u.Verified {
		if err := k.store.MarkVerified(a.ctx(), u.ID); err != nil {
			return unavailable("mark verified", err)
		}
		u.Verified = true
	}
	// SEC-L1: the link is one factor, never two.
	return a.admit(u, admission{how: "link"})
}

// localNext checks that target is a path on this site, so that going there
// after a login is no open redirect. Browsers read "//host" and "/\host"
// as another site, and some servers decode "%2F" and "%5C" before
// redirecting, so those are refused in every spelling, as are schemes,
// hosts, control characters and backslashes.
func localNext(target string) (string, error) {
	if target == "" || len(target) > maxNext || target[0] != '/' {
		return "", ErrInvalidNext
	}
	if strings.ContainsRune(target, '\\') || strings.IndexFunc(target, unicode.IsControl) >= 0 {
		return "", ErrInvalidNext
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return "", ErrInvalidNext
	}
	// Decoding twice finds what a double-encoded target becomes.
	for s, i := target, 0; i < 2; i++ {
		if s, err = url.PathUnescape(s); err != nil {
			return "", ErrInvalidNext
		}
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') || strings.ContainsRune(s, '\\') ||
			strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return "", ErrInvalidNext
		}
	}
	return target, nil
}
