-- Who made each audit entry as authenticated (the token's name or the signed-in subject,
-- and its role), beside the name the request gave (`actor`). NULL for entries written
-- before, and for the service's own background work (contact refresh, overdue tasks).
ALTER TABLE audit_log ADD COLUMN caller TEXT;
ALTER TABLE audit_log ADD COLUMN caller_role TEXT;
