/*
 * webhook.h - outbound webhooks: telling another system (an SMS or WeChat
 * gateway) that something happened.
 *
 * Design. Events are already durable: every unit of work may record events
 * (store_event) into the `events` table. A webhook is a subscription to
 * event types, delivered from that table; it knows nothing of the modules
 * that publish them (resident matters publish "matter.notify", the case
 * engine "case.<type>.<transition>", the org module "unit.created", ...).
 *
 *   - `webhooks` (migration 0060) holds name, url, secret, the event types,
 *     active, and cursor_event_id: the last event the webhook has finished
 *     with. A new webhook starts at the newest event id, so it does not
 *     replay history; one re-activated starts again at the newest event
 *     (what happened while it was off is not sent). Nothing is lost across a
 *     crash or a restart, and there is no second outbox.
 *   - Event types: a comma-separated list of entries, each an exact type
 *     ("matter.notify"), a prefix ending in ".*" ("case.*" matches
 *     "case.mediation.overdue", not "case") or "*" (every event). Entries
 *     are lower-case letters, digits, '_' and '-' separated by '.'.
 *   - The dispatcher (webhook_dispatch_start(), a thread of `fazhi serve`)
 *     polls every 250 ms, and when woken by the store's event hook, for
 *     events after each active webhook's cursor that match its types, and
 *     POSTs them one at a time per webhook, in id order (head-of-line
 *     order per webhook; webhooks are independent: one curl multi handle
 *     runs a transfer per webhook at once). Timeout 10 s, connect timeout
 *     5 s, no redirects, only http:// and https://.
 *   - Every attempt is a row of `webhook_deliveries`, written together with
 *     the cursor's move in one store_write. A 2xx is 'delivered'; anything
 *     else (another status, a connection error, a timeout) is 'retry' with an
 *     exponential back-off (base delay, doubling, at most 10 minutes) up to
 *     WEBHOOK_MAX_ATTEMPTS attempts; the last failed one is 'gave_up' and the
 *     cursor moves on. The base delay is `fazhi serve --webhook-retry-ms N`
 *     (default 2000).
 *   - Delivery is at least once: a crash between the receiver's 2xx and the
 *     commit sends that event again after the restart. Receivers deduplicate
 *     on X-Fazhi-Delivery (the event id, unique).
 *   - Stopping aborts transfers in flight at once (they are not logged and
 *     are attempted again after the restart).
 *
 * The request:
 *
 *   POST <url>
 *   Content-Type: application/json
 *   User-Agent: fazhi/<version>
 *   X-Fazhi-Event: matter.notify
 *   X-Fazhi-Delivery: <event id>
 *   X-Fazhi-Timestamp: <unix seconds of this attempt>
 *   X-Fazhi-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + body)>
 *
 *   {"id":<event id>,"type":"matter.notify","at":"2026-11-29T10:00:00+08:00",
 *    "data":<the event's payload object>}
 *
 * Management is for administrators placed at a root unit (a webhook sees the
 * events of the whole deployment): the JSON API of webhook_http.c and the
 * `fazhi webhook add|list|disable` commands; every change is audited
 * (entity "webhook", never with the secret).
 */
#ifndef FAZHI_MODULES_WEBHOOK_WEBHOOK_H
#define FAZHI_MODULES_WEBHOOK_WEBHOOK_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"

struct arena;
struct store;
struct store_conn;

#define WEBHOOK_MAX_ATTEMPTS     8
#define WEBHOOK_RETRY_DEFAULT_MS 2000
#define WEBHOOK_RETRY_CAP_MS     (10 * 60 * 1000LL)
#define WEBHOOK_POLL_MS          250
#define WEBHOOK_TIMEOUT_MS       10000
#define WEBHOOK_CONNECT_MS       5000
#define WEBHOOK_URL_MAX          2000 /* characters */
#define WEBHOOK_EVENTS_MAX       500  /* characters of the list */
#define WEBHOOK_SECRET_MIN       16
#define WEBHOOK_SECRET_MAX       200
#define WEBHOOK_SECRET_LEN       65           /* 64 hex digits (32 random bytes) and NUL */
#define WEBHOOK_SIGNATURE_LEN    (7 + 64 + 1) /* "sha256=" + hex + NUL */
#define WEBHOOK_HMAC_HEX_LEN     65

/* One webhook. Text points into the arena it was read with. */
struct webhook {
    int64_t id;
    const char *name;
    const char *url;
    const char *events; /* normalised: "a.b,c.*" */
    bool active;
    int64_t created_at_ms, updated_at_ms;
    int64_t cursor_event_id;
};

/* What a creation takes; secret may be NULL (one is generated). */
struct webhook_new {
    const char *name, *url, *events, *secret;
};

/* What a change takes: NULL / false leaves a member as it is. */
struct webhook_change {
    const char *name, *url, *events;
    bool set_active, active;
};

/* One attempt of the delivery log. */
struct webhook_delivery {
    int64_t id, webhook_id, event_id;
    const char *event_type;
    int attempt;
    int64_t at_ms;
    int http_status; /* 0: no response */
    const char *error;
    int64_t duration_ms;
    const char *outcome; /* "delivered" | "retry" | "gave_up" | "failed" */
};

/* ---- pure helpers ---- */

/* HMAC-SHA256 of data under a key of any length, as 64 lowercase hex digits. */
void webhook_hmac_hex(const void *key, size_t key_len, const void *data, size_t len,
                      char out[WEBHOOK_HMAC_HEX_LEN]);

/* "sha256=" + webhook_hmac_hex(secret, "<timestamp>.<body>"). */
void webhook_signature(const char *secret, int64_t timestamp, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_LEN]);

/* True when 'type' is matched by an entry of the list (see above). */
bool webhook_type_matches(const char *events, const char *type);

/*
 * Checks a list of event types and writes it normalised (entries trimmed,
 * joined by ',') into the arena: ERR_INVALID naming 'field' when an entry
 * is empty or malformed, or the list is too long.
 */
int webhook_events_normalise(struct arena *a, const char *in, const char *field, const char **out,
                             struct err_ctx *ec);

/* ERR_INVALID naming 'field' unless 'url' is an absolute http:// or https://
 * URL with a host. */
int webhook_url_check(const char *url, const char *field, struct err_ctx *ec);

/* The body of the request for an event (a malloc'd string, the caller frees
 * it); 'payload' is the event's JSON text. */
char *webhook_body(int64_t event_id, const char *type, int64_t at_ms, const char *payload);

/* ---- rules (inside a unit of work or a read) ---- */

/*
 * Creates a webhook (p: an administrator at a root unit). The secret,
 * given or generated, is copied to secret_out (at least WEBHOOK_SECRET_MAX
 * + 1 bytes). Audited.
 */
int webhook_create(struct store_conn *c, struct arena *a, const struct principal *p,
                   const struct webhook_new *in, int64_t *id, char *secret_out, struct err_ctx *ec);

/* Changes a webhook: ERR_NOT_FOUND naming "id"; audited. */
int webhook_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                   const struct webhook_change *ch, struct err_ctx *ec);

/* Deactivates a webhook: ERR_CONFLICT when it is not active; audited. */
int webhook_disable(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                    struct err_ctx *ec);

int webhook_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                struct webhook *out, struct err_ctx *ec);

/* Every webhook, by id. */
int webhook_list(struct store_conn *c, struct arena *a, const struct principal *p,
                 struct webhook **items, size_t *n, struct err_ctx *ec);

/* The newest 'limit' attempts of webhook 'id', newest first. */
int webhook_deliveries(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                       int64_t limit, struct webhook_delivery **items, size_t *n,
                       struct err_ctx *ec);

/* {"id","name","url","events":[...],"active","created_at","updated_at","cursor_event_id"} */
json_t *webhook_json(const struct webhook *w);

/* {"id","event_id","event_type","attempt","at","http_status","error","duration_ms","outcome"} */
json_t *webhook_delivery_json(const struct webhook_delivery *d);

/* ---- the dispatcher of `fazhi serve` ---- */

struct webhook_dispatch_options {
    int64_t retry_base_ms; /* the first back-off; 0: WEBHOOK_RETRY_DEFAULT_MS */
    int64_t poll_ms;       /* 0: WEBHOOK_POLL_MS */
    const char *version;   /* for the User-Agent "fazhi/<version>" */
};

struct webhook_dispatch;

/* Starts the thread. 'opts' is copied. */
int webhook_dispatch_start(struct store *s, const struct webhook_dispatch_options *opts,
                           struct webhook_dispatch **out, struct err_ctx *ec);

/* Makes the thread look for new events now (from the store's event hook:
 * does not block). NULL is a no-op. */
void webhook_dispatch_wake(struct webhook_dispatch *d);

/* Stops the thread (transfers in flight are abandoned at once) and frees it.
 * NULL is a no-op. */
void webhook_dispatch_stop(struct webhook_dispatch *d);

#endif
