-- The timeline is append-only: no update or delete path exists in the code, and the
-- database refuses them too.
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

-- One root per (UTC) day over every event of that day, chained to the previous day's root:
-- published, so anyone can check later that history was not rewritten.
CREATE TABLE audit_roots (
    day DATE PRIMARY KEY,
    events INTEGER NOT NULL,
    root TEXT NOT NULL,
    prev_root TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Administrators' changes to configuration, in one chain of their own.
CREATE TABLE admin_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq BIGINT NOT NULL UNIQUE,
    actor_id BIGINT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER admin_audit_no_update BEFORE UPDATE ON admin_audit
BEGIN
    SELECT RAISE(ABORT, 'admin_audit is append-only');
END;
CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
BEGIN
    SELECT RAISE(ABORT, 'admin_audit is append-only');
END;
