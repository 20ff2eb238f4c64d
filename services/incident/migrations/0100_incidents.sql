-- Incidents and their response. Times are epoch milliseconds; lists joined by ','.

-- One row per incident; one source event opens at most one.
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY,
    source_event_id TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    source TEXT NOT NULL,
    opened_request TEXT NOT NULL,
    location_id TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    parent_incident_id TEXT,
    isolation_room_id TEXT,
    steps_done TEXT NOT NULL,
    closed BIGINT NOT NULL,
    opened_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_site ON incidents (site_id, opened_at);

-- Every step recorded, with its substance as JSON.
CREATE TABLE IF NOT EXISTS step_records (
    record_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    detail_json TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS step_records_incident ON step_records (incident_id, record_id);

-- Tasks per step for the responsible group or duty post.
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    owner TEXT NOT NULL,
    description TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by TEXT
);
CREATE INDEX IF NOT EXISTS tasks_incident ON tasks (incident_id, due_at);

-- Append-only: who did what, when. Entry ids are time-ordered.
CREATE TABLE IF NOT EXISTS audit_log (
    entry_id TEXT PRIMARY KEY,
    incident_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Contacts under follow-up.
CREATE TABLE IF NOT EXISTS follow_up_contacts (
    contact_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    ring BIGINT NOT NULL,
    status TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    category TEXT NOT NULL,
    linked_incident_id TEXT,
    note TEXT NOT NULL,
    UNIQUE (incident_id, person_kind, person_id)
);

-- Disinfection orders of step 6: one per zone, closed by the disinfection post.
CREATE TABLE IF NOT EXISTS disinfection_orders (
    incident_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    ordered_at BIGINT NOT NULL,
    done_by TEXT,
    agent TEXT,
    done_at BIGINT,
    PRIMARY KEY (incident_id, zone_id)
);
