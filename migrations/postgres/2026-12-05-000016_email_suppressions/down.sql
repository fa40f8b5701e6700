DELETE FROM outbox WHERE state = 'suppressed';
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('queued', 'sent', 'dead'));

DROP TABLE email_suppressions;
