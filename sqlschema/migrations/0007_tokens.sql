-- +goose Up
-- Package tokens: the keys that sign JWT access tokens, and the rotating
-- refresh tokens of mobile and API clients.

-- Ed25519 keys that sign access tokens, one signing at a time. A key is
-- published (in the JWKS and to every app instance) before signs_from, so
-- every verifier knows it before its first token; it signs until the next
-- key's signs_from, and its public half stays published until the last
-- token it signed has expired. private_key is the key's seed, sealed with
-- Config.EncryptionKey (XChaCha20-Poly1305, the kid as additional data).
CREATE TABLE IF NOT EXISTS authkit_signing_keys (
    kid         TEXT PRIMARY KEY,
    algorithm   TEXT        NOT NULL,
    public_key  BYTEA       NOT NULL,
    private_key BYTEA       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    signs_from  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS authkit_signing_keys_signs_from_key ON authkit_signing_keys (signs_from);

-- Refresh tokens: split tokens of which only a SHA-256 of the secret half
-- is stored. Each belongs to a family (one login of one client, bound to
-- its audience); using a token rotates it, and used_at starts its grace
-- window, after which presenting it again revokes the whole family. epoch
-- is the user's session_epoch the family was made under: a revocation
-- deletes the user's tokens and bumps the epoch, so a token written by a
-- refresh racing it is dead on arrival.
CREATE TABLE IF NOT EXISTS authkit_refresh_tokens (
    selector       TEXT PRIMARY KEY,
    validator_hash BYTEA       NOT NULL,
    family         TEXT        NOT NULL,
    user_id        BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    epoch          BIGINT      NOT NULL,
    audience       TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS authkit_refresh_tokens_user_idx ON authkit_refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS authkit_refresh_tokens_family_idx ON authkit_refresh_tokens (family);
CREATE INDEX IF NOT EXISTS authkit_refresh_tokens_expires_idx ON authkit_refresh_tokens (expires_at);
