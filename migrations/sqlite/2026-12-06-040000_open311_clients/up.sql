-- Open311 GeoReport v2 clients (src/open311): each has a name, shown as the channel of what it
-- sends, and an api_key kept only as its SHA-256 hash (like refresh tokens). A revoked client
-- keeps its row, so that the tickets it sent still name it.
CREATE TABLE open311_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- The tickets posted through Open311: by which client, and what the client sent that the
-- ticket has no column for. Such a ticket is public from submission, description included
-- (other public tickets show only their title there).
CREATE TABLE open311_requests (
    ticket_id BIGINT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    client_id BIGINT NOT NULL REFERENCES open311_clients (id),
    media_url TEXT,
    device_id TEXT
);
