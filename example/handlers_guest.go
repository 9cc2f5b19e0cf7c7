package main

import (
	"net/http"

	"github.com/authkit/authkit"
)

// loginAnonymous is the login page's "Try as guest": it logs the visitor
// in as a new anonymous user and shows the account page, which invites
// them to register; registering from this session keeps the same user,
// and so whatever the guest did.
func (h *handlers) loginAnonymous(w http.ResponseWriter, r *http.Request) {
	if err := authkit.From(r).LoginAnonymous(); err != nil {
		h.fail(w, r, "login", page{}, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
