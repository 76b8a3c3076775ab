DROP TABLE study_settings;
