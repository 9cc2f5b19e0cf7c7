package twofactor_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/authkit/authkit/twofactor"
)

// testSecret is a fixed 160-bit secret, so that every TOTP test is
// deterministic.
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// testNow is the middle of a 30-second step, away from step boundaries.
var testNow = time.Unix(1_700_000_000/30*30+15, 0)

const step = 30 * time.Second

func mustTOTPCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := twofactor.TOTPCode(secret, at)
	if err != nil {
		t.Fatalf("TOTPCode: %v", err)
	}
	return code
}

func TestNewTOTP_GivesA160BitSecretInUnpaddedBase32(t *testing.T) {
	key, err := twofactor.NewTOTP("Acme", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(key.Secret, "=") {
		t.Errorf("secret %q has padding", key.Secret)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key.Secret)
	if err != nil {
		t.Fatalf("secret is not base32: %v", err)
	}
	if len(raw)*8 != 160 {
		t.Errorf("secret has %d bits, want 160", len(raw)*8)
	}
	other, err := twofactor.NewTOTP("Acme", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if other.Secret == key.Secret {
		t.Error("two keys share a secret")
	}
}

func TestNewTOTP_URICarriesIssuerAccountSecretAndStandardParameters(t *testing.T) {
	key, err := twofactor.NewTOTP("Acme Corp", "alice+2fa@example.com")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := otp.NewKeyFromURL(key.URI)
	if err != nil {
		t.Fatalf("URI does not parse: %v", err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"scheme and type", key.URI[:len("otpauth://totp/")], "otpauth://totp/"},
		{"issuer", parsed.Issuer(), "Acme Corp"},
		{"account", parsed.AccountName(), "alice+2fa@example.com"},
		{"secret", parsed.Secret(), key.Secret},
		{"algorithm", parsed.Algorithm().String(), "SHA1"},
		{"digits", parsed.Digits().String(), "6"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if parsed.Period() != 30 {
		t.Errorf("period = %d, want 30", parsed.Period())
	}
}

func TestNewTOTP_RefusesLabelsThatWouldBeAmbiguous(t *testing.T) {
	for _, c := range []struct{ name, issuer, account string }{
		{"empty issuer", "", "alice@example.com"},
		{"empty account", "Acme", ""},
		{"colon in issuer", "Acme:Corp", "alice@example.com"},
		{"colon in account", "Acme", "alice:bob@example.com"},
		{"NUL in account", "Acme", "alice\x00@example.com"},
		{"newline in issuer", "Acme\n", "alice@example.com"},
		{"invalid UTF-8 in account", "Acme", "alice\xff@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := twofactor.NewTOTP(c.issuer, c.account)
			if !errors.Is(err, twofactor.ErrInvalidLabel) {
				t.Errorf("err = %v, want ErrInvalidLabel", err)
			}
		})
	}
}

func TestTOTPQRCode_IsAPNGOfTheRequestedSize(t *testing.T) {
	key, err := twofactor.NewTOTP("Acme", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	data, err := twofactor.TOTPQRCode(key.URI, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("image is %dx%d, want 256x256", b.Dx(), b.Dy())
	}
}

func TestTOTPQRCode_RefusesWhatIsNotAnOtpauthTOTPURI(t *testing.T) {
	for _, uri := range []string{
		"",
		"https://example.com/?secret=" + testSecret,
		"otpauth://hotp/Acme:alice?secret=" + testSecret,
		"otpauth://totp/Acme:alice?issuer=Acme",
		"otpauth://totp/Acme:alice?secret=%zz" + testSecret,
		"otpauth://totp/\x00" + testSecret,
	} {
		_, err := twofactor.TOTPQRCode(uri, 256)
		if !errors.Is(err, twofactor.ErrInvalidURI) {
			t.Errorf("TOTPQRCode(%q) err = %v, want ErrInvalidURI", uri, err)
		}
	}
}

func TestTOTPQRCode_RefusesASizeTooSmallForTheCode(t *testing.T) {
	key, err := twofactor.NewTOTP("Acme", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{-1, 0, 10} {
		if _, err := twofactor.TOTPQRCode(key.URI, size); err == nil {
			t.Errorf("size %d: no error", size)
		}
	}
}

func TestTOTPCode_MatchesTheRFC6238TestVectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-1, secret "12345678901234567890"; the
	// last six of its eight digits.
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		if got := mustTOTPCode(t, secret, time.Unix(v.unix, 0)); got != v.want {
			t.Errorf("code at %d = %s, want %s", v.unix, got, v.want)
		}
	}
}

func TestValidateTOTP_AcceptsTheCurrentCodeAndReturnsItsStep(t *testing.T) {
	got, err := twofactor.ValidateTOTP(testSecret, mustTOTPCode(t, testSecret, testNow), testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := testNow.Unix() / 30; got != want {
		t.Errorf("step = %d, want %d", got, want)
	}
}

func TestValidateTOTP_AcceptsSecretsInLowerCaseAndWithPadding(t *testing.T) {
	code := mustTOTPCode(t, testSecret, testNow)
	for _, secret := range []string{strings.ToLower(testSecret), testSecret + "===="} {
		if _, err := twofactor.ValidateTOTP(secret, code, testNow, 0); err != nil {
			t.Errorf("secret %q: %v", secret, err)
		}
	}
}

func TestValidateTOTP_AllowsOneStepOfSkewAndNoMore(t *testing.T) { // SEC-F2
	for _, c := range []struct {
		name   string
		offset int
		ok     bool
	}{
		{"two steps early", -2, false},
		{"one step early", -1, true},
		{"current step", 0, true},
		{"one step late", 1, true},
		{"two steps late", 2, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code := mustTOTPCode(t, testSecret, testNow.Add(time.Duration(c.offset)*step))
			got, err := twofactor.ValidateTOTP(testSecret, code, testNow, 0)
			switch {
			case c.ok && err != nil:
				t.Errorf("refused: %v", err)
			case c.ok && got != testNow.Unix()/30+int64(c.offset):
				t.Errorf("step = %d, want the code's own step", got)
			case !c.ok && !errors.Is(err, twofactor.ErrInvalidCode):
				t.Errorf("err = %v, want ErrInvalidCode", err)
			}
		})
	}
}

func TestValidateTOTP_RefusesTheSameCodeOnceAccepted(t *testing.T) { // SEC-F2
	code := mustTOTPCode(t, testSecret, testNow)
	last, err := twofactor.ValidateTOTP(testSecret, code, testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The replay comes a step later, when the code is still within skew.
	if _, err := twofactor.ValidateTOTP(testSecret, code, testNow.Add(step), last); !errors.Is(err, twofactor.ErrInvalidCode) {
		t.Errorf("replay: err = %v, want ErrInvalidCode", err)
	}
}

func TestValidateTOTP_RefusesAnEarlierStepOnceALaterOneWasAccepted(t *testing.T) { // SEC-F2
	last, err := twofactor.ValidateTOTP(testSecret, mustTOTPCode(t, testSecret, testNow), testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	earlier := mustTOTPCode(t, testSecret, testNow.Add(-step))
	if _, err := twofactor.ValidateTOTP(testSecret, earlier, testNow, last); !errors.Is(err, twofactor.ErrInvalidCode) {
		t.Errorf("earlier step: err = %v, want ErrInvalidCode", err)
	}
}

func TestValidateTOTP_AcceptsTheNextStepAfterAnAcceptedOne(t *testing.T) {
	last, err := twofactor.ValidateTOTP(testSecret, mustTOTPCode(t, testSecret, testNow), testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	next := testNow.Add(step)
	got, err := twofactor.ValidateTOTP(testSecret, mustTOTPCode(t, testSecret, next), next, last)
	if err != nil {
		t.Fatal(err)
	}
	if got != last+1 {
		t.Errorf("step = %d, want %d", got, last+1)
	}
}

func TestValidateTOTP_RefusesAWrongCode(t *testing.T) {
	valid := map[string]bool{}
	for offset := -1; offset <= 1; offset++ {
		valid[mustTOTPCode(t, testSecret, testNow.Add(time.Duration(offset)*step))] = true
	}
	wrong := "000000"
	for valid[wrong] {
		wrong = "1" + wrong[1:]
	}
	if _, err := twofactor.ValidateTOTP(testSecret, wrong, testNow, 0); !errors.Is(err, twofactor.ErrInvalidCode) {
		t.Errorf("err = %v, want ErrInvalidCode", err)
	}
}

func TestValidateTOTP_RefusesMalformedCodesWithoutPanicking(t *testing.T) { // SEC-F6
	code := mustTOTPCode(t, testSecret, testNow)
	for _, c := range malformedNumericCodes(code) {
		t.Run(c.name, func(t *testing.T) {
			_, err := twofactor.ValidateTOTP(testSecret, c.code, testNow, 0)
			if !errors.Is(err, twofactor.ErrInvalidCode) {
				t.Errorf("ValidateTOTP(%q) err = %v, want ErrInvalidCode", c.code, err)
			}
		})
	}
}

func TestValidateTOTP_RefusesASecretThatIsNotBase32OfAtLeast128Bits(t *testing.T) {
	short := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(make([]byte, 15))
	for _, secret := range []string{"", "not base32!", "JBSWY3DPEHPK3PX", short} {
		_, err := twofactor.ValidateTOTP(secret, "123456", testNow, 0)
		if !errors.Is(err, twofactor.ErrInvalidSecret) {
			t.Errorf("ValidateTOTP with secret %q: err = %v, want ErrInvalidSecret", secret, err)
		}
		if _, err := twofactor.TOTPCode(secret, testNow); !errors.Is(err, twofactor.ErrInvalidSecret) {
			t.Errorf("TOTPCode with secret %q: err = %v, want ErrInvalidSecret", secret, err)
		}
	}
}

func TestValidateTOTP_WorksBeforeTheUnixEpoch(t *testing.T) {
	// Steps round down, so -1 s is in step -1 and 0 s in step 0.
	before := time.Unix(-1, 0)
	got, err := twofactor.ValidateTOTP(testSecret, mustTOTPCode(t, testSecret, before), before, -10)
	if err != nil {
		t.Fatal(err)
	}
	if got != -1 {
		t.Errorf("step = %d, want -1", got)
	}
}
