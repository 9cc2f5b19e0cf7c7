// Package passhash hashes and verifies passwords.
//
// New hashes are argon2id (SEC-P1), encoded as PHC strings that carry their
// own parameters:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// [Hasher.Verify] also accepts argon2id hashes made with other parameters,
// and the hashes of systems whose users are imported ([Check] lists them):
// bcrypt ($2a$, $2b$, $2y$), Django's pbkdf2_sha256 and Better Auth's
// scrypt. When it reports needsRehash the caller should store a fresh
// [Hasher.Hash] of the password it just verified, which moves the account to
// argon2id with the current parameters on its next login. Stored parameters
// that would make one verification take more than a few seconds are refused
// with [ErrCostTooHigh] (SEC-I7).
//
// Each argon2id run allocates its whole memory parameter, so a [Hasher] lets
// only a bounded number of runs proceed at once and makes the rest wait, and
// it refuses passwords longer than [MaxPasswordBytes] before doing any work
// (SEC-P4).
//
// A login for an unknown account should call [Hasher.VerifyDummy], which does
// the same work as a real verification, so response time does not reveal
// which accounts exist (SEC-E1).
//
//	h, err := passhash.New(passhash.DefaultParams, 0)
//	encoded, err := h.Hash(ctx, password)
//	ok, needsRehash, err := h.Verify(ctx, encoded, password)
package passhash
