package twofactor

import "strconv"

// Method is a kind of second factor. The zero value is no method, so an
// unset field is never mistaken for a real one.
type Method int

// The second factors authkit offers.
const (
	// TOTP is a time-based code from an authenticator app (RFC 6238).
	TOTP Method = iota + 1
	// Email is a one-time numeric code sent by email.
	Email
	// SMS is a one-time numeric code sent by text message.
	SMS
	// BackupCode is one of the single-use codes a user keeps for when the
	// other factors are out of reach.
	BackupCode
	// Passkey is a WebAuthn credential (package passkey) used as the
	// second step of a login. It is offered only to users who have a
	// passkey and another second factor: a passkey alone never turns
	// two-step login on.
	Passkey
)

// methodNames are stable: they are stored in databases and sent in forms.
var methodNames = [...]string{
	TOTP:       "totp",
	Email:      "email",
	SMS:        "sms",
	BackupCode: "backup",
	Passkey:    "passkey",
}

// String returns the method's short lowercase name ("totp", "email", "sms",
// "backup" or "passkey"), which ParseMethod turns back into the method. Values outside
// the defined methods print as "Method(n)".
func (m Method) String() string {
	if m < TOTP || m > Passkey {
		return "Method(" + strconv.Itoa(int(m)) + ")"
	}
	return methodNames[m]
}

// ParseMethod returns the method whose String is s, matched exactly. It
// returns ErrUnknownMethod for any other input.
func ParseMethod(s string) (Method, error) {
	for m := TOTP; m <= Passkey; m++ {
		if methodNames[m] == s {
			return m, nil
		}
	}
	return 0, ErrUnknownMethod
}
