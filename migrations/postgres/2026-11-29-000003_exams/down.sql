DROP TABLE exam_items;
DROP TABLE exams;
ALTER TABLE bank_item_versions DROP COLUMN pool_status;
