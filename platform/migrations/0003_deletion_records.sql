-- What retention removed: one row per purge of one kind of personal data at one hall.
-- Counts and periods only: nothing in a record names a person.
CREATE TABLE IF NOT EXISTS deletion_records (
    record_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    policy TEXT NOT NULL,
    action TEXT NOT NULL,
    older_than BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS deletion_records_at ON deletion_records (at, record_id);
