-- The heads' reception days (lịch tiếp công dân, Law on Citizen Reception 2013, art. 18): a
-- unit's head (or a deputy, `host_id`) receives citizens on a published date and hours. A
-- cancelled day keeps its row (`cancelled_at`), as its bookings do.
CREATE TABLE reception_days (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    day DATE NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    place TEXT NOT NULL,
    host_id BIGINT NOT NULL REFERENCES users (id),
    slots INTEGER NOT NULL,
    cancelled_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reception_days_unit_day ON reception_days (unit_id, day);
CREATE INDEX reception_days_day ON reception_days (day);

-- A citizen's booked slot on a reception day, reminded once the day before.
CREATE TABLE reception_bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reception_day_id BIGINT NOT NULL REFERENCES reception_days (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP,
    reminded_at TIMESTAMP
);
CREATE UNIQUE INDEX reception_bookings_one_each ON reception_bookings (reception_day_id, user_id)
    WHERE cancelled_at IS NULL;
CREATE INDEX reception_bookings_to_remind ON reception_bookings (reception_day_id)
    WHERE cancelled_at IS NULL AND reminded_at IS NULL;
