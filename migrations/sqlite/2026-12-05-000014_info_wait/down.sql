DROP INDEX tickets_info_requested;
ALTER TABLE tickets DROP COLUMN info_requested_at;
ALTER TABLE tickets DROP COLUMN info_lapsed;
