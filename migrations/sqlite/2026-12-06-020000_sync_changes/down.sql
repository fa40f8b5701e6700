DROP TRIGGER notifications_change_update;
DROP TRIGGER notifications_change_insert;
DROP TRIGGER tickets_change_update;
DROP TRIGGER tickets_change_insert;
DROP INDEX notifications_user_change;
ALTER TABLE notifications DROP COLUMN change_tx;
DROP INDEX tickets_submitter_change;
ALTER TABLE tickets DROP COLUMN change_tx;
DROP TABLE sync_counter;
