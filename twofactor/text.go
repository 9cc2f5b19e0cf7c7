package twofactor

// MarshalText writes the method as its String ("totp", "email", "sms",
// "backup" or "passkey"), so that JSON and forms carry names, not numbers.
// It fails with ErrUnknownMethod for a value outside the defined methods.
func (m Method) MarshalText() ([]byte, error) {
	if m < TOTP || m > Passkey {
		return nil, ErrUnknownMethod
	}
	return []byte(methodNames[m]), nil
}

// UnmarshalText reads a method's name as ParseMethod does.
func (m *Method) UnmarshalText(text []byte) error {
	v, err := ParseMethod(string(text))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
