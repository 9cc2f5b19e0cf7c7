package twofactor

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"io"
)

// hashDomain separates these hashes from every other SHA-256 the
// application may compute; the version lets the scheme change later.
const hashDomain = "authkit/twofactor code v1\x00"

// HashCode returns the SHA-256 hash under which a normalized numeric code
// (from NormalizeNumericCode) is stored. It suits short-lived codes whose
// guesses are counted; long-lived backup codes need a slow, salted hash
// instead (see NewBackupCodes).
//
// binding names the context the code belongs to, for example
// "email-login:" plus the pending login's id, or "backup:" plus the user's
// id. It is hashed with the code, so a hash copied to another row, user or
// purpose never matches, and it salts the hash so that one precomputed
// table cannot serve every row. The binding is length-prefixed, so no
// binding and code can be shifted into another pair with the same input.
//
// Anyone who reads the stored hash and its binding can try all 10^6
// six-digit codes in a moment: prefer [HashCodeKeyed] with a key kept
// outside the database.
func HashCode(binding, normalizedCode string) []byte {
	return hashCode(sha256.New(), binding, normalizedCode)
}

// HashCodeKeyed is [HashCode] as an HMAC-SHA256 under key: with the key
// kept out of the database (derived from an encryption key the app holds,
// say), reading the stored hashes does not reveal the codes, since each of
// the 10^6 guesses needs the key. The key should be at least 32 random
// bytes.
func HashCodeKeyed(key []byte, binding, normalizedCode string) []byte {
	return hashCode(hmac.New(sha256.New, key), binding, normalizedCode)
}

func hashCode(h hash.Hash, binding, normalizedCode string) []byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(binding)))
	io.WriteString(h, hashDomain)
	h.Write(n[:])
	io.WriteString(h, binding)
	io.WriteString(h, normalizedCode)
	return h.Sum(nil)
}

// CodeMatches reports whether stored is HashCode(binding, normalizedCode).
// The comparison takes the same time wherever the hashes differ, so timing
// tells an attacker nothing about how close a guess came.
func CodeMatches(stored []byte, binding, normalizedCode string) bool {
	return subtle.ConstantTimeCompare(stored, HashCode(binding, normalizedCode)) == 1
}
