package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/authkit/authkit"
)

// Errors of the API itself, as opposed to the kit's. A response names
// them by code, the snake_case name of the sentinel ("not_found" for
// ErrNotFound), as it names the kit's errors (see [authkit.ErrorCode]).
var (
	// ErrNotFound answers a path the API does not serve: 404 not_found.
	ErrNotFound = errors.New("httpapi: not found")

	// ErrMethodNotAllowed answers a method a route does not serve: 405
	// method_not_allowed, with the Allow header listing the methods it
	// does.
	ErrMethodNotAllowed = errors.New("httpapi: method not allowed")

	// ErrUnsupportedMediaType answers a body that is not
	// application/json: 415 unsupported_media_type.
	ErrUnsupportedMediaType = errors.New("httpapi: the body must be application/json")

	// ErrRequestTooLarge answers a body larger than Options.MaxBodyBytes:
	// 413 request_too_large.
	ErrRequestTooLarge = errors.New("httpapi: the request body is too large")

	// ErrInvalidRequest answers a body that is not one JSON object of the
	// route's fields, with the right types: 400 invalid_request. The
	// message says what is wrong ("unknown field \"x\"").
	ErrInvalidRequest = errors.New("httpapi: invalid request body")

	// ErrCrossOrigin answers an unsafe request that a browser sent with
	// cookies from another site (see Options.CrossOrigin): 403
	// cross_origin.
	ErrCrossOrigin = errors.New("httpapi: cross-origin request refused")

	// ErrTokensDisabled answers a login that asks for tokens ("token":
	// true) when Options.Tokens is not set: 400 tokens_disabled.
	ErrTokensDisabled = errors.New("httpapi: this API gives no tokens")
)

// apiErrors gives the code and status of the API's own errors.
var apiErrors = []struct {
	err    error
	code   string
	status int
}{
	{ErrNotFound, "not_found", http.StatusNotFound},
	{ErrMethodNotAllowed, "method_not_allowed", http.StatusMethodNotAllowed},
	{ErrUnsupportedMediaType, "unsupported_media_type", http.StatusUnsupportedMediaType},
	{ErrRequestTooLarge, "request_too_large", http.StatusRequestEntityTooLarge},
	{ErrInvalidRequest, "invalid_request", http.StatusBadRequest},
	{ErrCrossOrigin, "cross_origin", http.StatusForbidden},
	{ErrTokensDisabled, "tokens_disabled", http.StatusBadRequest},
}

// requestError is an ErrInvalidRequest that says what is wrong.
type requestError struct{ reason string }

func (e *requestError) Error() string        { return "httpapi: invalid request body: " + e.reason }
func (e *requestError) Is(target error) bool { return target == ErrInvalidRequest }

// serverMessages are the messages of failures on the server's side: the
// error behind them can quote a driver, a mail server or a query, so
// none of its text is shown.
var serverMessages = map[string]string{
	"unavailable":   "the service is unavailable; try again later",
	"mail_not_sent": "the email could not be sent; try again later",
	"sms_not_sent":  "the text message could not be sent; try again later",
	"no_mailer":     "this server sends no email",
	"no_sms_sender": "this server sends no text messages",
}

// errorResponse is the body of every error:
// {"error":{"code":"invalid_credentials","message":"…"}}.
type errorResponse struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter is the seconds to wait, for too_many_requests.
	RetryAfter int `json:"retry_after,omitempty"`
	// Status is the account's status, for account_status.
	Status *authkit.Status `json:"status,omitempty"`
}

// describe returns the status and body that answer err.
func describe(err error) (int, errorJSON) {
	for _, e := range apiErrors {
		if errors.Is(err, e.err) {
			msg := err.Error()
			var re *requestError
			if errors.As(err, &re) {
				msg = re.reason
			}
			return e.status, errorJSON{Code: e.code, Message: strings.TrimPrefix(msg, "httpapi: ")}
		}
	}
	status, body := authkit.StatusCode(err), errorJSON{Code: authkit.ErrorCode(err)}
	if status >= 500 {
		body.Message = cmp.Or(serverMessages[body.Code], "internal error")
		return status, body
	}
	body.Message = strings.TrimPrefix(err.Error(), "authkit: ")
	var tm *authkit.TooManyRequestsError
	if errors.As(err, &tm) && tm.RetryAfter > 0 {
		body.RetryAfter = int(math.Ceil(tm.RetryAfter.Seconds()))
	}
	var se *authkit.StatusError
	if errors.As(err, &se) {
		body.Status = &se.Status
	}
	return status, body
}

// writeError answers err in JSON. Failures on the server's side are
// logged, with the error's whole text, which the response never shows.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := describe(err)
	if status >= 500 {
		a.log().ErrorContext(r.Context(), "httpapi: request failed", "path", r.URL.Path, "code", body.Code, "error", err, "cause", a.core.Cause(err))
	}
	if body.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(body.RetryAfter))
	}
	a.writeJSON(w, status, errorResponse{body})
}

// writeJSON writes v as the JSON body of a response with status.
func (a *api) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		a.log().Debug("httpapi: writing a response failed", "error", err)
	}
}
