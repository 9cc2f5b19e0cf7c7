-- +goose Up
-- The user profile: a display name and app-defined JSON metadata (an
-- object, bounded in size by authkit before it is written).
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS metadata JSONB NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(metadata) = 'object');
