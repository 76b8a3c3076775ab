DROP INDEX exams_assignment;
ALTER TABLE exams DROP COLUMN assignment_id;
DROP TABLE assignments;
DROP TABLE class_members;
DROP TABLE class_teachers;
DROP TABLE classes;
