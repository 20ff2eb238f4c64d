-- One incident per person: a suspected reading of someone whose incident is still open
-- is attached to it. Each such source event is kept here, so a retry of the event
-- answers with the same incident.
CREATE TABLE IF NOT EXISTS incident_source_events (
    source_event_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    attached_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_open_person ON incidents (site_id, person_kind, person_id, closed);
