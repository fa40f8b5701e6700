-- Areas after the 2025 reform: 34 provinces and their communes (loaded from assets/data).
CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'commune')),
    kind TEXT NOT NULL,
    parent_code TEXT REFERENCES areas (code),
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    area_km2 REAL,
    remote BOOLEAN NOT NULL DEFAULT 0,
    second_round_unit_id BIGINT REFERENCES units (id)
);
CREATE INDEX areas_parent_code ON areas (parent_code, code);
CREATE INDEX areas_level ON areas (level, code);

-- Organisations in a tree of any depth.
CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('people_committee', 'department', 'inspection_board', 'council', 'front', 'other')),
    parent_id BIGINT REFERENCES units (id),
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT 1,
    sees_subunits BOOLEAN NOT NULL DEFAULT 0,
    is_coordinator BOOLEAN NOT NULL DEFAULT 0,
    merged_into_id BIGINT REFERENCES units (id),
    valid_from TIMESTAMP,
    valid_to TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX units_parent_id ON units (parent_id);

CREATE TABLE unit_areas (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    area_code TEXT NOT NULL REFERENCES areas (code),
    PRIMARY KEY (unit_id, area_code)
);
CREATE INDEX unit_areas_area_code ON unit_areas (area_code);

-- Categories in a tree, with their form fields as Open311 attributes (JSON text).
CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES categories (code),
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    default_kind TEXT NOT NULL CHECK (default_kind IN ('feedback', 'petition', 'complaint', 'denunciation')),
    urgent BOOLEAN NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    attributes TEXT NOT NULL DEFAULT '[]',
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX categories_parent_code ON categories (parent_code);

CREATE TABLE unit_categories (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    PRIMARY KEY (unit_id, category_code)
);

-- (category or an ancestor, area: province or commune or anywhere, optional kind) -> unit.
CREATE TABLE routing_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    category_code TEXT NOT NULL REFERENCES categories (code),
    area_code TEXT REFERENCES areas (code),
    kind TEXT CHECK (kind IN ('feedback', 'petition', 'complaint', 'denunciation')),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    priority INTEGER NOT NULL DEFAULT 100,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX routing_rules_category_code ON routing_rules (category_code);
