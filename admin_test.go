package authkit

import (
	"context"
	"testing"
)

func TestAdminSetStatus_EndsTheUsersSessionsAtOnce(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("banned@example.com")
	b := e.browser()
	b.login("banned@example.com", testPassword)
	stolen := b.cookie(sessionCookieName(e))
	if err := e.kit.Admin().SetStatus(context.Background(), id, StatusBanned); err != nil {
		t.Fatal(err)
	}
	if b.userID() != 0 || e.withCookie(stolen).userID() != 0 {
		t.Fatal("a banned user's session survived the ban")
	}
	var err error
	e.request(func(a *Auth) { err = a.Login("banned@example.com", testPassword, false) })
	wantErr(t, err, ErrAccountStatus)
}

func TestAdminSetStatus_NormalKeepsSessionsAndBadValuesAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("normal@example.com")
	b := e.browser()
	b.login("normal@example.com", testPassword)
	ctx := context.Background()
	if err := e.kit.Admin().SetStatus(ctx, id, StatusNormal); err != nil {
		t.Fatal(err)
	}
	if b.userID() != id {
		t.Fatal("setting Normal ended the session")
	}
	wantErr(t, e.kit.Admin().SetStatus(ctx, id, Status(42)), ErrInvalidStatus)
	wantErr(t, e.kit.Admin().SetStatus(ctx, 999999, StatusBanned), ErrUserNotFound)
}

func TestAdminDeleteUser_EndsSessionsAndRemovesTheAccount(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("gone@example.com")
	b := e.browser()
	b.login("gone@example.com", testPassword)
	if err := e.kit.Admin().DeleteUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if b.userID() != 0 {
		t.Fatal("a deleted user is still logged in")
	}
	_, err := e.kit.Admin().User(context.Background(), id)
	wantErr(t, err, ErrUserNotFound)
}

func TestAdminForceLogout_EndsEveryDevice(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("forced@example.com")
	b1, b2 := e.browser(), e.browser()
	b1.login("forced@example.com", testPassword)
	b2.login("forced@example.com", testPassword)
	if err := e.kit.Admin().ForceLogout(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if b1.userID() != 0 || b2.userID() != 0 {
		t.Fatal("ForceLogout left a session alive")
	}
}

func TestAdminUsers_PagesInIDOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var ids []int64
	for _, m := range []string{"p1@example.com", "p2@example.com", "p3@example.com"} {
		ids = append(ids, e.user(m))
	}
	ctx := context.Background()
	page1, err := e.kit.Admin().Users(ctx, 0, 2)
	if err != nil || len(page1) != 2 || page1[0].ID != ids[0] || page1[1].ID != ids[1] {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, _ := e.kit.Admin().Users(ctx, page1[1].ID, 2)
	if len(page2) != 1 || page2[0].ID != ids[2] || page2[0].Email != "p3@example.com" {
		t.Fatalf("page 2 = %+v", page2)
	}
}

func TestStatus_HasSixValuesInOrderWithNames(t *testing.T) {
	t.Parallel()
	want := []string{"normal", "archived", "banned", "locked", "pending review", "suspended"}
	for i, name := range want {
		if s := Status(i); s.String() != name || !s.Valid() {
			t.Errorf("Status(%d) = %q, want %q", i, s, name)
		}
	}
	if Status(6).Valid() || Status(-1).Valid() {
		t.Error("out-of-range statuses must not be valid")
	}
}
