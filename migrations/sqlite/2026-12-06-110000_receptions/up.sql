-- The reception register (sổ tiếp công dân, Law on Citizen Reception 2013): one row per
-- reception by a unit, what came of it, and (received as a ticket) the ticket it became.
-- `visitors` counts the people received: the group's size for a crowd reception (đoàn đông
-- người, `group_size` set), else the visitors listed.
CREATE TABLE receptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    received_at TIMESTAMP NOT NULL,
    place TEXT NOT NULL,
    kind TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    group_size INTEGER,
    group_representatives INTEGER,
    summary TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_note TEXT,
    referred_unit_id BIGINT REFERENCES units (id),
    refusal_ground TEXT,
    ticket_id BIGINT UNIQUE REFERENCES tickets (id),
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX receptions_unit_received ON receptions (unit_id, received_at);

-- The people received. An identity number is kept only as a keyed hash (to find a person's
-- earlier visits) and its last three digits (to tell visitors apart on screen); never whole.
CREATE TABLE reception_visitors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reception_id BIGINT NOT NULL REFERENCES receptions (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    id_number_hash TEXT,
    id_number_tail TEXT,
    phone TEXT,
    address TEXT,
    UNIQUE (reception_id, position)
);
CREATE INDEX reception_visitors_id_number ON reception_visitors (id_number_hash);

-- Who received them (the head of the unit or a deputy on a head's reception day).
CREATE TABLE reception_hosts (
    reception_id BIGINT NOT NULL REFERENCES receptions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (reception_id, user_id)
);
