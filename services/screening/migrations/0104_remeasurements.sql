-- A suspected reading of a person already suspected at this hall that day is a
-- re-measurement of the first: it keeps the first one's queue place (so a queue place
-- is unique among first readings only) and is not counted again in the gate statistics.
-- SQLite cannot drop a table constraint, so the table is rebuilt, rows kept.
CREATE TABLE check_ins_rebuilt (
    check_in_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    gate_id TEXT NOT NULL,
    local_day BIGINT NOT NULL,
    queue_position BIGINT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    temperature_celsius DOUBLE PRECISION NOT NULL,
    health_code_colour TEXT NOT NULL,
    mask_worn BIGINT NOT NULL,
    decision TEXT NOT NULL,
    reasons_json TEXT NOT NULL DEFAULT '[]',
    rules_version TEXT NOT NULL,
    visit_id TEXT,
    incident_source_event_id TEXT,
    remeasurement_of TEXT,
    checked_at BIGINT NOT NULL
);
INSERT INTO check_ins_rebuilt (check_in_id, idempotency_key, site_id, gate_id, local_day, queue_position,
    person_kind, person_id, display_name, temperature_celsius, health_code_colour, mask_worn, decision,
    reasons_json, rules_version, visit_id, incident_source_event_id, checked_at)
SELECT check_in_id, idempotency_key, site_id, gate_id, local_day, queue_position,
    person_kind, person_id, display_name, temperature_celsius, health_code_colour, mask_worn, decision,
    reasons_json, rules_version, visit_id, incident_source_event_id, checked_at
FROM check_ins;
DROP TABLE check_ins;
ALTER TABLE check_ins_rebuilt RENAME TO check_ins;
CREATE INDEX IF NOT EXISTS check_ins_site_time ON check_ins (site_id, checked_at);
CREATE UNIQUE INDEX IF NOT EXISTS check_ins_queue_place ON check_ins (site_id, gate_id, local_day, queue_position)
    WHERE remeasurement_of IS NULL;
CREATE INDEX IF NOT EXISTS check_ins_person_day ON check_ins (site_id, person_id, local_day);
