ALTER TABLE exams DROP COLUMN studied_at;
DROP TABLE study_cards;
