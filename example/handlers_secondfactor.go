package main

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// The second step of a login keeps no state of the app's own: authkit
// knows the pending login and its methods (TwoFactor().PendingMethods),
// and where to go afterwards travels with the pages as the "next" query
// parameter or form field, checked with safeNext each time.

// loginProblems are the reasons a login can be sent back to the login
// page, by key, so that no text from the URL is ever shown.
var loginProblems = map[string]string{
	"too-many-codes": "Too many wrong codes. Please log in again.",
	"login-expired":  "Your login took too long to finish. Please log in again.",
}

// backToLogin redirects to the login page with next and the problem (a
// key of loginProblems, or "").
func backToLogin(w http.ResponseWriter, r *http.Request, next, problem string) {
	q := url.Values{}
	if problem != "" {
		q.Set("problem", problem)
	}
	http.Redirect(w, r, withNext("/login", next, q), http.StatusSeeOther)
}

// secondFactorForm shows the method picker and the form of the method
// chosen in the "method" query parameter (the first one by default).
func (h *handlers) secondFactorForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	method, _ := twofactor.ParseMethod(q.Get("method"))
	data := page{Next: next, Notice: notice(r)}
	methods, err := authkit.From(r).TwoFactor().PendingMethods()
	if errors.Is(err, authkit.ErrNoPendingLogin) {
		backToLogin(w, r, next, "") // nothing to finish here
		return
	}
	if err != nil {
		h.secondStepFailed(w, r, method, data, err)
		return
	}
	h.render(w, r, http.StatusOK, "second-factor", secondStepPage(methods, method, data))
}

// secondStepPage fills in data for the second-step page showing method,
// or the first method if the login does not offer that one.
func secondStepPage(methods []authkit.SecondFactor, method twofactor.Method, data page) page {
	data.Methods = methods
	if len(methods) > 0 {
		data.Factor = methods[0]
	}
	for _, f := range methods {
		if f.Method == method {
			data.Factor = f
		}
	}
	return data
}

func (h *handlers) sendLoginCode(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	// An unknown name gives the zero Method, which authkit refuses.
	method, _ := twofactor.ParseMethod(r.PostFormValue("method"))
	if err := authkit.From(r).TwoFactor().SendCode(method); err != nil {
		h.secondStepFailed(w, r, method, page{Next: next}, codeNotSent(err))
		return
	}
	q := url.Values{"done": {"code-sent"}, "method": {method.String()}}
	http.Redirect(w, r, withNext("/login/second-factor", next, q), http.StatusSeeOther)
}

// verifySecondFactor checks the code and, if it is right, finishes the
// login, remembering the device if the login form asked for it.
func (h *handlers) verifySecondFactor(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	a := authkit.From(r)
	method, _ := twofactor.ParseMethod(r.PostFormValue("method"))
	err := a.TwoFactor().Verify(method, r.PostFormValue("code"))
	if err == nil {
		err = a.CompleteTwoFactorLogin()
	}
	if err != nil {
		h.secondStepFailed(w, r, method, page{Next: next}, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// secondStepFailed sends the browser back to the login page when the
// pending login is over, and shows the second-step page with err
// otherwise.
func (h *handlers) secondStepFailed(w http.ResponseWriter, r *http.Request, method twofactor.Method, data page, err error) {
	switch {
	case errors.Is(err, authkit.ErrTooManyWrongCodes):
		backToLogin(w, r, data.Next, "too-many-codes")
		return
	// A form of the second-step page found no pending login: it ended
	// while the page was open.
	case errors.Is(err, authkit.ErrSecondFactorExpired), errors.Is(err, authkit.ErrNoPendingLogin):
		backToLogin(w, r, data.Next, "login-expired")
		return
	case errors.Is(err, authkit.ErrAccountStatus): // banned, say, while fetching the code
		h.fail(w, r, "login", page{Next: data.Next}, err)
		return
	}
	methods, loadErr := authkit.From(r).TwoFactor().PendingMethods()
	if loadErr != nil {
		h.fail(w, r, "login", page{Next: data.Next}, loadErr)
		return
	}
	h.fail(w, r, "second-factor", secondStepPage(methods, method, data), err)
}
