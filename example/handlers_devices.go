package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit"
)

// revokeSession logs out one device from the account page's list.
func (h *handlers) revokeSession(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	err := a.RevokeSession(r.PathValue("id"))
	if err == nil && !a.IsLoggedIn() { // it was this device
		http.Redirect(w, r, "/?done=logout", http.StatusSeeOther)
		return
	}
	h.finish(w, r, err, "/account?done=session-revoked")
}

// createAPIKey makes an API key and shows its secret, once.
func (h *handlers) createAPIKey(w http.ResponseWriter, r *http.Request) {
	spec := authkit.APIKeySpec{Name: strings.TrimSpace(r.PostFormValue("name"))}
	if days := r.PostFormValue("days"); days != "" && days != "0" {
		d, err := time.ParseDuration(days + "h")
		if err != nil {
			h.accountPage(w, r, page{}, authkit.ErrInvalidAPIKeySpec)
			return
		}
		spec.ExpiresIn = d * 24
	}
	if scope := strings.TrimSpace(r.PostFormValue("scope")); scope != "" {
		spec.Scopes = strings.Fields(scope)
	}
	_, secret, err := authkit.From(r).APIKeys().Create(spec)
	if err != nil {
		h.settingFailed(w, r, err)
		return
	}
	h.accountPage(w, r, page{Notice: "Your new API key is below. Copy it now: it is not shown again.", NewAPIKey: secret}, nil)
}

// revokeAPIKey deletes one of the user's API keys.
func (h *handlers) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, authkit.From(r).APIKeys().Revoke(r.PathValue("id")), "/account?done=api-key-revoked")
}

// me answers GET /api/me, the route scripts call with an API key:
// curl -H "Authorization: Bearer ak_…" http://localhost:8080/api/me
// Unlike the pages, it answers 401 rather than sending a script to the
// login page.
func (h *handlers) me(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !a.IsLoggedIn() {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "not_logged_in"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": a.UserID(), "email": a.Email(), "via": a.Via(), "roles": a.Roles()})
}
