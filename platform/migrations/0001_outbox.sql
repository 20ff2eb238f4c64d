-- The transactional outbox: cross-service calls written in the same transaction as the
-- change that causes them, delivered later by the outbox worker.
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    traceparent TEXT,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    delivered_at BIGINT,
    failed_at BIGINT
);
CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox (delivered_at, failed_at, created_at);
