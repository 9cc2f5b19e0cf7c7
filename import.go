package authkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/authkit/authkit/internal/passhash"
)

// ErrUnsupportedHash is returned by [Admin.ImportUser] for a password hash
// it cannot take: one in none of the formats [ImportedUser.PasswordHash]
// lists, one not written as its system writes it, or one whose parameters
// would make a single login verify for more than a few seconds (SEC-I7),
// which only a corrupt or planted hash asks for. The message says which,
// without quoting the hash. Such a user can instead be created with
// [Admin.CreateUser] and a long random password, then mailed a reset link
// with [Admin.StartPasswordReset].
var ErrUnsupportedHash = errors.New("authkit: unsupported password hash")

// ImportedUser is an account moved from another system with the password
// hash it had there, for [Admin.ImportUser].
type ImportedUser struct {
	// Email is the account's address. It is trimmed, NFC-normalised and
	// checked as Register checks it ([ErrInvalidEmail]), and must not
	// belong to another account, compared case-insensitively
	// ([ErrEmailTaken]).
	Email string

	// PasswordHash is the hash the other system stored, in one of these
	// formats:
	//
	//   - argon2id as a PHC string, which is what authkit writes:
	//     $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>
	//   - bcrypt, $2a$, $2b$ or $2y$ (PHP's password_hash, Laravel, Devise,
	//     Go's x/crypto/bcrypt)
	//   - Django's default hasher: pbkdf2_sha256$<iterations>$<salt>$<hash>
	//   - Better Auth's default: <salt>:<key> in hex, scrypt with N=16384,
	//     r=16, p=1
	//
	// The user logs in with the password they had; that first login
	// replaces the hash with authkit's argon2id, as it does for an argon2id
	// hash with weaker parameters than authkit's. The password policy cannot
	// be checked on a hash, so it applies from the user's next new password.
	PasswordHash string

	// Verified records that the other system had confirmed the address.
	// An unverified user gets [ErrEmailNotVerified] at login until they
	// confirm, through [Auth.ResendConfirmation]; ImportUser itself sends
	// no mail.
	Verified bool

	// Roles are the user's roles, each a name [Admin.AddRole] accepts
	// ([ErrInvalidRole]); a role listed twice is kept once.
	Roles []string

	// CreatedAt is when the user registered with the other system, kept
	// as the account's registration time. The zero value means now.
	CreatedAt time.Time
}

// ImportUser creates an account that logs in with the password it had in
// another system, from the hash that system stored, and returns its id.
// It checks the hash's format and parameters without hashing, so a
// migration can import many users quickly, and reports a hash it cannot
// take as [ErrUnsupportedHash] before creating anything. It sends no mail;
// the account is audited as created, with the detail "imported".
func (ad *Admin) ImportUser(ctx context.Context, u ImportedUser) (int64, error) {
	k := ad.kit
	email, err := normalizeEmail(u.Email)
	if err != nil {
		return 0, err
	}
	if err := passhash.Check(u.PasswordHash); err != nil {
		return 0, fmt.Errorf("%w: %s", ErrUnsupportedHash, strings.TrimPrefix(err.Error(), "passhash: "))
	}
	var roles []string
	for _, role := range u.Roles {
		if !roleName.MatchString(role) {
			return 0, ErrInvalidRole
		}
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	registeredAt := u.CreatedAt
	if registeredAt.IsZero() {
		registeredAt = k.now()
	}
	id, err := k.createUser(ctx, email, u.PasswordHash, u.Verified, roles, registeredAt)
	if err != nil {
		return 0, err
	}
	ad.audit(ctx, eventUserCreated, id, "imported")
	return id, nil
}
