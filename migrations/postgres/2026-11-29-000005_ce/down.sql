DROP TABLE ce_reminders;
DROP TABLE ce_credential_items;
DROP TABLE ce_activities;
DROP TABLE ce_credentials;
DROP TABLE ce_profiles;
