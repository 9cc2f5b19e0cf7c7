package core

import (
	"context"
)

// OAuthKit is what package oauth needs of the core beyond [Kit]: finding
// and creating the accounts that provider sign-ins lead to. The Kit that
// [Of] returns implements it; find it by type assertion.
type OAuthKit interface {
	Kit
	// UserByEmail finds the account with this address, compared
	// case-insensitively: authkit.ErrUserNotFound when there is none,
	// authkit.ErrInvalidEmail for an address authkit would not accept.
	// Unlike User, it applies no eligibility rule: the caller decides
	// about linking, and LogIn about the session.
	UserByEmail(ctx context.Context, email string) (User, error)
	// CreateUser creates an account with a confirmed address and no
	// password, for someone whose provider vouched for the address, through
	// the same path as every other new account: authkit.ErrEmailTaken when
	// the address has an account already, authkit.ErrInvalidEmail for a
	// malformed one.
	CreateUser(ctx context.Context, email string) (int64, error)
	// HasPassword reports whether the user can log in with a password.
	HasPassword(ctx context.Context, userID int64) (bool, error)
}
