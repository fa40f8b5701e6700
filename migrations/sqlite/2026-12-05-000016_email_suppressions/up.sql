-- Addresses without an account that asked for no more ticket mail (one-click unsubscribe):
-- about one ticket, or all of it. The address is kept only as a SHA-256 hash of its lower-case
-- form, so the table lists no addresses. `unit_id`: the address was a unit's mailbox when it
-- unsubscribed (an administrator may lift those).
CREATE TABLE email_suppressions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    address_hash TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('ticket', 'all')),
    ticket_id BIGINT REFERENCES tickets (id),
    -- `all`, or `ticket:<ticket_id>`: what it stops, as one key (an address stops each once).
    applies_to TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((scope = 'all' AND ticket_id IS NULL AND applies_to = 'all')
        OR (scope = 'ticket' AND applies_to = 'ticket:' || ticket_id)),
    UNIQUE (address_hash, applies_to)
);
CREATE INDEX email_suppressions_unit_id ON email_suppressions (unit_id, id);

-- Messages that delivery did not send because their address is suppressed get their own
-- state. SQLite cannot change a CHECK constraint: the table is rebuilt, ids and sequence kept.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'push')),
    user_id BIGINT REFERENCES users (id),
    address TEXT,
    device_id BIGINT REFERENCES devices (id),
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    data TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dead', 'suppressed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    claim_token TEXT
);
INSERT INTO outbox_new (id, channel, user_id, address, device_id, template, locale, data,
    dedup_key, state, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at,
    claim_token)
SELECT id, channel, user_id, address, device_id, template, locale, data, dedup_key, state,
    attempts, next_attempt_at, locked_until, last_error, created_at, sent_at, claim_token
FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_user_id ON outbox (user_id);
