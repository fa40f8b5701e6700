DROP TRIGGER admin_audit_no_delete;
DROP TRIGGER admin_audit_no_update;
DROP TABLE admin_audit;
DROP TABLE audit_roots;
DROP TRIGGER ticket_events_no_delete;
DROP TRIGGER ticket_events_no_update;
