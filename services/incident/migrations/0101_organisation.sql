-- The response organisation as edited over gRPC (the hall file gives the starting
-- point), and the duty roster per day.
CREATE TABLE IF NOT EXISTS response_groups (
    site_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    name TEXT NOT NULL,
    leader TEXT NOT NULL,
    members TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, group_id)
);

CREATE TABLE IF NOT EXISTS duty_rosters (
    site_id TEXT NOT NULL,
    duty_date TEXT NOT NULL,
    post TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    PRIMARY KEY (site_id, duty_date, post)
);
