-- The real exam a student prepares for, and its result once they report it (issue 13): the
-- predictions Palpate made are checked against these outcomes.
CREATE TABLE study_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    -- 'mblex' or 'ncbtmb'
    target TEXT NOT NULL,
    exam_date DATE,
    -- when the student was asked by e-mail for their result (once)
    outcome_asked_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE exam_outcomes (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    target TEXT NOT NULL,
    taken_on DATE,
    -- NULL when the student declined to say
    passed BOOLEAN,
    scaled_score INTEGER,
    declined BOOLEAN NOT NULL,
    -- the last readiness check or simulation finished before the exam date
    p_pass_before DOUBLE PRECISION,
    theta_before DOUBLE PRECISION,
    reported_at TIMESTAMP NOT NULL
);
CREATE INDEX exam_outcomes_user ON exam_outcomes (user_id);

-- Model settings an administrator adopted (e.g. the cut θ re-estimated from outcomes).
CREATE TABLE model_settings (
    name TEXT PRIMARY KEY,
    value DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT REFERENCES users(id)
);
