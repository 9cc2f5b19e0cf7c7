package authkit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit/twofactor"
)

func ptr[T any](v T) *T { return &v }

// newLoggedInUser returns a device logged in as a new user, and the user's id.
func newLoggedInUser(t *testing.T, e *env, email string) (*device, int64) {
	t.Helper()
	id := e.user(email)
	return loggedInDevice(t, e, email, ""), id
}

func (d *device) profile(t *testing.T) User {
	t.Helper()
	var u User
	if err := d.err(func(a *Auth) (err error) { u, err = a.User(); return err }); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUser_ReturnsTheLoggedInUsersProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d, id := newLoggedInUser(t, e, "ada@example.com")

	u := d.profile(t)

	if u.ID != id || u.Email != "ada@example.com" || u.Name != "" || string(u.Metadata) != "{}" ||
		!u.EmailVerified || u.TwoFactorEnabled || u.Status != StatusNormal {
		t.Fatalf("profile = %+v", u)
	}
	if u.Roles == nil || len(u.Roles) != 0 {
		t.Errorf("roles = %#v, want an empty, non-nil list", u.Roles)
	}
	if d := time.Since(u.CreatedAt); d < 0 || d > time.Minute || !u.CreatedAt.Equal(u.RegisteredAt) || u.Verified != u.EmailVerified {
		t.Errorf("created at %v, registered at %v", u.CreatedAt, u.RegisteredAt)
	}
}

func TestUser_RefusesAnAnonymousRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var err error
	e.request(func(a *Auth) { _, err = a.User() })
	wantErr(t, err, ErrNotLoggedIn)
	e.request(func(a *Auth) { _, err = a.UpdateUser(UserUpdate{Name: ptr("Ada")}) })
	wantErr(t, err, ErrNotLoggedIn)
}

func TestUser_TwoFactorEnabledFollowsTheFactors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d, _ := newLoggedInUser(t, e, "ada@example.com")
	withTOTP(t, e, "ada@example.com")

	if u := d.profile(t); !u.TwoFactorEnabled {
		t.Fatalf("profile = %+v, want two-factor enabled", u)
	}
}

func TestUpdateUser_ChangesOnlyTheFieldsGiven(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d, id := newLoggedInUser(t, e, "ada@example.com")

	var u User
	err := d.err(func(a *Auth) (err error) {
		u, err = a.UpdateUser(UserUpdate{Name: ptr("  Ada Lovelace "), Metadata: json.RawMessage(`{"theme":"dark","n":[1,2.5]}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Ada Lovelace" || string(u.Metadata) != `{"n": [1, 2.5], "theme": "dark"}` {
		t.Fatalf("after the update: %q %s", u.Name, u.Metadata)
	}
	err = d.err(func(a *Auth) (err error) {
		u, err = a.UpdateUser(UserUpdate{Metadata: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Ada Lovelace" || string(u.Metadata) != `{}` {
		t.Fatalf("after clearing the metadata: %q %s", u.Name, u.Metadata)
	}
	if got, err := e.kit.Admin().User(t.Context(), id); err != nil || got.Name != "Ada Lovelace" {
		t.Fatalf("Admin sees %+v, %v", got, err)
	}
	entries, err := e.kit.Admin().AuditLog(t.Context(), id, 0, 10)
	if err != nil || entries[0].Event != "profile_change" {
		t.Fatalf("audit log %+v, %v", entries, err)
	}
}

func TestUpdateUser_RefusesBadNamesWithErrInvalidName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d, _ := newLoggedInUser(t, e, "ada@example.com")
	for _, tc := range []struct{ name, value string }{
		{"201 characters", strings.Repeat("é", 201)},
		{"a huge input", strings.Repeat("a", 1<<20)},
		{"a NUL byte", "Ada\x00"},
		{"invalid UTF-8", "Ada\xff"},
		{"a newline", "Ada\nLovelace"},
		{"a right-to-left override", "Ada\u202Eecalevol"},
		{"a line separator", "Ada\u2028Lovelace"},
	} {
		err := d.err(func(a *Auth) error { _, err := a.UpdateUser(UserUpdate{Name: &tc.value}); return err })
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("%s: %v, want ErrInvalidName", tc.name, err)
		}
		if err := (UserUpdate{Name: &tc.value}).Validate(); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%s: Validate = %v, want ErrInvalidName", tc.name, err)
		}
	}
	for _, ok := range []string{"", strings.Repeat("é", 200), "e\u0301", "👩‍💻 Ada", "فرزانه\u200cای"} {
		err := d.err(func(a *Auth) error { _, err := a.UpdateUser(UserUpdate{Name: &ok}); return err })
		if err != nil {
			t.Errorf("name %q: %v", ok, err)
		}
	}
	if u := d.profile(t); u.Name != "فرزانه\u200cای" {
		t.Errorf("name = %q", u.Name)
	}
}

func TestUpdateUser_RefusesBadMetadataWithErrInvalidMetadata(t *testing.T) { // SEC-I4
	t.Parallel()
	e := newEnv(t)
	d, _ := newLoggedInUser(t, e, "ada@example.com")
	for _, tc := range []struct{ name, value string }{
		{"an array", `[1]`},
		{"a string", `"x"`},
		{"null", `null`},
		{"empty", ``},
		{"not JSON", `{"a":`},
		{"two values", `{} {}`},
		{"over 16 KiB", `{"a":"` + strings.Repeat("x", 16<<10) + `"}`},
		{"17 levels deep", strings.Repeat(`{"a":`, 17) + `1` + strings.Repeat(`}`, 17)},
		{"a NUL in a value", `{"a":"\u0000"}`},
		{"a NUL in a key", `{"\u0000":1}`},
		{"a number out of range", `{"a":1e999}`},
	} {
		err := d.err(func(a *Auth) error {
			_, err := a.UpdateUser(UserUpdate{Metadata: json.RawMessage(tc.value)})
			return err
		})
		if !errors.Is(err, ErrInvalidMetadata) {
			t.Errorf("%s: %v, want ErrInvalidMetadata", tc.name, err)
		}
	}
	// What the decoder tolerates is stored as the encoder writes it, so
	// PostgreSQL never refuses it.
	for _, ok := range []string{`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", strings.Repeat(`{"a":`, 16) + `1` + strings.Repeat(`}`, 16), `{"a":1e-400}`} {
		err := d.err(func(a *Auth) error { _, err := a.UpdateUser(UserUpdate{Metadata: json.RawMessage(ok)}); return err })
		if err != nil {
			t.Errorf("metadata %s: %v", ok, err)
		}
	}
}

func TestAdminUpdateUser_ChangesTheProfileWithoutARequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	ad := e.kit.Admin()

	u, err := ad.UpdateUser(t.Context(), id, UserUpdate{Name: ptr("Ada"), Metadata: json.RawMessage(`{"plan":"pro"}`)})
	if err != nil || u.Name != "Ada" || string(u.Metadata) != `{"plan": "pro"}` {
		t.Fatalf("UpdateUser = %+v, %v", u, err)
	}
	users, err := ad.Users(t.Context(), 0, 10)
	if err != nil || len(users) != 1 || users[0].Name != "Ada" {
		t.Fatalf("Users = %+v, %v", users, err)
	}
	if _, err := ad.UpdateUser(t.Context(), id+1, UserUpdate{Name: ptr("Bob")}); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestStatus_MarshalsAsItsName(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct{ S []Status }{[]Status{StatusBanned, StatusPendingReview}})
	if err != nil || string(b) != `{"S":["banned","pending_review"]}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back struct{ S []Status }
	if err := json.Unmarshal(b, &back); err != nil || back.S[1] != StatusPendingReview {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
	if _, err := json.Marshal(Status(9)); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("Marshal(Status(9)) = %v", err)
	}
	var s Status
	if err := json.Unmarshal([]byte(`"pending review"`), &s); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("Unmarshal of a String = %v", err)
	}
	if b, _ := json.Marshal(twofactor.TOTP); string(b) != `"totp"` {
		t.Errorf("Method marshals as %s", b)
	}
}
