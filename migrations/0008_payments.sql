-- Payments that record themselves (orders, signed provider notifications kept in an
-- inbox) and the money findings B1-B13 of the 2026-12-04 billing review.

-- B4: the billing time zone and grace days, stored once. `ferry serve` writes them from
-- its configuration at start-up (and `ferry migrate` when they are configured); every
-- other `ferry` command reads them, so the CLI and the server agree on the day.
CREATE TABLE billing_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    time_zone  TEXT NOT NULL,
    grace_days INTEGER NOT NULL CHECK (grace_days BETWEEN 0 AND 60),
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- B5, B11: a period is sold with the plan's limits of that moment, frozen with its
-- price: editing a plan changes only periods charged later, and a report judges a
-- month by the limits of that month. Existing charges get the plan's present limits
-- (the best that is known about them).
ALTER TABLE charges
    ADD COLUMN monthly_quota_bytes       BIGINT,
    ADD COLUMN requests_per_minute       INTEGER,
    ADD COLUMN manifest_pulls_per_window INTEGER,
    ADD COLUMN manifest_window_seconds   INTEGER,
    ADD COLUMN max_concurrent_downloads  INTEGER,
    ADD COLUMN max_client_ips_per_day    INTEGER,
    -- B3: a period given back (the subscription was ended before it started): kept in
    -- the books, no longer due.
    ADD COLUMN voided_at                 TIMESTAMPTZ;
UPDATE charges c SET monthly_quota_bytes = p.monthly_quota_bytes, requests_per_minute = p.requests_per_minute,
    manifest_pulls_per_window = p.manifest_pulls_per_window, manifest_window_seconds = p.manifest_window_seconds,
    max_concurrent_downloads = p.max_concurrent_downloads, max_client_ips_per_day = p.max_client_ips_per_day
FROM plans p WHERE p.id = c.plan_id;

-- B3: a subscription ended on the day it started has no time left (and no periods).
ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_period_check CHECK (period_end >= period_start);
CREATE INDEX subscriptions_period_end ON subscriptions (period_end);

-- A subscriber's order: plan, months, amount and currency frozen when the Renew or
-- Switch button was pressed. `order_number` is what the provider echoes back (Alipay
-- `out_trade_no`, Stripe `client_reference_id`). Orders stay after a user is deleted.
CREATE TABLE orders (
    id           BIGSERIAL PRIMARY KEY,
    order_number TEXT NOT NULL UNIQUE CHECK (order_number ~ '^[A-Za-z0-9_]{1,64}$'),
    user_id      BIGINT NOT NULL,
    username     TEXT NOT NULL,
    plan_id      BIGINT NOT NULL REFERENCES plans (id),
    plan_name    TEXT NOT NULL,
    months       INTEGER NOT NULL CHECK (months BETWEEN 1 AND 120),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    provider     TEXT NOT NULL CHECK (provider IN ('alipay', 'stripe')),
    status       TEXT NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'closed')),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    paid_at      TIMESTAMPTZ,
    payment_id   BIGINT REFERENCES payments (id)
);
CREATE INDEX orders_user ON orders (user_id, created_at);

-- Who recorded a payment (an admin, `ferry-cli`, or the provider), through which
-- provider and order, and the paid time it added to the subscription (the receipt's
-- "period covered").
ALTER TABLE payments
    ADD COLUMN provider    TEXT,
    ADD COLUMN order_id    BIGINT REFERENCES orders (id),
    ADD COLUMN recorded_by TEXT,
    ADD COLUMN covers_from DATE,
    ADD COLUMN covers_to   DATE;

-- B2: every refund has its own reference: running the same refund again changes
-- nothing (as Alipay keys refunds on out_request_no). Earlier refunds get one.
ALTER TABLE refunds ADD COLUMN reference TEXT, ADD COLUMN recorded_by TEXT;
UPDATE refunds SET reference = 'refund-' || id;
ALTER TABLE refunds ALTER COLUMN reference SET NOT NULL;
ALTER TABLE refunds ADD CONSTRAINT refunds_reference_key UNIQUE (reference);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- The inbox: every authentic provider notification, as received (raw body, and the
-- Stripe-Signature header for a replay), once per provider and event id. What it did
-- is its outcome: applied; orphan (names no order Ferry knows); rejected (wrong
-- amount, currency or seller, or an order paid twice); waiting (a refund whose payment
-- has not arrived); ignored (an event that needs nothing, e.g. a trade still waiting
-- for the buyer). Nothing signed is ever dropped.
CREATE TABLE payment_events (
    id                   BIGSERIAL PRIMARY KEY,
    provider             TEXT NOT NULL CHECK (provider IN ('alipay', 'stripe')),
    event_id             TEXT NOT NULL,
    event_type           TEXT NOT NULL,
    kind                 TEXT CHECK (kind IN ('payment', 'refund', 'closed')),
    order_number         TEXT,
    trade_id             TEXT,
    amount_minor         BIGINT,
    currency             TEXT,
    refunded_total_minor BIGINT,
    paid_at              TIMESTAMPTZ,
    occurred_at          TIMESTAMPTZ,
    received_at          TIMESTAMPTZ NOT NULL,
    signature_header     TEXT,
    body                 BYTEA NOT NULL,
    deliveries           INTEGER NOT NULL DEFAULT 1,
    outcome              TEXT NOT NULL CHECK (outcome IN ('applied', 'orphan', 'rejected', 'waiting', 'ignored')),
    detail               TEXT NOT NULL DEFAULT '',
    payment_id           BIGINT REFERENCES payments (id),
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, event_id)
);
CREATE INDEX payment_events_attention ON payment_events (id) WHERE outcome IN ('orphan', 'rejected', 'waiting');
CREATE INDEX payment_events_trade ON payment_events (provider, trade_id);
