-- The graph is rebuilt page by page in (start_ms, source_event_id) order.
CREATE INDEX IF NOT EXISTS presence_start_event ON presence (start_ms, source_event_id);
