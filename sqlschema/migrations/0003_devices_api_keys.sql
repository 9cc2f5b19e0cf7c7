-- +goose Up
-- Devices: each session's index entry gets an opaque public id (never its
-- token or store key), when it was last seen, and whether it was restored
-- from a remember-me cookie, so a user can see and end each session.
ALTER TABLE authkit_user_sessions ADD COLUMN IF NOT EXISTS id TEXT;
UPDATE authkit_user_sessions SET id = replace(gen_random_uuid()::text, '-', '') WHERE id IS NULL;
ALTER TABLE authkit_user_sessions ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS authkit_user_sessions_id_key ON authkit_user_sessions (id);

ALTER TABLE authkit_user_sessions ADD COLUMN IF NOT EXISTS last_seen_at TIMESTAMPTZ;
UPDATE authkit_user_sessions SET last_seen_at = created_at WHERE last_seen_at IS NULL;
ALTER TABLE authkit_user_sessions ALTER COLUMN last_seen_at SET NOT NULL;

ALTER TABLE authkit_user_sessions ADD COLUMN IF NOT EXISTS remembered BOOLEAN NOT NULL DEFAULT FALSE;

-- API keys (personal access tokens). The secret half is only stored as a
-- SHA-256 (it has 256 bits, so a fast hash is enough); selector is the
-- public part the key is found by. epoch is the user's revocation counter
-- when the key was made: a revocation kills the user's keys.
CREATE TABLE IF NOT EXISTS authkit_api_keys (
    id           TEXT PRIMARY KEY,
    selector     TEXT        NOT NULL UNIQUE,
    secret_hash  BYTEA       NOT NULL,
    user_id      BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    epoch        BIGINT      NOT NULL,
    name         TEXT        NOT NULL,
    scopes       TEXT[]      NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS authkit_api_keys_user_idx ON authkit_api_keys (user_id);
