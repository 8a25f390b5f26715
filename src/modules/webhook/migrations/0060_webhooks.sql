-- Outbound webhooks: subscriptions to event types, delivered from the events
-- table (see src/modules/webhook/webhook.h).
--
-- events is a comma-separated list of exact types ("matter.notify"),
-- prefixes ending in ".*" ("case.*") or "*" (everything). cursor_event_id
-- is the last event the webhook has finished with (delivered, given up, or
-- not matching); a new webhook starts at the newest event, so it does not
-- replay history. The secret is kept in clear because every request is
-- signed with it; it is shown once, on creation.
CREATE TABLE webhooks (
    id {{ID}},
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    cursor_event_id INTEGER NOT NULL DEFAULT 0
);

-- One row per attempt. outcome: 'delivered' (2xx), 'retry' (failed, will be
-- tried again), 'gave_up' (the last attempt failed; the cursor moved on).
-- http_status is 0 when no response came (connection error, timeout).
CREATE TABLE webhook_deliveries (
    id {{ID}},
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    event_id INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    http_status INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'retry', 'gave_up'))
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
