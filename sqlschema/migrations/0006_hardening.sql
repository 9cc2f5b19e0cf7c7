-- +goose Up
-- Case-insensitive uniqueness of email addresses for all of Unicode,
-- whatever the database's collation (SEC-I5). lower(email) follows the
-- collation: under the C locale it folds ASCII only, so "Émile@" and
-- "émile@" were two accounts. email_key is the address as authkit's Go
-- code folds it (NFKC, full Unicode case folding, NFKC again); every
-- lookup by address uses it, and its unique index decides races between
-- registrations.
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS email_key TEXT;

-- For an address of ASCII only the key is its ASCII lower case, which SQL
-- computes exactly under any collation with translate(). Other addresses
-- keep a NULL key here; authkit.New fills those in with the Go fold at
-- start-up, and until then lookups find them by lower(email) as before.
UPDATE authkit_users
    SET email_key = translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    WHERE email_key IS NULL AND octet_length(email) = char_length(email);
CREATE UNIQUE INDEX IF NOT EXISTS authkit_users_email_key_key ON authkit_users (email_key);
CREATE INDEX IF NOT EXISTS authkit_users_email_key_missing_idx ON authkit_users (id) WHERE email_key IS NULL;

-- Secrets the app instances share, made once at random: the key that signs
-- device cookies when Config.EncryptionKey is unset (with it set, the key
-- is derived from it and never stored).
CREATE TABLE IF NOT EXISTS authkit_secrets (
    name       TEXT PRIMARY KEY,
    value      BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One-time codes are hashed under a key that is not in the database:
-- HMAC-SHA256 under a key derived from Config.EncryptionKey, or, without
-- one, argon2id under the row's random salt. scheme says which; '' is the
-- SHA-256 of earlier releases, keyed by the binding stored beside it.
ALTER TABLE authkit_otp_codes ADD COLUMN IF NOT EXISTS scheme TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_otp_codes ADD COLUMN IF NOT EXISTS salt BYTEA;
