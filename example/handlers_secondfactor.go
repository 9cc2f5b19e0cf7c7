package main

import (
	"encoding/gob"
	"errors"
	"net/http"
	"net/url"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// secondStepKey is the session key of what the second-step page shows.
// authkit lists a pending login's methods only in Login's error, so the
// app keeps them, with where to go afterwards, in the same session.
const secondStepKey = "example.second-step"

// secondStep is a login that waits for its second factor, as the app
// remembers it between requests.
type secondStep struct {
	Methods []authkit.SecondFactor // enabled methods, contacts masked
	Next    string                 // where to go once logged in
}

func init() {
	// scs stores session values with encoding/gob, which must know the
	// type; a fixed name keeps stored sessions readable after a rename.
	gob.RegisterName("example.secondStep", secondStep{})
}

// loginProblems are the reasons a login can be sent back to the login
// page, by key, so that no text from the URL is ever shown.
var loginProblems = map[string]string{
	"too-many-codes": "Too many wrong codes. Please log in again.",
	"login-expired":  "Your login took too long to finish. Please log in again.",
}

// beginSecondStep keeps the methods Login offered and sends the browser to
// the second-step page.
func (h *handlers) beginSecondStep(w http.ResponseWriter, r *http.Request, methods []authkit.SecondFactor, next string) {
	h.sessions.Put(r.Context(), secondStepKey, secondStep{Methods: methods, Next: next})
	http.Redirect(w, r, "/login/second-factor", http.StatusSeeOther)
}

// pendingStep returns the login that waits for its second factor in this
// session. Without one it sends the browser back to the login page and
// returns false.
func (h *handlers) pendingStep(w http.ResponseWriter, r *http.Request) (secondStep, bool) {
	step, kept := h.sessions.Get(r.Context(), secondStepKey).(secondStep)
	if kept && authkit.From(r).AwaitingSecondFactor() && len(step.Methods) > 0 {
		return step, true
	}
	problem := ""
	if kept { // authkit dropped the pending login when it expired
		problem = "login-expired"
	}
	h.backToLogin(w, r, step, problem)
	return step, false
}

// backToLogin forgets the second step and redirects to the login page
// with the problem (a key of loginProblems, or "").
func (h *handlers) backToLogin(w http.ResponseWriter, r *http.Request, step secondStep, problem string) {
	h.sessions.Remove(r.Context(), secondStepKey)
	q := url.Values{}
	if step.Next != "" {
		q.Set("next", step.Next)
	}
	if problem != "" {
		q.Set("problem", problem)
	}
	to := "/login"
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// secondFactorForm shows the method picker and the form of the method
// chosen in the "method" query parameter (the first one by default).
func (h *handlers) secondFactorForm(w http.ResponseWriter, r *http.Request) {
	step, ok := h.pendingStep(w, r)
	if !ok {
		return
	}
	method, _ := twofactor.ParseMethod(r.URL.Query().Get("method"))
	h.render(w, r, http.StatusOK, "second-factor", step.page(method, page{Notice: notice(r)}))
}

// page fills in data for the second-step page showing method, or the
// first method if the login does not offer that one.
func (step secondStep) page(method twofactor.Method, data page) page {
	data.Methods = step.Methods
	data.Factor = step.Methods[0]
	for _, f := range step.Methods {
		if f.Method == method {
			data.Factor = f
		}
	}
	return data
}

func (h *handlers) sendLoginCode(w http.ResponseWriter, r *http.Request) {
	step, ok := h.pendingStep(w, r)
	if !ok {
		return
	}
	// An unknown name gives the zero Method, which authkit refuses.
	method, _ := twofactor.ParseMethod(r.PostFormValue("method"))
	if err := authkit.From(r).TwoFactor().SendCode(method); err != nil {
		h.secondStepFailed(w, r, step, method, codeNotSent(err))
		return
	}
	http.Redirect(w, r, "/login/second-factor?done=code-sent&method="+method.String(), http.StatusSeeOther)
}

// verifySecondFactor checks the code and, if it is right, finishes the
// login, remembering the device if the login form asked for it.
func (h *handlers) verifySecondFactor(w http.ResponseWriter, r *http.Request) {
	step, ok := h.pendingStep(w, r)
	if !ok {
		return
	}
	a := authkit.From(r)
	method, _ := twofactor.ParseMethod(r.PostFormValue("method"))
	err := verifyCode(a.TwoFactor(), method, r.PostFormValue("code"))
	if err == nil {
		err = a.CompleteTwoFactorLogin()
	}
	if err != nil {
		h.secondStepFailed(w, r, step, method, err)
		return
	}
	h.sessions.Remove(r.Context(), secondStepKey)
	http.Redirect(w, r, step.Next, http.StatusSeeOther)
}

func verifyCode(tf *authkit.TwoFactor, method twofactor.Method, code string) error {
	switch method {
	case twofactor.TOTP:
		return tf.VerifyTOTP(code)
	case twofactor.Email:
		return tf.VerifyEmail(code)
	case twofactor.SMS:
		return tf.VerifySMS(code)
	case twofactor.BackupCode:
		return tf.VerifyBackupCode(code)
	}
	return authkit.ErrMethodNotEnabled
}

// secondStepFailed sends the browser back to the login page when the
// pending login is over, and shows the second-step page with err
// otherwise.
func (h *handlers) secondStepFailed(w http.ResponseWriter, r *http.Request, step secondStep, method twofactor.Method, err error) {
	switch {
	case errors.Is(err, authkit.ErrTooManyWrongCodes):
		h.backToLogin(w, r, step, "too-many-codes")
	case errors.Is(err, authkit.ErrSecondFactorExpired), errors.Is(err, authkit.ErrNoPendingLogin):
		h.backToLogin(w, r, step, "login-expired")
	case errors.Is(err, authkit.ErrAccountStatus): // banned, say, while fetching the code
		h.sessions.Remove(r.Context(), secondStepKey)
		h.fail(w, r, "login", page{Next: step.Next}, err)
	default:
		h.fail(w, r, "second-factor", step.page(method, page{}), err)
	}
}
