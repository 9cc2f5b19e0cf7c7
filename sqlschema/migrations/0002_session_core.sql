-- +goose Up
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
