-- Who read whose personal data: one entry per answered read (caller, role, RPC, hall,
-- purpose when given) and one row per person it showed. Append-only; retention deletes
-- entries past the hall's retention.access_log_days.
CREATE TABLE IF NOT EXISTS access_log (
    entry_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    caller TEXT NOT NULL,
    role TEXT NOT NULL,
    rpc TEXT NOT NULL,
    purpose TEXT NOT NULL,
    people BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_caller ON access_log (caller, at);
CREATE INDEX IF NOT EXISTS access_log_site ON access_log (site_id, at);
CREATE TABLE IF NOT EXISTS access_log_people (
    entry_id TEXT NOT NULL,
    person TEXT NOT NULL,
    PRIMARY KEY (entry_id, person)
);
CREATE INDEX IF NOT EXISTS access_log_people_person ON access_log_people (person, entry_id);
