package tokens

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/token"
)

// throttleKind names the throttle bucket of refresh-token entry points.
const throttleKind = "refresh"

// parseRefresh decodes a refresh token; garbage never reaches the
// database.
func parseRefresh(s string) (token.Split, error) {
	rest, ok := strings.CutPrefix(s, refreshPrefix)
	if !ok {
		return token.Split{}, ErrRefreshTokenInvalid
	}
	rt, err := token.Parse(rest)
	if err != nil {
		return token.Split{}, ErrRefreshTokenInvalid
	}
	return rt, nil
}

// Refresh trades a refresh token for new Tokens: a new access token, and a
// new refresh token that replaces the one presented (SEC-J2). r is the
// client's request, inside the Kit's middleware, for the throttle and the
// audit log; audience, when not "", must be the audience the token was
// issued for.
//
// The token works once. Within Config.Grace of its first use it works
// again, so that concurrent refreshes of one client all succeed, each
// with a new refresh token of the same login; presented later it is
// reused: every token of its login (its family) is revoked, the event is
// audited, and the answer is [ErrRefreshTokenReused]. The refresh goes
// through the session core like every way in: the account must still be
// allowed in (SEC-S9), and a revocation of the user's sessions — logout
// everywhere, a ban, a password change or reset, a forced logout, the
// account's deletion — has revoked every refresh token at once, including
// one a refresh racing it writes (SEC-S8).
//
// Errors: [ErrRefreshTokenInvalid] (malformed, unknown, revoked, wrong
// audience), [ErrRefreshTokenExpired], [ErrRefreshTokenReused],
// [authkit.ErrSessionRevoked], the account's [authkit.ErrEmailNotVerified]
// or [*authkit.StatusError], [*authkit.TooManyRequestsError] after too
// many failures from the client's IP (Config.RefreshPerIP),
// [authkit.ErrUnavailable], and [authkit.ErrNoMiddleware] for a request
// that did not pass through the Kit's middleware.
func (i *Issuer) Refresh(r *http.Request, refreshToken, audience string) (*Tokens, error) {
	rt, err := parseRefresh(refreshToken)
	if err != nil {
		return nil, err
	}
	lim := i.cfg.RefreshPerIP
	giveBack, err := i.core.Throttle(r, throttleKind, lim.Burst, lim.Every)
	if err != nil {
		if errors.As(err, new(*authkit.TooManyRequestsError)) {
			i.core.Audit(r, core.Event{Event: eventRefresh, Outcome: "throttled"})
		}
		return nil, err
	}
	t, err := i.refresh(r, rt, audience)
	if err == nil {
		giveBack() // only failures count
	}
	return t, err
}

func (i *Issuer) refresh(r *http.Request, rt token.Split, audience string) (*Tokens, error) {
	ctx := r.Context()
	row, err := i.store.refreshToken(ctx, rt.Selector)
	if errors.Is(err, errNotFound) {
		return nil, ErrRefreshTokenInvalid
	}
	if err != nil {
		return nil, unavailable("load refresh token", err)
	}
	if !rt.Matches(row.ValidatorHash) || audience != "" && audience != row.Audience {
		return nil, ErrRefreshTokenInvalid
	}
	now := i.core.Now()
	graceStart := now.Add(-i.cfg.Grace)
	if row.UsedAt.Valid && !row.UsedAt.Time.After(graceStart) {
		// Reuse, even of a token that has expired since: its family may
		// still be live in other hands.
		return nil, i.reused(r, row)
	}
	if !now.Before(row.ExpiresAt) {
		return nil, ErrRefreshTokenExpired
	}
	// The user's revocation counter is read before the rotation checks
	// the token again: a revocation in between wins (SEC-S8).
	u, err := i.core.User(ctx, row.UserID)
	if errors.Is(err, authkit.ErrUserNotFound) {
		return nil, ErrRefreshTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if u.Epoch != row.Epoch {
		return nil, authkit.ErrSessionRevoked
	}
	next := token.NewSplit()
	aud, err := i.store.rotate(ctx, rotation{
		Selector: rt.Selector, Hash: rt.Hash(), Epoch: u.Epoch, Now: now, GraceStart: graceStart,
		Next: refreshToken{Selector: next.Selector, ValidatorHash: next.Hash(), ExpiresAt: now.Add(i.cfg.RefreshLifetime)},
	})
	if errors.Is(err, errNotFound) {
		// Valid a moment ago: a revocation, or the family's revocation by
		// a concurrent reuse, came in between.
		return nil, authkit.ErrSessionRevoked
	}
	if err != nil {
		return nil, unavailable("rotate refresh token", err)
	}
	return i.tokens(u, aud, row.Family, next, now)
}

// reused revokes the family of a refresh token presented after its grace
// window, and audits it.
func (i *Issuer) reused(r *http.Request, row refreshToken) error {
	revoked, err := i.store.revokeReused(r.Context(), row.Family, row.Selector, i.core.Now().Add(-i.cfg.Grace))
	if err != nil {
		return unavailable("revoke refresh tokens", err)
	}
	if revoked {
		i.core.Audit(r, core.Event{Event: eventReuse, Outcome: "failed", UserID: row.UserID,
			Detail: "a used refresh token was presented again; its login is revoked"})
	}
	return ErrRefreshTokenReused
}

// Revoke ends the login of a refresh token — every token of its family —
// for a client that logs out. An access token of that login stays valid
// until it expires; the client drops it. Revoking an unknown or revoked
// token does nothing and is not an error (RFC 7009), so the answer tells
// nothing about the token. A malformed one gets [ErrRefreshTokenInvalid];
// the throttle and database errors are as for [Issuer.Refresh].
func (i *Issuer) Revoke(r *http.Request, refreshToken string) error {
	rt, err := parseRefresh(refreshToken)
	if err != nil {
		return err
	}
	lim := i.cfg.RefreshPerIP
	giveBack, err := i.core.Throttle(r, throttleKind, lim.Burst, lim.Every)
	if err != nil {
		return err
	}
	row, err := i.store.refreshToken(r.Context(), rt.Selector)
	if errors.Is(err, errNotFound) || err == nil && !rt.Matches(row.ValidatorHash) {
		return nil
	}
	if err != nil {
		return unavailable("load refresh token", err)
	}
	giveBack()
	if err := i.store.revokeFamily(r.Context(), row.Family); err != nil {
		return unavailable("revoke refresh tokens", err)
	}
	i.core.Audit(r, core.Event{Event: eventRevoked, Outcome: "ok", UserID: row.UserID, Detail: "the client logged out"})
	return nil
}
