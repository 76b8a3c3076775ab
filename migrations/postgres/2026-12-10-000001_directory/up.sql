-- The therapist directory (issue 16): opt-in public profiles, credential verifications, messages
-- sent through profiles, and reports about profiles.
CREATE TABLE directory_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    -- the profile's address: /therapists/{slug}
    slug TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    practice_name TEXT NOT NULL,
    -- empty unless the therapist chooses to show it
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    zip TEXT NOT NULL,
    -- the ZIP code's centroid
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    phone TEXT NOT NULL,
    booking_url TEXT NOT NULL,
    -- JSON arrays of codes from the fixed lists
    techniques TEXT NOT NULL,
    modalities TEXT NOT NULL,
    conditions TEXT NOT NULL,
    populations TEXT NOT NULL,
    accepts_referrals BOOLEAN NOT NULL,
    accepts_insurance BOOLEAN NOT NULL,
    statement TEXT NOT NULL,
    -- show "CE current" for verified credentials
    show_ce BOOLEAN NOT NULL,
    published BOOLEAN NOT NULL,
    -- set when an administrator hid the profile (the therapist cannot publish it again)
    suspended_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX directory_profiles_place ON directory_profiles (published, latitude, longitude);
CREATE TABLE directory_verifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    credential_id BIGINT NOT NULL,
    document_sha TEXT NOT NULL,
    document_mime TEXT NOT NULL,
    document_name TEXT NOT NULL,
    document_size BIGINT NOT NULL,
    -- pending, verified, rejected or revoked
    status TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    -- how the administrator checked it (the issuer's public lookup)
    checked_against TEXT,
    -- why it was rejected or revoked
    note TEXT,
    expires_on DATE
);
CREATE INDEX directory_verifications_user ON directory_verifications (user_id);
CREATE INDEX directory_verifications_status ON directory_verifications (status);
CREATE TABLE directory_contacts (
    id BIGSERIAL PRIMARY KEY,
    profile_user_id BIGINT NOT NULL REFERENCES users(id),
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    message TEXT NOT NULL,
    is_referral BOOLEAN NOT NULL,
    -- the same message sent twice is sent once
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX directory_contacts_digest ON directory_contacts (digest);
CREATE TABLE directory_reports (
    id BIGSERIAL PRIMARY KEY,
    profile_user_id BIGINT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    -- open, dismissed or hidden (the profile was hidden)
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_by BIGINT REFERENCES users(id),
    resolved_at TIMESTAMP
);
CREATE INDEX directory_reports_status ON directory_reports (status);
