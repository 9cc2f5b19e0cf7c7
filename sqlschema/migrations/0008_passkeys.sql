-- +goose Up
-- Passkeys (package passkey): WebAuthn credentials for passwordless
-- login, as a second factor and for reauthentication.

-- The WebAuthn user handle of each user who has registered a passkey: 64
-- random bytes made once per user, never derived from the user id, so that
-- an authenticator learns nothing about the account from it. A
-- discoverable credential hands it back at login to name its user.
CREATE TABLE IF NOT EXISTS authkit_passkey_users (
    user_id    BIGINT      PRIMARY KEY REFERENCES authkit_users (id) ON DELETE CASCADE,
    handle     BYTEA       NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

-- The passkeys. id is the public name of a passkey (for renaming and
-- removing it); credential_id is the authenticator's. public_key is the
-- COSE key that checks the passkey's signatures. sign_count is the highest
-- signature counter seen; backup_eligible and backup_state are the BE and
-- BS flags of the last ceremony (a synced passkey has BE set), and
-- clone_warning records a counter that went backwards on a passkey that is
-- not synced. last_challenge is a SHA-256 of the challenge the passkey
-- last answered: the same answer twice, even in two racing requests, is
-- accepted once.
CREATE TABLE IF NOT EXISTS authkit_passkeys (
    id                 TEXT        PRIMARY KEY,
    credential_id      BYTEA       NOT NULL UNIQUE,
    user_id            BIGINT      NOT NULL REFERENCES authkit_passkey_users (user_id) ON DELETE CASCADE,
    public_key         BYTEA       NOT NULL,
    attestation_format TEXT        NOT NULL DEFAULT '',
    sign_count         BIGINT      NOT NULL DEFAULT 0,
    transports         TEXT[]      NOT NULL DEFAULT '{}',
    user_verified      BOOLEAN     NOT NULL DEFAULT FALSE,
    backup_eligible    BOOLEAN     NOT NULL DEFAULT FALSE,
    backup_state       BOOLEAN     NOT NULL DEFAULT FALSE,
    clone_warning      BOOLEAN     NOT NULL DEFAULT FALSE,
    aaguid             BYTEA       NOT NULL,
    name               TEXT        NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    last_used_at       TIMESTAMPTZ,
    last_challenge     BYTEA
);
CREATE INDEX IF NOT EXISTS authkit_passkeys_user_idx ON authkit_passkeys (user_id);
