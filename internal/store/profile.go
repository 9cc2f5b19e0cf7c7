package store

import (
	"context"
	"database/sql"
)

// Profile is a user as the profile shows it: the users row with its name
// and metadata, and whether the user has an enabled second factor.
type Profile struct {
	User
	Name      string `db:"name"`
	Metadata  []byte `db:"metadata"` // a JSON object
	TwoFactor bool   `db:"two_factor"`
}

const profileColumns = userColumns + `, name, metadata,
	EXISTS (SELECT 1 FROM {second_factors} f WHERE f.user_id = {users}.id AND f.verified) AS two_factor`

// ProfileByID finds a user's profile by id.
func (s *Store) ProfileByID(ctx context.Context, id int64) (Profile, error) {
	var p Profile
	err := s.get(ctx, &p, `SELECT `+profileColumns+` FROM {users} WHERE id = $1`, id)
	return p, err
}

// ProfileByEmail finds a user's profile by email, case-insensitively.
func (s *Store) ProfileByEmail(ctx context.Context, email, emailKey string) (Profile, error) {
	var p Profile
	err := s.get(ctx, &p, `SELECT `+profileColumns+` FROM {users}
		WHERE email_key = $2 OR (email_key IS NULL AND lower(email) = lower($1))
		ORDER BY email_key IS NULL LIMIT 1`, email, emailKey)
	return p, err
}

// ListProfiles returns up to limit users with an id greater than afterID,
// in id order (keyset paging).
func (s *Store) ListProfiles(ctx context.Context, afterID int64, limit int) ([]Profile, error) {
	users := []Profile{}
	err := s.sel(ctx, &users, `SELECT `+profileColumns+` FROM {users} WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	return users, err
}

// UpdateProfile sets the user's name and metadata, each unless it is not
// Valid, and returns the profile as it is now.
func (s *Store) UpdateProfile(ctx context.Context, id int64, name, metadata sql.NullString) (Profile, error) {
	var p Profile
	err := s.get(ctx, &p, `
		UPDATE {users} SET name = coalesce($2, name), metadata = coalesce($3::jsonb, metadata)
		WHERE id = $1 RETURNING `+profileColumns, id, name, metadata)
	return p, err
}
