-- A question to the submitter: when it was asked (the sweep ends it after
-- `tickets.info_wait_working_days` without an answer), and whether the last one was withdrawn
-- or ran out unanswered (a late answer is then kept as a comment).
ALTER TABLE tickets ADD COLUMN info_requested_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN info_lapsed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE tickets SET info_requested_at = (
    SELECT MAX(e.created_at) FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.kind = 'info_requested')
WHERE status = 'awaiting_info';
CREATE INDEX tickets_info_requested ON tickets (info_requested_at)
    WHERE info_requested_at IS NOT NULL;
