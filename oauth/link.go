package oauth

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// Audit events of the package, besides the Kit's "login".
const (
	eventLink   = "oauth_link"
	eventUnlink = "oauth_unlink"
	eventSignUp = "oauth_signup"
)

// signIn logs in the account the provider account cl is linked to,
// linking it to an existing account or making a new one first by the
// rules of SEC-O2: accounts are found by (provider, subject), never by
// email; a new provider account joins the account with its address only
// when the provider vouches for the address and the account confirmed
// it, and makes a new account only with a vouched-for address and
// Options.AllowSignUp.
func (s *Service) signIn(r *http.Request, p *conn, cl claims, tok *oauth2.Token, remember bool, res Result) (Result, error) {
	ctx := r.Context()
	for attempt := 0; ; attempt++ {
		owner, err := s.store.identityOwner(ctx, p.Name, cl.Subject)
		if err == nil {
			if err := s.store.touch(ctx, p.Name, cl, s.c.Now()); err != nil {
				return res, unavailable("record sign-in", err)
			}
			return s.logIn(r, p, cl, owner, tok, remember, res)
		}
		if !errors.Is(err, errNotFound) {
			return res, unavailable("find identity", err)
		}
		userID, signedUp, err := s.accountFor(r, p, cl)
		if errors.Is(err, authkit.ErrEmailTaken) && attempt == 0 {
			continue // a sign-in racing this one made the account: look again
		}
		if err != nil {
			return res, err
		}
		owner, linked, err := s.store.link(ctx, p.Name, cl, userID, s.c.Now())
		if err != nil {
			return res, unavailable("link identity", err)
		}
		if linked {
			s.audit(r, eventLink, "ok", owner, p.Name)
		}
		res.SignedUp, res.Linked = signedUp, linked
		return s.logIn(r, p, cl, owner, tok, remember, res)
	}
}

// accountFor finds or makes the account for a provider account that is
// linked to none.
func (s *Service) accountFor(r *http.Request, p *conn, cl claims) (userID int64, signedUp bool, err error) {
	closed := ErrNoVerifiedEmail
	if !s.opts.AllowSignUp {
		closed = ErrSignUpClosed
	}
	if cl.Email == "" {
		return 0, false, closed
	}
	u, err := s.c.UserByEmail(r.Context(), cl.Email)
	switch {
	case err == nil:
		if cl.EmailVerified && u.EmailVerified {
			return u.ID, false, nil
		}
		s.keepPendingLink(r, p.Name, cl, u.Email)
		return 0, false, &LinkRequiredError{Email: u.Email, Provider: p.Name}
	case errors.Is(err, authkit.ErrInvalidEmail):
		return 0, false, closed // an address authkit cannot use is as good as none
	case !errors.Is(err, authkit.ErrUserNotFound):
		return 0, false, err
	}
	if !s.opts.AllowSignUp {
		return 0, false, ErrSignUpClosed
	}
	if !cl.EmailVerified {
		return 0, false, ErrNoVerifiedEmail
	}
	id, err := s.c.CreateUser(r.Context(), cl.Email)
	if err != nil {
		return 0, false, err
	}
	s.audit(r, eventSignUp, "ok", id, p.Name)
	return id, true, nil
}

// logIn logs userID in through the session core, and keeps the
// provider's tokens if the app wants them. The user's revocation counter
// is read first, right after the provider vouched for the user and
// before anything is written: the session and the tokens exist only if a
// revocation has not moved it since (SEC-S8).
func (s *Service) logIn(r *http.Request, p *conn, cl claims, userID int64, tok *oauth2.Token, remember bool, res Result) (Result, error) {
	u, err := s.c.User(r.Context(), userID)
	if errors.Is(err, authkit.ErrUserNotFound) || errors.Is(err, authkit.ErrUnavailable) {
		return res, err
	}
	// Any other error is the eligibility rule's, which LogIn applies and
	// audits.
	res.admitted = true
	err = s.c.LogIn(r, userID, core.Start{How: "oauth:" + p.Name, Fresh: true, Remember: remember, Epoch: u.Epoch})
	var sf *authkit.SecondFactorRequiredError
	if err != nil && !errors.As(err, &sf) {
		return res, err
	}
	if kerr := s.keepTokens(r, p.Name, cl.Subject, u, tok); kerr != nil {
		return res, kerr
	}
	if err == nil {
		res.UserID = userID
	}
	return res, err
}

// linkingUser checks that the user who started linking is still the
// request's, in a fresh session, and reads them.
func (s *Service) linkingUser(r *http.Request, userID int64) (core.User, error) {
	a := authkit.From(r)
	switch {
	case !a.IsLoggedIn() || a.UserID() != userID:
		return core.User{}, authkit.ErrNotLoggedIn
	case !a.IsFresh():
		return core.User{}, authkit.ErrReauthenticationRequired
	}
	return s.c.User(r.Context(), userID)
}

// linkTo links the provider account cl to the logged-in user u.
func (s *Service) linkTo(r *http.Request, p *conn, cl claims, u core.User, tok *oauth2.Token, res Result) (Result, error) {
	owner, linked, err := s.store.link(r.Context(), p.Name, cl, u.ID, s.c.Now())
	if err != nil {
		return res, unavailable("link identity", err)
	}
	if owner != u.ID {
		return res, ErrIdentityTaken
	}
	if linked {
		s.audit(r, eventLink, "ok", u.ID, p.Name)
	} else if err := s.store.touch(r.Context(), p.Name, cl, s.c.Now()); err != nil {
		return res, unavailable("record sign-in", err)
	}
	if err := s.keepTokens(r, p.Name, cl.Subject, u, tok); err != nil {
		return res, err
	}
	res.UserID, res.Linked = u.ID, linked
	return res, nil
}

// pendingKey is the session key of a provider account waiting to be
// linked once the user proves the password.
const pendingKey = "authkit.oauth.pending_link"

// pendingLink is a provider account that a sign-in could not link by
// itself ([LinkRequiredError]).
type pendingLink struct {
	Provider  string
	Subject   string
	Email     string // what the provider said
	Verified  bool
	Account   string // the address of the account it may join
	ExpiresAt time.Time
}

func (s *Service) keepPendingLink(r *http.Request, provider string, cl claims, account string) {
	s.c.Put(r, pendingKey, pendingLink{
		Provider: provider, Subject: cl.Subject, Email: cl.Email, Verified: cl.EmailVerified,
		Account: account, ExpiresAt: s.c.Now().Add(flowLifetime),
	})
}

// CompleteLink links the provider account that a sign-in in this session
// could not link by itself ([*LinkRequiredError]) to the logged-in user,
// who must have just logged in with the password ([authkit.Auth.IsFresh])
// to the account with the address the error named. The provider account
// waits in the session for ten minutes after the sign-in and links once.
// Errors: [authkit.ErrNotLoggedIn], [authkit.ErrReauthenticationRequired],
// [ErrNoPendingLink] (none, expired, or the user is not the account it
// named), [ErrIdentityTaken].
func (s *Service) CompleteLink(r *http.Request) (Result, error) {
	a := authkit.From(r)
	if !a.IsLoggedIn() {
		return Result{}, authkit.ErrNotLoggedIn
	}
	if !a.IsFresh() {
		return Result{}, authkit.ErrReauthenticationRequired
	}
	pl, _ := s.c.Pop(r, pendingKey).(pendingLink)
	if pl.Provider == "" || !s.c.Now().Before(pl.ExpiresAt) || !strings.EqualFold(pl.Account, a.Email()) {
		return Result{}, ErrNoPendingLink
	}
	p, err := s.provider(pl.Provider)
	if err != nil {
		return Result{}, ErrNoPendingLink
	}
	u, err := s.c.User(r.Context(), a.UserID())
	if err != nil {
		return Result{}, err
	}
	cl := claims{Subject: pl.Subject, Email: pl.Email, EmailVerified: pl.Verified}
	return s.linkTo(r, p, cl, u, nil, Result{Provider: p.Name, ReturnTo: s.opts.ReturnTo})
}

// Identity is a provider account linked to a user.
type Identity struct {
	Provider string
	// Subject is the provider's id for the account.
	Subject string
	// Email is the address the provider gave at the last sign-in, for
	// showing; it identifies nothing.
	Email       string
	CreatedAt   time.Time
	LastLoginAt time.Time
}

// Identities lists the provider accounts linked to the logged-in user,
// oldest first ([authkit.ErrNotLoggedIn] for nobody).
func (s *Service) Identities(r *http.Request) ([]Identity, error) {
	a := authkit.From(r)
	if !a.IsLoggedIn() {
		return nil, authkit.ErrNotLoggedIn
	}
	rows, err := s.store.identities(r.Context(), a.UserID())
	if err != nil {
		return nil, unavailable("list identities", err)
	}
	ids := make([]Identity, len(rows))
	for i, row := range rows {
		ids[i] = Identity{Provider: row.Provider, Subject: row.Subject, Email: row.Email, CreatedAt: row.CreatedAt, LastLoginAt: row.LastLoginAt.Time}
	}
	return ids, nil
}

// Unlink removes a provider account from the logged-in user, who needs a
// fresh session ([authkit.ErrReauthenticationRequired]). The last way in
// stays: an account without a password keeps its last provider account
// ([ErrLastWayIn]), even when two unlinks race. [ErrNotLinked] when the
// provider account is not the user's.
func (s *Service) Unlink(r *http.Request, provider, subject string) error {
	a := authkit.From(r)
	if !a.IsLoggedIn() {
		return authkit.ErrNotLoggedIn
	}
	if !a.IsFresh() {
		return authkit.ErrReauthenticationRequired
	}
	hasPassword, err := s.c.HasPassword(r.Context(), a.UserID())
	if err != nil {
		return err
	}
	switch err := s.store.unlink(r.Context(), a.UserID(), provider, subject, hasPassword); {
	case errors.Is(err, errNotFound):
		return ErrNotLinked
	case errors.Is(err, ErrLastWayIn):
		return err
	case err != nil:
		return unavailable("unlink identity", err)
	}
	s.audit(r, eventUnlink, "ok", a.UserID(), provider)
	return nil
}
