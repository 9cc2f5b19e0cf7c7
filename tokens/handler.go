package tokens

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/authkit/authkit"
)

// maxTokenRequest bounds the body of POST token; a refresh request is
// well under 1 KiB.
const maxTokenRequest = 8 << 10

// tokenRequest is the body of POST token.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	RefreshToken string `json:"refresh_token"`
	// Audience, when given, must be the one the refresh token was issued
	// for.
	Audience string `json:"audience,omitempty"`
}

// TokenHandler serves POST token of the JSON API: the body
// {"grant_type":"refresh_token","refresh_token":"rt_…"} (and optionally
// "audience") is answered with new Tokens through [Issuer.Refresh], as
// {"access_token","refresh_token","token_type":"Bearer","expires_in"}.
// Errors are {"error":{"code","message"}} with the status
// authkit.StatusCode gives: 400 refresh_token_invalid,
// refresh_token_expired, refresh_token_reused, invalid_request or
// unsupported_grant_type; 401 session_revoked; 403 email_not_verified or
// account_status (with "status"); 405; 413; 415; 429 too_many_requests
// (with "retry_after" and a Retry-After header); 503 unavailable. Every
// answer has Cache-Control: no-store. The request carries no cookie, so
// it needs no protection against cross-site requests.
func (i *Issuer) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "authkit: use POST")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "authkit: send application/json")
			return
		}
		var req tokenRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxTokenRequest))
		dec.DisallowUnknownFields()
		err := dec.Decode(&req)
		if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
			err = errors.New("trailing data")
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "authkit: request body is too large")
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, "invalid_request", "authkit: the body must be one JSON object with grant_type and refresh_token")
			return
		case req.GrantType != "refresh_token":
			writeError(w, http.StatusBadRequest, "unsupported_grant_type", `authkit: grant_type must be "refresh_token"`)
			return
		}
		t, err := i.Refresh(r, req.RefreshToken, req.Audience)
		if err != nil {
			writeAuthError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
}

// JWKSHandler serves GET .well-known/jwks.json: the JSON Web Key Set
// (RFC 7517) of the public keys that sign access tokens, the next one
// included once it is published and retired ones until their last token
// has expired, for other services that verify access tokens themselves.
// Clients may cache it for five minutes (Cache-Control: public,
// max-age=300); keys are published longer than that before they sign.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "authkit: use GET")
			return
		}
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(jwksMaxAge/time.Second)))
		w.Header().Set("Content-Type", "application/json")
		w.Write(i.ring.Load().jwks)
	})
}

// errorBody is the JSON API's error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after,omitempty"`
	Status     string `json:"status,omitempty"`
}

// errorCodes are the codes of the errors Refresh returns, most specific
// first; the code is the snake-case name of the error.
var errorCodes = []struct {
	err  error
	code string
}{
	{ErrRefreshTokenReused, "refresh_token_reused"},
	{ErrRefreshTokenExpired, "refresh_token_expired"},
	{ErrRefreshTokenInvalid, "refresh_token_invalid"},
	{authkit.ErrSessionRevoked, "session_revoked"},
	{authkit.ErrEmailNotVerified, "email_not_verified"},
	{authkit.ErrAccountStatus, "account_status"},
	{authkit.ErrUnavailable, "unavailable"},
}

// writeAuthError answers an error of Refresh. Its messages are authkit's
// fixed texts; anything else is an internal error whose text is not shown.
func writeAuthError(w http.ResponseWriter, err error) {
	var slow *authkit.TooManyRequestsError
	if errors.As(err, &slow) {
		secs := int((slow.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, errorBody{errorDetail{Code: "too_many_requests", Message: err.Error(), RetryAfter: secs}})
		return
	}
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			d := errorDetail{Code: c.code, Message: err.Error()}
			var st *authkit.StatusError
			if errors.As(err, &st) {
				d.Status = st.Status.String()
			}
			writeJSON(w, authkit.StatusCode(err), errorBody{d})
			return
		}
	}
	writeError(w, http.StatusInternalServerError, "internal", authkit.ErrInternal.Error())
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
