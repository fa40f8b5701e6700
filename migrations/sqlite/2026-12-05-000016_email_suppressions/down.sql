DELETE FROM outbox WHERE state = 'suppressed';
CREATE TABLE outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'push')),
    user_id BIGINT REFERENCES users (id),
    address TEXT,
    device_id BIGINT REFERENCES devices (id),
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    data TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    claim_token TEXT
);
INSERT INTO outbox_old (id, channel, user_id, address, device_id, template, locale, data,
    dedup_key, state, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at,
    claim_token)
SELECT id, channel, user_id, address, device_id, template, locale, data, dedup_key, state,
    attempts, next_attempt_at, locked_until, last_error, created_at, sent_at, claim_token
FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_old', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_user_id ON outbox (user_id);

DROP TABLE email_suppressions;
