-- The subscriber web portal: roles, server-side sessions and the audit log of admin
-- actions.

ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'subscriber' CHECK (role IN ('subscriber', 'admin'));

-- A signed-in browser. The cookie holds a random id; only its SHA-256 (hex) is kept.
CREATE TABLE portal_sessions (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash    TEXT NOT NULL UNIQUE,
    -- Every form of the session must echo this token (CSRF protection).
    csrf_token     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    user_agent     TEXT,
    client_address TEXT,
    -- The user's password epoch at sign-in: a password change ends the session even if
    -- a sign-in with the old password was still being checked while it happened.
    password_epoch INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- What admins did on the portal (and role changes from the CLI), newest last.
CREATE TABLE audit_log (
    id     BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_target ON audit_log (target);
