package twofactor

import "errors"

// Errors returned by this package. Their messages are fixed so that no code,
// secret or contact passed in can reach a log through an error.
var (
	// ErrInvalidCode is returned for a code that is malformed, wrong, or a
	// replay of a TOTP time step that was already accepted.
	ErrInvalidCode = errors.New("twofactor: invalid code")

	// ErrInvalidSecret is returned for a TOTP secret that is not base32 or
	// shorter than 128 bits. It points at corrupted storage, not at the
	// user's input.
	ErrInvalidSecret = errors.New("twofactor: invalid TOTP secret")

	// ErrInvalidLabel is returned by NewTOTP for an issuer or account name
	// that is empty, not valid UTF-8, or contains a colon or a control
	// character, any of which would make the otpauth label ambiguous.
	ErrInvalidLabel = errors.New("twofactor: invalid TOTP issuer or account name")

	// ErrInvalidURI is returned by TOTPQRCode for a string that is not an
	// otpauth://totp/ URI.
	ErrInvalidURI = errors.New("twofactor: invalid otpauth URI")

	// ErrUnknownMethod is returned by ParseMethod for a name that no Method
	// has.
	ErrUnknownMethod = errors.New("twofactor: unknown method")

	// ErrInvalidKey is returned by Seal and Open for an encryption key that
	// is not 32 bytes long.
	ErrInvalidKey = errors.New("twofactor: encryption key must be 32 bytes")

	// ErrDecrypt is returned by Open when the sealed data is too short, was
	// altered, or was sealed with another key or other additional data.
	ErrDecrypt = errors.New("twofactor: cannot decrypt")

	// ErrInvalidPhone is returned by NormalizePhone for a number that is not
	// in international (E.164) form.
	ErrInvalidPhone = errors.New("twofactor: invalid phone number")
)
