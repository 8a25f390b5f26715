-- Annual reports (年度报告): the free text staff write for a unit's report
-- of a year, and the versions a leader signed off.
--
-- report_texts holds one row per unit, year and block ('shortcomings' or
-- 'plans'); version counts the saves, for optimistic concurrency.
CREATE TABLE report_texts (
    unit_id INTEGER NOT NULL REFERENCES units (id),
    year INTEGER NOT NULL,
    block TEXT NOT NULL,
    text TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (unit_id, year, block)
);

-- A signed-off version is frozen: the report as it was rendered at sign-off
-- (Markdown, and the HTML of its blocks) and the values of its metrics
-- (JSON object: name -> {"label","text","value"}). Never updated.
CREATE TABLE report_versions (
    id {{ID}},
    unit_id INTEGER NOT NULL REFERENCES units (id),
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL,
    html TEXT NOT NULL,
    metrics TEXT NOT NULL,
    signed_by INTEGER NOT NULL,
    signed_at_ms INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX report_versions_unit_year ON report_versions (unit_id, year, id);
