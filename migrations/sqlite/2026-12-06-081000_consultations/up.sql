-- "Dân bàn": a unit consults the residents of its areas on a draft (src/workflow/consultations.rs).
-- Closing, hiding a comment and the synthesis are entries of the hash-chained admin audit log;
-- the synthesis is owed by a follow-up (follow_ups, subject consultation_synthesis).
CREATE TABLE consultations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    search_text TEXT NOT NULL,
    documents TEXT NOT NULL DEFAULT '[]',
    questions TEXT NOT NULL,
    results_visibility TEXT NOT NULL CHECK (results_visibility IN ('live', 'after_close')),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    -- When the close was recorded (audit entry written, synthesis follow-up opened).
    closed_at TIMESTAMP,
    synthesis TEXT,
    decision TEXT,
    synthesis_published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX consultations_by_unit ON consultations (unit_id, id);
CREATE INDEX consultations_to_close ON consultations (closed_at, closes_at);

CREATE TABLE consultation_areas (
    consultation_id BIGINT NOT NULL REFERENCES consultations (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    PRIMARY KEY (consultation_id, area_code)
);
CREATE INDEX consultation_areas_by_area ON consultation_areas (area_code, consultation_id);

-- The files of a consultation (the draft, its annexes): kept from the orphan purge and
-- readable by everyone with the consultation.
CREATE TABLE consultation_documents (
    upload_id TEXT PRIMARY KEY NOT NULL REFERENCES uploads (id),
    consultation_id BIGINT NOT NULL REFERENCES consultations (id)
);
CREATE INDEX consultation_documents_by_consultation ON consultation_documents (consultation_id);

-- One response per participant, changeable until the close. `area_code`: the followed area
-- through which they took part (for participation by area; never shown with who).
CREATE TABLE consultation_responses (
    consultation_id BIGINT NOT NULL REFERENCES consultations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    answers TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consultation_id, user_id)
);

-- Comments: never deleted; an official hides one with a reason (shown in its place).
CREATE TABLE consultation_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id BIGINT NOT NULL REFERENCES consultations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    signed BOOLEAN NOT NULL DEFAULT 0,
    supporters INTEGER NOT NULL DEFAULT 0,
    hidden_at TIMESTAMP,
    hidden_by BIGINT REFERENCES users (id),
    hidden_reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX consultation_comments_by_consultation ON consultation_comments (consultation_id, id);

CREATE TABLE consultation_comment_supports (
    comment_id BIGINT NOT NULL REFERENCES consultation_comments (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
