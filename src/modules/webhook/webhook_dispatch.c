/*
 * webhook_dispatch.c - the thread of `fazhi serve` that delivers events to
 * webhooks (see webhook.h for the design).
 *
 * One thread, one curl multi handle. Each active webhook has a state here:
 * how far it has looked in the events table (scan), the cursor as last
 * stored (persisted), the event it is delivering (pending: its body,
 * attempts so far, when the next attempt is due) and the transfer in flight.
 * A webhook has at most one transfer at a time, so its events go in order;
 * the multi handle runs the transfers of different webhooks side by side,
 * so a slow receiver delays only its own webhook. Each pass:
 *
 *   1. every poll period, when woken, or after a transfer ended: read the
 *      active webhooks (a change of cursor or types from the API resets the
 *      state) and, for each without a pending event, look for the next
 *      matching event after scan;
 *   2. start the transfers that are due;
 *   3. let curl work, and record each finished attempt (the delivery row and
 *      the cursor's move, one store_write);
 *   4. wait in curl_multi_poll() until a socket is ready, the next attempt
 *      is due, the poll period ends or curl_multi_wakeup() (a wake or stop).
 *
 * Stopping wakes the poll and abandons transfers in flight without waiting
 * for them: they are not logged and are tried again after a restart.
 */
#include "core/compat.h"
#include "modules/webhook/webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

#define SCAN_BATCH   500  /* events read per look */
#define SKIP_PERSIST 1000 /* store the cursor after passing this many ids that do not match */

struct hook_state {
    int64_t id;
    char *url, *secret, *events; /* malloc'd copies of the row */
    int64_t persisted;           /* cursor_event_id as last read or written */
    int64_t scan;                /* the last event id looked at */
    bool seen;                   /* still active at the last read */

    bool pending;
    int64_t ev_id;
    char *ev_type, *body;
    int attempts;   /* made so far for the pending event */
    int64_t due_us; /* monotonic time of the next attempt */

    CURL *easy; /* the transfer in flight, or NULL */
    struct curl_slist *headers;
    int64_t started_us;
    int64_t started_ms; /* wall clock, for the log row */
    char errbuf[CURL_ERROR_SIZE];
};

struct webhook_dispatch {
    struct store *s;
    int64_t retry_base_ms, poll_ms;
    char user_agent[64];
    pthread_t thread;
    CURLM *multi;
    atomic_bool stop, kick;
    struct hook_state **hooks;
    size_t n, cap;
};

/* ---- states ---- */

static void drop_pending(struct hook_state *h)
{
    free(h->ev_type);
    free(h->body);
    h->ev_type = h->body = NULL;
    h->pending = false;
    h->attempts = 0;
}

static void abandon_transfer(struct webhook_dispatch *d, struct hook_state *h)
{
    if (!h->easy)
        return;
    curl_multi_remove_handle(d->multi, h->easy);
    curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    h->easy = NULL;
    h->headers = NULL;
}

static void hook_free(struct webhook_dispatch *d, struct hook_state *h)
{
    abandon_transfer(d, h);
    drop_pending(h);
    free(h->url);
    free(h->secret);
    free(h->events);
    free(h);
}

static char *dup_text(const char *s)
{
    return strdup(s ? s : "");
}

static void replace_text(char **slot, const char *s)
{
    if (*slot && s && strcmp(*slot, s) == 0)
        return;
    free(*slot);
    *slot = dup_text(s);
}

/* ---- reading the webhooks ---- */

struct hook_row {
    int64_t id, cursor;
    char *url, *secret, *events;
};

struct hook_rows {
    struct hook_row *rows;
    size_t n, cap;
};

static void rows_release(struct hook_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].url);
        free(r->rows[i].secret);
        free(r->rows[i].events);
    }
    free(r->rows);
    memset(r, 0, sizeof(*r));
}

static int read_hooks(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hook_rows *r = arg;
    struct store_stmt *st;
    int rc;

    rows_release(r);
    rc = store_query(c, &st, ec,
                     "SELECT id, url, secret, events, cursor_event_id FROM webhooks "
                     "WHERE active = 1 ORDER BY id",
                     "");
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 8;
            struct hook_row *bigger = realloc(r->rows, cap * sizeof(*bigger));
            if (!bigger) {
                rc = err_set(ec, ERR_NOMEM, NULL, "内存不足");
                break;
            }
            r->rows = bigger;
            r->cap = cap;
        }
        r->rows[r->n++] = (struct hook_row){
            store_col_int(st, 0), store_col_int(st, 4), dup_text(store_col_text(st, 1)),
            dup_text(store_col_text(st, 2)), dup_text(store_col_text(st, 3))};
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* Brings the states in line with the active webhooks. */
static void refresh(struct webhook_dispatch *d)
{
    struct hook_rows r = {0};
    struct err_ctx ec;
    size_t keep = 0;

    err_clear(&ec);
    if (store_read(d->s, read_hooks, &r, &ec) < 0) {
        log_warn("webhook: cannot read the webhooks: %s", ec.message);
        rows_release(&r);
        return;
    }
    for (size_t i = 0; i < d->n; i++)
        d->hooks[i]->seen = false;
    for (size_t k = 0; k < r.n; k++) {
        struct hook_row *row = &r.rows[k];
        struct hook_state *h = NULL;

        for (size_t i = 0; i < d->n && !h; i++)
            if (d->hooks[i]->id == row->id)
                h = d->hooks[i];
        if (!h) {
            if (d->n == d->cap) {
                size_t cap = d->cap ? 2 * d->cap : 8;
                struct hook_state **bigger = realloc(d->hooks, cap * sizeof(*bigger));
                if (!bigger || !(h = calloc(1, sizeof(*h)))) {
                    if (bigger)
                        d->hooks = bigger;
                    log_error("webhook: out of memory");
                    break;
                }
                d->hooks = bigger;
                d->cap = cap;
            } else if (!(h = calloc(1, sizeof(*h)))) {
                log_error("webhook: out of memory");
                break;
            }
            h->id = row->id;
            h->persisted = h->scan = row->cursor;
            d->hooks[d->n++] = h;
        }
        h->seen = true;
        if (h->easy) /* in flight: looked at again when it ends */
            continue;
        if (row->cursor != h->persisted || (h->events && strcmp(h->events, row->events) != 0)) {
            /* Changed through the API (types, or switched off and on again). */
            drop_pending(h);
            h->persisted = h->scan = row->cursor;
        }
        replace_text(&h->url, row->url);
        replace_text(&h->secret, row->secret);
        replace_text(&h->events, row->events);
    }
    rows_release(&r);
    for (size_t i = 0; i < d->n; i++) {
        if (d->hooks[i]->seen)
            d->hooks[keep++] = d->hooks[i];
        else
            hook_free(d, d->hooks[i]); /* switched off: its transfer is abandoned */
    }
    d->n = keep;
}

/* ---- looking for the next event ---- */

struct scan_op {
    const struct hook_state *h;
    int64_t scan; /* where the look ended */
    bool found, full;
    int64_t ev_id;
    char *ev_type, *body;
};

static int scan_events(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct scan_op *o = arg;
    struct store_stmt *st;
    int64_t rows = 0;
    int rc;

    o->scan = o->h->scan;
    rc = store_query(c, &st, ec,
                     "SELECT id, at_ms, type, payload FROM events WHERE id > $1 ORDER BY id "
                     "LIMIT $2",
                     "ii", o->h->scan, (int64_t)SCAN_BATCH);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        const char *type = store_col_text(st, 2);

        rows++;
        o->scan = store_col_int(st, 0);
        if (type && webhook_type_matches(o->h->events, type)) {
            o->found = true;
            o->ev_id = o->scan;
            o->ev_type = dup_text(type);
            o->body = webhook_body(o->ev_id, type, store_col_int(st, 1), store_col_text(st, 3));
            break;
        }
    }
    store_done(st);
    o->full = !o->found && rows == SCAN_BATCH;
    return rc < 0 ? rc : 0;
}

struct cursor_op {
    int64_t hook_id, from, to;
};

static int move_cursor(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cursor_op *o = arg;
    int rc = store_exec(c, ec,
                        "UPDATE webhooks SET cursor_event_id = $3 "
                        "WHERE id = $1 AND cursor_event_id = $2",
                        "iii", o->hook_id, o->from, o->to);
    return rc < 0 ? rc : 0;
}

/* Finds the pending event of an idle webhook; true when more events remain
 * to be looked at right away. */
static bool fill(struct webhook_dispatch *d, struct hook_state *h)
{
    struct scan_op o = {.h = h};
    struct err_ctx ec;

    if (h->pending || h->easy)
        return false;
    err_clear(&ec);
    if (store_read(d->s, scan_events, &o, &ec) < 0) {
        log_warn("webhook %lld: cannot read events: %s", (long long)h->id, ec.message);
        free(o.ev_type);
        free(o.body);
        return false;
    }
    h->scan = o.scan;
    if (o.found) {
        if (!o.body) {
            log_error("webhook %lld: cannot build the body of event %lld", (long long)h->id,
                      (long long)o.ev_id);
            free(o.ev_type);
            return false;
        }
        h->pending = true;
        h->ev_id = o.ev_id;
        h->ev_type = o.ev_type;
        h->body = o.body;
        h->attempts = 0;
        h->due_us = time_mono_us();
        return false;
    }
    /* Nothing to send so far: store the cursor now and then, so that a
     * restart need not look through the same events again. */
    if (h->scan - h->persisted >= SKIP_PERSIST) {
        struct cursor_op c = {h->id, h->persisted, h->scan};
        err_clear(&ec);
        if (store_write(d->s, move_cursor, &c, &ec) == 0)
            h->persisted = h->scan;
    }
    return o.full;
}

/* ---- transfers ---- */

static size_t discard_body(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

static bool add_header(struct curl_slist **list, const char *fmt, ...) FZ_PRINTF(2, 3);

static bool add_header(struct curl_slist **list, const char *fmt, ...)
{
    char line[512];
    struct curl_slist *l;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(line, "\r\n"))
        return false;
    if (!(l = curl_slist_append(*list, line)))
        return false;
    *list = l;
    return true;
}

static void start_transfer(struct webhook_dispatch *d, struct hook_state *h)
{
    char sig[WEBHOOK_SIGNATURE_LEN];
    int64_t now_ms = time_now_ms(), ts = now_ms / 1000;
    size_t len = strlen(h->body);
    struct curl_slist *hdr = NULL;
    CURL *e = curl_easy_init();
    bool ok;

    if (!e) {
        log_error("webhook %lld: cannot start a transfer", (long long)h->id);
        h->due_us = time_mono_us() + d->poll_ms * 1000;
        return;
    }
    webhook_signature(h->secret, ts, h->body, len, sig);
    ok = add_header(&hdr, "Content-Type: application/json") &&
         add_header(&hdr, "X-Fazhi-Event: %s", h->ev_type) &&
         add_header(&hdr, "X-Fazhi-Delivery: %lld", (long long)h->ev_id) &&
         add_header(&hdr, "X-Fazhi-Timestamp: %lld", (long long)ts) &&
         add_header(&hdr, "X-Fazhi-Signature: %s", sig) && add_header(&hdr, "Expect:");
    if (!ok) {
        log_error("webhook %lld: cannot build the headers of event %lld", (long long)h->id,
                  (long long)h->ev_id);
        curl_slist_free_all(hdr);
        curl_easy_cleanup(e);
        h->due_us = time_mono_us() + d->poll_ms * 1000;
        return;
    }
    h->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(e, CURLOPT_USERAGENT, d->user_agent);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_CONNECT_MS);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)h);
    if (curl_multi_add_handle(d->multi, e) != CURLM_OK) {
        log_error("webhook %lld: cannot start a transfer", (long long)h->id);
        curl_slist_free_all(hdr);
        curl_easy_cleanup(e);
        h->due_us = time_mono_us() + d->poll_ms * 1000;
        return;
    }
    h->easy = e;
    h->headers = hdr;
    h->attempts++;
    h->started_us = time_mono_us();
    h->started_ms = now_ms;
}

/* The delay after failed attempt n (1, 2, ...): base, doubling, capped. */
static int64_t backoff_ms(int64_t base, int attempts)
{
    int64_t delay = base;

    for (int i = 1; i < attempts && delay < WEBHOOK_RETRY_CAP_MS; i++)
        delay *= 2;
    return delay < WEBHOOK_RETRY_CAP_MS ? delay : WEBHOOK_RETRY_CAP_MS;
}

struct record_op {
    const struct hook_state *h;
    int http_status;
    const char *error, *outcome;
    int64_t duration_ms;
    bool final;
};

static int record_attempt(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct record_op *o = arg;
    const struct hook_state *h = o->h;
    int rc;

    rc = store_exec(c, ec,
                    "INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, "
                    "at_ms, http_status, error, duration_ms, outcome) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    "iitiiitit", h->id, h->ev_id, h->ev_type, (int64_t)h->attempts, h->started_ms,
                    (int64_t)o->http_status, o->error, o->duration_ms, o->outcome);
    if (rc < 0 || !o->final)
        return rc < 0 ? rc : 0;
    rc = store_exec(c, ec,
                    "UPDATE webhooks SET cursor_event_id = $3 "
                    "WHERE id = $1 AND cursor_event_id = $2",
                    "iii", h->id, h->persisted, h->ev_id);
    return rc < 0 ? rc : 0;
}

static void finish_transfer(struct webhook_dispatch *d, struct hook_state *h, CURLcode result)
{
    struct record_op o = {.h = h};
    long status = 0;
    char error[CURL_ERROR_SIZE + 32];
    struct err_ctx ec;

    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    o.duration_ms = (time_mono_us() - h->started_us) / 1000;
    o.http_status = result == CURLE_OK ? (int)status : 0;
    if (result != CURLE_OK)
        snprintf(error, sizeof(error), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(result));
    else if (status < 200 || status > 299)
        snprintf(error, sizeof(error), "HTTP %ld", status);
    else
        error[0] = '\0';
    o.error = error;
    if (!error[0])
        o.outcome = "delivered";
    else if (h->attempts >= WEBHOOK_MAX_ATTEMPTS)
        o.outcome = "gave_up";
    else
        o.outcome = "retry";
    o.final = strcmp(o.outcome, "retry") != 0;
    abandon_transfer(d, h); /* done with the handle */

    err_clear(&ec);
    if (store_write(d->s, record_attempt, &o, &ec) < 0) {
        /* Not recorded: try the same attempt again later. */
        log_warn("webhook %lld: cannot record the attempt on event %lld: %s", (long long)h->id,
                 (long long)h->ev_id, ec.message);
        h->attempts--;
        h->due_us = time_mono_us() + d->poll_ms * 1000;
        return;
    }
    if (strcmp(o.outcome, "delivered") == 0) {
        log_debug("webhook %lld: event %lld delivered (HTTP %ld, %lld ms)", (long long)h->id,
                  (long long)h->ev_id, status, (long long)o.duration_ms);
    } else {
        log_warn("webhook %lld: event %lld attempt %d failed: %s%s", (long long)h->id,
                 (long long)h->ev_id, h->attempts, error, o.final ? " (gave up)" : "");
    }
    if (o.final) {
        h->persisted = h->ev_id;
        drop_pending(h);
    } else {
        h->due_us = time_mono_us() + backoff_ms(d->retry_base_ms, h->attempts) * 1000;
    }
}

/* ---- the thread ---- */

static void *dispatch_main(void *arg)
{
    struct webhook_dispatch *d = arg;
    int64_t next_poll_us = 0;
    bool again = true;

    while (!atomic_load(&d->stop)) {
        int64_t now = time_mono_us(), wait_us;
        bool kicked = atomic_exchange(&d->kick, false);
        CURLMsg *msg;
        int running, left;

        if (again || kicked || now >= next_poll_us) {
            again = false;
            refresh(d);
            for (size_t i = 0; i < d->n && !atomic_load(&d->stop); i++)
                again |= fill(d, d->hooks[i]);
            next_poll_us = now + d->poll_ms * 1000;
        }
        now = time_mono_us();
        for (size_t i = 0; i < d->n; i++) {
            struct hook_state *h = d->hooks[i];
            if (h->pending && !h->easy && h->due_us <= now)
                start_transfer(d, h);
        }
        curl_multi_perform(d->multi, &running);
        while ((msg = curl_multi_info_read(d->multi, &left))) {
            struct hook_state *h;
            char *priv = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            h = (struct hook_state *)(void *)priv;
            if (h && h->easy == msg->easy_handle) {
                finish_transfer(d, h, msg->data.result);
                again = true; /* look for its next event at once */
            }
        }
        if (again)
            continue;
        now = time_mono_us();
        wait_us = next_poll_us - now;
        for (size_t i = 0; i < d->n; i++) {
            const struct hook_state *h = d->hooks[i];
            if (h->pending && !h->easy && h->due_us - now < wait_us)
                wait_us = h->due_us - now;
        }
        if (wait_us > 0)
            curl_multi_poll(d->multi, NULL, 0, (int)((wait_us + 999) / 1000), NULL);
    }
    return NULL;
}

int webhook_dispatch_start(struct store *s, const struct webhook_dispatch_options *opts,
                           struct webhook_dispatch **out, struct err_ctx *ec)
{
    struct webhook_dispatch *d;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(ec, ERR_INTERNAL, NULL, "无法初始化 libcurl");
    if (!(d = calloc(1, sizeof(*d)))) {
        curl_global_cleanup();
        return err_set(ec, ERR_NOMEM, NULL, "内存不足");
    }
    d->s = s;
    d->retry_base_ms =
        opts && opts->retry_base_ms > 0 ? opts->retry_base_ms : WEBHOOK_RETRY_DEFAULT_MS;
    d->poll_ms = opts && opts->poll_ms > 0 ? opts->poll_ms : WEBHOOK_POLL_MS;
    snprintf(d->user_agent, sizeof(d->user_agent), "fazhi/%.50s",
             opts && opts->version ? opts->version : "0");
    atomic_init(&d->stop, false);
    atomic_init(&d->kick, false);
    if (!(d->multi = curl_multi_init())) {
        free(d);
        curl_global_cleanup();
        return err_set(ec, ERR_INTERNAL, NULL, "无法初始化 libcurl");
    }
    if (pthread_create(&d->thread, NULL, dispatch_main, d) != 0) {
        curl_multi_cleanup(d->multi);
        free(d);
        curl_global_cleanup();
        return err_set(ec, ERR_INTERNAL, NULL, "无法启动 Webhook 发送线程");
    }
    *out = d;
    return 0;
}

void webhook_dispatch_wake(struct webhook_dispatch *d)
{
    if (!d)
        return;
    atomic_store(&d->kick, true);
    curl_multi_wakeup(d->multi);
}

void webhook_dispatch_stop(struct webhook_dispatch *d)
{
    if (!d)
        return;
    atomic_store(&d->stop, true);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    for (size_t i = 0; i < d->n; i++)
        hook_free(d, d->hooks[i]);
    free(d->hooks);
    curl_multi_cleanup(d->multi);
    free(d);
    curl_global_cleanup();
}
