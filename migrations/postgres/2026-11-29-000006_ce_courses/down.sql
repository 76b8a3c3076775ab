DROP TABLE ce_certificates;
DROP TABLE ce_courses;
