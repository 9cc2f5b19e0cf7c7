package twofactor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

func TestErrors_NeverContainTheCodeOrSecretPassedIn(t *testing.T) { // SEC-F7
	code := mustTOTPCode(t, testSecret, testNow)
	accepted, err := twofactor.ValidateTOTP(testSecret, code, testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t) // sealPlain is testSecret
	const uri = "otpauth://totp/Acme:alice?secret=" + testSecret
	for _, c := range []struct {
		name, secret string
		call         func() error
	}{
		{"numeric code too long", "9876543", func() error {
			_, err := twofactor.NormalizeNumericCode("9876543", 6)
			return err
		}},
		{"numeric code with a letter", "98765x", func() error {
			_, err := twofactor.NormalizeNumericCode("98765x", 6)
			return err
		}},
		{"backup code with a bad letter", "7k3m9-qwu2z", func() error {
			_, err := twofactor.NormalizeBackupCode("7k3m9-qwu2z")
			return err
		}},
		{"malformed TOTP code", "12 3456", func() error {
			_, err := twofactor.ValidateTOTP(testSecret, "12 3456", testNow, 0)
			return err
		}},
		{"replayed TOTP code", code, func() error {
			_, err := twofactor.ValidateTOTP(testSecret, code, testNow, accepted)
			return err
		}},
		{"TOTP code against a bad secret", "JBSWY3DP", func() error {
			_, err := twofactor.ValidateTOTP("JBSWY3DP", code, testNow, 0)
			return err
		}},
		{"TOTP code for a bad secret", "JBSWY3DP", func() error {
			_, err := twofactor.TOTPCode("JBSWY3DP", time.Now())
			return err
		}},
		{"QR code of a non-TOTP URI", testSecret, func() error {
			_, err := twofactor.TOTPQRCode(strings.Replace(uri, "totp", "hotp", 1), 256)
			return err
		}},
		{"QR code too small", testSecret, func() error {
			_, err := twofactor.TOTPQRCode(uri, 10)
			return err
		}},
		{"sealing under a short key", testSecret, func() error {
			_, err := twofactor.Seal(make([]byte, 16), []byte(testSecret), nil)
			return err
		}},
		{"opening under another key", testSecret, func() error {
			_, err := twofactor.Open(make([]byte, 32), sealed, sealAD)
			return err
		}},
		{"invalid phone", "+1555123456a", func() error {
			_, err := twofactor.NormalizePhone("+1555123456a")
			return err
		}},
		{"unknown method", "123456", func() error {
			_, err := twofactor.ParseMethod("123456")
			return err
		}},
		{"invalid TOTP label", "alice:123456", func() error {
			_, err := twofactor.NewTOTP("Acme", "alice:123456")
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), c.secret) {
				t.Errorf("error %q contains %q", err, c.secret)
			}
		})
	}
}
