-- Books an operator can charge real money with: what is due is recorded per billing
-- period when the period is added (with the plan, price and currency of that moment);
-- payments keep their own currency, refunds are recorded, and financial rows outlive
-- the user they belong to.

-- Who a deleted user was: usage, charges and payments keep their user id, and reports
-- name them through this table.
CREATE TABLE deleted_users (
    id         BIGINT PRIMARY KEY,
    username   TEXT NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per monthly billing period a subscription covers. Never updated once the
-- period has started: editing a plan changes only periods added later (or, for a plan
-- change, periods that have not started yet).
CREATE TABLE charges (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL,
    username     TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    plan_id      BIGINT REFERENCES plans (id),
    plan_name    TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (period_end > period_start),
    UNIQUE (user_id, period_start)
);
CREATE INDEX charges_period_start ON charges (period_start);

-- Existing subscriptions: one charge per monthly period of their current coverage, at
-- the plan's present price (the best that is known about them).
INSERT INTO charges (user_id, username, period_start, period_end, plan_id, plan_name, amount_minor, currency, created_at)
SELECT s.user_id, u.username, periods.period_start, periods.period_end, p.id, p.name, p.price_minor, p.currency, s.created_at
FROM subscriptions s
JOIN users u ON u.id = s.user_id
JOIN plans p ON p.id = s.plan_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN k = 0 THEN s.period_start ELSE boundary.day END AS period_start,
           LEAST(next_boundary.day, s.period_end) AS period_end
    FROM generate_series(0, 600) AS k
    CROSS JOIN LATERAL (
        SELECT make_date(EXTRACT(YEAR FROM m)::INT, EXTRACT(MONTH FROM m)::INT,
                         LEAST(s.anchor_day, EXTRACT(DAY FROM (m + INTERVAL '1 month' - INTERVAL '1 day'))::INT)) AS day
        FROM (SELECT date_trunc('month', s.period_start) + make_interval(months => k) AS m) month_k
    ) boundary
    CROSS JOIN LATERAL (
        SELECT make_date(EXTRACT(YEAR FROM m)::INT, EXTRACT(MONTH FROM m)::INT,
                         LEAST(s.anchor_day, EXTRACT(DAY FROM (m + INTERVAL '1 month' - INTERVAL '1 day'))::INT)) AS day
        FROM (SELECT date_trunc('month', s.period_start) + make_interval(months => k + 1) AS m) month_next
    ) next_boundary
) periods
WHERE periods.period_start < s.period_end AND periods.period_end > periods.period_start;

-- Payments keep the name of who paid and no longer disappear with the user; a
-- reference identifies one payment across all users.
ALTER TABLE payments ADD COLUMN username TEXT;
UPDATE payments p SET username = u.username FROM users u WHERE u.id = p.user_id;
ALTER TABLE payments ALTER COLUMN username SET NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_user_id_fkey;
UPDATE payments p SET reference = p.reference || '#' || p.id
WHERE EXISTS (SELECT 1 FROM payments q WHERE q.reference = p.reference AND q.id < p.id);
ALTER TABLE payments DROP CONSTRAINT payments_user_id_reference_key;
ALTER TABLE payments ADD CONSTRAINT payments_reference_key UNIQUE (reference);
CREATE INDEX payments_paid_at ON payments (paid_at);

-- Money given back, in the payment's currency; at most what was paid.
CREATE TABLE refunds (
    id           BIGSERIAL PRIMARY KEY,
    payment_id   BIGINT NOT NULL REFERENCES payments (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reason       TEXT,
    refunded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refunds_refunded_at ON refunds (refunded_at);
