-- The foundation: the audit log and the event table.
--
-- audit_log is append-only and hash-chained: hash = SHA-256 over prev_hash
-- and the entry's fields (see store/audit.c). audit_head keeps the id and
-- hash of the last entry, so that removing entries from the end is detected
-- too. The SQLite backend adds triggers refusing UPDATE and DELETE.
CREATE TABLE audit_log (
    id {{ID}},
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    unit_id INTEGER,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE audit_head (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (singleton, last_id, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Committed events, replayed to a stream that reconnects with Last-Event-ID.
-- unit_path scopes an event to a subtree; topic routes public streams
-- (a resident's tracking page) that have no unit scope.
CREATE TABLE events (
    id {{ID}},
    at_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL
);
CREATE INDEX events_topic ON events (topic, id);
