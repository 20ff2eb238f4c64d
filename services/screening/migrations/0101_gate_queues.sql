-- The last queue position given per gate and local day. Taking the next position is one
-- upsert on this row, so concurrent check-ins at a gate wait for each other instead of
-- racing for MAX(queue_position) + 1.
CREATE TABLE IF NOT EXISTS gate_queues (
    site_id TEXT NOT NULL,
    gate_id TEXT NOT NULL,
    local_day BIGINT NOT NULL,
    last_position BIGINT NOT NULL,
    PRIMARY KEY (site_id, gate_id, local_day)
);
