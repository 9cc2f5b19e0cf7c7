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

// issueRemember gives the logged-in user a remember-me token for this
// device (replacing the one it had) and sends its cookie.
func (a *Auth) issueRemember() error {
	k := a.kit
	tok := token.NewSplit()
	now := k.now()
	replaces := a.state.RememberSelector
	if old, ok := a.rememberCookieToken(); ok {
		replaces = old.Selector
	}
	err := k.store.InsertRemember(a.ctx(), store.Remember{
		Selector: tok.Selector, ValidatorHash: tok.Hash(), UserID: a.state.UserID,
		CreatedAt: now, ExpiresAt: now.Add(k.cfg.RememberDuration),
	}, replaces)
	if err != nil {
		return unavailable("store remember-me token", err)
	}
	a.setRememberCookie(tok.String())
	a.state.RememberSelector = tok.Selector
	a.saveState()
	return nil
}

// restore starts a session from the request's remember-me cookie, if it
// has a valid one (SEC-R2, R4). Every way the cookie can be wrong — bad
// shape, unknown, expired, stolen, or its account no longer allowed in —
// ends with the cookie cleared and no session, never an error; only a
// database failure is returned.
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
	var refusal string
	switch {
	case !current && !inGrace:
		// A known selector with a wrong validator: the cookie was copied
		// and one copy has rotated on. Nobody can tell which holder is
		// genuine, so the token dies for both (SEC-R3).
		refusal = "remember-me token mismatch"
	case !now.Before(rm.ExpiresAt):
		refusal = "remember-me token expired"
	case !u.Verified && !k.cfg.DisableEmailVerification:
		refusal = "email not verified"
	case Status(u.Status) != StatusNormal:
		refusal = "account " + Status(u.Status).String()
	}
	if refusal != "" {
		if err := k.store.DeleteRemember(a.ctx(), tok.Selector); err != nil {
			return unavailable("delete remember-me token", err)
		}
		a.clearRememberCookie()
		a.audit(auditEvent{event: eventLogin, outcome: outcomeFailed, userID: u.ID, detail: refusal})
		return nil
	}
	var rot *store.Rotation
	next := token.Split{Selector: tok.Selector, Validator: token.NewSplit().Validator}
	if current {
		rot = &store.Rotation{
			Selector: tok.Selector, OldHash: rm.ValidatorHash, NewHash: next.Hash(),
			GraceUntil: now.Add(rememberGrace), ExpiresAt: now.Add(k.cfg.RememberDuration),
		}
	} else {
		// Within the grace window the winner of the race has rotated
		// already and its response carries the new cookie.
		rot = &store.Rotation{Selector: tok.Selector}
	}
	rotated, err := a.startSession(u, sessionStart{rot: rot, how: "remember-me"})
	if err != nil {
		return err
	}
	if rotated {
		a.setRememberCookie(next.String())
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
	a.writeRememberCookie(value, maxAge, time.Now().Add(a.kit.cfg.RememberDuration))
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
