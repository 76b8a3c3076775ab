DROP TABLE study_cards;
