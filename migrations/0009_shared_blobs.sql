-- The cache's second level (an S3 bucket every server shares): which blobs it holds.
-- A row exists only for a blob whose upload completed after its digest was verified,
-- so nothing depends on listing the bucket.
CREATE TABLE shared_blobs (
    digest      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL CHECK (size >= 0),
    stored_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_access TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shared_blobs_last_access ON shared_blobs (last_access);

-- Work one server of the fleet does at a time (evicting the shared store), held by a
-- lease that its holder renews and others may take once it expired.
CREATE TABLE singleton_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
