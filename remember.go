package authkit

import (
	"errors"
	"net/http"
	"time"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
)

// rememberGrace is how long the previous validator of a rotated
// remember-me token stays valid, so that requests a browser sends together
// with the same cookie (several tabs opening at once) all succeed
// (SEC-R3). A validator older than that is treated as stolen.
const rememberGrace = 30 * time.Second

// maxRememberTokens is the most remember-me tokens one user holds: a new
// one drops the oldest beyond it, so that logging in with "remember me"
// again and again (or a script doing it) cannot pile up rows. Twenty
// devices remembered at once is more than a person has.
const maxRememberTokens = 20

// restore starts a session from the request's remember-me cookie, if it
// has a valid one (SEC-R2, R4). Every way the cookie can be wrong — bad
// shape, unknown, expired, stolen, revoked, or its account no longer
// allowed in — ends with the cookie cleared and no session, never an
// error; only a database failure is returned.
func (a *Auth) restore() error {
	k := a.kit
	tok, ok := a.rememberCookieToken()
	if !ok {
		if a.hasRememberCookie() {
			a.clearRememberCookie() // malformed
		}
		return nil
	}
	rm, err := k.store.RememberBySelector(a.ctx(), tok.Selector)
	if errors.Is(err, store.ErrNotFound) {
		a.clearRememberCookie()
		return nil
	}
	if err != nil {
		return unavailable("load remember-me token", err)
	}
	now := k.now()
	current := tok.Matches(rm.ValidatorHash)
	inGrace := !current && rm.PreviousHash != nil && rm.GraceUntil.Valid && now.Before(rm.GraceUntil.Time) &&
		tok.Matches(rm.PreviousHash)
	u := rm.User
	switch {
	case !current && !inGrace:
		return a.rememberTheft(tok.Selector, u)
	case !now.Before(rm.ExpiresAt):
		return a.refuseRemember(tok.Selector, u.ID, "remember-me token expired")
	case rm.Epoch != u.Epoch:
		// A revocation ran after this token was made; it should have
		// deleted it, so this is a token a racing login slipped in.
		return a.refuseRemember(tok.Selector, u.ID, "remember-me token revoked")
	}
	next := token.Split{Selector: tok.Selector, Validator: token.NewSplit().Validator}
	rot := &store.Rotation{Selector: tok.Selector}
	if current {
		rot.OldHash, rot.NewHash = rm.ValidatorHash, next.Hash()
		rot.GraceUntil, rot.ExpiresAt = now.Add(rememberGrace), now.Add(k.cfg.RememberDuration)
	}
	// Within the grace window the winner of the race has rotated already
	// and its response carries the new cookie: only check that the token
	// is still there.
	rotated, err := a.startSession(u, sessionStart{restore: rot, how: "remember-me"})
	switch {
	case err == nil:
		if rotated {
			a.setRememberCookie(next.String())
		}
		return nil
	case errors.Is(err, ErrUnavailable):
		return err
	}
	return a.refuseRemember(tok.Selector, u.ID, failureDetail(err))
}

// refuseRemember deletes a remember-me token that cannot log anyone in
// and clears its cookie.
func (a *Auth) refuseRemember(selector string, userID int64, why string) error {
	if err := a.kit.store.DeleteRemember(a.ctx(), selector); err != nil {
		return unavailable("delete remember-me token", err)
	}
	a.clearRememberCookie()
	a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: userID, detail: why})
	return nil
}

// rememberTheft handles a known selector with a wrong validator: the
// cookie was copied and one copy has rotated on. Nobody can tell which
// holder is genuine, so the token dies for both, with every session that
// came from it, and the user is told (SEC-R3, SEC-S11).
func (a *Auth) rememberTheft(selector string, u store.User) error {
	k := a.kit
	_, err := k.revokeRememberToken(a.ctx(), selector)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return unavailable("revoke remember-me token", err)
	}
	a.clearRememberCookie()
	a.audit(auditEvent{event: eventRememberTheft, outcome: outcomeFailed, userID: u.ID, detail: "remember-me token mismatch"})
	if err == nil { // the first request to see the mismatch tells the user
		k.notify(a.ctx(), MessageStolenLogin, u.Email, "A copy of your login was used",
			"Someone used an old copy of the cookie that keeps you logged in on one of your devices, so we logged that device out. "+
				"If you did not just restore a backup or copy a browser profile, change your password and review your devices.\n")
	}
	return nil
}

// forgetRemember deletes this device's remember-me token and clears its
// cookie.
func (a *Auth) forgetRemember() error {
	selector := ""
	if a.state != nil {
		selector = a.state.RememberSelector
	}
	if tok, ok := a.rememberCookieToken(); ok && selector == "" {
		selector = tok.Selector
	}
	if selector != "" {
		if err := a.kit.store.DeleteRemember(a.ctx(), selector); err != nil {
			return unavailable("delete remember-me token", err)
		}
	}
	if selector != "" || a.hasRememberCookie() {
		a.clearRememberCookie()
	}
	return nil
}

func (a *Auth) hasRememberCookie() bool {
	_, err := a.r.Cookie(a.kit.rememberCookie)
	return err == nil
}

// rememberCookieToken parses the request's remember-me cookie.
func (a *Auth) rememberCookieToken() (token.Split, bool) {
	c, err := a.r.Cookie(a.kit.rememberCookie)
	if err != nil {
		return token.Split{}, false
	}
	tok, err := token.Parse(c.Value)
	return tok, err == nil
}

func (a *Auth) setRememberCookie(value string) {
	maxAge := int(a.kit.cfg.RememberDuration / time.Second)
	a.writeRememberCookie(value, maxAge, a.kit.now().Add(a.kit.cfg.RememberDuration))
}

func (a *Auth) clearRememberCookie() { a.writeRememberCookie("", -1, time.Unix(1, 0)) }

// writeRememberCookie sets the remember-me cookie with the attributes of
// SEC-S6: HttpOnly, SameSite=Lax, Path=/, Secure and "__Host-" unless
// insecure cookies were allowed for development.
func (a *Auth) writeRememberCookie(value string, maxAge int, expires time.Time) {
	http.SetCookie(a.w, &http.Cookie{
		Name:     a.kit.rememberCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Expires:  expires,
		HttpOnly: true,
		Secure:   !a.kit.cfg.AllowInsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}
