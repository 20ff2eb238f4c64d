-- Staff health in the domain's words: lists as JSON arrays instead of ';'-joined text
-- (a member's work zones, a check's symptoms and reasons, a report's symptoms, a sweep's
-- staff on duty, a meal slot's departments and diners) and code colours by stored name
-- (green/yellow/red; unspecified when none was read) instead of protobuf enum names.
ALTER TABLE staff ADD COLUMN work_zone_ids_json TEXT NOT NULL DEFAULT '[]';
UPDATE staff SET work_zone_ids_json = '["' || replace(work_zone_ids, ';', '","') || '"]' WHERE work_zone_ids <> '';
ALTER TABLE staff DROP COLUMN work_zone_ids;

UPDATE morning_check_versions SET health_code_colour = lower(substr(health_code_colour, 20))
    WHERE health_code_colour LIKE 'HEALTH_CODE_COLOUR_%';
ALTER TABLE morning_check_versions ADD COLUMN symptoms_json TEXT NOT NULL DEFAULT '[]';
UPDATE morning_check_versions SET symptoms_json = '["' || replace(symptoms, ';', '","') || '"]' WHERE symptoms <> '';
ALTER TABLE morning_check_versions DROP COLUMN symptoms;
ALTER TABLE morning_check_versions ADD COLUMN reasons_json TEXT NOT NULL DEFAULT '[]';
UPDATE morning_check_versions SET reasons_json = '["' || replace(reasons, ';', '","') || '"]' WHERE reasons <> '';
ALTER TABLE morning_check_versions DROP COLUMN reasons;

ALTER TABLE health_reports ADD COLUMN symptoms_json TEXT NOT NULL DEFAULT '[]';
UPDATE health_reports SET symptoms_json = '["' || replace(symptoms, ';', '","') || '"]' WHERE symptoms <> '';
ALTER TABLE health_reports DROP COLUMN symptoms;

ALTER TABLE temperature_sweeps ADD COLUMN staff_on_duty_json TEXT NOT NULL DEFAULT '[]';
UPDATE temperature_sweeps SET staff_on_duty_json = '["' || replace(staff_on_duty, ';', '","') || '"]'
    WHERE staff_on_duty <> '';
ALTER TABLE temperature_sweeps DROP COLUMN staff_on_duty;

ALTER TABLE meal_slots ADD COLUMN departments_json TEXT NOT NULL DEFAULT '[]';
UPDATE meal_slots SET departments_json = '["' || replace(departments, ';', '","') || '"]' WHERE departments <> '';
ALTER TABLE meal_slots DROP COLUMN departments;
ALTER TABLE meal_slots ADD COLUMN diners_json TEXT NOT NULL DEFAULT '[]';
UPDATE meal_slots SET diners_json = '["' || replace(diners, ';', '","') || '"]' WHERE diners <> '';
ALTER TABLE meal_slots DROP COLUMN diners;
