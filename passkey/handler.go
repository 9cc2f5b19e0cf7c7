package passkey

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// Handler returns the package's JSON routes under prefix (such as
// "/auth", or "" for none), for an app that serves passkeys to its own
// pages or clients. Mount it inside the Kit's middleware. Package
// httpapi's JSON API mounts the same calls under its own prefix, so an app
// that uses it needs no Handler. The routes:
//
//	POST   {prefix}/passkeys/register/begin            → 200 {"publicKey":{…}}       (BeginRegistration)
//	POST   {prefix}/passkeys/register/finish           {"name":"Laptop","credential":{…}}
//	                                                   → 201 {"passkey":{…}}         (FinishRegistration)
//	GET    {prefix}/passkeys                           → 200 {"passkeys":[{…}]}      (List)
//	PATCH  {prefix}/passkeys/{id}                      {"name":"…"} → 204            (Rename)
//	DELETE {prefix}/passkeys/{id}                      → 204                         (Remove)
//	POST   {prefix}/login/passkey/begin                → 200 {"publicKey":{…}}       (BeginLogin)
//	POST   {prefix}/login/passkey/finish               {"credential":{…},"remember":false}
//	                                                   → 200 {"logged_in":true}
//	                                                   | 202 {"second_factor":{"methods":[{"method":"totp"}]}} (FinishLogin)
//	POST   {prefix}/login/second-factor/passkey/begin  → 200 {"publicKey":{…}}       (BeginSecondFactor)
//	POST   {prefix}/login/second-factor/passkey/finish {"credential":{…}}
//	                                                   → 200 {"logged_in":true}      (FinishSecondFactor, then
//	                                                                                  CompleteTwoFactorLogin)
//	POST   {prefix}/reauthenticate/passkey/begin       → 200 {"publicKey":{…}}       (BeginReauthentication)
//	POST   {prefix}/reauthenticate/passkey/finish      {"credential":{…}} → 204      (FinishReauthentication)
//
// "credential" is the PublicKeyCredential that navigator.credentials
// returned, in its toJSON form (binary fields in base64url); the "publicKey"
// options go to navigator.credentials.create or get after the same
// decoding (PublicKeyCredential.parseCreationOptionsFromJSON and
// parseRequestOptionsFromJSON). A passkey is
// {"id","name","created_at","last_used_at","synced","backed_up","aaguid","transports","clone_warning"},
// times in RFC 3339 (last_used_at null until used). Errors are
// {"error":{"code":"invalid_passkey","message":"…"}} with the status of
// [StatusCode] (429 adds "retry_after" and Retry-After). Every answer is
// Cache-Control: no-store. Requests with cookies from other sites are
// refused with 403 (http.CrossOriginProtection): a cross-site passkey
// login would log the victim's browser into the attacker's account.
func (s *Service) Handler(prefix string) http.Handler {
	prefix = strings.TrimSuffix(prefix, "/")
	mux := http.NewServeMux()
	begin := func(path string, f func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc("POST "+prefix+path, func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil {
				writeError(w, err)
			}
		})
	}
	begin("/passkeys/register/begin", s.BeginRegistration)
	begin("/login/passkey/begin", s.BeginLogin)
	begin("/login/second-factor/passkey/begin", s.BeginSecondFactor)
	begin("/reauthenticate/passkey/begin", s.BeginReauthentication)
	mux.HandleFunc("POST "+prefix+"/passkeys/register/finish", s.serveFinishRegistration)
	mux.HandleFunc("GET "+prefix+"/passkeys", s.serveList)
	mux.HandleFunc("PATCH "+prefix+"/passkeys/{id}", s.serveRename)
	mux.HandleFunc("DELETE "+prefix+"/passkeys/{id}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusNoContent, nil, s.Remove(r, r.PathValue("id")))
	})
	mux.HandleFunc("POST "+prefix+"/login/passkey/finish", s.serveFinishLogin)
	mux.HandleFunc("POST "+prefix+"/login/second-factor/passkey/finish", s.serveFinishSecondFactor)
	mux.HandleFunc("POST "+prefix+"/reauthenticate/passkey/finish", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Credential json.RawMessage `json:"credential"`
		}
		if decode(w, r, &in) {
			answer(w, http.StatusNoContent, nil, s.FinishReauthentication(r, in.Credential))
		}
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

func (s *Service) serveFinishRegistration(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if !decode(w, r, &in) {
		return
	}
	p, err := s.FinishRegistration(r, in.Name, in.Credential)
	answer(w, http.StatusCreated, map[string]any{"passkey": publicJSON(p)}, err)
}

func (s *Service) serveList(w http.ResponseWriter, r *http.Request) {
	list, err := s.List(r)
	out := make([]passkeyJSON, len(list))
	for i, p := range list {
		out[i] = publicJSON(p)
	}
	answer(w, http.StatusOK, map[string]any{"passkeys": out}, err)
}

func (s *Service) serveRename(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if decode(w, r, &in) {
		answer(w, http.StatusNoContent, nil, s.Rename(r, r.PathValue("id"), in.Name))
	}
}

func (s *Service) serveFinishLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Credential json.RawMessage `json:"credential"`
		Remember   bool            `json:"remember"`
	}
	if decode(w, r, &in) {
		loggedIn(w, s.FinishLogin(r, in.Credential, in.Remember))
	}
}

func (s *Service) serveFinishSecondFactor(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Credential json.RawMessage `json:"credential"`
	}
	if !decode(w, r, &in) {
		return
	}
	err := s.FinishSecondFactor(r, in.Credential)
	if err == nil {
		err = authkit.From(r).CompleteTwoFactorLogin()
	}
	loggedIn(w, err)
}

// loggedIn answers the end of a login: 200, 202 with the second factors
// to ask for, or the error.
func loggedIn(w http.ResponseWriter, err error) {
	if sf, ok := errors.AsType[*authkit.SecondFactorRequiredError](err); ok {
		methods := make([]map[string]string, len(sf.Methods))
		for i, m := range sf.Methods {
			methods[i] = map[string]string{"method": m.Method.String()}
			if m.Contact != "" {
				methods[i]["contact"] = m.Contact
			}
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"second_factor": map[string]any{"methods": methods}})
		return
	}
	answer(w, http.StatusOK, map[string]bool{"logged_in": true}, err)
}

// passkeyJSON is a Passkey in the routes' answers.
type passkeyJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	Synced       bool       `json:"synced"`
	BackedUp     bool       `json:"backed_up"`
	AAGUID       string     `json:"aaguid"`
	Transports   []string   `json:"transports"`
	CloneWarning bool       `json:"clone_warning"`
}

func publicJSON(p Passkey) passkeyJSON {
	j := passkeyJSON{
		ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC(), Synced: p.Synced, BackedUp: p.BackedUp,
		AAGUID: p.AAGUID, Transports: p.Transports, CloneWarning: p.CloneWarning,
	}
	if j.Transports == nil {
		j.Transports = []string{}
	}
	if !p.LastUsedAt.IsZero() {
		t := p.LastUsedAt.UTC()
		j.LastUsedAt = &t
	}
	return j
}

// decode reads r's JSON body into v, refusing unknown fields and bodies
// over the size of a real answer; on failure it answers 400 and returns
// false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxResponse+4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, hide(ErrMalformedResponse, "decode request", err))
		return false
	}
	return true
}

// answer writes v with status, or the error.
func answer(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, status, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	if v == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err as {"error":{"code","message"}}. The message of
// a server error is its status text: the error may wrap the database's.
func writeError(w http.ResponseWriter, err error) {
	status := StatusCode(err)
	body := map[string]any{"code": ErrorCode(err), "message": err.Error()}
	if status >= 500 {
		body["message"] = http.StatusText(status)
	}
	if tm, ok := errors.AsType[*authkit.TooManyRequestsError](err); ok {
		secs := int((tm.RetryAfter + time.Second - 1) / time.Second)
		body["retry_after"] = secs
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, status, map[string]any{"error": body})
}

// ErrorCode names err for machines, as the "code" of the routes' errors:
// the snake-case name of the sentinel it matches ("invalid_challenge" for
// [ErrInvalidChallenge], "not_logged_in" for [authkit.ErrNotLoggedIn],
// ...), "too_many_requests" for a [*authkit.TooManyRequestsError], and
// "error" for anything else.
func ErrorCode(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	if _, ok := errors.AsType[*authkit.TooManyRequestsError](err); ok {
		return "too_many_requests"
	}
	for _, c := range authkitCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "error"
}

// authkitCodes name the authkit errors the package's calls return.
var authkitCodes = []struct {
	err  error
	code string
}{
	{authkit.ErrNotLoggedIn, "not_logged_in"},
	{authkit.ErrCookieSessionRequired, "cookie_session_required"},
	{authkit.ErrReauthenticationRequired, "reauthentication_required"},
	{authkit.ErrNotFound, "not_found"},
	{authkit.ErrUserNotFound, "user_not_found"},
	{authkit.ErrEmailNotVerified, "email_not_verified"},
	{authkit.ErrAccountStatus, "account_status"},
	{authkit.ErrSessionRevoked, "session_revoked"},
	{authkit.ErrNoPendingLogin, "no_pending_login"},
	{authkit.ErrSecondFactorExpired, "second_factor_expired"},
	{authkit.ErrSecondFactorInvalid, "second_factor_invalid"},
	{authkit.ErrTooManyWrongCodes, "too_many_wrong_codes"},
	{authkit.ErrSecondFactorNotVerified, "second_factor_not_verified"},
	{authkit.ErrMethodNotEnabled, "method_not_enabled"},
	{authkit.ErrNoMiddleware, "no_middleware"},
	{authkit.ErrUnavailable, "unavailable"},
	{authkit.ErrInternal, "internal"},
}
