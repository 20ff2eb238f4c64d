-- A quarantine hold ends with the quarantine period (the hall's quarantine_days from the
-- last exposure) and is lifted then by the service, unless extended. Holds placed before
-- have no end: they stay until lifted, as before.
ALTER TABLE quarantine_holds ADD COLUMN ends_at BIGINT;
ALTER TABLE quarantine_holds ADD COLUMN extension_reason TEXT;
