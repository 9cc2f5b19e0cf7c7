package authkit

import (
	"context"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/authkit/authkit/internal/blocklist"
)

// Password length limits of SEC-P2, counted in Unicode code points.
const (
	minPasswordLength = 8
	maxPasswordLength = 256
)

// PasswordPolicy decides which new passwords are accepted. It follows NIST
// SP 800-63B: a minimum length, a generous maximum with no truncation, no
// composition rules, and a check against known common passwords. The zero
// value is the default policy.
type PasswordPolicy struct {
	// MinLength is the fewest code points a password may have. The default
	// is 8, which is also the lowest value New accepts.
	MinLength int

	// MaxLength is the most code points a password may have; longer ones
	// are refused, never truncated, and refused before any hashing. The
	// default is 256, which is also the highest value New accepts.
	MaxLength int

	// Checker is an extra check every new password must pass. The default
	// is [CommonPasswords], the list of common and breached passwords
	// shipped with authkit; set your own to call a breach-lookup service
	// or to combine checks. It receives the password after Unicode NFC
	// normalisation.
	Checker PasswordChecker
}

// PasswordChecker checks a new password. CheckPassword returns nil to
// accept it, or an error to refuse it; authkit passes the error on to the
// caller, so return [ErrPasswordTooCommon] or an error wrapping it for
// passwords that are known to be weak. It must not log the password.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, password string) error
}

// PasswordCheckerFunc adapts a function to [PasswordChecker].
type PasswordCheckerFunc func(ctx context.Context, password string) error

// CheckPassword calls f.
func (f PasswordCheckerFunc) CheckPassword(ctx context.Context, password string) error {
	return f(ctx, password)
}

// CommonPasswords refuses, with [ErrPasswordTooCommon], the passwords on
// the list of common and breached passwords that ships with authkit,
// compared case-insensitively. It is the default PasswordPolicy.Checker.
var CommonPasswords PasswordChecker = PasswordCheckerFunc(func(_ context.Context, password string) error {
	if blocklist.Contains(password) {
		return ErrPasswordTooCommon
	}
	return nil
})

func (p *PasswordPolicy) setDefaults() {
	if p.MinLength == 0 {
		p.MinLength = minPasswordLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = maxPasswordLength
	}
	if p.Checker == nil {
		p.Checker = CommonPasswords
	}
}

func (p *PasswordPolicy) validate() error {
	if p.MinLength < minPasswordLength || p.MaxLength > maxPasswordLength || p.MinLength > p.MaxLength {
		return configError("PasswordPolicy lengths must satisfy %d <= MinLength (%d) <= MaxLength (%d) <= %d",
			minPasswordLength, p.MinLength, p.MaxLength, maxPasswordLength)
	}
	return nil
}

// normalizePassword returns the NFC form of a password that is at most
// MaxLength code points, so that the same password typed on different
// systems hashes the same. It does no other checks: logins use it on
// passwords set under older policies.
func (p *PasswordPolicy) normalizePassword(password string) (string, error) {
	if !utf8.ValidString(password) || strings.ContainsRune(password, 0) {
		return "", ErrPasswordMalformed
	}
	// Count before normalising too: NFC of a huge input is itself work
	// an attacker could ask for.
	if utf8.RuneCountInString(password) > p.MaxLength {
		return "", ErrPasswordTooLong
	}
	password = norm.NFC.String(password)
	if utf8.RuneCountInString(password) > p.MaxLength {
		return "", ErrPasswordTooLong
	}
	return password, nil
}

// check applies the whole policy to a new password and returns its NFC
// form.
func (p *PasswordPolicy) check(ctx context.Context, password string) (string, error) {
	password, err := p.normalizePassword(password)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(password) < p.MinLength {
		return "", ErrPasswordTooShort
	}
	if err := p.Checker.CheckPassword(ctx, password); err != nil {
		return "", err
	}
	return password, nil
}
