-- +goose Up
-- Anonymous users (SEC-A1): accounts with no email address yet, made by
-- "try as guest" and upgraded in place by a registration. Their email is
-- empty and their email_key NULL, so the case-insensitive uniqueness of
-- addresses holds among the other users only.
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS anonymous BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX IF NOT EXISTS authkit_users_email_named_key ON authkit_users (lower(email)) WHERE NOT anonymous;
DROP INDEX IF EXISTS authkit_users_email_key;
-- The purge of anonymous users not seen for the retention period.
CREATE INDEX IF NOT EXISTS authkit_users_anonymous_idx ON authkit_users (coalesce(last_login_at, registered_at)) WHERE anonymous;
