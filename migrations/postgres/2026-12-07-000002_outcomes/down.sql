DROP TABLE model_settings;
DROP TABLE exam_outcomes;
DROP TABLE study_profiles;
