-- The supervision page lists the latest supervision notes and reopen requests of a scope.
CREATE INDEX ticket_events_kind ON ticket_events (kind, created_at, id);
