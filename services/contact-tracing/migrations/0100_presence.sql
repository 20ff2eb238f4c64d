-- Presence intervals as ingested; the in-memory co-presence graph is rebuilt from here
-- at start. One row per source event: a repeated event is ignored.
CREATE TABLE IF NOT EXISTS presence (
    source_event_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    place_kind TEXT NOT NULL,
    place_id TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT,
    queue_position BIGINT NOT NULL,
    ingested_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_start ON presence (start_ms);
