CREATE INDEX tickets_unit_received ON tickets (unit_id, received_at, id);
DROP INDEX tickets_report;
DROP INDEX tickets_unsummarised;
ALTER TABLE tickets
    DROP COLUMN accept_standing,
    DROP COLUMN accept_due_at,
    DROP COLUMN resolve_standing,
    DROP COLUMN resolve_due_at,
    DROP COLUMN extensions_used,
    DROP COLUMN paused_once,
    DROP COLUMN summarised;
