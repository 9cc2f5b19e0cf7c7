// Package token makes and checks the random secrets authkit hands out:
// split tokens (a public selector to find the row, a secret validator of
// which only a SHA-256 is stored) and plain random strings.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

const (
	selectorBytes  = 16 // 128 bits: unguessable, so rows cannot be found by enumeration
	validatorBytes = 32 // 256 bits: the secret half (SEC-T1, SEC-R1 ask for at least 128)
)

var (
	selectorLen  = base64.RawURLEncoding.EncodedLen(selectorBytes)
	validatorLen = base64.RawURLEncoding.EncodedLen(validatorBytes)
)

// ErrMalformed is returned by Parse for anything that is not a split token
// of the expected shape.
var ErrMalformed = errors.New("token: malformed")

// Split is a split token: the selector is stored in clear to find the row,
// the validator is secret and only its SHA-256 is stored.
type Split struct {
	Selector  string
	Validator string
}

// NewSplit returns a fresh split token from crypto/rand.
func NewSplit() Split {
	return Split{Selector: Random(selectorBytes), Validator: Random(validatorBytes)}
}

// String encodes the token as "selector.validator", safe in URLs and cookies.
func (s Split) String() string { return s.Selector + "." + s.Validator }

// Hash returns the SHA-256 of the validator, the only form that is stored.
func (s Split) Hash() []byte { return Hash(s.Validator) }

// Matches reports in constant time whether the validator hashes to stored.
func (s Split) Matches(stored []byte) bool {
	return subtle.ConstantTimeCompare(s.Hash(), stored) == 1
}

// Parse decodes a token made by Split.String. Only the exact shape is
// accepted, so garbage never reaches the database.
func Parse(s string) (Split, error) {
	sel, val, ok := strings.Cut(s, ".")
	if !ok || len(sel) != selectorLen || len(val) != validatorLen || !isB64(sel) || !isB64(val) {
		return Split{}, ErrMalformed
	}
	return Split{Selector: sel, Validator: val}, nil
}

// Random returns n bytes from crypto/rand, base64url-encoded without padding.
func Random(n int) string {
	return base64.RawURLEncoding.EncodeToString(Bytes(n))
}

// Bytes returns n bytes from crypto/rand.
func Bytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error on supported platforms (it
	// crashes the program instead), so there is nothing to handle.
	_, _ = rand.Read(b)
	return b
}

// Hash returns the SHA-256 of s.
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// HashString returns the SHA-256 of s, base64url-encoded, the form the
// session store uses for its keys.
func HashString(s string) string {
	return base64.RawURLEncoding.EncodeToString(Hash(s))
}

func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
