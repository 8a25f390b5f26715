-- The organisation tree: city > district > subdistrict > department,
-- station, community, village. path is the materialised path of ids from the
-- root ("/1/4/12/"), so a subtree is a range of path values.
CREATE TABLE units (
    id {{ID}},
    parent_id INTEGER REFERENCES units (id),
    type TEXT NOT NULL CHECK (type IN ('city', 'district', 'subdistrict', 'department',
                                       'station', 'community', 'village')),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    closed_at_ms INTEGER
);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_path ON units (path);
