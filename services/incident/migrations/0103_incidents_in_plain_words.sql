-- Incidents stored in the domain's words: person kind and source by their stored
-- names (visitor/staff; screening/staff_health/manual/positive_contact) instead of
-- protobuf enum names, the steps done as a JSON array instead of a comma-joined list,
-- and readings and summary in columns of their own. The readings and summary of
-- existing rows are carried over from the base64 protobuf `opened_request` at start
-- (upgrade.rs), which then empties it.
ALTER TABLE incidents ADD COLUMN readings_json TEXT;
ALTER TABLE incidents ADD COLUMN summary TEXT;
UPDATE incidents SET person_kind = 'visitor' WHERE person_kind = 'PERSON_KIND_VISITOR';
UPDATE incidents SET person_kind = 'staff' WHERE person_kind = 'PERSON_KIND_STAFF';
UPDATE incidents SET source = 'screening' WHERE source = 'INCIDENT_SOURCE_SCREENING';
UPDATE incidents SET source = 'staff_health' WHERE source = 'INCIDENT_SOURCE_STAFF_HEALTH';
UPDATE incidents SET source = 'manual' WHERE source = 'INCIDENT_SOURCE_MANUAL';
UPDATE incidents SET source = 'positive_contact' WHERE source = 'INCIDENT_SOURCE_POSITIVE_CONTACT';
ALTER TABLE incidents RENAME COLUMN steps_done TO steps_done_json;
UPDATE incidents SET steps_done_json = '[' || steps_done_json || ']';
