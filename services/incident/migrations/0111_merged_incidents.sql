-- A duty officer merges two incidents of the same person: the merged one is closed and
-- points at the one kept, whose readings, source events, open tasks, contacts (with
-- their holds), open disinfection orders and child incidents it takes over.
ALTER TABLE incidents ADD COLUMN merged_into TEXT;
ALTER TABLE incidents ADD COLUMN merged_reason TEXT;
ALTER TABLE incidents ADD COLUMN merged_at BIGINT;
-- One open incident per person, also when two readings arrive at once (under
-- PostgreSQL's read committed both would pass the look-up). Open duplicates from before
-- this rule are marked, left for the desk to merge, so the index can be built.
ALTER TABLE incidents ADD COLUMN open_duplicate BIGINT NOT NULL DEFAULT 0;
UPDATE incidents SET open_duplicate = 1
WHERE closed = 0 AND EXISTS (
    SELECT 1 FROM incidents earlier
    WHERE earlier.site_id = incidents.site_id AND earlier.person_kind = incidents.person_kind
      AND earlier.person_id = incidents.person_id AND earlier.closed = 0
      AND (earlier.opened_at < incidents.opened_at
           OR (earlier.opened_at = incidents.opened_at AND earlier.incident_id < incidents.incident_id))
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_one_open_per_person ON incidents (site_id, person_kind, person_id)
    WHERE closed = 0 AND open_duplicate = 0;
