package twofactor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

type malformedCode struct{ name, code string }

// malformedNumericCodes returns shapes of input that NormalizeNumericCode
// must refuse for six digits, built around a valid six-digit code so that
// only the malformation makes them wrong.
func malformedNumericCodes(valid string) []malformedCode {
	shift := func(base rune) string {
		return strings.Map(func(r rune) rune { return base + r - '0' }, valid)
	}
	return []malformedCode{
		{"empty", ""},
		{"only spaces", "      "},
		{"inner space", valid[:3] + " " + valid[3:]},
		{"inner tab", valid[:3] + "\t" + valid[3:]},
		{"hyphen", valid[:3] + "-" + valid[3:]},
		{"letters", "abcdef"},
		{"a letter for a digit", valid[:5] + "O"},
		{"too long", valid + "7"},
		{"too short", valid[:5]},
		{"sign", "+" + valid[1:]},
		{"fullwidth digits", shift('０')},
		{"one fullwidth digit", valid[:5] + string('０'+rune(valid[5]-'0'))},
		{"Arabic-Indic digits", shift('٠')},
		{"Devanagari digits", shift('०')},
		{"NUL inside", valid[:3] + "\x00" + valid[3:]},
		{"trailing NUL", valid + "\x00"},
		{"invalid UTF-8", valid[:5] + "\xff"},
		{"very long", strings.Repeat(valid, 10_000)},
	}
}

func TestNewNumericCode_ReturnsTheRequestedNumberOfASCIIDigits(t *testing.T) { // SEC-F3
	for digits := twofactor.MinNumericDigits; digits <= twofactor.MaxNumericDigits; digits++ {
		code := twofactor.NewNumericCode(digits)
		if _, err := twofactor.NormalizeNumericCode(code, digits); err != nil || len(code) != digits {
			t.Errorf("NewNumericCode(%d) = %q, not %d ASCII digits", digits, code, digits)
		}
	}
}

func TestNewNumericCode_ClampsLengthsOutsideSixToTen(t *testing.T) { // SEC-F3
	for _, c := range []struct{ digits, want int }{{-1, 6}, {0, 6}, {4, 6}, {11, 10}, {1000, 10}} {
		if got := len(twofactor.NewNumericCode(c.digits)); got != c.want {
			t.Errorf("NewNumericCode(%d) has %d digits, want %d", c.digits, got, c.want)
		}
	}
}

func TestNewNumericCode_UsesEveryDigitInEveryPosition(t *testing.T) { // SEC-F3
	// A digit missing from a position of 1000 uniform codes has
	// probability 0.9^1000 < 1e-45, so this cannot fail by chance.
	const codes, digits = 1000, 6
	var seen [digits][10]bool
	for range codes {
		for i, c := range twofactor.NewNumericCode(digits) {
			seen[i][c-'0'] = true
		}
	}
	for i, pos := range seen {
		for d, ok := range pos {
			if !ok {
				t.Errorf("digit %d never appeared at position %d", d, i)
			}
		}
	}
}

func TestNormalizeNumericCode_AcceptsExactlyTheDigitsAfterTrimming(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"123456", "123456"},
		{"000000", "000000"},
		{" 123456 ", "123456"},
		{"\t123456\r\n", "123456"},
	} {
		got, err := twofactor.NormalizeNumericCode(c.in, 6)
		if err != nil || got != c.want {
			t.Errorf("NormalizeNumericCode(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, err := twofactor.NormalizeNumericCode("1234567890", 10); err != nil || got != "1234567890" {
		t.Errorf("ten digits: %q, %v", got, err)
	}
}

func TestNormalizeNumericCode_RefusesMalformedCodes(t *testing.T) { // SEC-F6
	for _, c := range malformedNumericCodes("123456") {
		t.Run(c.name, func(t *testing.T) {
			got, err := twofactor.NormalizeNumericCode(c.code, 6)
			if !errors.Is(err, twofactor.ErrInvalidCode) || got != "" {
				t.Errorf("NormalizeNumericCode(%q) = %q, %v; want ErrInvalidCode", c.code, got, err)
			}
		})
	}
}

func FuzzNormalizeNumericCode(f *testing.F) { // SEC-F6
	for _, c := range malformedNumericCodes("123456") {
		f.Add(c.code, 6)
	}
	f.Add(" 123456 ", 6)
	f.Add("1234567890", 10)
	f.Add("12345", 5)
	f.Fuzz(func(t *testing.T, code string, digits int) {
		got, err := twofactor.NormalizeNumericCode(code, digits)
		if err != nil {
			if !errors.Is(err, twofactor.ErrInvalidCode) || got != "" {
				t.Fatalf("NormalizeNumericCode(%q, %d) = %q, %v", code, digits, got, err)
			}
			return
		}
		want := min(max(digits, twofactor.MinNumericDigits), twofactor.MaxNumericDigits)
		if len(got) != want || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("NormalizeNumericCode(%q, %d) = %q, not %d ASCII digits", code, digits, got, want)
		}
		if strings.TrimSpace(code) != got {
			t.Fatalf("NormalizeNumericCode(%q, %d) = %q, which is not the trimmed input", code, digits, got)
		}
	})
}
