DROP INDEX tickets_published;
DROP INDEX ticket_clocks_late;
DROP INDEX ticket_events_pauses;
DROP INDEX tickets_unit_received;
DROP INDEX tickets_received;
