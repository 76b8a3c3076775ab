-- The daily load the study plan set for the student's exam date (issue 14): kept from day to day
-- so the load stays even (it rises when the work left needs more); cleared when the date changes.
ALTER TABLE study_profiles ADD COLUMN plan_level INTEGER;
