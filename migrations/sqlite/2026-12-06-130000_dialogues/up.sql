-- Dialogues and voter meetings (đối thoại, tiếp xúc cử tri) a unit holds with the residents
-- of some areas: the questions residents send before, supported once each, the answers, the
-- commitments (follow-ups on the deadline engine), and the minutes once published.
CREATE TABLE dialogues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    place TEXT NOT NULL,
    hosts TEXT NOT NULL,
    minutes TEXT,
    minutes_published_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dialogues_starts ON dialogues (starts_at);

CREATE TABLE dialogue_areas (
    dialogue_id BIGINT NOT NULL REFERENCES dialogues (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    PRIMARY KEY (dialogue_id, area_code)
);
CREATE INDEX dialogue_areas_area ON dialogue_areas (area_code);

CREATE TABLE dialogue_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dialogue_id BIGINT NOT NULL REFERENCES dialogues (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    supporters INTEGER NOT NULL DEFAULT 0,
    answer TEXT,
    answered_at TIMESTAMP,
    answered_by BIGINT REFERENCES users (id),
    commitment TEXT,
    commitment_unit_id BIGINT REFERENCES units (id),
    commitment_due_at TIMESTAMP,
    follow_up_id BIGINT,
    -- The commitment's outcome the participants were last told: NULL, 'missed' or 'done'.
    outcome_told TEXT,
    ticket_id BIGINT REFERENCES tickets (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dialogue_questions_dialogue ON dialogue_questions (dialogue_id, supporters);
CREATE INDEX dialogue_questions_commitments ON dialogue_questions (follow_up_id)
    WHERE follow_up_id IS NOT NULL;

CREATE TABLE dialogue_supports (
    question_id BIGINT NOT NULL REFERENCES dialogue_questions (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (question_id, user_id)
);
