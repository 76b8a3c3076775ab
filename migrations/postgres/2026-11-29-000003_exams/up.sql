-- 'operational' items are scored; 'pretest' items (approved through review, not yet calibrated)
-- are seeded into exams unscored.
ALTER TABLE bank_item_versions ADD COLUMN pool_status TEXT NOT NULL DEFAULT 'operational';

CREATE TABLE exams (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    program TEXT NOT NULL,
    title TEXT NOT NULL,
    config TEXT NOT NULL,
    seed BIGINT NOT NULL,
    prior_mu DOUBLE PRECISION NOT NULL,
    seen TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    deadline_at TIMESTAMP,
    finished_at TIMESTAMP,
    outcome TEXT,
    passed BOOLEAN,
    p_pass DOUBLE PRECISION,
    theta DOUBLE PRECISION,
    psd DOUBLE PRECISION,
    scaled_score INTEGER,
    n_scored INTEGER NOT NULL DEFAULT 0,
    n_correct INTEGER NOT NULL DEFAULT 0,
    result TEXT
);
CREATE INDEX exams_user ON exams (user_id, id);
CREATE INDEX exams_open ON exams (status, deadline_at);

CREATE TABLE exam_items (
    id BIGSERIAL PRIMARY KEY,
    exam_id BIGINT NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL REFERENCES bank_items(id),
    version INTEGER NOT NULL,
    area TEXT NOT NULL,
    scored BOOLEAN NOT NULL,
    option_order TEXT NOT NULL,
    presented_at TIMESTAMP NOT NULL,
    chosen INTEGER,
    correct BOOLEAN,
    answered_at TIMESTAMP,
    UNIQUE (exam_id, position)
);
CREATE INDEX exam_items_item ON exam_items (item_id);
