package twofactor

import "strings"

// The bounds on the length of one-time numeric codes. Fewer than six digits
// is too easy to guess (SEC-F3); more than ten is too tedious to type.
const (
	// MinNumericDigits is the fewest digits a numeric code has (SEC-F3).
	MinNumericDigits = 6
	// MaxNumericDigits is the most digits a numeric code has.
	MaxNumericDigits = 10
)

// NewNumericCode returns a one-time code of the given number of ASCII
// digits, each uniform and independent from crypto/rand, for sending by
// email or SMS. A length outside [MinNumericDigits, MaxNumericDigits] is
// clamped to that range rather than refused, so a misconfiguration can make
// codes longer or shorter but never weaker than six digits;
// NormalizeNumericCode clamps the same way, so the two always agree.
func NewNumericCode(digits int) string {
	return randomString("0123456789", clampDigits(digits))
}

// NormalizeNumericCode returns the canonical form of a code the user typed:
// the code with surrounding whitespace removed, which must then be exactly
// digits ASCII digits (clamped as in NewNumericCode). Anything else returns
// ErrInvalidCode: an empty or blank code, inner spaces, letters, a code too
// long or too short, fullwidth or other non-ASCII digits, NUL bytes and
// invalid UTF-8. Non-ASCII digits are refused rather than mapped because
// they are not what the app sent, and because accepting lookalikes only
// widens what must be tested.
func NormalizeNumericCode(code string, digits int) (string, error) {
	code = strings.TrimSpace(code)
	if len(code) != clampDigits(digits) {
		return "", ErrInvalidCode
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return "", ErrInvalidCode
		}
	}
	return code, nil
}

func clampDigits(digits int) int {
	return min(max(digits, MinNumericDigits), MaxNumericDigits)
}
