package authkit

import (
	"context"
	"net/http"

	"github.com/authkit/authkit/internal/core"
)

// What package tokens reaches of the session core (core.TokensKit).

func (c coreKit) SessionUser(r *http.Request) (core.User, error) {
	a := From(r)
	st, err := a.requireLogin()
	if err != nil {
		return core.User{}, err
	}
	u := a.user
	return core.User{ID: st.UserID, Email: u.Email, EmailVerified: u.Verified, Roles: u.Roles, Epoch: u.Epoch}, nil
}

func (c coreKit) EndSession(r *http.Request) error {
	a := From(r)
	if err := a.ready(); err != nil {
		return err
	}
	if err := a.forgetRemember(); err != nil {
		return err
	}
	// A client that takes tokens gets no cookie at all (SEC-K2), not even
	// the device cookie the password login just gave it.
	a.dropCookie(a.kit.deviceCookie)
	return a.endSession("exchanged for tokens")
}

func (c coreKit) AuditContext(ctx context.Context, e core.Event) {
	c.k.audit(ctx, nil, auditEvent{event: e.Event, outcome: e.Outcome, userID: e.UserID, detail: e.Detail})
}

var _ core.TokensKit = coreKit{}
