-- A student's study settings (issue 14): their time zone (their study day starts at local
-- midnight), when they plan to study (shown in their calendar feed), whether an e-mail reminds
-- them then, and the local date the last reminder went out.
CREATE TABLE study_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    -- IANA name, e.g. America/Chicago
    time_zone TEXT NOT NULL,
    -- off, daily or weekly
    study_days TEXT NOT NULL,
    -- local hour, 0-23
    study_hour INTEGER NOT NULL,
    -- 0 = Monday ... 6 = Sunday (weekly)
    study_weekday INTEGER NOT NULL,
    email_reminder BOOLEAN NOT NULL,
    -- the student's local date of the last reminder sent
    last_reminded_on DATE,
    updated_at TIMESTAMP NOT NULL
);
