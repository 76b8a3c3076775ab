CREATE TABLE ce_profiles (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users(id),
    birth_date DATE,
    reminders BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE ce_credentials (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    rule_id TEXT NOT NULL,
    number TEXT,
    issued_on DATE NOT NULL,
    first_cycle BOOLEAN NOT NULL DEFAULT FALSE,
    cycle_start DATE,
    cycle_end DATE,
    deadline DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ce_credentials_user ON ce_credentials (user_id);

CREATE TABLE ce_activities (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    completed_on DATE NOT NULL,
    delivery TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    topics TEXT NOT NULL,
    approvals TEXT NOT NULL,
    certificate_sha TEXT,
    certificate_mime TEXT,
    certificate_name TEXT,
    certificate_size BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ce_activities_user ON ce_activities (user_id, completed_on);

CREATE TABLE ce_credential_items (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    valid_from DATE,
    valid_to DATE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE ce_reminders (
    id BIGSERIAL PRIMARY KEY,
    credential_id BIGINT NOT NULL REFERENCES ce_credentials(id) ON DELETE CASCADE,
    deadline DATE NOT NULL,
    kind TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    UNIQUE (credential_id, deadline, kind, days_before)
);
