-- Entrance thermometers' working status as the incident service's hygiene desk has it
-- (through its outbox), and the readings refused because theirs was reported broken
-- (no person: the reading only, kept as the gate statistics' untrusted readings).
CREATE TABLE IF NOT EXISTS thermometer_status (
    site_id TEXT NOT NULL,
    thermometer_id TEXT NOT NULL,
    working BIGINT NOT NULL,
    note TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, thermometer_id)
);
CREATE TABLE IF NOT EXISTS untrusted_readings (
    idempotency_key TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    gate_id TEXT NOT NULL,
    thermometer_id TEXT NOT NULL,
    temperature_celsius DOUBLE PRECISION NOT NULL,
    read_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS untrusted_readings_site_time ON untrusted_readings (site_id, read_at);
