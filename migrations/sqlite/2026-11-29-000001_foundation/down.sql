DROP TABLE auth_attempts;
DROP TABLE outbox;
DROP TABLE api_tokens;
DROP TABLE email_tokens;
DROP TABLE user_roles;
DROP TABLE users;
