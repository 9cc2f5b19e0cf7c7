package authkit

import (
	"context"
	"errors"

	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/store"
)

// The core as package oauth sees it (core.OAuthKit): the accounts that
// provider sign-ins find and create.

func (c coreKit) UserByEmail(ctx context.Context, email string) (core.User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return core.User{}, err
	}
	u, err := c.k.userByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return core.User{}, ErrUserNotFound
	}
	if err != nil {
		return core.User{}, unavailable("find user", err)
	}
	return core.User{ID: u.ID, Email: u.Email, EmailVerified: u.Verified, Roles: u.Roles, Epoch: u.Epoch}, nil
}

func (c coreKit) CreateUser(ctx context.Context, email string) (int64, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return 0, err
	}
	id, err := c.k.createUser(ctx, email, noPassword, true, nil, c.k.now())
	if err != nil {
		return 0, err
	}
	c.k.audit(ctx, nil, auditEvent{event: eventUserCreated, outcome: outcomeOK, userID: id, detail: "signed up through a provider"})
	return id, nil
}

func (c coreKit) HasPassword(ctx context.Context, userID int64) (bool, error) {
	u, err := c.k.store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, ErrUserNotFound
	}
	if err != nil {
		return false, unavailable("load user", err)
	}
	return hasPassword(u), nil
}

// noPassword is the password hash of an account that has no password (it
// signs in through a provider): no password matches it.
const noPassword = ""

// hasPassword reports whether u can log in with a password.
func hasPassword(u store.User) bool { return u.PasswordHash != noPassword }
