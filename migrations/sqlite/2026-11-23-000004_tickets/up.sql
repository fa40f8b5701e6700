-- Ticket codes: PAKN.<local date>.<number>. One counter (SQLite serialises writers anyway).
CREATE TABLE ticket_number (id INTEGER PRIMARY KEY CHECK (id = 1), last BIGINT NOT NULL);
INSERT INTO ticket_number (id, last) VALUES (1, 0);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('feedback', 'petition', 'complaint', 'denunciation')),
    category_code TEXT NOT NULL REFERENCES categories (code),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Title and description folded (no diacritics, lower case) for search.
    search_text TEXT NOT NULL,
    lat REAL,
    lon REAL,
    area_code TEXT NOT NULL REFERENCES areas (code),
    address TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    submitter_id BIGINT REFERENCES users (id),
    anonymous BOOLEAN NOT NULL DEFAULT 0,
    tracking_secret_hash TEXT,
    -- Who sent it when there is no account (desk intake) or an anonymous contact address.
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    contact_address TEXT,
    confidential BOOLEAN NOT NULL DEFAULT 0,
    private BOOLEAN NOT NULL DEFAULT 0,
    public BOOLEAN NOT NULL DEFAULT 0,
    answer_public BOOLEAN NOT NULL DEFAULT 0,
    channel TEXT NOT NULL CHECK (channel IN ('app', 'in_person', 'post', 'phone', 'email')),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'awaiting_info', 'suspended', 'resolved', 'closed', 'refused', 'withdrawn')),
    status_before_info TEXT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    assignee_id BIGINT REFERENCES users (id),
    priority INTEGER NOT NULL DEFAULT 0,
    round INTEGER NOT NULL DEFAULT 1,
    appeal_of_id BIGINT REFERENCES tickets (id),
    accused_unit_id BIGINT REFERENCES units (id),
    contested TEXT,
    filing_late BOOLEAN NOT NULL DEFAULT 0,
    complex BOOLEAN NOT NULL DEFAULT 0,
    remote BOOLEAN NOT NULL DEFAULT 0,
    policy_id BIGINT,
    routing_reason TEXT,
    received_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    answer TEXT,
    withdrawal_requested BOOLEAN NOT NULL DEFAULT 0,
    overdue BOOLEAN NOT NULL DEFAULT 0,
    next_due_at TIMESTAMP,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    supporters INTEGER NOT NULL DEFAULT 0,
    duplicate_of_id BIGINT REFERENCES tickets (id),
    rating INTEGER,
    rating_comment TEXT,
    rated_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tickets_unit_inbox ON tickets (unit_id, status, id);
CREATE INDEX tickets_unit_due ON tickets (unit_id, next_due_at);
CREATE INDEX tickets_submitter ON tickets (submitter_id, id);
CREATE INDEX tickets_next_due ON tickets (next_due_at);
CREATE INDEX tickets_public ON tickets (public, id);
CREATE INDEX tickets_status_resolved ON tickets (status, resolved_at);
CREATE INDEX tickets_category_area ON tickets (category_code, area_code, created_at);

-- The legal clocks of a ticket: what the deadline engine needs, plus the due moment in force
-- (null while paused or pending) and which reminders were sent.
CREATE TABLE ticket_clocks (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    name TEXT NOT NULL,
    counting TEXT NOT NULL,
    days INTEGER NOT NULL,
    -- The policy's lengths (normal, complex, remote, both), kept so that marking a case complex
    -- later picks its length without reading a policy that may have changed since.
    lengths TEXT NOT NULL,
    extensions_used INTEGER NOT NULL DEFAULT 0,
    extensions_allowed INTEGER NOT NULL DEFAULT 0,
    extension_max_days INTEGER NOT NULL DEFAULT 0,
    starts_at TEXT NOT NULL,
    started_at TIMESTAMP,
    stopped_at TIMESTAMP,
    pauses TEXT NOT NULL DEFAULT '[]',
    due_at TIMESTAMP,
    reminded_75 BOOLEAN NOT NULL DEFAULT 0,
    reminded_last_day BOOLEAN NOT NULL DEFAULT 0,
    missed_at TIMESTAMP,
    -- When the sweep must look at this clock next (a reminder or the miss); NULL when done.
    next_check_at TIMESTAMP,
    -- What the due moment was computed from (period, start, pauses): while these stay the
    -- same the due moment stays, whatever later changes to the calendar or the policies.
    due_inputs TEXT,
    PRIMARY KEY (ticket_id, name)
);
CREATE INDEX ticket_clocks_next_check ON ticket_clocks (next_check_at);

-- Free text of events (notes, answers, reasons) lives apart, so erasing a person's words
-- blanks them here while the event chain, which holds only their hash, still verifies.
CREATE TABLE event_texts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT,
    erased_at TIMESTAMP
);

-- The append-only timeline and audit record, hash-chained per ticket.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    unit_id BIGINT,
    from_status TEXT,
    to_status TEXT,
    public BOOLEAN NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    text_id BIGINT REFERENCES event_texts (id),
    text_sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (ticket_id, seq)
);
CREATE INDEX ticket_events_created_at ON ticket_events (created_at, id);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    uploader_id BIGINT REFERENCES users (id),
    scope TEXT NOT NULL,
    media_kind TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    storage_key TEXT NOT NULL,
    thumbnail_key TEXT,
    original_name TEXT,
    ticket_id BIGINT REFERENCES tickets (id),
    event_id BIGINT REFERENCES ticket_events (id),
    by_submitter BOOLEAN NOT NULL DEFAULT 0,
    publishable BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    attached_at TIMESTAMP
);
CREATE INDEX uploads_ticket ON uploads (ticket_id);
CREATE INDEX uploads_orphans ON uploads (attached_at, created_at);

CREATE TABLE ticket_supports (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);

CREATE TABLE ticket_followers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_followers_user ON ticket_followers (user_id);
