-- An inbox's header counts its open tickets by status and overdue, without the accused unit's
-- denunciations: a covering index, so the count reads the index alone.
CREATE INDEX tickets_unit_open_counts ON tickets (unit_id, status, overdue, accused_unit_id);
