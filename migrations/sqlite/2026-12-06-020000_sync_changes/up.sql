-- Delta sync (GET /me/tickets?sync_token=, /me/notifications?sync_token=): every insert or
-- real change of a ticket or notification stamps the row with a change number. SQLite runs one
-- writer at a time, so a counter bumped per changed row is already in commit order; a reader
-- returns rows numbered at or above its token and hands back the counter + 1.
CREATE TABLE sync_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO sync_counter (id, value) VALUES (1, 0);

ALTER TABLE tickets ADD COLUMN change_tx BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tickets_submitter_change ON tickets (submitter_id, change_tx, id);
ALTER TABLE notifications ADD COLUMN change_tx BIGINT NOT NULL DEFAULT 0;
CREATE INDEX notifications_user_change ON notifications (user_id, change_tx, id);

CREATE TRIGGER tickets_change_insert AFTER INSERT ON tickets
BEGIN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1;
    UPDATE tickets SET change_tx = (SELECT value FROM sync_counter WHERE id = 1)
        WHERE id = NEW.id;
END;

-- Only a real change counts (the sweep rewrites clock summaries that often stay the same);
-- the stamp's own update changes change_tx only, so it does not count again.
CREATE TRIGGER tickets_change_update AFTER UPDATE ON tickets
WHEN NEW.change_tx IS OLD.change_tx AND (
    OLD.code IS NOT NEW.code
    OR OLD.kind IS NOT NEW.kind
    OR OLD.category_code IS NOT NEW.category_code
    OR OLD.title IS NOT NEW.title
    OR OLD.description IS NOT NEW.description
    OR OLD.search_text IS NOT NEW.search_text
    OR OLD.lat IS NOT NEW.lat
    OR OLD.lon IS NOT NEW.lon
    OR OLD.area_code IS NOT NEW.area_code
    OR OLD.address IS NOT NEW.address
    OR OLD.attributes IS NOT NEW.attributes
    OR OLD.submitter_id IS NOT NEW.submitter_id
    OR OLD.anonymous IS NOT NEW.anonymous
    OR OLD.tracking_secret_hash IS NOT NEW.tracking_secret_hash
    OR OLD.contact_name IS NOT NEW.contact_name
    OR OLD.contact_email IS NOT NEW.contact_email
    OR OLD.contact_phone IS NOT NEW.contact_phone
    OR OLD.contact_address IS NOT NEW.contact_address
    OR OLD.confidential IS NOT NEW.confidential
    OR OLD.private IS NOT NEW.private
    OR OLD.public IS NOT NEW.public
    OR OLD.answer_public IS NOT NEW.answer_public
    OR OLD.channel IS NOT NEW.channel
    OR OLD.status IS NOT NEW.status
    OR OLD.status_before_info IS NOT NEW.status_before_info
    OR OLD.unit_id IS NOT NEW.unit_id
    OR OLD.assignee_id IS NOT NEW.assignee_id
    OR OLD.priority IS NOT NEW.priority
    OR OLD.round IS NOT NEW.round
    OR OLD.appeal_of_id IS NOT NEW.appeal_of_id
    OR OLD.accused_unit_id IS NOT NEW.accused_unit_id
    OR OLD.contested IS NOT NEW.contested
    OR OLD.filing_late IS NOT NEW.filing_late
    OR OLD.complex IS NOT NEW.complex
    OR OLD.remote IS NOT NEW.remote
    OR OLD.policy_id IS NOT NEW.policy_id
    OR OLD.routing_reason IS NOT NEW.routing_reason
    OR OLD.received_at IS NOT NEW.received_at
    OR OLD.accepted_at IS NOT NEW.accepted_at
    OR OLD.resolved_at IS NOT NEW.resolved_at
    OR OLD.closed_at IS NOT NEW.closed_at
    OR OLD.answer IS NOT NEW.answer
    OR OLD.withdrawal_requested IS NOT NEW.withdrawal_requested
    OR OLD.overdue IS NOT NEW.overdue
    OR OLD.next_due_at IS NOT NEW.next_due_at
    OR OLD.reopen_count IS NOT NEW.reopen_count
    OR OLD.supporters IS NOT NEW.supporters
    OR OLD.duplicate_of_id IS NOT NEW.duplicate_of_id
    OR OLD.rating IS NOT NEW.rating
    OR OLD.rating_comment IS NOT NEW.rating_comment
    OR OLD.rated_at IS NOT NEW.rated_at
    OR OLD.version IS NOT NEW.version
    OR OLD.created_at IS NOT NEW.created_at
    OR OLD.updated_at IS NOT NEW.updated_at
    OR OLD.accept_standing IS NOT NEW.accept_standing
    OR OLD.accept_due_at IS NOT NEW.accept_due_at
    OR OLD.resolve_standing IS NOT NEW.resolve_standing
    OR OLD.resolve_due_at IS NOT NEW.resolve_due_at
    OR OLD.extensions_used IS NOT NEW.extensions_used
    OR OLD.paused_once IS NOT NEW.paused_once
    OR OLD.summarised IS NOT NEW.summarised
    OR OLD.info_requested_at IS NOT NEW.info_requested_at
    OR OLD.info_lapsed IS NOT NEW.info_lapsed
)
BEGIN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1;
    UPDATE tickets SET change_tx = (SELECT value FROM sync_counter WHERE id = 1)
        WHERE id = NEW.id;
END;

CREATE TRIGGER notifications_change_insert AFTER INSERT ON notifications
BEGIN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1;
    UPDATE notifications SET change_tx = (SELECT value FROM sync_counter WHERE id = 1)
        WHERE id = NEW.id;
END;

CREATE TRIGGER notifications_change_update AFTER UPDATE ON notifications
WHEN NEW.change_tx IS OLD.change_tx AND (
    OLD.read_at IS NOT NEW.read_at OR OLD.data IS NOT NEW.data
    OR OLD.ticket_code IS NOT NEW.ticket_code OR OLD.template IS NOT NEW.template
)
BEGIN
    UPDATE sync_counter SET value = value + 1 WHERE id = 1;
    UPDATE notifications SET change_tx = (SELECT value FROM sync_counter WHERE id = 1)
        WHERE id = NEW.id;
END;
