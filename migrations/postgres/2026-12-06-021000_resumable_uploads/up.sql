-- Resumable uploads (tus 1.0 under /api/v1/uploads/tus/): one row per upload in progress. The
-- bytes received so far are objects in the media store, one per stretch received, keyed by
-- the offset it starts at (listed in `parts`); when the last byte is in, the file goes through
-- the one-shot upload's checks and `upload_id` names the upload made.
CREATE TABLE resumable_uploads (
    id TEXT PRIMARY KEY NOT NULL,
    uploader_id BIGINT REFERENCES users (id),
    scope TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    parts TEXT NOT NULL DEFAULT '',
    metadata TEXT,
    upload_id TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
