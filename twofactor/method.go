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
)

// methodNames are stable: they are stored in databases and sent in forms.
var methodNames = [...]string{
	TOTP:       "totp",
	Email:      "email",
	SMS:        "sms",
	BackupCode: "backup",
}

// String returns the method's short lowercase name ("totp", "email", "sms"
// or "backup"), which ParseMethod turns back into the method. Values outside
// the defined methods print as "Method(n)".
func (m Method) String() string {
	if m < TOTP || m > BackupCode {
		return "Method(" + strconv.Itoa(int(m)) + ")"
	}
	return methodNames[m]
}

// ParseMethod returns the method whose String is s, matched exactly. It
// returns ErrUnknownMethod for any other input.
func ParseMethod(s string) (Method, error) {
	for m := TOTP; m <= BackupCode; m++ {
		if methodNames[m] == s {
			return m, nil
		}
	}
	return 0, ErrUnknownMethod
}
