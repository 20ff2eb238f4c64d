-- A disinfection round names the high-touch surfaces it reached (self-service machines,
-- lift buttons, door handles, taps, stair rails): each zone's surfaces from the hall
-- file are targets of every round. Rounds recorded before name none.
ALTER TABLE disinfection_rounds ADD COLUMN surfaces_json TEXT NOT NULL DEFAULT '[]';
