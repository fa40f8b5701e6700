-- A staff member's choice, per event they hear of, of how it reaches them by email and by
-- push: at once ('immediate'), in a daily digest at `digest_hour` (Asia/Ho_Chi_Minh), or not
-- at all ('off'). No row: the defaults (`domain::preferences`).
CREATE TABLE notification_preferences (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    new_ticket_email TEXT NOT NULL CHECK (new_ticket_email IN ('immediate', 'digest', 'off')),
    new_ticket_push TEXT NOT NULL CHECK (new_ticket_push IN ('immediate', 'digest', 'off')),
    assigned_email TEXT NOT NULL CHECK (assigned_email IN ('immediate', 'digest', 'off')),
    assigned_push TEXT NOT NULL CHECK (assigned_push IN ('immediate', 'digest', 'off')),
    due_soon_email TEXT NOT NULL CHECK (due_soon_email IN ('immediate', 'digest', 'off')),
    due_soon_push TEXT NOT NULL CHECK (due_soon_push IN ('immediate', 'digest', 'off')),
    overdue_email TEXT NOT NULL CHECK (overdue_email IN ('immediate', 'digest', 'off')),
    overdue_push TEXT NOT NULL CHECK (overdue_push IN ('immediate', 'digest', 'off')),
    citizen_reply_email TEXT NOT NULL CHECK (citizen_reply_email IN ('immediate', 'digest', 'off')),
    citizen_reply_push TEXT NOT NULL CHECK (citizen_reply_push IN ('immediate', 'digest', 'off')),
    digest_hour INTEGER NOT NULL CHECK (digest_hour BETWEEN 0 AND 23),
    updated_at TIMESTAMP NOT NULL
);

-- What waits for a person's next digest: one row per message that would have gone at once.
CREATE TABLE digest_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'push')),
    template TEXT NOT NULL,
    data TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX digest_items_user_id ON digest_items (user_id, created_at);

-- One row per digest sent: its key claims a person's local day, so that two workers running
-- the pass at once send one digest.
CREATE TABLE digests (
    user_id BIGINT NOT NULL REFERENCES users (id),
    local_date DATE NOT NULL,
    items INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, local_date)
);
