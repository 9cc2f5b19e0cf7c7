-- authkit schema for PostgreSQL, generated from migrations/*.sql by
-- go generate ./sqlschema. Do not edit: add a migration instead.
--
-- Apply it to your database with
--     psql "$DATABASE_URL" -f sqlschema/postgres.sql
-- or from Go with sqlschema.Apply, which runs only the migrations a
-- database lacks. Every statement is idempotent, so running the file again
-- (for example after upgrading authkit) only adds what is missing. Table
-- and index names start with the default prefix "authkit_"; sqlschema.Apply
-- substitutes Config.TablePrefix for it.

-- The migrations that have run.
CREATE TABLE IF NOT EXISTS authkit_schema_version (
    version    INT PRIMARY KEY,
    name       TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Migration 0001_initial.sql
-- Users. The email is unique case-insensitively; session_epoch is bumped to
-- revoke every session of the user at once (logout everywhere, bans,
-- password changes), including sessions that are in flight.
CREATE TABLE IF NOT EXISTS authkit_users (
    id             BIGSERIAL PRIMARY KEY,
    email          TEXT        NOT NULL,
    password_hash  TEXT        NOT NULL,
    verified       BOOLEAN     NOT NULL DEFAULT FALSE,
    status         SMALLINT    NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
    roles          TEXT[]      NOT NULL DEFAULT '{}',
    session_epoch  BIGINT      NOT NULL DEFAULT 0,
    resettable     BOOLEAN     NOT NULL DEFAULT TRUE,
    registered_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS authkit_users_email_key ON authkit_users (lower(email));

-- Sessions, in the layout of github.com/alexedwards/scs/postgresstore.
CREATE TABLE IF NOT EXISTS authkit_sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA       NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_sessions_expiry_idx ON authkit_sessions (expiry);

-- The live sessions of each user, so that one user's sessions can be found
-- and deleted without reading every session. token is the key the session
-- store uses (a SHA-256 of the cookie value).
CREATE TABLE IF NOT EXISTS authkit_user_sessions (
    token      TEXT PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ip         TEXT        NOT NULL DEFAULT '',
    user_agent TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS authkit_user_sessions_user_idx ON authkit_user_sessions (user_id);
CREATE INDEX IF NOT EXISTS authkit_user_sessions_expires_idx ON authkit_user_sessions (expires_at);

-- Split tokens mailed to users (email confirmation, password reset, email
-- change). Only a SHA-256 of the secret half is stored.
CREATE TABLE IF NOT EXISTS authkit_email_tokens (
    selector       TEXT PRIMARY KEY,
    validator_hash BYTEA       NOT NULL,
    user_id        BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    purpose        TEXT        NOT NULL,
    email          TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_email_tokens_user_idx ON authkit_email_tokens (user_id, purpose);
CREATE INDEX IF NOT EXISTS authkit_email_tokens_expires_idx ON authkit_email_tokens (expires_at);

-- The audit log of authentication events. user_id has no foreign key so the
-- history of a deleted account survives it.
CREATE TABLE IF NOT EXISTS authkit_audit (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    event      TEXT        NOT NULL,
    outcome    TEXT        NOT NULL,
    user_id    BIGINT,
    actor_id   BIGINT,
    ip         TEXT        NOT NULL DEFAULT '',
    user_agent TEXT        NOT NULL DEFAULT '',
    detail     TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS authkit_audit_at_idx ON authkit_audit (at);
CREATE INDEX IF NOT EXISTS authkit_audit_user_idx ON authkit_audit (user_id, at);

-- Remember-me tokens, one per remembered device. Only SHA-256 hashes of
-- the validators are stored. After a rotation the previous validator stays
-- valid until grace_until, so requests racing with the same cookie all
-- succeed.
CREATE TABLE IF NOT EXISTS authkit_remembers (
    selector       TEXT PRIMARY KEY,
    validator_hash BYTEA       NOT NULL,
    previous_hash  BYTEA,
    grace_until    TIMESTAMPTZ,
    user_id        BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_remembers_user_idx ON authkit_remembers (user_id);
CREATE INDEX IF NOT EXISTS authkit_remembers_expires_idx ON authkit_remembers (expires_at);

-- Second factors enabled per user. method is twofactor.Method (1 TOTP,
-- 2 email, 3 SMS). A factor counts only once verified. secret is the TOTP
-- secret, sealed with Config.EncryptionKey when one is set; last_step is
-- the last accepted TOTP time step, so a code is accepted once.
CREATE TABLE IF NOT EXISTS authkit_second_factors (
    user_id    BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    method     SMALLINT    NOT NULL,
    verified   BOOLEAN     NOT NULL DEFAULT FALSE,
    contact    TEXT        NOT NULL DEFAULT '',
    secret     BYTEA,
    encrypted  BOOLEAN     NOT NULL DEFAULT FALSE,
    last_step  BIGINT      NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, method)
);

-- Logins waiting for their second factor. The session names the attempt;
-- the counters live here so that parallel requests cannot share out more
-- guesses than allowed.
CREATE TABLE IF NOT EXISTS authkit_two_factor_attempts (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    remember     BOOLEAN     NOT NULL,
    failures     INT         NOT NULL DEFAULT 0,
    verified     BOOLEAN     NOT NULL DEFAULT FALSE,
    sends        INT         NOT NULL DEFAULT 0,
    last_send_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_two_factor_attempts_user_idx ON authkit_two_factor_attempts (user_id);
CREATE INDEX IF NOT EXISTS authkit_two_factor_attempts_expires_idx ON authkit_two_factor_attempts (expires_at);

-- One-time codes sent by email or SMS, hashed and bound to what they were
-- sent for (a login attempt, or enabling the factor).
CREATE TABLE IF NOT EXISTS authkit_otp_codes (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    method     SMALLINT    NOT NULL,
    binding    TEXT        NOT NULL,
    code_hash  BYTEA       NOT NULL,
    contact    TEXT        NOT NULL DEFAULT '',
    failures   INT         NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_otp_codes_binding_idx ON authkit_otp_codes (binding, method);
CREATE INDEX IF NOT EXISTS authkit_otp_codes_expires_idx ON authkit_otp_codes (expires_at);

-- Backup codes; each works once. They have 50 bits, below NIST's 112, so
-- they are stored as argon2id keys under a random salt shared by the
-- user's set (sharing it lets a code be found by its key).
CREATE TABLE IF NOT EXISTS authkit_backup_codes (
    user_id   BIGINT NOT NULL REFERENCES authkit_users (id) ON DELETE CASCADE,
    code_hash BYTEA  NOT NULL,
    salt      BYTEA  NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Token buckets of the throttles, shared by every app instance. key names
-- the bucket (for example a login per account or per client IP); tokens
-- is what was left at updated_at.
CREATE TABLE IF NOT EXISTS authkit_throttles (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ      NOT NULL,
    full_at    TIMESTAMPTZ      NOT NULL
);
CREATE INDEX IF NOT EXISTS authkit_throttles_full_idx ON authkit_throttles (full_at);

-- Migration 0002_session_core.sql
-- The session core: every session, remember-me token, pending second
-- factor and mailed reset or email-change token records the user's
-- session_epoch (the revocation counter) it was created under. A row whose
-- epoch is no longer the user's is dead, so a revocation that bumps the
-- epoch wins even against a login that was in flight while it ran. Each
-- statement can run again without effect, so postgres.sql stays
-- idempotent.

-- Sessions kept by authkit's own store name their user. Only a session
-- whose index entry (below) is current is ever found or written back.
ALTER TABLE authkit_sessions ADD COLUMN IF NOT EXISTS user_id BIGINT REFERENCES authkit_users (id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS authkit_sessions_user_idx ON authkit_sessions (user_id) WHERE user_id IS NOT NULL;

ALTER TABLE authkit_user_sessions ADD COLUMN IF NOT EXISTS epoch BIGINT;
UPDATE authkit_user_sessions us SET epoch = u.session_epoch
    FROM authkit_users u WHERE u.id = us.user_id AND us.epoch IS NULL;
ALTER TABLE authkit_user_sessions ALTER COLUMN epoch SET NOT NULL;
UPDATE authkit_sessions s SET user_id = us.user_id
    FROM authkit_user_sessions us WHERE us.token = s.token AND s.user_id IS NULL;

-- The remember-me token a session came from (or issued), so that theft
-- detection can end exactly the sessions of that token.
ALTER TABLE authkit_user_sessions ADD COLUMN IF NOT EXISTS remember_selector TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS authkit_user_sessions_remember_idx
    ON authkit_user_sessions (remember_selector) WHERE remember_selector <> '';

ALTER TABLE authkit_remembers ADD COLUMN IF NOT EXISTS epoch BIGINT;
UPDATE authkit_remembers r SET epoch = u.session_epoch
    FROM authkit_users u WHERE u.id = r.user_id AND r.epoch IS NULL;
ALTER TABLE authkit_remembers ALTER COLUMN epoch SET NOT NULL;

ALTER TABLE authkit_two_factor_attempts ADD COLUMN IF NOT EXISTS epoch BIGINT;
UPDATE authkit_two_factor_attempts a SET epoch = u.session_epoch
    FROM authkit_users u WHERE u.id = a.user_id AND a.epoch IS NULL;
ALTER TABLE authkit_two_factor_attempts ALTER COLUMN epoch SET NOT NULL;

ALTER TABLE authkit_email_tokens ADD COLUMN IF NOT EXISTS epoch BIGINT;
UPDATE authkit_email_tokens t SET epoch = u.session_epoch
    FROM authkit_users u WHERE u.id = t.user_id AND t.epoch IS NULL;
ALTER TABLE authkit_email_tokens ALTER COLUMN epoch SET NOT NULL;

-- One-time codes are deleted with the user's other pending state when the
-- user's sessions are revoked.
CREATE INDEX IF NOT EXISTS authkit_otp_codes_user_idx ON authkit_otp_codes (user_id);

-- Migration 0003_devices_api_keys.sql
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

-- Migration 0004_user_profile.sql
-- The user profile: a display name and app-defined JSON metadata (an
-- object, bounded in size by authkit before it is written).
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '';
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS metadata JSONB NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(metadata) = 'object');

-- Migration 0005_identities.sql
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

-- Migration 0006_hardening.sql
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

-- Migration 0007_tokens.sql
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

-- Migration 0008_passkeys.sql
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

-- Migration 0009_anonymous.sql
-- Anonymous users (SEC-A1): accounts with no email address yet, made by
-- "try as guest" and upgraded in place by a registration. Their email is
-- empty and their email_key NULL, so the case-insensitive uniqueness of
-- addresses holds among the other users only.
ALTER TABLE authkit_users ADD COLUMN IF NOT EXISTS anonymous BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX IF NOT EXISTS authkit_users_email_named_key ON authkit_users (lower(email)) WHERE NOT anonymous;
DROP INDEX IF EXISTS authkit_users_email_key;
-- The purge of anonymous users not seen for the retention period.
CREATE INDEX IF NOT EXISTS authkit_users_anonymous_idx ON authkit_users (coalesce(last_login_at, registered_at)) WHERE anonymous;

-- Record the migrations above as applied.
INSERT INTO authkit_schema_version (version, name) VALUES
    (1, 'initial'),
    (2, 'session_core'),
    (3, 'devices_api_keys'),
    (4, 'user_profile'),
    (5, 'identities'),
    (6, 'hardening'),
    (7, 'tokens'),
    (8, 'passkeys'),
    (9, 'anonymous')
ON CONFLICT (version) DO NOTHING;
