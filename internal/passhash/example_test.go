package passhash_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/authkit/authkit/internal/passhash"
)

// Example shows a login that upgrades a legacy bcrypt hash to argon2id, and
// one for an unknown account that costs the same as a wrong password.
func Example() {
	ctx := context.Background()
	h, err := passhash.New(passhash.DefaultParams, 0)
	if err != nil {
		log.Fatal(err)
	}

	// The account row holds a bcrypt hash from the system this one replaced
	// (cost 4 keeps the example fast).
	stored := "$2a$04$n4xPphDtzdkHsFAMCuYdeeuTYHOMu9cfyZojkHoDK6CBA7dWyHCL6"
	ok, needsRehash, err := h.Verify(ctx, stored, "correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	if ok && needsRehash {
		// The password is known to be right only now: store its new hash.
		if stored, err = h.Hash(ctx, "correct horse battery staple"); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(ok, needsRehash, strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$"))

	// No account has this email: do the same work, then give the same answer.
	if err := h.VerifyDummy(ctx, "guess"); err != nil {
		log.Fatal(err)
	}
	// Output: true true true
}
