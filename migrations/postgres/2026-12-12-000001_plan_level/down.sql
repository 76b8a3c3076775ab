ALTER TABLE study_profiles DROP COLUMN plan_level;
