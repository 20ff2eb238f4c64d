-- Staff-health records. Times are epoch milliseconds, booleans 0/1, lists joined by ';'.

-- The roster.
CREATE TABLE IF NOT EXISTS staff (
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    job_role TEXT NOT NULL,
    work_zone_ids TEXT NOT NULL,
    phone TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, staff_id)
);

-- One morning check per staff member and working day; corrections add versions.
CREATE TABLE IF NOT EXISTS morning_checks (
    check_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    work_date TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    UNIQUE (site_id, staff_id, work_date)
);
CREATE TABLE IF NOT EXISTS morning_check_versions (
    check_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    temperature_celsius DOUBLE PRECISION NOT NULL,
    health_code_colour TEXT NOT NULL,
    itinerary_risk_flag BIGINT NOT NULL,
    symptoms TEXT NOT NULL,
    note TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    fit_for_duty BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    incident_source_event_id TEXT,
    corrected_by TEXT,
    correction_reason TEXT,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (check_id, version)
);

-- Health reports at any time.
CREATE TABLE IF NOT EXISTS health_reports (
    report_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    temperature_celsius DOUBLE PRECISION,
    symptoms TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    note TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    under_focus_management BIGINT NOT NULL,
    suspected_case BIGINT NOT NULL,
    incident_source_event_id TEXT
);

-- Focus management (重点管控): one open entry per staff member.
CREATE TABLE IF NOT EXISTS focus_entries (
    entry_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    since BIGINT NOT NULL,
    last_symptom_at BIGINT NOT NULL,
    released_at BIGINT,
    released_by TEXT
);
CREATE INDEX IF NOT EXISTS focus_entries_staff ON focus_entries (site_id, staff_id, released_at);

-- Temperature sweeps asked for by the incident service.
CREATE TABLE IF NOT EXISTS temperature_sweeps (
    sweep_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    staff_on_duty TEXT NOT NULL
);

-- Shifts in work zones (clock-in to clock-out).
CREATE TABLE IF NOT EXISTS shifts (
    shift_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX IF NOT EXISTS shifts_staff ON shifts (site_id, staff_id, ended_at);

-- A day's meal slots and who eats in each.
CREATE TABLE IF NOT EXISTS meal_slots (
    slot_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    meal_date TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    departments TEXT NOT NULL,
    diners TEXT NOT NULL,
    seats BIGINT NOT NULL
);

-- Seats assigned for a slot.
CREATE TABLE IF NOT EXISTS seat_assignments (
    slot_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    seat_id TEXT NOT NULL,
    PRIMARY KEY (slot_id, staff_id),
    UNIQUE (slot_id, seat_id)
);

-- Who sat where and when.
CREATE TABLE IF NOT EXISTS seat_stays (
    stay_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    seat_id TEXT NOT NULL,
    sat_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX IF NOT EXISTS seat_stays_staff ON seat_stays (site_id, staff_id, left_at);
