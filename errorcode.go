package authkit

import "errors"

// errorCodes names authkit's errors for machines, most specific first:
// each code is the snake_case name of its sentinel without "Err". Every
// exported error has its row; a test derives each code from the
// sentinel's name and keeps the table so.
var errorCodes = []struct {
	err  error
	code string
}{
	{ErrUnavailable, "unavailable"},
	{ErrInternal, "internal"},
	{ErrNoMiddleware, "no_middleware"},
	{ErrInvalidConfig, "invalid_config"},
	{ErrSchemaOutdated, "schema_outdated"},
	{ErrInvalidEmail, "invalid_email"},
	{ErrPasswordTooShort, "password_too_short"},
	{ErrPasswordTooLong, "password_too_long"},
	{ErrPasswordTooCommon, "password_too_common"},
	{ErrPasswordMalformed, "password_malformed"},
	{ErrInvalidPhone, "invalid_phone"},
	{ErrInvalidName, "invalid_name"},
	{ErrInvalidMetadata, "invalid_metadata"},
	{ErrInvalidRole, "invalid_role"},
	{ErrInvalidStatus, "invalid_status"},
	{ErrUnsupportedHash, "unsupported_hash"},
	{ErrTokenInvalid, "token_invalid"},
	{ErrTokenExpired, "token_expired"},
	{ErrMethodNotEnabled, "method_not_enabled"},
	{ErrSecondFactorNotVerified, "second_factor_not_verified"},
	{ErrInvalidCredentials, "invalid_credentials"},
	{ErrNotLoggedIn, "not_logged_in"},
	{ErrSessionRevoked, "session_revoked"},
	{ErrSecondFactorInvalid, "second_factor_invalid"},
	{ErrTooManyWrongCodes, "too_many_wrong_codes"},
	{ErrNoPendingLogin, "no_pending_login"},
	{ErrSecondFactorExpired, "second_factor_expired"},
	{ErrEmailNotVerified, "email_not_verified"},
	{ErrAccountStatus, "account_status"},
	{ErrReauthenticationRequired, "reauthentication_required"},
	{ErrCookieSessionRequired, "cookie_session_required"},
	{ErrUserNotFound, "user_not_found"},
	{ErrEmailTaken, "email_taken"},
	{ErrMethodAlreadyEnabled, "method_already_enabled"},
	{ErrMailNotSent, "mail_not_sent"},
	{ErrSMSNotSent, "sms_not_sent"},
	{ErrNoMailer, "no_mailer"},
	{ErrNoSMSSender, "no_sms_sender"},
}

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
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}
