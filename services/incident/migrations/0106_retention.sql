-- Retention of incidents' personal data. Audit entries carry their hall, so each hall's
-- limit applies to its own entries (entries about an incident take the incident's hall;
-- older entries about a hall's hygiene or organisation have none, and go with the
-- first hall's limit that passes). An incident under legal hold keeps everything; the
-- two times say when retention removed its contacts' identities and its upward report.
ALTER TABLE audit_log ADD COLUMN site_id TEXT;
UPDATE audit_log SET site_id = (SELECT site_id FROM incidents WHERE incidents.incident_id = audit_log.incident_id)
    WHERE incident_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_log_site ON audit_log (site_id, at);
ALTER TABLE incidents ADD COLUMN legal_hold_reason TEXT;
ALTER TABLE incidents ADD COLUMN legal_hold_by TEXT;
ALTER TABLE incidents ADD COLUMN legal_hold_at BIGINT;
ALTER TABLE incidents ADD COLUMN contacts_removed_at BIGINT;
ALTER TABLE incidents ADD COLUMN report_removed_at BIGINT;
