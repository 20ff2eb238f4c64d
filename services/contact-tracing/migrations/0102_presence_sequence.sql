-- Every stored interval gets a number from one counter row, taken in the storing
-- transaction: the row stays locked until commit, so numbers become visible in order,
-- and every instance of contact tracing follows the table by reading past the last
-- number it has seen (an interval stored through any instance reaches all of them).
ALTER TABLE presence ADD COLUMN seq BIGINT;
CREATE INDEX IF NOT EXISTS presence_seq ON presence (seq);
CREATE TABLE IF NOT EXISTS presence_sequence (
    id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);
INSERT INTO presence_sequence (id, last_seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
