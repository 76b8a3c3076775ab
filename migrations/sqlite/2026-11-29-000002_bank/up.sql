CREATE TABLE bank_items (
    id TEXT PRIMARY KEY NOT NULL,
    subarea TEXT NOT NULL,
    area TEXT NOT NULL,
    status TEXT NOT NULL,
    live_version INTEGER,
    latest_version INTEGER NOT NULL,
    author_id BIGINT REFERENCES users(id),
    open_reports INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bank_items_area ON bank_items (area, subarea);
CREATE INDEX bank_items_status ON bank_items (status);

CREATE TABLE bank_item_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL REFERENCES bank_items(id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    subarea TEXT NOT NULL,
    area TEXT NOT NULL,
    level TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    key_letter TEXT NOT NULL,
    pillars TEXT NOT NULL,
    author TEXT NOT NULL,
    search_text TEXT NOT NULL,
    irt_a DOUBLE PRECISION NOT NULL,
    irt_b DOUBLE PRECISION NOT NULL,
    irt_c DOUBLE PRECISION NOT NULL,
    calibrated BOOLEAN NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (item_id, version)
);

CREATE TABLE bank_item_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL REFERENCES bank_items(id),
    version INTEGER NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX bank_item_events_item ON bank_item_events (item_id, id);

CREATE TABLE bank_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL REFERENCES bank_items(id),
    version INTEGER NOT NULL,
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    resolution TEXT,
    resolved_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX bank_reports_status ON bank_reports (status, item_id);
CREATE INDEX bank_reports_reporter ON bank_reports (reporter_id);
