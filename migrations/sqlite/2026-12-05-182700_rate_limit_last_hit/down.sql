ALTER TABLE rate_limits DROP COLUMN last_at;
