-- Question imports (issue 15): a parsed upload waits here between the preview and the
-- instructor's confirmation; removed when confirmed or discarded.
CREATE TABLE bank_imports (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    -- the parsed questions and the skipped ones (JSON), see domain::bank::interchange::Parsed
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX bank_imports_user ON bank_imports (user_id, created_at);
