package authkit

import "strings"

// MarshalText writes the status as JSON and forms show it: its String
// with underscores for spaces ("banned", "pending_review"). It fails with
// [ErrInvalidStatus] for a value outside the six statuses.
func (s Status) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, ErrInvalidStatus
	}
	return []byte(strings.ReplaceAll(s.String(), " ", "_")), nil
}

// UnmarshalText reads what MarshalText writes, and fails with
// [ErrInvalidStatus] for anything else.
func (s *Status) UnmarshalText(text []byte) error {
	for v := StatusNormal; v.Valid(); v++ {
		if b, _ := v.MarshalText(); string(b) == string(text) {
			*s = v
			return nil
		}
	}
	return ErrInvalidStatus
}
