-- Resident matters (src/modules/matter/matter.h). A matter is a case of type
-- "matter" (cases, case_history) plus the row below; the case holds the
-- state, unit and due date, this row what the resident gave and the
-- figures the report counts.
--
-- matter_types is the catalog, loaded from conf/matter-types.json on first
-- start. fields is a JSON array of the type's extra fields. listed is 0 for
-- types whose matters tell of residents' private affairs (disputes,
-- certificates, questions): Open311 does not list them publicly.
CREATE TABLE matter_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    group_name TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '',
    unit_code TEXT NOT NULL DEFAULT '',
    deadline_days INTEGER NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    listed INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0
);

-- code is the tracking code (unique, random). submitted_at_ms is when it was
-- received; resolved_at_ms the last time it was resolved (NULL while not),
-- on_time whether that was on or before the due date; rating 1..5 once rated.
CREATE TABLE matters (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    code TEXT NOT NULL UNIQUE,
    type_code TEXT NOT NULL REFERENCES matter_types (code),
    description TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL,
    phone TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    reply TEXT,
    reject_reason TEXT,
    resolved_at_ms INTEGER,
    on_time INTEGER,
    rating INTEGER,
    rating_comment TEXT,
    photos INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX matters_submitted ON matters (submitted_at_ms);
CREATE INDEX matters_resolved ON matters (resolved_at_ms);

-- Photos live in the blob store under their SHA-256; a row names each.
CREATE TABLE matter_photos (
    case_id INTEGER NOT NULL REFERENCES matters (case_id),
    seq INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX matter_photos_sha ON matter_photos (sha256);
