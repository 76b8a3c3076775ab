-- Item calibration (issue 13). Each run of the calibrator is kept with what it saw; each item
-- version it estimated gets a row. An item's active parameters are those of its latest row marked
-- active (enough responses and a precise b); without one, the version's prior (irt_a, irt_b, irt_c
-- in bank_item_versions) stays. Exams record the run whose parameters they started with.
CREATE TABLE calibration_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    -- 'schedule', 'manual' (from the web) or 'command' (the CLI)
    source TEXT NOT NULL,
    requested_by BIGINT REFERENCES users(id),
    model TEXT NOT NULL,
    n_responses BIGINT NOT NULL,
    n_persons BIGINT NOT NULL,
    n_items INTEGER NOT NULL,
    n_active INTEGER NOT NULL,
    n_graduated INTEGER NOT NULL,
    iterations INTEGER NOT NULL,
    converged BOOLEAN NOT NULL,
    log_likelihood DOUBLE PRECISION NOT NULL,
    wall_time_s DOUBLE PRECISION NOT NULL
);

CREATE TABLE item_calibrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id BIGINT NOT NULL REFERENCES calibration_runs(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL REFERENCES bank_items(id),
    version INTEGER NOT NULL,
    -- the version's pool status when it was calibrated: 'operational' or 'pretest'
    pool_status TEXT NOT NULL,
    a DOUBLE PRECISION NOT NULL,
    b DOUBLE PRECISION NOT NULL,
    c DOUBLE PRECISION NOT NULL,
    se_a DOUBLE PRECISION,
    se_b DOUBLE PRECISION,
    se_c DOUBLE PRECISION,
    n BIGINT NOT NULL,
    fit DOUBLE PRECISION NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE INDEX item_calibrations_item ON item_calibrations (item_id, version, run_id);
CREATE INDEX item_calibrations_run ON item_calibrations (run_id, active);
