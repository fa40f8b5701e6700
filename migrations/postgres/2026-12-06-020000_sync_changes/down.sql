DROP TRIGGER notifications_change_update ON notifications;
DROP TRIGGER notifications_change_insert ON notifications;
DROP TRIGGER tickets_change_update ON tickets;
DROP TRIGGER tickets_change_insert ON tickets;
DROP FUNCTION stamp_change_tx();
DROP INDEX notifications_user_change;
ALTER TABLE notifications DROP COLUMN change_tx;
DROP INDEX tickets_submitter_change;
ALTER TABLE tickets DROP COLUMN change_tx;
