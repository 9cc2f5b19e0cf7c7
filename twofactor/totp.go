package twofactor

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"image/png"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters are the ones every authenticator app supports: 30-second
// steps, six digits and HMAC-SHA-1 (RFC 6238). A 160-bit secret is what
// RFC 4226 recommends; 128 bits is the least it allows.
const (
	totpPeriod        = 30
	totpDigits        = otp.DigitsSix
	totpSecretBytes   = 20
	minTOTPSecretSize = 16
)

var totpOpts = hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// TOTPKey is a new TOTP secret together with the otpauth URI that hands it
// to an authenticator app.
type TOTPKey struct {
	// Secret is the shared secret, base32 encoded without padding. It is
	// what the app stores (sealed with Seal) to validate codes later.
	Secret string
	// URI is the otpauth://totp/ URI holding the issuer, the account and
	// the secret, for a QR code (TOTPQRCode) or a link on a phone.
	URI string
}

// NewTOTP returns a new key with a 160-bit secret from crypto/rand. The
// issuer (the app's name) and the account (usually the user's email) label
// the entry in the authenticator app; they must be non-empty valid UTF-8
// without colons or control characters, or NewTOTP returns ErrInvalidLabel.
func NewTOTP(issuer, account string) (TOTPKey, error) {
	if !validLabel(issuer) || !validLabel(account) {
		return TOTPKey{}, ErrInvalidLabel
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  totpSecretBytes,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("twofactor: generating TOTP key: %w", err)
	}
	return TOTPKey{Secret: key.Secret(), URI: key.URL()}, nil
}

// validLabel reports whether s can be part of an otpauth label, which is
// "issuer:account" and so cannot carry a colon inside either part.
func validLabel(s string) bool {
	return s != "" && utf8.ValidString(s) &&
		!strings.ContainsRune(s, ':') && !strings.ContainsFunc(s, unicode.IsControl)
}

// TOTPQRCode returns a PNG image, size pixels square, of the QR code for an
// otpauth://totp/ URI such as TOTPKey.URI. It returns ErrInvalidURI for any
// other string or a URI without a valid secret, which no app could use, and
// an error if size is too small for the code's modules.
// Errors never contain the URI, since it holds the secret.
func TOTPQRCode(uri string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil || !strings.HasPrefix(key.String(), "otpauth://totp/") {
		return nil, ErrInvalidURI
	}
	if _, err := canonicalSecret(key.Secret()); err != nil {
		return nil, ErrInvalidURI
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("twofactor: rendering QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("twofactor: encoding QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// ValidateTOTP checks a code typed by the user against the secret at time
// now and returns the time step it matched (Unix time / 30 s). It accepts
// the codes of the current step and of one step either side, to allow for
// clock drift and typing time, and no more (SEC-F2).
//
// lastStep is the step returned by the last successful call for this
// secret, or 0 if there was none; a code whose step is not after lastStep
// returns ErrInvalidCode, so storing the returned step and passing it back
// refuses a replayed code (SEC-F2). A malformed or wrong code returns
// ErrInvalidCode; a secret that is not valid base32 of at least 128 bits
// returns ErrInvalidSecret.
func ValidateTOTP(secret, code string, now time.Time, lastStep int64) (step int64, err error) {
	code, err = NormalizeNumericCode(code, totpDigits.Length())
	if err != nil {
		return 0, err
	}
	secret, err = canonicalSecret(secret)
	if err != nil {
		return 0, err
	}
	current := stepAt(now)
	// Earliest step first: if a code happens to match two steps, taking the
	// earlier one keeps the later step's code usable.
	for s := current - 1; s <= current+1; s++ {
		if s <= lastStep {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), totpOpts)
		if err != nil {
			return 0, ErrInvalidSecret
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, nil
		}
	}
	return 0, ErrInvalidCode
}

// TOTPCode returns the code an authenticator app shows for the secret at
// time t. Apps do not need it; tests and examples do, to play the user.
func TOTPCode(secret string, t time.Time) (string, error) {
	secret, err := canonicalSecret(secret)
	if err != nil {
		return "", err
	}
	code, err := hotp.GenerateCodeCustom(secret, uint64(stepAt(t)), totpOpts)
	if err != nil {
		return "", ErrInvalidSecret
	}
	return code, nil
}

// canonicalSecret returns the secret in upper case without padding after
// checking that it decodes to at least 128 bits. Without this check an empty
// secret would be an HMAC key like any other, and every code derived from it
// would be public.
func canonicalSecret(secret string) (string, error) {
	secret = strings.TrimRight(strings.ToUpper(secret), "=")
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) < minTOTPSecretSize {
		return "", ErrInvalidSecret
	}
	return secret, nil
}

// stepAt returns the RFC 6238 time step of t, rounding down also before 1970
// so that every step is exactly 30 seconds long.
func stepAt(t time.Time) int64 {
	sec := t.Unix()
	step := sec / totpPeriod
	if sec%totpPeriod < 0 {
		step--
	}
	return step
}
