-- Which request each client idempotency key was first answered for: a key is scoped to
-- its caller and place (gate or hall), and a second request with the same key but a
-- different body is refused instead of getting the first one's answer.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scoped_key TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_age ON idempotency_keys (site_id, created_at);
