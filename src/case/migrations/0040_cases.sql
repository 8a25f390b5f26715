-- Cases of every workflow type (src/case/): one row per case, its current
-- state, due date and data, and one history row per transition taken.
--
-- type is the case type's code; state one of its state codes. due_on is the
-- local date 'YYYY-MM-DD' the current deadline falls on, NULL when no
-- deadline runs (not started yet, or stopped). extended is 1 once the one
-- extension was granted; overdue_notified is 1 once "case.<type>.overdue"
-- was published for the current due date. data is a JSON object holding the
-- fields given so far. version counts changes (optimistic concurrency).
CREATE TABLE cases (
    id {{ID}},
    type TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units (id),
    state TEXT NOT NULL,
    opened_at_ms INTEGER NOT NULL,
    due_on TEXT,
    extended INTEGER NOT NULL DEFAULT 0,
    overdue_notified INTEGER NOT NULL DEFAULT 0,
    closed_at_ms INTEGER,
    data TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
-- The overdue and due-soon lists: open cases by due date.
CREATE INDEX cases_due ON cases (due_on, state);
CREATE INDEX cases_unit ON cases (unit_id, type);

CREATE TABLE case_history (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    transition TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    fields TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);
