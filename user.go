package authkit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/authkit/authkit/internal/store"
)

// Limits of the user profile, stated on [UserUpdate].
const (
	maxNameLength    = 200      // code points
	maxMetadataBytes = 16 << 10 // of the JSON text
	maxMetadataDepth = 16       // nested objects and arrays
)

// eventProfile is the audit event of a change of profile.
const eventProfile = "profile_change"

// User is an account: its profile, which [Auth.User] shows the user
// themselves, and the state the Admin API shows support staff.
type User struct {
	ID    int64
	Email string
	// Name is the display name the user chose; "" until they choose one.
	Name string
	// Metadata is a JSON object the app keeps with the user (preferences,
	// say); {} when there is none. It is shown to the user, so keep
	// nothing there the user must not see.
	Metadata json.RawMessage
	// EmailVerified is whether the address was confirmed.
	EmailVerified bool
	// TwoFactorEnabled is whether logins ask for a second factor.
	TwoFactorEnabled bool
	Status           Status
	// Roles is never nil: a user without roles has an empty list.
	Roles []string
	// Resettable is whether ForgotPassword may reset the password.
	Resettable bool
	// Anonymous is whether the user is a guest made by
	// [Auth.LoginAnonymous], with no address and no password, who keeps
	// its id when it registers; false for every other user.
	Anonymous   bool
	CreatedAt   time.Time
	LastLoginAt time.Time // zero if the user never logged in

	// Deprecated: Verified is EmailVerified, kept for callers written
	// before the profile.
	Verified bool
	// Deprecated: RegisteredAt is CreatedAt, kept for callers written
	// before the profile.
	RegisteredAt time.Time
}

func publicUser(p store.Profile) User {
	roles := []string(p.Roles)
	if roles == nil {
		roles = []string{}
	}
	return User{
		ID: p.ID, Email: p.Email, Name: p.Name, Metadata: json.RawMessage(p.Metadata),
		EmailVerified: p.Verified, TwoFactorEnabled: p.TwoFactor, Status: Status(p.Status),
		Roles: roles, Resettable: p.Resettable, Anonymous: p.Anonymous,
		CreatedAt: p.RegisteredAt, LastLoginAt: p.LastLoginAt.Time,
		Verified: p.Verified, RegisteredAt: p.RegisteredAt,
	}
}

func userResult(p store.Profile, err error) (User, error) {
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, unavailable("load user", err)
	}
	return publicUser(p), nil
}

// UserUpdate is a change of a user's profile. A nil field is left as it
// is.
type UserUpdate struct {
	// Name, when not nil, becomes the display name, trimmed and
	// NFC-normalised: at most 200 characters, without NUL bytes, invalid
	// UTF-8, control characters or bidirectional overrides
	// ([ErrInvalidName]). "" clears it.
	Name *string

	// Metadata, when not nil, replaces the user's metadata as a whole
	// (there is no merge): a JSON object of at most 16 KiB, nested at most
	// 16 levels deep, without NUL characters ([ErrInvalidMetadata]).
	// Numbers are kept as double-precision floats, as JavaScript keeps
	// them. {} clears it.
	Metadata json.RawMessage
}

// Validate reports whether an update would be accepted, with the error
// UpdateUser would give, so that a form can be checked before an account
// is made (registration with a name, say).
func (u UserUpdate) Validate() error {
	_, _, err := u.normalize()
	return err
}

// normalize returns the update's fields as the database stores them; a
// field that is not Valid is left as it is.
func (u UserUpdate) normalize() (name, metadata sql.NullString, err error) {
	if u.Name != nil {
		n, err := normalizeName(*u.Name)
		if err != nil {
			return name, metadata, err
		}
		name = sql.NullString{String: n, Valid: true}
	}
	if u.Metadata != nil {
		m, err := normalizeMetadata(u.Metadata)
		if err != nil {
			return name, metadata, err
		}
		metadata = sql.NullString{String: m, Valid: true}
	}
	return name, metadata, nil
}

func normalizeName(name string) (string, error) {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 4*maxNameLength {
		return "", ErrInvalidName
	}
	name = norm.NFC.String(strings.TrimSpace(name))
	if utf8.RuneCountInString(name) > maxNameLength || strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
	}) >= 0 {
		return "", ErrInvalidName
	}
	return name, nil
}

// normalizeMetadata checks metadata and returns it re-encoded: what the
// database stores is what Go's encoder writes, so no input the decoder
// tolerates (invalid UTF-8, lone surrogates, numbers out of range) can
// make PostgreSQL refuse the statement.
func normalizeMetadata(raw json.RawMessage) (string, error) {
	if len(raw) > maxMetadataBytes {
		return "", ErrInvalidMetadata
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&v); err != nil || v == nil || dec.More() {
		return "", ErrInvalidMetadata
	}
	if !plainJSON(v, 1) {
		return "", ErrInvalidMetadata
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > maxMetadataBytes {
		return "", ErrInvalidMetadata
	}
	return string(b), nil
}

// plainJSON reports whether a decoded JSON value nests at most
// maxMetadataDepth levels and holds no NUL character, which PostgreSQL's
// jsonb refuses.
func plainJSON(v any, depth int) bool {
	switch v := v.(type) {
	case string:
		return !strings.ContainsRune(v, 0)
	case []any:
		if depth > maxMetadataDepth {
			return false
		}
		for _, e := range v {
			if !plainJSON(e, depth+1) {
				return false
			}
		}
	case map[string]any:
		if depth > maxMetadataDepth {
			return false
		}
		for k, e := range v {
			if strings.ContainsRune(k, 0) || !plainJSON(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// User returns the logged-in user's profile, or [ErrNotLoggedIn]. It
// costs one query. Requests authenticated by an API key or access token
// may read it too.
func (a *Auth) User() (User, error) {
	if err := a.ready(); err != nil {
		return User{}, err
	}
	if a.state == nil {
		return User{}, ErrNotLoggedIn
	}
	u, err := userResult(a.kit.store.ProfileByID(a.ctx(), a.state.UserID))
	if errors.Is(err, ErrUserNotFound) {
		return User{}, ErrNotLoggedIn // deleted during the request
	}
	return u, err
}

// UpdateUser changes the logged-in user's name or metadata (see
// [UserUpdate] for the limits) and returns the profile as it is now. A
// profile is no credential, so requests authenticated by an API key or
// access token may change it too; the address, the password and the
// factors have actions of their own that need a login session.
func (a *Auth) UpdateUser(u UserUpdate) (User, error) {
	if err := a.ready(); err != nil {
		return User{}, err
	}
	if a.state == nil {
		return User{}, ErrNotLoggedIn
	}
	user, err := a.kit.updateUser(a.ctx(), a.state.UserID, u)
	if errors.Is(err, ErrUserNotFound) {
		return User{}, ErrNotLoggedIn
	}
	if err == nil {
		a.audit(auditEvent{event: eventProfile, outcome: outcomeOK, userID: user.ID})
	}
	return user, err
}

// UpdateUser changes a user's name or metadata, as [Auth.UpdateUser] does
// for the logged-in user, and returns the profile as it is now.
func (ad *Admin) UpdateUser(ctx context.Context, id int64, u UserUpdate) (User, error) {
	user, err := ad.kit.updateUser(ctx, id, u)
	if err == nil {
		ad.audit(ctx, eventProfile, id, "")
	}
	return user, err
}

func (k *Kit) updateUser(ctx context.Context, id int64, u UserUpdate) (User, error) {
	name, metadata, err := u.normalize()
	if err != nil {
		return User{}, err
	}
	return userResult(k.store.UpdateProfile(ctx, id, name, metadata))
}
