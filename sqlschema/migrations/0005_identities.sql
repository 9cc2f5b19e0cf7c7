-- +goose Up
-- Sign-in with OAuth 2.0 and OpenID Connect providers (package oauth).

-- The provider accounts linked to each user. An account at a provider is
-- known by its provider and subject (the provider's stable id for it),
-- never by its email address: email is only what the provider said last,
-- and email_verified whether it vouched for it.
CREATE TABLE IF NOT EXISTS authkit_identities (
    provider       TEXT        NOT NULL,
    subject        TEXT        NOT NULL,
    user_id        BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    email          TEXT        NOT NULL DEFAULT '',
    email_verified BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    last_login_at  TIMESTAMPTZ,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX IF NOT EXISTS authkit_identities_user_idx ON authkit_identities (user_id);

-- The tokens a provider issued at a user's sign-in, kept for the app when
-- it asks for them, sealed with Config.EncryptionKey. The access token is
-- handed to the app once (then NULL); the refresh token stays to get new
-- ones. Like every credential, a row is valid only while epoch is still
-- the user's session_epoch, and revocations delete the user's rows.
CREATE TABLE IF NOT EXISTS authkit_provider_tokens (
    provider      TEXT        NOT NULL,
    subject       TEXT        NOT NULL,
    user_id       BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    epoch         BIGINT      NOT NULL,
    access_token  BYTEA,
    refresh_token BYTEA,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject),
    FOREIGN KEY (provider, subject) REFERENCES authkit_identities (provider, subject) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS authkit_provider_tokens_user_idx ON authkit_provider_tokens (user_id);
