-- An incident opened in error (a mistyped reading, a corrected morning check) is
-- withdrawn with a reason: closed, its holds lifted, kept on record as withdrawn.
ALTER TABLE incidents ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE incidents ADD COLUMN withdrawn_reason TEXT;
