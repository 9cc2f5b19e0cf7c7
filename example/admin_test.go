package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// loggedInAdmin creates an account, makes it an administrator as the
// -admin flag does, and logs it in.
func (app *testApp) loggedInAdmin(t *testing.T, email string) (*browser, int64) {
	t.Helper()
	id := app.confirmedUser(t, email)
	if err := grantAdmin(t.Context(), app.kit.Admin(), email); err != nil {
		t.Fatal(err)
	}
	b := app.browser(t)
	b.login(email)
	return b, id
}

// adminAndUser creates an administrator and a user and logs each in on a
// browser of their own.
func (app *testApp) adminAndUser(t *testing.T) (admin *browser, adminID int64, user *browser, userID int64) {
	t.Helper()
	admin, adminID = app.loggedInAdmin(t, "admin@example.com")
	userID = app.confirmedUser(t, "ada@example.com")
	user = app.browser(t)
	user.login("ada@example.com")
	return admin, adminID, user, userID
}

// userPath is the admin page of the user id, with more path elements.
func userPath(id int64, more string) string { return fmt.Sprintf("/admin/users/%d%s", id, more) }

// expectRedirect checks that r redirects to location.
func expectRedirect(t *testing.T, what string, r reply, location string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.location != location {
		t.Fatalf("%s: got %d to %q, want 303 to %q; page:\n%s", what, r.status, r.location, location, r.body)
	}
}

func TestAdmin_SendsAnonymousVisitorsToLogInAndRefusesOtherUsers(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	id := app.confirmedUser(t, "ada@example.com")

	anonymous := app.browser(t)
	expectRedirect(t, "admin page", anonymous.get("/admin"), "/login?next=%2Fadmin")
	if r := anonymous.post(userPath(id, "/ban"), nil); r.status != http.StatusUnauthorized {
		t.Errorf("ban while logged out: got %d, want 401", r.status)
	}

	user := app.browser(t)
	user.login("ada@example.com")
	expect(t, "admin page without the role", user.get("/admin"), http.StatusForbidden, "This page is for administrators only")
	expect(t, "ban without the role", user.post(userPath(id, "/ban"), nil), http.StatusForbidden, "This page is for administrators only")
	if r := user.get("/account"); strings.Contains(r.body, `href="/admin"`) {
		t.Error("the layout links to the admin pages for a user without the role")
	}
}

func TestAdmin_ListsBansLogsOutAndLogsInAsAUser(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, adminID, user, userID := app.adminAndUser(t)

	expect(t, "layout for an admin", admin.get("/account"), http.StatusOK, `<a href="/admin">Admin</a>`)
	r := admin.get("/admin")
	expect(t, "user list", r, http.StatusOK, fmt.Sprintf(`<a href="/admin/users/%d">ada@example.com</a>`, userID))
	expect(t, "user list", r, http.StatusOK, fmt.Sprintf(`<a href="/admin/users/%d">admin@example.com</a>`, adminID))

	r = admin.post(userPath(userID, "/force-logout"), nil)
	expectRedirect(t, "force logout", r, userPath(userID, "?done=force-logout"))
	expect(t, "user page", admin.get(r.location), http.StatusOK, "The user is logged out on every device")
	expectLoggedOut(t, user)

	user.login("ada@example.com")
	expectRedirect(t, "ban", admin.post(userPath(userID, "/ban"), nil), userPath(userID, "?done=ban"))
	expectLoggedOut(t, user)
	expect(t, "login while banned", user.tryLogin("ada@example.com", password), http.StatusForbidden, "Your account is banned")
	r = admin.get(userPath(userID, ""))
	expect(t, "user page", r, http.StatusOK, "<dt>Status</dt><dd>banned</dd>")
	expect(t, "audit entry of the ban", r, http.StatusOK,
		fmt.Sprintf(`<td>status_change</td>
    <td>ok</td>
    <td><a href="/admin/users/%d">admin %d</a></td>`, adminID, adminID))
	expect(t, "log in as a banned user", admin.post(userPath(userID, "/log-in-as"), nil),
		http.StatusConflict, "Only users whose status is normal")

	expectRedirect(t, "unban", admin.post(userPath(userID, "/unban"), nil), userPath(userID, "?done=unban"))
	expectRedirect(t, "log in as the user", admin.post(userPath(userID, "/log-in-as"), nil), "/account")
	r = admin.get("/account")
	expect(t, "account after logging in as the user", r, http.StatusOK, "<dd>ada@example.com</dd>")
	if strings.Contains(r.body, `href="/admin"`) {
		t.Error("logged in as a user without the role, the layout still links to the admin pages")
	}
}

func TestAdmin_GivesAndTakesTheRoleButNotFromOneself(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, adminID, user, userID := app.adminAndUser(t)

	expectRedirect(t, "make admin", admin.post(userPath(userID, "/make-admin"), nil), userPath(userID, "?done=make-admin"))
	// The role comes with a new session token: the user logs in again.
	expectLoggedOut(t, user)
	user.login("ada@example.com")
	expect(t, "admin page for the new admin", user.get("/admin"), http.StatusOK, "<h1>Users</h1>")
	expectRedirect(t, "remove admin", admin.post(userPath(userID, "/remove-admin"), nil), userPath(userID, "?done=remove-admin"))
	expect(t, "admin page after", user.get("/admin"), http.StatusForbidden, "for administrators only")

	for _, change := range []string{"/ban", "/remove-admin"} {
		expect(t, change+" oneself", admin.post(userPath(adminID, change), nil), http.StatusUnprocessableEntity, "your own account")
	}
	expect(t, "an unknown change", admin.post(userPath(userID, "/delete-everything"), nil), http.StatusNotFound, "There is no such page")
	expect(t, "an unknown user", admin.get(userPath(userID+100, "")), http.StatusNotFound, "There is no such user")
	expect(t, "ban an unknown user", admin.post(userPath(userID+100, "/ban"), nil), http.StatusNotFound, "There is no such user")
}

func TestGrantAdmin_LeavesAnAddressWithoutAnAccountForLater(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	if err := grantAdmin(t.Context(), app.kit.Admin(), "nobody@example.com"); err != nil {
		t.Errorf("unknown address: %v, want nil (logged, so the app still starts)", err)
	}
	if err := grantAdmin(t.Context(), app.kit.Admin(), "not an address"); err == nil {
		t.Error("malformed address: no error")
	}
}

func TestAdmin_ListsTheUsersPageByPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	admin, _ := app.loggedInAdmin(t, "admin@example.com")
	var last int64
	for i := range adminPageSize {
		last = app.confirmedUser(t, fmt.Sprintf("user%d@example.com", i))
	}

	r := admin.get("/admin")
	expect(t, "first page", r, http.StatusOK, fmt.Sprintf(`<a href="/admin?after=%d">Next page</a>`, last-1))
	if strings.Contains(r.body, fmt.Sprintf("user%d@example.com", adminPageSize-1)) {
		t.Errorf("the first page shows more than %d users", adminPageSize)
	}
	r = admin.get(fmt.Sprintf("/admin?after=%d", last-1))
	expect(t, "second page", r, http.StatusOK, fmt.Sprintf(`<a href="/admin/users/%d">user%d@example.com</a>`, last, adminPageSize-1))
	expect(t, "second page", r, http.StatusOK, `<a href="/admin">First page</a>`)
	if strings.Contains(r.body, "Next page") {
		t.Error("the last page links to a next page")
	}
}
