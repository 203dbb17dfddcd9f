-- Request-rate buckets and manifest-pull windows that survive a restart, and retention
-- for the ids of applied usage batches.

-- Applied batch ids are pruned after a retention far longer than any retry (7 days);
-- the flush loop deletes by age. Ids older than that are removed here first, so the
-- index is built over what is kept (before this migration one row could be written
-- per few milliseconds under load).
DELETE FROM usage_batches WHERE flushed_at < now() - interval '7 days';
CREATE INDEX usage_batches_flushed_at ON usage_batches (flushed_at);

-- Each subscriber's request-rate token bucket and manifest-pull window, written back
-- by every server at most once per flush interval and read on a user's first request
-- after start-up, so a restart or deploy does not hand out full buckets and fresh
-- windows. Times come from the server's clock. window_start is NULL when no window is
-- open (window_count is then 0).
CREATE TABLE limit_windows (
    user_id           BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bucket_tokens     DOUBLE PRECISION NOT NULL,
    bucket_updated_at TIMESTAMPTZ NOT NULL,
    window_start      TIMESTAMPTZ,
    window_count      INTEGER NOT NULL DEFAULT 0 CHECK (window_count >= 0),
    updated_at        TIMESTAMPTZ NOT NULL
);
