-- Ledgers (台账): kinds of activity, and dated entries with typed counters.
--
-- ledger_kinds is the catalog (shipped in conf/ledger-kinds.json, loaded on
-- first start, edited by an administrator). unit_types is a JSON array of
-- unit types; counters a JSON array of {code, name, unit, type ("integer" or
-- "decimal"), scale, required, max}, where max (the plausibility bound) is
-- stored scaled by 10^scale, as an integer, or null.
CREATE TABLE ledger_kinds (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    unit_types TEXT NOT NULL,
    counters TEXT NOT NULL,
    track_counter TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    origin TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Entries are never removed: deleted_at_ms marks a deleted one. date is the
-- local date 'YYYY-MM-DD'. import_key makes a re-imported CSV row a no-op.
CREATE TABLE ledger_entries (
    id {{ID}},
    kind TEXT NOT NULL REFERENCES ledger_kinds (code),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    date TEXT NOT NULL,
    title TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    import_key TEXT UNIQUE,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER
);
-- Every list filters a subtree (unit_id IN ...) and a date range and pages
-- by (date, id); kind and deleted_at_ms ride along so that a kind filter and
-- the detail totals are answered from the index without reading the rows.
CREATE INDEX ledger_entries_unit ON ledger_entries (unit_id, date, id, kind, deleted_at_ms);
-- Whether a kind's counter is in use (kind edits).
CREATE INDEX ledger_entries_kind ON ledger_entries (kind, date, id);

-- Counter values, scaled by 10^scale of the counter (km: 3, 元: 2).
CREATE TABLE ledger_values (
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    counter TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (entry_id, counter)
);

-- People of the registers who took part (org module's people), in order.
CREATE TABLE ledger_participants (
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    person_id INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    PRIMARY KEY (entry_id, person_id)
);

-- Values above their counter's plausibility bound, at the time of the write.
CREATE TABLE ledger_warnings (
    id {{ID}},
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    counter TEXT NOT NULL,
    value INTEGER NOT NULL,
    bound INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX ledger_warnings_entry ON ledger_warnings (entry_id);

-- Every version of every entry, as the JSON the API shows.
CREATE TABLE ledger_history (
    id {{ID}},
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    snapshot TEXT NOT NULL
);
CREATE INDEX ledger_history_entry ON ledger_history (entry_id, id);

-- The GPX file uploaded for a patrol, and what was computed from it.
CREATE TABLE ledger_tracks (
    entry_id INTEGER PRIMARY KEY REFERENCES ledger_entries (id),
    gpx {{BLOB}} NOT NULL,
    points INTEGER NOT NULL,
    meters INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    uploaded_at_ms INTEGER NOT NULL
);

-- The roll-up of live entries per unit, day (month), kind and counter:
-- total is the sum of the values, n the number of entries holding one; the
-- counter '' counts the entries themselves. Kept in the unit of work of
-- every entry write; `fazhi ledger rebuild` recomputes them. The one index
-- per table leads with unit_id (totals always filter a subtree's units)
-- and covers every column, so totals never touch the table rows; it also
-- finds the row an entry write updates.
CREATE TABLE ledger_daily (
    unit_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    counter TEXT NOT NULL,
    total INTEGER NOT NULL,
    n INTEGER NOT NULL
);
CREATE INDEX ledger_daily_key ON ledger_daily (unit_id, day, kind, counter, total, n);

CREATE TABLE ledger_monthly (
    unit_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    counter TEXT NOT NULL,
    total INTEGER NOT NULL,
    n INTEGER NOT NULL
);
CREATE INDEX ledger_monthly_key ON ledger_monthly (unit_id, month, kind, counter, total, n);
