package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/authkit/authkit"
)

// adminRole is the role that opens the admin pages.
const adminRole = "admin"

// adminPageSize is how many users, or audit entries, one admin page lists.
const adminPageSize = 25

// adminView is what the admin pages show.
type adminView struct {
	Users []authkit.User       // a page of the user list
	User  authkit.User         // the user of the user page
	Audit []authkit.AuditEntry // that user's audit entries, newest first
	Later bool                 // the list does not start at its first page
	More  string               // the next page of the list, or ""
}

func isAdmin(roles []string) bool { return slices.Contains(roles, adminRole) }

// actingAdmin is the Admin API acting for the logged-in administrator,
// who the audit log names as the actor.
func (h *handlers) actingAdmin(r *http.Request) *authkit.Admin {
	return h.kit.Admin().WithActor(authkit.From(r).UserID())
}

// parseID reads an id from the query or the path; anything malformed
// gives 0, which is no user and the start of every list.
func parseID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

func (h *handlers) adminUsers(w http.ResponseWriter, r *http.Request) {
	after := parseID(r.URL.Query().Get("after"))
	users, err := h.actingAdmin(r).Users(r.Context(), after, adminPageSize)
	view := &adminView{Users: users, Later: after != 0}
	if len(users) == adminPageSize {
		view.More = fmt.Sprintf("/admin?after=%d", users[len(users)-1].ID)
	}
	if err != nil {
		h.fail(w, r, "admin-users", page{Admin: view}, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin-users", page{Admin: view})
}

func (h *handlers) adminUser(w http.ResponseWriter, r *http.Request) {
	h.adminUserPage(w, r, page{Notice: notice(r)}, nil)
}

// adminUserPage shows the user named in the path with their recent audit
// entries and err, if not nil.
func (h *handlers) adminUserPage(w http.ResponseWriter, r *http.Request, data page, err error) {
	ad := h.actingAdmin(r)
	user, loadErr := ad.User(r.Context(), parseID(r.PathValue("id")))
	if loadErr != nil {
		h.fail(w, r, "problem", data, loadErr)
		return
	}
	entries, loadErr := ad.AuditLog(r.Context(), user.ID, parseID(r.URL.Query().Get("before")), adminPageSize)
	data.Admin = &adminView{User: user, Audit: entries}
	if len(entries) == adminPageSize {
		data.Admin.More = fmt.Sprintf("/admin/users/%d?before=%d", user.ID, entries[len(entries)-1].ID)
	}
	if err == nil {
		err = loadErr
	}
	if err != nil {
		h.fail(w, r, "admin-user", data, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin-user", data)
}

// adminChange is a change to a user that the user page offers. Every one
// needs a fresh password (see adminAction).
type adminChange struct {
	// locksOut is set for changes that would shut the acting
	// administrator out; they are refused on one's own account.
	locksOut bool
	// grants is set for changes that give the user more privileges. The
	// session token must change with them (OWASP), so the user's
	// sessions end and the new role comes with the token of a new login;
	// when administrators grant themselves, their own session gets a new
	// token.
	grants bool
	apply  func(ad *authkit.Admin, ctx context.Context, id int64) error
}

// adminChanges are the changes of the user page, by the name their URL
// ends in, which is also the notice shown afterwards.
var adminChanges = map[string]adminChange{
	"ban": {locksOut: true, apply: func(ad *authkit.Admin, ctx context.Context, id int64) error {
		return ad.SetStatus(ctx, id, authkit.StatusBanned)
	}},
	"unban": {apply: func(ad *authkit.Admin, ctx context.Context, id int64) error {
		return ad.SetStatus(ctx, id, authkit.StatusNormal)
	}},
	"force-logout": {apply: (*authkit.Admin).ForceLogout},
	"make-admin": {grants: true, apply: func(ad *authkit.Admin, ctx context.Context, id int64) error {
		return ad.AddRole(ctx, id, adminRole)
	}},
	"remove-admin": {locksOut: true, apply: func(ad *authkit.Admin, ctx context.Context, id int64) error {
		return ad.RemoveRole(ctx, id, adminRole)
	}},
}

// adminAction applies a change of adminChanges to the user in the path and
// shows the user page again. Like every admin action that changes an
// account, it needs the administrator's password within the last few
// minutes: a session restored from remember me, or left open on a
// shared computer, asks for it first.
func (h *handlers) adminAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("action")
	change, ok := adminChanges[name]
	if !ok {
		h.fail(w, r, "problem", page{}, errNoSuchPage)
		return
	}
	id := parseID(r.PathValue("id"))
	if h.reauthenticateFirst(w, r, id) {
		return
	}
	a := authkit.From(r)
	self := id == a.UserID()
	err := errOwnAccount
	if !change.locksOut || !self {
		err = change.apply(h.actingAdmin(r), r.Context(), id)
	}
	if err == nil && change.grants {
		if self {
			err = a.RenewToken()
		} else {
			err = h.actingAdmin(r).ForceLogout(r.Context(), id)
		}
	}
	if err != nil {
		h.adminUserPage(w, r, page{}, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/users/%d?done=%s", id, name), http.StatusSeeOther)
}

// adminLogInAs logs the administrator in as the user in the path, to see
// the app as they see it. The administrator's own session ends; the
// audit log names them as the actor of the login.
func (h *handlers) adminLogInAs(w http.ResponseWriter, r *http.Request) {
	id := parseID(r.PathValue("id"))
	if h.reauthenticateFirst(w, r, id) {
		return
	}
	err := authkit.From(r).LogInAsUser(id)
	if errors.Is(err, authkit.ErrAccountStatus) {
		err = fmt.Errorf("%w: %w", errLogInAsRefused, err)
	}
	if err != nil {
		h.adminUserPage(w, r, page{}, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// reauthenticateFirst asks for the administrator's password, and reports
// true, when the session is not fresh; confirming it leads back to the
// page of the user id.
func (h *handlers) reauthenticateFirst(w http.ResponseWriter, r *http.Request, id int64) bool {
	if authkit.From(r).IsFresh() {
		return false
	}
	h.render(w, r, http.StatusForbidden, "reauthenticate", page{Next: fmt.Sprintf("/admin/users/%d", id)})
	return true
}

// grantAdmin gives the account with this email address the admin role, for
// the -admin flag: the example's way to its first administrator. An
// address with no account yet is only logged, so that the app still
// starts and the account can be registered.
func grantAdmin(ctx context.Context, ad *authkit.Admin, email string) error {
	user, err := ad.UserByEmail(ctx, email)
	if errors.Is(err, authkit.ErrUserNotFound) {
		slog.Warn("-admin: no account has this address yet; register it, then restart the app with -admin to make it an administrator", "email", email)
		return nil
	}
	if err != nil {
		return fmt.Errorf("-admin %s: %w", email, err)
	}
	if err := ad.AddRole(ctx, user.ID, adminRole); err != nil {
		return fmt.Errorf("-admin %s: %w", email, err)
	}
	slog.Info("-admin: the account is an administrator; its admin pages are at /admin", "email", user.Email, "user_id", user.ID)
	return nil
}
