-- Reports read the tickets received in a period (in a scope of units), their clocks and the
-- timeline events that pause them; the overdue report reads the clocks running past due.
CREATE INDEX tickets_received ON tickets (received_at, id);
CREATE INDEX tickets_unit_received ON tickets (unit_id, received_at, id);
CREATE INDEX ticket_events_pauses ON ticket_events (ticket_id, seq)
    WHERE kind IN ('info_requested', 'info_provided', 'suspended', 'resumed');
CREATE INDEX ticket_clocks_late ON ticket_clocks (due_at) WHERE stopped_at IS NULL;
-- Published answers, newest first.
CREATE INDEX tickets_published ON tickets (resolved_at, id) WHERE answer_public;
