-- Credentials that can be revoked within seconds, and refresh tokens that are kept
-- (docker reuses its login's token forever) rather than rotated.

-- Counts password changes. Bearer tokens and refresh tokens carry the epoch they were
-- issued under; a password change advances it and so ends them.
ALTER TABLE users ADD COLUMN password_epoch INTEGER NOT NULL DEFAULT 0;

ALTER TABLE refresh_tokens
    ADD COLUMN last_used_at      TIMESTAMPTZ,
    ADD COLUMN last_used_address TEXT,
    ADD COLUMN use_count         BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN password_epoch    INTEGER NOT NULL DEFAULT 0;

-- Replacements issued by the old rotation scheme were never stored by docker: they are
-- live credentials nobody holds. Retire them.
UPDATE refresh_tokens SET revoked_at = now() WHERE parent_id IS NOT NULL AND revoked_at IS NULL;

CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
