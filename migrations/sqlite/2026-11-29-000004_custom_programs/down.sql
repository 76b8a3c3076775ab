DROP TABLE custom_programs;
