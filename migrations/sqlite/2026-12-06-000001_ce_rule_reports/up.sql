-- Problems people report with a CE renewal rule, reviewed by an administrator.
CREATE TABLE ce_rule_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id TEXT NOT NULL,
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    source_url TEXT,
    status TEXT NOT NULL,
    resolution TEXT,
    resolved_by BIGINT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX ce_rule_reports_status ON ce_rule_reports (status, id);
CREATE INDEX ce_rule_reports_reporter ON ce_rule_reports (reporter_id, id);
