DROP TABLE outbox;
DROP TABLE rate_limits;
DROP TABLE devices;
DROP TABLE email_tokens;
DROP TABLE refresh_tokens;
DROP TABLE users;
