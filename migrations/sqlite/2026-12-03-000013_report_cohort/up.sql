-- What a report counts of a ticket's clocks, kept on the ticket by every change of its clocks
-- (`db::clocks::refresh`), so that a report reads tickets only, not their clocks:
-- the standing of the `accept` and `resolve` clocks (met, missed, undecided, or running until
-- the due moment beside it), the extensions granted, and whether the ticket was ever paused
-- (only those tickets' pause events are read). `summarised` is false on tickets written before
-- this existed until `nghedan migrate` (or `serve` at start-up) fills them in; a report reads
-- the clocks of those itself.
ALTER TABLE tickets ADD COLUMN accept_standing TEXT
    CHECK (accept_standing IN ('met', 'missed', 'undecided', 'running'));
ALTER TABLE tickets ADD COLUMN accept_due_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN resolve_standing TEXT
    CHECK (resolve_standing IN ('met', 'missed', 'undecided', 'running'));
ALTER TABLE tickets ADD COLUMN resolve_due_at TIMESTAMP;
ALTER TABLE tickets ADD COLUMN extensions_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN paused_once BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN summarised BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE tickets SET paused_once = TRUE
WHERE EXISTS (SELECT 1 FROM ticket_events e
              WHERE e.ticket_id = tickets.id AND e.kind IN ('info_requested', 'suspended'));

CREATE INDEX tickets_unsummarised ON tickets (id) WHERE NOT summarised;

-- A report reads a unit's tickets received in a period, in (received_at, id) order, with the
-- columns it counts: this index holds them all, so the read never visits the table's rows
-- (a covering index; SQLite has no INCLUDE, the columns follow the key).
CREATE INDEX tickets_report ON tickets (unit_id, received_at, id, kind, category_code,
    area_code, status, accepted_at, resolved_at, closed_at, reopen_count, rating, overdue,
    next_due_at, accept_standing, accept_due_at, resolve_standing, resolve_due_at,
    extensions_used, paused_once, summarised);
DROP INDEX tickets_unit_received;
