-- What a unit owes by a date that is not a ticket's legal clock (domain::follow_up): a
-- consultation's synthesis, a commitment made at a dialogue. `subject` names the kind and
-- `subject_id` its row; the sweep reads the rows whose `next_check_at` has come.
CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    title TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    reminded_75 BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_last_day BOOLEAN NOT NULL DEFAULT FALSE,
    missed_at TIMESTAMP,
    done_at TIMESTAMP,
    done_by BIGINT REFERENCES users (id),
    done_note TEXT,
    next_check_at TIMESTAMP,
    UNIQUE (subject, subject_id)
);
CREATE INDEX follow_ups_next_check ON follow_ups (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX follow_ups_unit_due ON follow_ups (unit_id, due_at);
