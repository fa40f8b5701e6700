-- Delta sync (GET /me/tickets?sync_token=, /me/notifications?sync_token=): every insert or
-- real change of a ticket or notification stamps the row with the id of the transaction that
-- made it. A reader first takes the oldest transaction still running (its snapshot's xmin),
-- then returns rows stamped at or above its token and hands back that xmin: a change that
-- was not yet committed when it read has an id at least as large, so no change is missed
-- however the writers' commits interleave (a few may come twice).
ALTER TABLE tickets ADD COLUMN change_tx BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_submitter_change ON tickets (submitter_id, change_tx, id);
ALTER TABLE notifications ADD COLUMN change_tx BIGINT NOT NULL DEFAULT 0;
CREATE INDEX notifications_user_change ON notifications (user_id, change_tx, id);

CREATE FUNCTION stamp_change_tx() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_tx := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$;

CREATE TRIGGER tickets_change_insert BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION stamp_change_tx();
-- Only a real change counts (the sweep rewrites clock summaries that often stay the same).
CREATE TRIGGER tickets_change_update BEFORE UPDATE ON tickets
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION stamp_change_tx();
CREATE TRIGGER notifications_change_insert BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION stamp_change_tx();
CREATE TRIGGER notifications_change_update BEFORE UPDATE ON notifications
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION stamp_change_tx();
