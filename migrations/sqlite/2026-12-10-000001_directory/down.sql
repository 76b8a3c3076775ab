DROP TABLE directory_reports;
DROP TABLE directory_contacts;
DROP TABLE directory_verifications;
DROP TABLE directory_profiles;
