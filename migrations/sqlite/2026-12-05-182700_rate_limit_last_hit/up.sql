-- When a counter was last counted: sign-in failures on an account slow down the addresses that
-- failed with a delay that runs from the account's last failure.
ALTER TABLE rate_limits ADD COLUMN last_at TIMESTAMP;
