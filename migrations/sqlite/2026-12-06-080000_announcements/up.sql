-- "Dân biết": residents' areas, anonymous installs following areas, and the announcements
-- units publish to them (src/workflow/announcements.rs).

-- The areas (≤ 5, commune or province) a citizen lives in or follows.
CREATE TABLE resident_areas (
    user_id BIGINT NOT NULL REFERENCES users (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, area_code)
);
CREATE INDEX resident_areas_by_area ON resident_areas (area_code, user_id);

-- A citizen's choice to also receive announcements by email (off unless they opt in).
CREATE TABLE residents (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id),
    announcements_by_email BOOLEAN NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);

-- An app install without an account that follows areas: its push target and a device token
-- (kept only hashed) that lets it change its areas or revoke itself. Revoking deletes it.
CREATE TABLE anonymous_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL CHECK (platform IN ('fcm', 'apns', 'webpush')),
    address TEXT NOT NULL,
    environment TEXT CHECK (environment IN ('sandbox', 'production')),
    p256dh TEXT,
    auth_secret TEXT,
    locale TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (platform, address)
);

CREATE TABLE anonymous_device_areas (
    device_id BIGINT NOT NULL REFERENCES anonymous_devices (id) ON DELETE CASCADE,
    area_code TEXT NOT NULL REFERENCES areas (code),
    PRIMARY KEY (device_id, area_code)
);
CREATE INDEX anonymous_device_areas_by_area ON anonymous_device_areas (area_code, device_id);

-- A notice of a unit to the residents of some of its areas. Never deleted: a published one
-- is withdrawn with a reason, and every version is kept in announcement_history.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    search_text TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    pinned BOOLEAN NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'withdrawn')),
    publish_at TIMESTAMP,
    expires_at TIMESTAMP,
    published_at TIMESTAMP,
    withdrawn_at TIMESTAMP,
    withdrawal_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX announcements_by_unit ON announcements (unit_id, id);
CREATE INDEX announcements_public ON announcements (state, publish_at, id);

CREATE TABLE announcement_areas (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    PRIMARY KEY (announcement_id, area_code)
);
CREATE INDEX announcement_areas_by_area ON announcement_areas (area_code, announcement_id);

-- Files (uploads) an announcement carries: kept from the orphan purge, and readable by
-- everyone once the announcement is public.
CREATE TABLE announcement_attachments (
    upload_id TEXT PRIMARY KEY NOT NULL REFERENCES uploads (id),
    announcement_id BIGINT NOT NULL REFERENCES announcements (id)
);
CREATE INDEX announcement_attachments_by_announcement ON announcement_attachments (announcement_id);

-- Every version and action: created, edited, published, withdrawn (with its reason).
CREATE TABLE announcement_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    announcement_id BIGINT NOT NULL REFERENCES announcements (id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    snapshot TEXT NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX announcement_history_by_announcement ON announcement_history (announcement_id, id);

CREATE TABLE announcement_reads (
    user_id BIGINT NOT NULL REFERENCES users (id),
    announcement_id BIGINT NOT NULL REFERENCES announcements (id),
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, announcement_id)
);

-- The fan-out of a published announcement to its areas' residents, run by the jobs in
-- batches: the keyset position reached (users, then anonymous devices) commits with each
-- batch's messages, so a crash resumes where the last batch ended.
CREATE TABLE announcement_fanouts (
    announcement_id BIGINT PRIMARY KEY NOT NULL REFERENCES announcements (id),
    due_at TIMESTAMP NOT NULL,
    after_user_id BIGINT NOT NULL DEFAULT 0,
    after_device_id BIGINT NOT NULL DEFAULT 0,
    users_told BIGINT NOT NULL DEFAULT 0,
    devices_told BIGINT NOT NULL DEFAULT 0,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX announcement_fanouts_pending ON announcement_fanouts (finished_at, due_at);
