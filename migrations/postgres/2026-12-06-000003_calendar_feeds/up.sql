-- A person's calendar-feed secret can be replaced: the old feed address then stops working.
CREATE TABLE calendar_feeds (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    salt TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
