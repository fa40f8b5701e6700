-- People who sign in. Staff (official, supervisor) belong to a unit; a supervisor's unit is
-- the one it oversees. Erasure blanks personal fields and keeps the row for the record.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT UNIQUE,
    phone TEXT,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('citizen', 'official', 'supervisor', 'admin')),
    unit_id BIGINT REFERENCES units (id),
    locale TEXT NOT NULL DEFAULT 'vi' CHECK (locale IN ('vi', 'en')),
    verified BOOLEAN NOT NULL DEFAULT 0,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    notify_email BOOLEAN NOT NULL DEFAULT 1,
    notify_push BOOLEAN NOT NULL DEFAULT 1,
    erased_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_unit_id ON users (unit_id);

-- Opaque refresh tokens, stored as SHA-256; a family is one sign-in and its rotations.
CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    family TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- Single-use tokens sent by email: address verification (with a 6-digit code) and password
-- reset. Only hashes are kept.
CREATE TABLE email_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    token_hash TEXT NOT NULL UNIQUE,
    code_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id, purpose);

-- Push targets: an FCM or APNs token, or a Web Push subscription. `address` is the token or
-- the endpoint; one row per address, moved to whoever registers it last.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    platform TEXT NOT NULL CHECK (platform IN ('fcm', 'apns', 'webpush')),
    address TEXT NOT NULL,
    environment TEXT CHECK (environment IN ('sandbox', 'production')),
    p256dh TEXT,
    auth_secret TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (platform, address)
);
CREATE INDEX devices_user_id ON devices (user_id);

-- Fixed-window counters shared by every process (sign-in, sign-up, reset, anonymous posts).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    count INTEGER NOT NULL
);
CREATE INDEX rate_limits_window_start ON rate_limits (window_start);

-- Messages to deliver, written in the same transaction as the change that causes them.
CREATE TABLE outbox (
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
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_user_id ON outbox (user_id);
