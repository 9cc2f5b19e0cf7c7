package twofactor

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// masked stands for the hidden part of a contact. It has a fixed length so
// that the mask does not reveal how long the hidden part is.
const masked = "***"

// MaskEmail returns the address with its local part hidden except for the
// first character, for example "j***@example.com", so a user can recognise
// where a code went without the address being disclosed. A local part of
// one or two characters is hidden entirely, since its first character would
// be half of it. Input that is not an address (no "@", nothing before or
// after it, invalid UTF-8) gives "***".
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || !utf8.ValidString(email) {
		return masked
	}
	local, domain := email[:at], email[at:]
	if utf8.RuneCountInString(local) <= 2 {
		return masked + domain
	}
	_, size := utf8.DecodeRuneInString(local)
	return local[:size] + masked + domain
}

// MaskPhone returns the number with only its country code and last four
// digits visible, for example "+1 *** *** 4567" for "+15551234567". The
// phone is normalized first; input NormalizePhone refuses gives "***".
func MaskPhone(phone string) string {
	phone, err := NormalizePhone(phone)
	if err != nil {
		return masked
	}
	digits := phone[1:]
	return "+" + digits[:countryCodeLen(digits)] + " " + masked + " " + masked + " " + digits[len(digits)-4:]
}

// twoDigitCountryCodes are the E.164 country codes of two digits. +1 and +7
// are the only codes of one digit and every other code has three. Country
// codes are prefix-free, so a number's first digits tell the code's length.
var twoDigitCountryCodes = strings.Fields(`
	20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49
	51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86
	90 91 92 93 94 95 98`)

// countryCodeLen returns the length of the country code at the start of the
// digits of an E.164 number.
func countryCodeLen(digits string) int {
	switch {
	case digits[0] == '1' || digits[0] == '7':
		return 1
	case slices.Contains(twoDigitCountryCodes, digits[:2]):
		return 2
	default:
		return 3
	}
}

// The length bounds of a phone number's digits, country code included.
// E.164 allows at most 15; fewer than 8 is no real subscriber number.
const (
	minPhoneDigits = 8
	maxPhoneDigits = 15
)

// NormalizePhone returns a phone number in E.164 form: "+" followed by 8 to
// 15 digits, the first not 0. The input must be in international form with
// a leading "+" (a national number cannot be told from another country's),
// and may contain spaces, hyphens, dots and parentheses, as in
// "+1 (555) 123-4567" or "(+44) 20 7946 0958". github.com/nyaruka/phonenumbers
// checks the length against the country's numbering plan and drops a
// national trunk prefix, so "+44 (0)20 7946 0958" is "+442079460958"
// (SEC-L2). Anything else returns ErrInvalidPhone.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	out := make([]byte, 0, 1+maxPhoneDigits)
	for i := range len(s) {
		c := s[i]
		switch {
		case strings.IndexByte(" -.()", c) >= 0:
			// Separators only help people read the number.
		case c == '+' && len(out) == 0:
			out = append(out, c)
		case '0' <= c && c <= '9' && len(out) > 0 && len(out) <= maxPhoneDigits:
			out = append(out, c)
		default:
			// Any other character, a digit before the "+", a second "+" or
			// a digit beyond the fifteenth.
			return "", ErrInvalidPhone
		}
	}
	if len(out) < 1+minPhoneDigits || out[1] == '0' {
		return "", ErrInvalidPhone
	}
	// The characters are plain; phonenumbers knows each country's plan:
	// it drops a national trunk prefix written after the country code, as
	// in "+44 (0)20 7946 0958", and refuses lengths no number can have.
	num, err := phonenumbers.Parse(string(out), "ZZ")
	if err != nil || phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE || num.GetExtension() != "" {
		return "", ErrInvalidPhone
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) < 1+minPhoneDigits || len(e164) > 1+maxPhoneDigits {
		return "", ErrInvalidPhone
	}
	return e164, nil
}

// PhoneCountryCode returns the country calling code of an E.164 number,
// such as "44" for "+442079460958", for limits per destination; "" when
// the number does not parse.
func PhoneCountryCode(e164 string) string {
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return ""
	}
	return strconv.Itoa(int(num.GetCountryCode()))
}
