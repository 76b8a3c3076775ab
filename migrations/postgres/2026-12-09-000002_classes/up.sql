-- Classes (issue 15): an instructor's class, its co-teachers, its students and its assignments.
CREATE TABLE classes (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    term TEXT NOT NULL,
    -- mblex or ncbtmb
    exam_target TEXT NOT NULL,
    -- what students type or follow to join
    invite_code TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE class_teachers (
    class_id BIGINT NOT NULL REFERENCES classes(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (class_id, user_id)
);
-- A student who leaves keeps the row with left_at set (and is no longer visible to the class);
-- joining again starts a new membership (joined_at moves, left_at is cleared).
CREATE TABLE class_members (
    class_id BIGINT NOT NULL REFERENCES classes(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    joined_at TIMESTAMP NOT NULL,
    left_at TIMESTAMP,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_members_user ON class_members (user_id);
CREATE TABLE assignments (
    id BIGSERIAL PRIMARY KEY,
    class_id BIGINT NOT NULL REFERENCES classes(id),
    -- drill, program, readiness or mblex
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- drill: area or sub-area codes, comma-separated
    areas TEXT NOT NULL,
    -- drill: number of questions
    length INTEGER,
    -- program: the instructor program
    program_id BIGINT,
    opens_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX assignments_class ON assignments (class_id);
-- The assignment an exam was started for (NULL: practice of the student's own).
ALTER TABLE exams ADD COLUMN assignment_id BIGINT;
CREATE INDEX exams_assignment ON exams (assignment_id);
