package passhash

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Check reports, without hashing, whether Verify can use encoded: nil for
// an argon2id PHC string (what Hash writes, with any parameters), a bcrypt
// hash ($2a$, $2b$ or $2y$), a Django pbkdf2_sha256 hash
// (pbkdf2_sha256$<iterations>$<salt>$<base64 key>) or a Better Auth scrypt
// hash (<hex salt>:<hex key>). Otherwise it returns an error wrapping
// [ErrMalformedHash], or [ErrCostTooHigh] for parameters that cost more
// than a login may take. Use it to vet hashes imported from another system
// before storing them.
func Check(encoded string) error {
	_, err := decode(encoded)
	return err
}

// storedHash is a decoded hash of one of the schemes Check accepts.
type storedHash interface {
	// matches reports whether password hashes to the stored key, comparing
	// in constant time. Verify runs it in a slot.
	matches(h *Hasher, password string) (bool, error)
	// outdated reports whether, once the password has matched, the hash
	// should be replaced by one of h's.
	outdated(h *Hasher) bool
}

// decode reads encoded in whichever scheme it is written in. Each scheme's
// prefix or shape tells them apart, so no hash is tried as two schemes.
func decode(encoded string) (storedHash, error) {
	switch {
	case len(encoded) > maxEncodedLen:
		return nil, malformed("too long")
	case isBcrypt(encoded):
		return parseBcrypt(encoded)
	case strings.HasPrefix(encoded, djangoPBKDF2Prefix):
		return parseDjangoPBKDF2(encoded)
	case strings.HasPrefix(encoded, "$"):
		return parseArgon2id(encoded)
	case strings.Contains(encoded, ":"):
		return parseBetterAuthScrypt(encoded)
	}
	return nil, malformed("unknown scheme")
}

// maxEncodedLen is longer than any encoding this package makes or accepts
// (64-byte salt and hash included), so oversized input is refused before it
// is split or decoded.
const maxEncodedLen = 256

// Lower bounds on what Verify accepts. A short hash matters most: with an
// empty one, every password would match.
const (
	minSaltLen = 8
	minKeyLen  = 16
)

// argon2Hash is a decoded argon2id PHC string.
type argon2Hash struct {
	params Params
	salt   []byte
	key    []byte
}

func (a argon2Hash) matches(h *Hasher, password string) (bool, error) {
	key := h.derive([]byte(password), a.salt, a.params, uint32(len(a.key)))
	return subtle.ConstantTimeCompare(key, a.key) == 1, nil
}

func (a argon2Hash) outdated(h *Hasher) bool {
	return a.params.weakerThan(h.params) || len(a.salt) < saltLen || len(a.key) < keyLen
}

// encodeArgon2id returns the PHC string for h, base64 without padding as the
// reference implementation writes it.
func encodeArgon2id(h argon2Hash) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(h.salt),
		base64.RawStdEncoding.EncodeToString(h.key))
}

// parseArgon2id decodes a PHC string written exactly as encodeArgon2id
// writes it, with any parameters argon2id can run safely and within the
// cost a login may take. Accepting one
// spelling only means a stored hash has a single valid form.
func parseArgon2id(encoded string) (argon2Hash, error) {
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return argon2Hash{}, malformed("not a PHC string")
	}
	if fields[1] != "argon2id" {
		return argon2Hash{}, malformed("unsupported scheme")
	}
	if fields[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return argon2Hash{}, malformed("unsupported argon2 version")
	}
	params, err := parseParams(fields[3])
	if err != nil {
		return argon2Hash{}, err
	}
	salt, err := decodeBase64(fields[4])
	if err != nil || len(salt) < minSaltLen {
		return argon2Hash{}, malformed("invalid salt")
	}
	key, err := decodeBase64(fields[5])
	if err != nil || len(key) < minKeyLen {
		return argon2Hash{}, malformed("invalid hash")
	}
	if err := checkArgon2Cost(params); err != nil {
		return argon2Hash{}, err
	}
	return argon2Hash{params: params, salt: salt, key: key}, nil
}

// parseParams reads "m=<KiB>,t=<passes>,p=<threads>" in that order and
// refuses values argon2 would panic on; checkArgon2Cost bounds the rest.
func parseParams(s string) (Params, error) {
	m, t, p, found := parseTriple(s)
	if !found {
		return Params{}, malformed("invalid parameters")
	}
	memory, errM := parseDecimal(m, 32)
	time, errT := parseDecimal(t, 32)
	threads, errP := parseDecimal(p, 8)
	if errM != nil || errT != nil || errP != nil {
		return Params{}, malformed("invalid parameters")
	}
	// RFC 9106 requires at least 8 KiB of memory per thread.
	if time < 1 || threads < 1 || memory < 8*threads {
		return Params{}, malformed("parameters out of range")
	}
	return Params{Memory: uint32(memory), Time: uint32(time), Threads: uint8(threads)}, nil
}

// checkArgon2Cost refuses parameters beyond maxMemory or maxArgon2Work.
func checkArgon2Cost(p Params) error {
	memory, time := uint64(p.Memory), uint64(p.Time)
	// With memory within its ceiling, the product cannot overflow.
	if memory > maxMemory || memory*time > maxArgon2Work {
		return tooCostly(fmt.Sprintf("argon2id with m=%d KiB and t=%d; the most allowed is m=%d KiB and m×t=%d",
			memory, time, maxMemory, maxArgon2Work))
	}
	return nil
}

// parseTriple splits "m=A,t=B,p=C" into A, B and C.
func parseTriple(s string) (m, t, p string, found bool) {
	m, rest, ok1 := strings.Cut(s, ",")
	t, p, ok2 := strings.Cut(rest, ",")
	m, okM := strings.CutPrefix(m, "m=")
	t, okT := strings.CutPrefix(t, "t=")
	p, okP := strings.CutPrefix(p, "p=")
	return m, t, p, ok1 && ok2 && okM && okT && okP
}

// parseDecimal reads an unsigned decimal of at most bits bits, written the
// one way the encoder writes it: no sign, no leading zeros.
func parseDecimal(s string, bits int) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, err
	}
	if strconv.FormatUint(v, 10) != s {
		return 0, ErrMalformedHash
	}
	return v, nil
}

// decodeBase64 accepts only the canonical unpadded encoding: the decoder
// alone would also skip line breaks and ignore stray trailing bits.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, ErrMalformedHash
	}
	return b, nil
}

func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, reason)
}

func tooCostly(reason string) error {
	return fmt.Errorf("%w: %s", ErrCostTooHigh, reason)
}
