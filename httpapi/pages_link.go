package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/authkit/authkit"
)

// loginLinkPage is where a mailed login link leads. A GET only shows a
// button: mail scanners that open links must not use the token up.
func (p *pages) loginLinkPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "link", PageData{Token: r.FormValue("token"), Next: localPath(r.FormValue("next"))})
}

// loginLink logs in with the link's token; a user with a second factor
// goes on to the second step (SEC-L1).
func (p *pages) loginLink(w http.ResponseWriter, r *http.Request) {
	err := authkit.From(r).LoginWithLink(r.PostFormValue("token"))
	var sf *authkit.SecondFactorRequiredError
	switch {
	case errors.As(err, &sf):
		http.Redirect(w, r, p.opts.Prefix+"/login/second-factor?next="+url.QueryEscape(localPath(r.FormValue("next"))), http.StatusSeeOther)
	case err != nil:
		p.fail(w, r, "message", PageData{}, err)
	default:
		http.Redirect(w, r, p.afterLogin(r), http.StatusSeeOther)
	}
}
