package authkit

import (
	"context"
	"crypto/hmac"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
	"github.com/authkit/authkit/twofactor"
)

// How one-time codes (sent by email or SMS, for a login or to turn a
// factor on) are hashed for storage. A six-digit code has only 10^6
// values, so a hash whose key sits beside it in the database gives the
// code away to anyone who can read the database. authkit keys the hash
// with a secret the database does not hold:
//
//   - with Config.EncryptionKey set, an HMAC-SHA256 under a key derived
//     from it: reading the database reveals nothing about the codes;
//   - without one, argon2id (the password hasher's parameters) under a
//     random salt per code: there is no secret to key an HMAC with that
//     every app instance shares and the database does not hold, so each
//     guess is made expensive instead. Trying all 10^6 codes then costs
//     about a million argon2id hashes (hours of one core) within the code's
//     ten minutes, and each check of a code costs the server one hash,
//     which the code-entry throttles bound. Set an EncryptionKey.
//
// Codes stored by a release before this one (scheme "") are SHA-256 keyed
// by their binding, and still verify during their ten minutes.
const (
	codeSchemeSHA256   = ""
	codeSchemeHMAC     = "hmac-sha256"
	codeSchemeArgon2id = "argon2id"
)

// hashNewCode hashes a new code bound to binding for storage, under the
// scheme the configuration calls for.
func (k *Kit) hashNewCode(ctx context.Context, binding, code string) (c store.OTPCode, err error) {
	if key := k.derivedKey(keyPurposeCodes); key != nil {
		return store.OTPCode{Scheme: codeSchemeHMAC, CodeHash: twofactor.HashCodeKeyed(key, binding, code)}, nil
	}
	salt := token.Bytes(16)
	hash, err := k.hasher.Key(ctx, codeSecret(binding, code), salt)
	if err != nil {
		return store.OTPCode{}, k.hashError(err)
	}
	return store.OTPCode{Scheme: codeSchemeArgon2id, Salt: salt, CodeHash: hash}, nil
}

// codeMatches reports whether code, bound to binding, is the stored code
// c. A code stored under a scheme this Kit cannot check (an HMAC with no
// EncryptionKey configured now) matches nothing.
func (k *Kit) codeMatches(ctx context.Context, binding, code string, c store.SentCode) (bool, error) {
	var want []byte
	switch c.Scheme {
	case codeSchemeHMAC:
		key := k.derivedKey(keyPurposeCodes)
		if key == nil {
			return false, nil
		}
		want = twofactor.HashCodeKeyed(key, binding, code)
	case codeSchemeArgon2id:
		h, err := k.hasher.Key(ctx, codeSecret(binding, code), c.Salt)
		if err != nil {
			return false, k.hashError(err)
		}
		want = h
	case codeSchemeSHA256:
		want = twofactor.HashCode(binding, code)
	default:
		return false, nil
	}
	return hmac.Equal(want, c.CodeHash), nil
}

// codeSecret is what argon2id hashes for a code: the code with its
// binding, so that a hash copied to another row never matches.
func codeSecret(binding, code string) string { return binding + "\x00" + code }

// matchSentCode finds the code among sent that code is, and uses it up:
// it reports false when none is, or when a concurrent request used it
// first.
func (k *Kit) matchSentCode(ctx context.Context, binding, code string, sent []store.SentCode) (store.SentCode, bool, error) {
	for _, c := range sent {
		ok, err := k.codeMatches(ctx, binding, code, c)
		if err != nil {
			return c, false, err
		}
		if !ok {
			continue
		}
		consumed, err := k.store.ConsumeOTPCode(ctx, c.ID, c.CodeHash)
		if err != nil {
			return c, false, unavailable("use code", err)
		}
		return c, consumed, nil
	}
	return store.SentCode{}, false, nil
}
