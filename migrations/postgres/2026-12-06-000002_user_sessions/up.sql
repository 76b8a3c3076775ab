-- One row per log-in: log-out ends it here, so a copied cookie stops working at once.
CREATE TABLE user_sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
