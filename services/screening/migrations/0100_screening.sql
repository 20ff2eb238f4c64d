-- Screening records. Times are epoch milliseconds; booleans are 0/1 integers so the same
-- statements run on SQLite and PostgreSQL. Personal data (display names, registrations)
-- is deleted after the hall's retention period.

-- Every check at an entrance gate, with its decision; one row per idempotency key.
CREATE TABLE IF NOT EXISTS check_ins (
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
    reasons TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    visit_id TEXT,
    incident_source_event_id TEXT,
    checked_at BIGINT NOT NULL,
    UNIQUE (site_id, gate_id, local_day, queue_position)
);
CREATE INDEX IF NOT EXISTS check_ins_site_time ON check_ins (site_id, checked_at);

-- A person's time inside: from an admitted check-in to the check-out (or the hall's
-- closing, or their next check-in when they left without checking out).
CREATE TABLE IF NOT EXISTS visits (
    visit_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    check_in_id TEXT NOT NULL,
    entrance_gate_id TEXT NOT NULL,
    checked_in_at BIGINT NOT NULL,
    exit_gate_id TEXT,
    checked_out_at BIGINT,
    closed_by TEXT,
    check_out_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS visits_person ON visits (site_id, person_id, checked_out_at);

-- Visitor stays in zones (queue tickets, meeting-room scans).
CREATE TABLE IF NOT EXISTS zone_stays (
    stay_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX IF NOT EXISTS zone_stays_person ON zone_stays (site_id, person_id, left_at);

-- People without a health code, registered by hand.
CREATE TABLE IF NOT EXISTS registrations (
    registration_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    residence TEXT NOT NULL,
    residence_region_code TEXT NOT NULL,
    travel_history TEXT NOT NULL,
    entry_paused BIGINT NOT NULL,
    community_report_id TEXT,
    registered_at BIGINT NOT NULL
);

-- Reports for a person's community after risk-area travel; the duty desk acknowledges.
CREATE TABLE IF NOT EXISTS community_reports (
    report_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    community_region_code TEXT NOT NULL,
    risk_region_codes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT
);
CREATE INDEX IF NOT EXISTS community_reports_site ON community_reports (site_id, created_at);

-- Medium- and high-risk areas as published, with effective dates.
CREATE TABLE IF NOT EXISTS risk_areas (
    risk_area_id TEXT PRIMARY KEY,
    region_code_prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    effective_until BIGINT
);

-- Holds placed by the incident service: a held person is refused at every gate.
CREATE TABLE IF NOT EXISTS quarantine_holds (
    hold_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    person_kind TEXT NOT NULL,
    person_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    lifted_at BIGINT,
    lift_reason TEXT
);
CREATE INDEX IF NOT EXISTS quarantine_holds_person ON quarantine_holds (site_id, person_id, lifted_at);
