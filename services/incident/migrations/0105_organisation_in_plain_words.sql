-- A group's members as a JSON array instead of a comma-joined list (staff ids hold no
-- commas or quotes: they come from the roster CSV and the hall file), and duty posts by
-- stored names (general_coordination, ...) instead of protobuf enum names.
ALTER TABLE response_groups ADD COLUMN members_json TEXT NOT NULL DEFAULT '[]';
UPDATE response_groups SET members_json = '["' || replace(members, ',', '","') || '"]' WHERE members <> '';
ALTER TABLE response_groups DROP COLUMN members;
UPDATE duty_rosters SET post = lower(substr(post, 11)) WHERE post LIKE 'DUTY_POST_%';
