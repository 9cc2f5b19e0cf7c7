package passhash

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

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

// encodeArgon2id returns the PHC string for h, base64 without padding as the
// reference implementation writes it.
func encodeArgon2id(h argon2Hash) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.Memory, h.params.Time, h.params.Threads,
		base64.RawStdEncoding.EncodeToString(h.salt),
		base64.RawStdEncoding.EncodeToString(h.key))
}

// parseArgon2id decodes a PHC string written exactly as encodeArgon2id
// writes it, with any parameters argon2id can run safely. Accepting one
// spelling only means a stored hash has a single valid form.
func parseArgon2id(encoded string) (argon2Hash, error) {
	if len(encoded) > maxEncodedLen {
		return argon2Hash{}, malformed("too long")
	}
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
	return argon2Hash{params: params, salt: salt, key: key}, nil
}

// parseParams reads "m=<KiB>,t=<passes>,p=<threads>" in that order and
// refuses values argon2 would panic on or that would exhaust memory.
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
	if time < 1 || threads < 1 || memory < 8*threads || memory > maxMemory {
		return Params{}, malformed("parameters out of range")
	}
	return Params{Memory: uint32(memory), Time: uint32(time), Threads: uint8(threads)}, nil
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

// isBcrypt reports whether encoded claims to be one of the bcrypt variants
// x/crypto/bcrypt verifies correctly.
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") ||
		strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, reason)
}
