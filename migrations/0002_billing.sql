-- Plans, monthly subscriptions, payments and metered usage.

CREATE TABLE plans (
    id                        BIGSERIAL PRIMARY KEY,
    name                      TEXT NOT NULL UNIQUE,
    price_minor               BIGINT NOT NULL CHECK (price_minor >= 0),
    currency                  TEXT NOT NULL,
    monthly_quota_bytes       BIGINT NOT NULL CHECK (monthly_quota_bytes >= 0),
    requests_per_minute       INTEGER NOT NULL CHECK (requests_per_minute > 0),
    manifest_pulls_per_window INTEGER NOT NULL CHECK (manifest_pulls_per_window > 0),
    manifest_window_seconds   INTEGER NOT NULL CHECK (manifest_window_seconds > 0),
    max_concurrent_downloads  INTEGER NOT NULL CHECK (max_concurrent_downloads > 0),
    max_client_ips_per_day    INTEGER NOT NULL CHECK (max_client_ips_per_day > 0),
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO plans (name, price_minor, currency, monthly_quota_bytes, requests_per_minute,
                   manifest_pulls_per_window, manifest_window_seconds, max_concurrent_downloads, max_client_ips_per_day)
VALUES ('basic', 300, 'CNY', 50::BIGINT * 1024 * 1024 * 1024, 600, 200, 21600, 4, 3),
       ('pro', 1500, 'CNY', 500::BIGINT * 1024 * 1024 * 1024, 3000, 2000, 21600, 16, 10);

-- One current subscription per user. Periods are calendar months in the operator's
-- time zone: they end on `anchor_day` (clamped to the month's length), exclusive.
CREATE TABLE subscriptions (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    plan_id      BIGINT NOT NULL REFERENCES plans (id),
    anchor_day   INTEGER NOT NULL CHECK (anchor_day BETWEEN 1 AND 31),
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    cancelled_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (period_end > period_start)
);

-- `reference` makes recording a payment idempotent.
CREATE TABLE payments (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    months       INTEGER NOT NULL CHECK (months > 0),
    paid_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, reference)
);

-- Usage, rolled up per day (operator time zone), user, upstream and repository.
CREATE TABLE usage_daily (
    day            DATE NOT NULL,
    user_id        BIGINT NOT NULL,
    upstream       TEXT NOT NULL,
    repository     TEXT NOT NULL,
    requests       BIGINT NOT NULL DEFAULT 0,
    manifest_pulls BIGINT NOT NULL DEFAULT 0,
    blob_pulls     BIGINT NOT NULL DEFAULT 0,
    bytes_served   BIGINT NOT NULL DEFAULT 0,
    hit_bytes      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id, upstream, repository)
);
CREATE INDEX usage_daily_user_day ON usage_daily (user_id, day);

-- Distinct client addresses per user and day (the sharing limit).
CREATE TABLE usage_client_addresses (
    day     DATE NOT NULL,
    user_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (day, user_id, address)
);

-- Bytes fetched from each upstream per day (cache fills), for "bytes saved".
CREATE TABLE upstream_daily (
    day      DATE NOT NULL,
    upstream TEXT NOT NULL,
    bytes    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, upstream)
);

-- Every flushed batch of usage, so a retried or replayed flush is applied once.
CREATE TABLE usage_batches (
    batch_id   UUID PRIMARY KEY,
    flushed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
