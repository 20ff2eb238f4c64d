-- Staff who are close contacts under follow-up are kept off duty: the incident service
-- places a hold (through its outbox) and lifts it at release; until then the morning
-- check finds them unfit and clock-in refuses them. A hold ends with the quarantine
-- period unless lifted before.
CREATE TABLE IF NOT EXISTS duty_holds (
    hold_key TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    lifted_at BIGINT,
    lift_reason TEXT
);
CREATE INDEX IF NOT EXISTS duty_holds_staff ON duty_holds (site_id, staff_id, lifted_at);
