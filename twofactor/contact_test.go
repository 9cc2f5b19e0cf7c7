package twofactor_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

func TestMaskEmail_ShowsAtMostTheFirstCharacterAndTheDomain(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"usual address", "john@example.com", "j***@example.com"},
		{"long local part", "john.smith+news@example.com", "j***@example.com"},
		{"multibyte first character", "élodie@example.fr", "é***@example.fr"},
		{"three characters", "bob@example.com", "b***@example.com"},
		{"two characters hidden entirely", "jo@example.com", "***@example.com"},
		{"one character hidden entirely", "j@example.com", "***@example.com"},
		{"last @ splits the domain", "a@b@example.com", "a***@example.com"},
		{"empty", "", "***"},
		{"no @", "john.example.com", "***"},
		{"nothing before @", "@example.com", "***"},
		{"nothing after @", "john@", "***"},
		{"invalid UTF-8", "jo\xffhn@example.com", "***"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := twofactor.MaskEmail(c.in); got != c.want {
				t.Errorf("MaskEmail(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestMaskPhone_ShowsOnlyTheCountryCodeAndLastFourDigits(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"North America", "+15551234567", "+1 *** *** 4567"},
		{"North America, formatted", "+1 (555) 123-4567", "+1 *** *** 4567"},
		{"Russia", "+79161234567", "+7 *** *** 4567"},
		{"United Kingdom", "+442079460958", "+44 *** *** 0958"},
		{"Germany", "+4915112345678", "+49 *** *** 5678"},
		{"China", "+8613812345678", "+86 *** *** 5678"},
		{"Ireland", "+353851234567", "+353 *** *** 4567"},
		{"Hong Kong", "+85251234567", "+852 *** *** 4567"},
		{"short number", "+4930901820", "+49 *** *** 1820"},
		{"not international", "5551234567", "***"},
		{"empty", "", "***"},
		{"garbage", "call me", "***"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := twofactor.MaskPhone(c.in); got != c.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestNormalizePhone_AcceptsInternationalNumbersWithCommonSeparators(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+15551234567", "+15551234567"},
		{"+1 555 123 4567", "+15551234567"},
		{"+1-555-123-4567", "+15551234567"},
		{"+1.555.123.4567", "+15551234567"},
		{"+1 (555) 123-4567", "+15551234567"},
		{"(+44) 20 7946 0958", "+442079460958"},
		{"  +15551234567\n", "+15551234567"},
		{"+44 (0)20 7946 0958", "+442079460958"}, // SEC-L2
		{"+49 30 901820", "+4930901820"},
	} {
		if got, err := twofactor.NormalizePhone(c.in); err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// malformedPhones are numbers NormalizePhone must refuse.
var malformedPhones = []struct{ name, in string }{
	{"empty", ""},
	{"only a plus", "+"},
	{"no plus", "15551234567"},
	{"international prefix 00", "0015551234567"},
	{"seven digits", "+1234567"},
	{"sixteen digits", "+1234567890123456"},
	{"country code 0", "+0123456789"},
	{"two plus signs", "++15551234567"},
	{"plus inside", "+44 20+7946 0958"},
	{"digit before plus", "1+5551234567"},
	{"letter", "+1555123456a"},
	{"extension", "+1 555 123 4567 ext 2"},
	{"slash", "+1/555/1234567"},
	{"NUL", "+1555123\x004567"},
	{"fullwidth digits", "+１５５５１２３４５６７"},
	{"invalid UTF-8", "+1555\xff1234567"},
	{"too short for its country", "+1 555 1234"}, // SEC-L2
	{"too long for its country", "+44 20 7946 0958 12345"},
	{"very long", "+1" + strings.Repeat("5", 10_000)},
}

func TestNormalizePhone_RefusesWhatIsNotAnE164Number(t *testing.T) {
	for _, c := range malformedPhones {
		t.Run(c.name, func(t *testing.T) {
			if got, err := twofactor.NormalizePhone(c.in); !errors.Is(err, twofactor.ErrInvalidPhone) || got != "" {
				t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalidPhone", c.in, got, err)
			}
		})
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, c := range malformedPhones {
		f.Add(c.in)
	}
	f.Add("+1 (555) 123-4567")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := twofactor.NormalizePhone(in)
		if err != nil {
			if !errors.Is(err, twofactor.ErrInvalidPhone) {
				t.Fatalf("NormalizePhone(%q) err = %v", in, err)
			}
			return
		}
		digits := got[1:]
		if got[0] != '+' || len(digits) < 8 || len(digits) > 15 || digits[0] == '0' || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", in, got)
		}
		masked := twofactor.MaskPhone(got)
		if !strings.HasSuffix(masked, digits[len(digits)-4:]) || strings.Contains(masked, digits[len(digits)-5:]) {
			t.Fatalf("MaskPhone(%q) = %q, which does not show exactly the last four digits", got, masked)
		}
	})
}

func TestPhoneCountryCode_NamesTheCallingCodeOfANumber(t *testing.T) { // SEC-E6
	for in, want := range map[string]string{"+442079460958": "44", "+15551234567": "1", "+4930901820": "49", "garbage": ""} {
		if got := twofactor.PhoneCountryCode(in); got != want {
			t.Errorf("PhoneCountryCode(%q) = %q, want %q", in, got, want)
		}
	}
}
