-- /readyz writes here: a server whose database cannot be written is not ready.
CREATE TABLE readiness_probe (
    id INTEGER PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL
);
