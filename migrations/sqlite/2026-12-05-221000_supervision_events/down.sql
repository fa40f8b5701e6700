DROP INDEX ticket_events_kind;
