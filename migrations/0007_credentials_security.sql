-- Credentials that end together, expire and show their use, and the places a user's
-- password login succeeded from (security review 2026-12-04: S1, S5, S6, S11).

-- A docker login (refresh token) made with a personal access token ends with that
-- token: revoking or expiring the token ends the login and its bearer tokens. Logins
-- made before this migration are not attributed (the password made them, or a token
-- nobody recorded); `ferry token refresh revoke --all USER` ends them.
ALTER TABLE refresh_tokens ADD COLUMN access_token_id BIGINT REFERENCES access_tokens (id) ON DELETE CASCADE;
CREATE INDEX refresh_tokens_access_token ON refresh_tokens (access_token_id) WHERE access_token_id IS NOT NULL;

-- Mirror keys expire (portal-made ones after 90 days by default) and record where
-- they were last used, so a leaked key shows.
ALTER TABLE mirror_keys
    ADD COLUMN expires_at        TIMESTAMPTZ,
    ADD COLUMN last_used_address TEXT;

-- Where a password login succeeded: a client network ('net:203.0.113.7',
-- 'net:2001:db8:1:2::/64') or a browser's device cookie ('device:<sha-256 hex>').
-- Guesses from other places never lock the user out of these.
CREATE TABLE login_places (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    place           TEXT NOT NULL,
    last_success_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, place)
);
