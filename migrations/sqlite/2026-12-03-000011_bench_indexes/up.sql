-- The inbox's default order (soonest due first) over a unit's open tickets. Without it,
-- PostgreSQL at a million tickets ANDs tickets_unit_inbox with the whole tickets_next_due
-- index (every open ticket of every unit) before sorting: 26 ms a page instead of 2 ms
-- (bench/results/2026-12-03.md). Only tickets with a running clock are in it.
CREATE INDEX tickets_unit_status_due ON tickets (unit_id, status, next_due_at, id)
    WHERE next_due_at IS NOT NULL;
