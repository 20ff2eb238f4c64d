-- Routine hygiene and supplies.
CREATE TABLE IF NOT EXISTS disinfection_rounds (
    round_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    done_by TEXT NOT NULL,
    agent TEXT NOT NULL,
    done_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS disinfection_rounds_zone ON disinfection_rounds (site_id, zone_id, done_at);

CREATE TABLE IF NOT EXISTS supplies (
    site_id TEXT NOT NULL,
    supply TEXT NOT NULL,
    on_hand BIGINT NOT NULL,
    PRIMARY KEY (site_id, supply)
);

CREATE TABLE IF NOT EXISTS stock_movements (
    movement_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    supply TEXT NOT NULL,
    delta BIGINT NOT NULL,
    note TEXT NOT NULL,
    moved_by TEXT NOT NULL,
    moved_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS thermometers (
    site_id TEXT NOT NULL,
    thermometer_id TEXT NOT NULL,
    working BIGINT NOT NULL,
    note TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, thermometer_id)
);

-- Overdue tasks are announced on the duty-desk feed once.
ALTER TABLE tasks ADD COLUMN overdue_announced BIGINT NOT NULL DEFAULT 0;
