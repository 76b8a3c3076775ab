-- Spaced repetition (issue 14): each student's memory of each question, scheduled with FSRS.
CREATE TABLE study_cards (
    user_id BIGINT NOT NULL REFERENCES users(id),
    item_id TEXT NOT NULL,
    -- when the question is next due for review
    due TIMESTAMP NOT NULL,
    -- the FSRS card after the last review, and before it (to redo the last rating: "I guessed")
    card TEXT NOT NULL,
    previous TEXT,
    reviews INTEGER NOT NULL,
    last_review TIMESTAMP NOT NULL,
    last_correct BOOLEAN NOT NULL,
    -- the student said the last correct answer was a guess
    guessed BOOLEAN NOT NULL,
    flagged BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX study_cards_due ON study_cards (user_id, due);

-- When a finished exam's answers were given to the scheduler (a background sweep, outside the
-- answer's transaction); NULL: not yet.
ALTER TABLE exams ADD COLUMN studied_at TIMESTAMP;
