CREATE TABLE ce_courses (
    id BIGSERIAL PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    reading TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    topic TEXT NOT NULL,
    approvals TEXT NOT NULL,
    subareas TEXT NOT NULL,
    questions INTEGER NOT NULL,
    pass_percent INTEGER NOT NULL,
    published BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE ce_certificates (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    course_id BIGINT NOT NULL REFERENCES ce_courses(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    exam_id BIGINT NOT NULL UNIQUE REFERENCES exams(id),
    score_percent INTEGER NOT NULL,
    activity_id BIGINT,
    issued_at TIMESTAMP NOT NULL
);
