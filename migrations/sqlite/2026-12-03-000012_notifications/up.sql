-- The in-app list of what a person was told, for phones that miss pushes. One row per
-- (person, event); the dedup key is the event's, so a repeated event adds nothing.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    template TEXT NOT NULL,
    data TEXT NOT NULL,
    ticket_code TEXT,
    dedup_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    UNIQUE (user_id, dedup_key)
);
CREATE INDEX notifications_user_id ON notifications (user_id, id);
