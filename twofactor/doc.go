// Package twofactor holds the mechanisms of two-factor authentication that
// authkit builds its login flow on: TOTP for authenticator apps, one-time
// numeric codes sent by email or SMS, backup codes, hashing of codes for
// storage, encryption of TOTP secrets at rest and masking of contacts.
//
// The package keeps no state and touches no database: every function is a
// pure computation given a clock and crypto/rand, so the caller decides where
// secrets, hashes and the last accepted TOTP step live. It imports nothing
// from authkit itself.
//
// A typical enrolment creates a key with [NewTOTP], shows [TOTPQRCode] of its
// URI, stores the secret sealed with [Seal] and confirms the first code with
// [ValidateTOTP]. Later logins call [ValidateTOTP] with the stored last step,
// which refuses replays. Email and SMS codes come from [NewNumericCode] and
// are stored only as [HashCodeKeyed] (or [HashCode]) of their normalized
// form, checked after the user's input went through [NormalizeNumericCode].
// Backup codes come from [NewBackupCodes]; at 50 bits they need a slow,
// salted hash (NIST SP 800-63B asks for one below 112 bits), so authkit
// keeps them as argon2id keys under a random salt per set, after the user's
// input went through [NormalizeBackupCode].
//
// Errors never contain a code, a secret or a contact, so they are safe to
// log and to show.
package twofactor
