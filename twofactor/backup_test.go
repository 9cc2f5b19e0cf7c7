package twofactor_test

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

var backupCodeFormat = regexp.MustCompile(`^[0-9a-z]{5}-[0-9a-z]{5}$`)

func TestNewBackupCodes_ReturnsAtLeastTenCodes(t *testing.T) { // SEC-F4
	for _, c := range []struct{ n, want int }{{-1, 10}, {0, 10}, {5, 10}, {10, 10}, {16, 16}} {
		if got := len(twofactor.NewBackupCodes(c.n)); got != c.want {
			t.Errorf("NewBackupCodes(%d) returned %d codes, want %d", c.n, got, c.want)
		}
	}
}

func TestNewBackupCodes_AreDistinctAndAlreadyNormalized(t *testing.T) {
	seen := map[string]bool{}
	for _, code := range twofactor.NewBackupCodes(100) {
		if !backupCodeFormat.MatchString(code) {
			t.Errorf("code %q is not xxxxx-xxxxx", code)
		}
		if seen[code] {
			t.Errorf("code %q appears twice", code)
		}
		seen[code] = true
		if got, err := twofactor.NormalizeBackupCode(code); err != nil || got != code {
			t.Errorf("NormalizeBackupCode(%q) = %q, %v; want the code itself", code, got, err)
		}
	}
}

func TestNewBackupCodes_CarryAtLeast40BitsFromAnUnambiguousAlphabet(t *testing.T) { // SEC-F4
	// Each position draws uniformly from 32 symbols; a symbol missing from a
	// position of 2000 codes has probability (31/32)^2000 < 1e-27.
	const codes = 2000
	var seen [10]map[rune]bool
	for i := range seen {
		seen[i] = map[rune]bool{}
	}
	for _, code := range twofactor.NewBackupCodes(codes) {
		for i, r := range strings.ReplaceAll(code, "-", "") {
			seen[i][r] = true
		}
	}
	bits := 0.0
	for i, symbols := range seen {
		if len(symbols) != 32 {
			t.Errorf("position %d used %d symbols, want 32", i, len(symbols))
		}
		for r := range symbols {
			if strings.ContainsRune("ilou", r) {
				t.Errorf("position %d used the ambiguous letter %q", i, r)
			}
		}
		bits += math.Log2(float64(len(symbols)))
	}
	if bits < 40 {
		t.Errorf("a code carries %.1f bits, want at least 40", bits)
	}
}

func TestNormalizeBackupCode_AcceptsWhatAUserMayTypeForACode(t *testing.T) {
	const want = "0a1b2-c3d4e"
	for _, c := range []struct{ name, in string }{
		{"as shown", "0a1b2-c3d4e"},
		{"upper case", "0A1B2-C3D4E"},
		{"without hyphen", "0a1b2c3d4e"},
		{"surrounding whitespace", "  0a1b2-c3d4e\n"},
		{"o for zero and l for one", "oalb2-c3d4e"},
		{"O for zero and I for one", "OAIB2C3D4E"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, err := twofactor.NormalizeBackupCode(c.in); err != nil || got != want {
				t.Errorf("NormalizeBackupCode(%q) = %q, %v; want %q", c.in, got, err, want)
			}
		})
	}
}

// malformedBackupCodes are shapes of input NormalizeBackupCode must refuse.
var malformedBackupCodes = []malformedCode{
	{"empty", ""},
	{"only spaces", "           "},
	{"too short", "0a1b2-c3d4"},
	{"too long", "0a1b2-c3d4e5"},
	{"hyphen elsewhere", "0a1b-2c3d4e"},
	{"two hyphens", "0a1b2--c3d4e"},
	{"inner space", "0a1b2 c3d4e"},
	{"letter u", "0a1b2-c3d4u"},
	{"punctuation", "0a1b2-c3d4!"},
	{"fullwidth letters", "０ａ１ｂ２-ｃ３ｄ４ｅ"},
	{"one fullwidth letter", "0a1b2-c3d4ｅ"},
	{"NUL", "0a1b2-c3d4\x00"},
	{"trailing NUL", "0a1b2-c3d4e\x00"},
	{"invalid UTF-8", "0a1b2-c3d4\xff"},
	{"a numeric code", "123456"},
	{"very long", strings.Repeat("0a1b2-c3d4e", 10_000)},
}

func TestNormalizeBackupCode_RefusesMalformedCodes(t *testing.T) { // SEC-F6
	for _, c := range malformedBackupCodes {
		t.Run(c.name, func(t *testing.T) {
			got, err := twofactor.NormalizeBackupCode(c.code)
			if !errors.Is(err, twofactor.ErrInvalidCode) || got != "" {
				t.Errorf("NormalizeBackupCode(%q) = %q, %v; want ErrInvalidCode", c.code, got, err)
			}
		})
	}
}

func FuzzNormalizeBackupCode(f *testing.F) { // SEC-F6
	for _, c := range malformedBackupCodes {
		f.Add(c.code)
	}
	f.Add(" 0A1B2C3D4E ")
	f.Fuzz(func(t *testing.T, code string) {
		got, err := twofactor.NormalizeBackupCode(code)
		if err != nil {
			if !errors.Is(err, twofactor.ErrInvalidCode) || got != "" {
				t.Fatalf("NormalizeBackupCode(%q) = %q, %v", code, got, err)
			}
			return
		}
		if !backupCodeFormat.MatchString(got) || strings.ContainsAny(got, "ilou") {
			t.Fatalf("NormalizeBackupCode(%q) = %q, not a code", code, got)
		}
		if again, err := twofactor.NormalizeBackupCode(got); err != nil || again != got {
			t.Fatalf("NormalizeBackupCode(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
