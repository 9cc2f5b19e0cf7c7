package authkit

import "errors"

// ErrorCode returns a stable, machine-readable name for err, for JSON
// APIs to send beside [StatusCode]'s status: the snake_case name of the
// sentinel err matches ("invalid_credentials" for [ErrInvalidCredentials],
// "account_status" for a [*StatusError]), "too_many_requests" for a
// [*TooManyRequestsError], "second_factor_required" for a
// [*SecondFactorRequiredError], "" for nil, and "internal" for an error
// that is not authkit's. Unlike the messages, codes never change once
// released, so clients can branch on them.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var sf *SecondFactorRequiredError
	if errors.As(err, &sf) {
		return "second_factor_required"
	}
	var tm *TooManyRequestsError
	if errors.As(err, &tm) {
		return "too_many_requests"
	}
	for _, c := range errorTable {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}
