-- A staff member who leaves (or moves to another hall) is removed from the roster, not
-- deleted: their history (checks, shifts, holds) keeps its meaning, lists, seating and
-- checks see only current staff, and the row goes with retention after the limit.
ALTER TABLE staff ADD COLUMN left_at BIGINT;
ALTER TABLE staff ADD COLUMN left_reason TEXT;
