-- Every access token carries the generation of its user's sessions (the `gen` claim); ending
-- every session (a password reset or change, a reused refresh token, disabling the account)
-- adds one, and tokens of an older generation are refused.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
