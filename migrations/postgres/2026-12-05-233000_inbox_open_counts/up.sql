-- An inbox's header counts its open tickets by status and overdue, without the accused unit's
-- denunciations: with these columns in the index the count reads the index alone, not a heap
-- page per ticket (2 ms → 0.5 ms for a unit with 2,200 open tickets among 22,000).
CREATE INDEX tickets_unit_open_counts ON tickets (unit_id, status, overdue) INCLUDE (accused_unit_id);
