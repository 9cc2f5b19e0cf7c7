package passhash

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// The schemes of other systems that Verify accepts, so that their users can
// be imported with the hashes they have and log in with the passwords they
// know. Each is always outdated: the first successful login replaces it
// with argon2id.

// bcryptMaxBytes is the most of a password bcrypt ever reads.
const bcryptMaxBytes = 72

// maxBcryptCost is the highest bcrypt cost Verify runs: cost 16 takes about
// four seconds of one core, where the usual defaults, 10 to 12, take a
// twentieth to a fifth of a second.
const maxBcryptCost = 16

// bcryptLen is the length of every bcrypt hash: "$2b$", two digits of cost,
// "$", then 22 characters of salt and 31 of hash.
const bcryptLen = 60

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// bcryptHash is a bcrypt hash, which x/crypto/bcrypt reads itself.
type bcryptHash []byte

// isBcrypt reports whether encoded claims to be one of the bcrypt variants
// x/crypto/bcrypt verifies correctly.
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") ||
		strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

// parseBcrypt checks the whole hash, which x/crypto/bcrypt would otherwise
// only find fault with while hashing.
func parseBcrypt(encoded string) (storedHash, error) {
	if len(encoded) != bcryptLen || encoded[6] != '$' ||
		strings.Trim(encoded[7:], bcryptAlphabet) != "" {
		return nil, malformed("invalid bcrypt hash")
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil || encoded[4:6] != fmt.Sprintf("%02d", cost) {
		return nil, malformed("invalid bcrypt cost")
	}
	if cost > maxBcryptCost {
		return nil, tooCostly(fmt.Sprintf("bcrypt with cost %d; the most allowed is %d", cost, maxBcryptCost))
	}
	return bcryptHash(encoded), nil
}

func (b bcryptHash) matches(_ *Hasher, password string) (bool, error) {
	pw := []byte(password)
	if len(pw) > bcryptMaxBytes {
		pw = pw[:bcryptMaxBytes]
	}
	err := bcrypt.CompareHashAndPassword(b, pw)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, malformed("invalid bcrypt hash")
}

func (bcryptHash) outdated(*Hasher) bool { return true }

// djangoPBKDF2Prefix starts the hashes of Django's default password
// hasher, PBKDF2PasswordHasher.
const djangoPBKDF2Prefix = "pbkdf2_sha256$"

// maxPBKDF2Iterations is the most PBKDF2-HMAC-SHA256 iterations Verify
// runs: about four seconds of one core, twenty times Django 5.2's default
// of 1,000,000 and room for the 20 % Django adds at each release.
const maxPBKDF2Iterations = 20_000_000

// maxDjangoSaltLen is far longer than the 22 characters Django writes, or
// the 12 it wrote before 3.1.
const maxDjangoSaltLen = 64

// djangoPBKDF2Hash is pbkdf2_sha256$<iterations>$<salt>$<key>: the key is
// PBKDF2-HMAC-SHA256 of the password's UTF-8 bytes under the salt's, as
// long as a SHA-256 digest, in padded standard base64.
type djangoPBKDF2Hash struct {
	iterations int
	salt       string
	key        []byte
}

func parseDjangoPBKDF2(encoded string) (storedHash, error) {
	fields := strings.Split(strings.TrimPrefix(encoded, djangoPBKDF2Prefix), "$")
	if len(fields) != 3 {
		return nil, malformed("not a Django pbkdf2_sha256 hash")
	}
	iterations, err := parseDecimal(fields[0], 32)
	if err != nil || iterations < 1 {
		return nil, malformed("invalid pbkdf2_sha256 iterations")
	}
	salt := fields[1]
	// Django refuses a salt with "$"; Split has already taken those out.
	if salt == "" || len(salt) > maxDjangoSaltLen || strings.IndexFunc(salt, func(r rune) bool { return r < '!' || r > '~' }) >= 0 {
		return nil, malformed("invalid pbkdf2_sha256 salt")
	}
	key, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil || len(key) != sha256.Size || base64.StdEncoding.EncodeToString(key) != fields[2] {
		return nil, malformed("invalid pbkdf2_sha256 hash")
	}
	if iterations > maxPBKDF2Iterations {
		return nil, tooCostly(fmt.Sprintf("pbkdf2_sha256 with %d iterations; the most allowed is %d", iterations, maxPBKDF2Iterations))
	}
	return djangoPBKDF2Hash{iterations: int(iterations), salt: salt, key: key}, nil
}

func (d djangoPBKDF2Hash) matches(_ *Hasher, password string) (bool, error) {
	key, err := pbkdf2.Key(sha256.New, password, []byte(d.salt), d.iterations, len(d.key))
	if err != nil {
		return false, fmt.Errorf("passhash: pbkdf2: %w", err)
	}
	return subtle.ConstantTimeCompare(key, d.key) == 1, nil
}

func (djangoPBKDF2Hash) outdated(*Hasher) bool { return true }

// The scrypt parameters of Better Auth's hashPassword, which the hash does
// not record: N=16384, r=16, p=1 (32 MiB, about a tenth of a second) and a
// 64-byte key, under a salt of 16 random bytes.
const (
	betterAuthN       = 16384
	betterAuthR       = 16
	betterAuthP       = 1
	betterAuthKeyLen  = 64
	betterAuthSaltLen = 16
)

// betterAuthScryptHash is <salt>:<key>, both lower-case hex, as Better Auth
// stores a password. The salt goes into scrypt as the 32 characters of its
// hex text, not as the bytes they spell, and the password as the UTF-8 of
// its NFKC form, both as Better Auth passes them.
type betterAuthScryptHash struct {
	salt string
	key  []byte
}

func parseBetterAuthScrypt(encoded string) (storedHash, error) {
	salt, keyHex, _ := strings.Cut(encoded, ":")
	if !isLowerHex(salt, betterAuthSaltLen) || !isLowerHex(keyHex, betterAuthKeyLen) {
		return nil, malformed("not a Better Auth scrypt hash")
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		return nil, malformed("not a Better Auth scrypt hash")
	}
	return betterAuthScryptHash{salt: salt, key: key}, nil
}

// isLowerHex reports whether s is n bytes in lower-case hex, as Better
// Auth writes them.
func isLowerHex(s string, n int) bool {
	return len(s) == 2*n && strings.Trim(s, "0123456789abcdef") == ""
}

func (b betterAuthScryptHash) matches(_ *Hasher, password string) (bool, error) {
	key, err := scrypt.Key([]byte(norm.NFKC.String(password)), []byte(b.salt),
		betterAuthN, betterAuthR, betterAuthP, betterAuthKeyLen)
	if err != nil {
		return false, fmt.Errorf("passhash: scrypt: %w", err)
	}
	return subtle.ConstantTimeCompare(key, b.key) == 1, nil
}

func (betterAuthScryptHash) outdated(*Hasher) bool { return true }
