package twofactor

import "strings"

// MinBackupCodes is the smallest number of backup codes NewBackupCodes
// returns (SEC-F4).
const MinBackupCodes = 10

// backupAlphabet is Crockford's base32 in lowercase: the digits and the
// letters without i, l, o and u, which are easily confused with 1, 1, 0 and v
// (or make accidental words). 32 symbols give 5 bits per character.
const backupAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// A backup code has two groups of five characters, 50 bits in all, shown as
// "xxxxx-xxxxx" so that it is easy to read out and type.
const (
	backupGroup = 5
	backupChars = 2 * backupGroup
)

// backupSymbols maps every byte a user may type in a backup code to the
// alphabet symbol it stands for, and every other byte to 0. Upper case is
// accepted, and so are the letters Crockford's decoding reads as digits
// (i and l as 1, o as 0), since a user copying a code by hand may type them.
var backupSymbols = func() [256]byte {
	var t [256]byte
	for _, c := range []byte(backupAlphabet) {
		t[c] = c
		if c >= 'a' {
			t[c-'a'+'A'] = c
		}
	}
	for _, c := range []byte("iIlL") {
		t[c] = '1'
	}
	t['o'], t['O'] = '0', '0'
	return t
}()

// NewBackupCodes returns n distinct backup codes of the form "xxxxx-xxxxx",
// each carrying 50 bits from crypto/rand. A count below MinBackupCodes is
// raised to MinBackupCodes. Each code is already in the form
// NormalizeBackupCode returns, so it can be hashed as is: with a slow,
// salted hash such as argon2id, as 50 bits are too few for a fast one.
func NewBackupCodes(n int) []string {
	n = max(n, MinBackupCodes)
	codes := make([]string, 0, n)
	// Duplicates are all but impossible with 50 bits, but a set containing
	// the same code twice would let one code be used twice.
	seen := make(map[string]bool, n)
	for len(codes) < n {
		raw := randomString(backupAlphabet, backupChars)
		code := raw[:backupGroup] + "-" + raw[backupGroup:]
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes
}

// NormalizeBackupCode returns the canonical lowercase "xxxxx-xxxxx" form of
// a backup code the user typed. It ignores case and surrounding whitespace,
// accepts the code with or without its hyphen, and reads i and l as 1 and o
// as 0. Anything else (a wrong length, other characters or separators, a
// hyphen elsewhere, fullwidth letters, NUL bytes, invalid UTF-8) returns
// ErrInvalidCode.
func NormalizeBackupCode(code string) (string, error) {
	code = strings.TrimSpace(code)
	if len(code) == backupChars+1 && code[backupGroup] == '-' {
		code = code[:backupGroup] + code[backupGroup+1:]
	}
	if len(code) != backupChars {
		return "", ErrInvalidCode
	}
	out := make([]byte, 0, backupChars+1)
	for i := range len(code) {
		if i == backupGroup {
			out = append(out, '-')
		}
		c := backupSymbols[code[i]]
		if c == 0 {
			return "", ErrInvalidCode
		}
		out = append(out, c)
	}
	return string(out), nil
}
