DROP TRIGGER admin_audit_append_only ON admin_audit;
DROP TABLE admin_audit;
DROP TABLE audit_roots;
DROP TRIGGER ticket_events_append_only ON ticket_events;
DROP FUNCTION nghedan_refuse_change();
