-- Deadline policies: the clocks a ticket runs, chosen by kind, complaint round, category,
-- channel and urgency (src/domain/policy.rs). Clocks are JSON text: [{name, starts_at,
-- counting, lengths: {normal, complex, remote, complex_remote}, extensions: {allowed, max_days}}].
CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('feedback', 'petition', 'complaint', 'denunciation')),
    round INTEGER CHECK (round IN (1, 2)),
    category_code TEXT REFERENCES categories (code),
    channel TEXT CHECK (channel IN ('app', 'in_person', 'post', 'phone', 'email')),
    urgent BOOLEAN NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    clocks TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sla_policies_kind ON sla_policies (kind, id);
CREATE INDEX sla_policies_category_code ON sla_policies (category_code);

-- Dates that are not plain weekdays/weekends: the shipped public holidays ('holiday', not
-- worked) and administrators' overrides both ways ('override': a bridge day off, a Saturday
-- worked). A date with no row is worked Monday to Friday.
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    working BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('holiday', 'override')),
    updated_at TIMESTAMP NOT NULL
);
