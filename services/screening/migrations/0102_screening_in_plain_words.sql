-- Screening's stored values in the domain's words: a hold's person kind visitor/staff
-- (the other tables already said so; holds said PERSON_KIND_*), risk levels medium/high,
-- and lists as JSON arrays instead of joined text: a report's risk region codes and a
-- registration's travel history ({"region_code", "at"} per visit).
UPDATE quarantine_holds SET person_kind = 'visitor' WHERE person_kind = 'PERSON_KIND_VISITOR';
UPDATE quarantine_holds SET person_kind = 'staff' WHERE person_kind = 'PERSON_KIND_STAFF';
UPDATE risk_areas SET level = lower(substr(level, 12)) WHERE level LIKE 'RISK_LEVEL_%';
ALTER TABLE community_reports ADD COLUMN risk_region_codes_json TEXT NOT NULL DEFAULT '[]';
UPDATE community_reports SET risk_region_codes_json = '["' || replace(risk_region_codes, ',', '","') || '"]'
    WHERE risk_region_codes <> '';
ALTER TABLE community_reports DROP COLUMN risk_region_codes;
ALTER TABLE registrations ADD COLUMN travel_history_json TEXT NOT NULL DEFAULT '[]';
UPDATE registrations
    SET travel_history_json = '[{"region_code":"' || replace(replace(travel_history, '@', '","at":'), ';', '},{"region_code":"') || '}]'
    WHERE travel_history <> '';
ALTER TABLE registrations DROP COLUMN travel_history;
-- A check's code colour by stored name (green/yellow/red; no_code for people without
-- one) and its reasons as a JSON array.
UPDATE check_ins SET health_code_colour = lower(substr(health_code_colour, 20))
    WHERE health_code_colour LIKE 'HEALTH_CODE_COLOUR_%';
UPDATE check_ins SET health_code_colour = 'no_code' WHERE health_code_colour = 'unspecified';
ALTER TABLE check_ins ADD COLUMN reasons_json TEXT NOT NULL DEFAULT '[]';
UPDATE check_ins SET reasons_json = '["' || replace(reasons, ',', '","') || '"]' WHERE reasons <> '';
ALTER TABLE check_ins DROP COLUMN reasons;
