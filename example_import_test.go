package authkit_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
)

// This example moves the users of a Django app into authkit with the
// password hashes they have, so nobody has to reset a password: each
// user's first login verifies the old hash and replaces it with argon2id.
func ExampleAdmin_ImportUser() {
	ctx := context.Background()
	var kit *authkit.Kit // from authkit.New
	old := sqlx.MustConnect("postgres", "postgres:///django_app")

	var users []struct {
		Email    string    `db:"email"`
		Password string    `db:"password"` // pbkdf2_sha256$1000000$...
		Joined   time.Time `db:"date_joined"`
		IsStaff  bool      `db:"is_staff"`
	}
	if err := old.SelectContext(ctx, &users, "SELECT email, password, date_joined, is_staff FROM auth_user WHERE is_active"); err != nil {
		log.Fatal(err)
	}
	for _, u := range users {
		var roles []string
		if u.IsStaff {
			roles = append(roles, "admin")
		}
		_, err := kit.Admin().ImportUser(ctx, authkit.ImportedUser{
			Email:        u.Email,
			PasswordHash: u.Password,
			Verified:     true, // Django does not track it; this app confirmed every address
			Roles:        roles,
			CreatedAt:    u.Joined,
		})
		switch {
		case errors.Is(err, authkit.ErrEmailTaken):
			log.Printf("%s: another account has this address (imported before, or a duplicate in Django)", u.Email)
		case errors.Is(err, authkit.ErrUnsupportedHash), errors.Is(err, authkit.ErrInvalidEmail):
			log.Printf("%s: not imported: %v", u.Email, err)
		case err != nil:
			log.Fatal(err)
		}
	}
}
