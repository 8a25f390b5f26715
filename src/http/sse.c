/*
 * sse.c - the live-event hub: subscribers, fan-out, heartbeat, replay.
 *
 * A subscriber is one GET /api/v1/events (or topic stream) response whose
 * body comes from sub_read(), a libmicrohttpd content reader. The reader
 * copies what the subscriber's queue holds; when the queue is empty it
 * suspends the connection (MHD_suspend_connection, allowed from a content
 * reader) and returns 0. Whoever adds to the queue of a suspended subscriber
 * (the store's event hook, the heartbeat, shutdown) resumes it.
 *
 * Locks, always taken in this order: hub->lock, then sub->lock. The reader
 * runs under libmicrohttpd's response lock and takes sub->lock, then calls
 * MHD_suspend_connection() under it, so that "queue empty, so suspend"
 * cannot interleave with "queued, so resume" (a lost wake-up would stall the
 * stream until the next heartbeat). MHD_resume_connection() is never called
 * under our locks: the publisher marks the subscriber not suspended under
 * sub->lock (a "claim"), and resumes it after dropping hub->lock. A claimed
 * connection stays suspended inside libmicrohttpd until that resume, so it
 * cannot be closed, and its subscriber cannot be freed, in between.
 * hub->pending counts claims not yet resumed; shutdown waits for it to reach
 * zero, because MHD_stop_daemon() with a suspended connection aborts.
 *
 * A subscriber is freed by the response's free callback (sub_free), after
 * libmicrohttpd is done with the connection; that callback unlinks it.
 */
#include "core/compat.h"
#include "http/sse.h"
#include "core/access.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "http/internal.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define SSE_QUEUE_LIMIT  (1024 * 1024)
#define SSE_HEARTBEAT_S  15
#define SSE_DRAIN_S      2 /* how long shutdown waits for streams to end */
#define SSE_READER_BLOCK 4096
#define SSE_QUEUE_SHRINK (64 * 1024)
#define SSE_PREAMBLE     ": connected\n\nretry: 3000\n\n"
#define SSE_PING         ": ping\n\n"

/* A live event that arrived while the subscriber was replaying. */
struct held_event {
    int64_t id;
    size_t end; /* offset just past its frame in sub->held_buf */
};

struct sse_sub {
    pthread_mutex_t lock;
    struct sse_hub *hub;
    struct sse_sub *prev, *next; /* in hub->head, under hub->lock */
    struct MHD_Connection *conn;
    char scope[UNIT_PATH_MAX];
    char *topic; /* malloc'd, or NULL for any topic */
    /* The credential the stream was opened with (0 for none), so that a
       revocation or expiry ends it: see ACCESS_REVOKED_EVENT in core/access.h. */
    int64_t user_id, token_id, session_id, expires_at_ms;

    /* Under lock. */
    struct strbuf queue;
    size_t off;        /* bytes of queue already sent */
    int64_t skip_upto; /* live events up to this id were replayed */
    bool replaying;
    struct strbuf held_buf;
    struct held_event *held;
    size_t nheld, held_alloc;
    bool closed;    /* end the stream once the queue is sent */
    bool suspended; /* the reader suspended the connection */
};

struct sse_hub {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* heartbeat sleep; pending reaching zero */
    struct sse_sub *head;
    size_t count;
    size_t pending; /* claimed resumes not yet done */
    bool closed;
    bool stop;
    bool heartbeat_running;
    pthread_t heartbeat;
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("fazhi: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* ---- frames ---- */

/* "id: N\nevent: TYPE\ndata: LINE\n...\n": one data line per payload line. */
static void format_frame(struct strbuf *sb, int64_t id, const char *type, const char *payload)
{
    const char *p = payload ? payload : "";

    strbuf_addf(sb, "id: %lld\nevent: ", (long long)id);
    for (const char *t = type ? type : "message"; *t; t++)
        strbuf_addch(sb, (*t == '\r' || *t == '\n') ? ' ' : *t);
    strbuf_addch(sb, '\n');
    for (;;) {
        size_t n = strcspn(p, "\r\n");
        strbuf_adds(sb, "data: ");
        strbuf_add(sb, p, n);
        strbuf_addch(sb, '\n');
        p += n;
        if (*p == '\0')
            break;
        p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
    }
    strbuf_addch(sb, '\n');
}

/* ---- subscribers ---- */

static void sub_release(struct sse_sub *sub)
{
    strbuf_release(&sub->queue);
    strbuf_release(&sub->held_buf);
    free(sub->held);
    free(sub->topic);
    pthread_mutex_destroy(&sub->lock);
    free(sub);
}

/* libmicrohttpd is done with the response: unlink and free the subscriber. */
static void sub_free(void *cls)
{
    struct sse_sub *sub = cls;
    struct sse_hub *hub = sub->hub;

    pthread_mutex_lock(&hub->lock);
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        hub->head = sub->next;
    if (sub->next)
        sub->next->prev = sub->prev;
    if (--hub->count == 0 && hub->closed)
        pthread_cond_broadcast(&hub->cond);
    pthread_mutex_unlock(&hub->lock);
    sub_release(sub);
}

static ssize_t sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_sub *sub = cls;
    ssize_t ret;

    (void)pos;
    pthread_mutex_lock(&sub->lock);
    if (sub->queue.len > sub->off) {
        size_t n = sub->queue.len - sub->off;
        if (n > max)
            n = max;
        memcpy(buf, sub->queue.buf + sub->off, n);
        sub->off += n;
        if (sub->off == sub->queue.len) {
            if (sub->queue.alloc > SSE_QUEUE_SHRINK)
                strbuf_release(&sub->queue);
            else
                strbuf_reset(&sub->queue);
            sub->off = 0;
        }
        ret = (ssize_t)n;
    } else if (sub->closed) {
        ret = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        MHD_suspend_connection(sub->conn);
        sub->suspended = true;
        ret = 0;
    }
    pthread_mutex_unlock(&sub->lock);
    return ret;
}

/*
 * Queues a frame for 'sub' (under sub->lock). Returns true when the caller
 * must resume the connection, and has claimed that resume.
 */
static bool sub_push_locked(struct sse_sub *sub, int64_t id, const char *frame, size_t len)
{
    if (sub->closed)
        return false;
    if (sub->replaying) {
        if (sub->held_buf.len + len > SSE_QUEUE_LIMIT) {
            sub->closed = true; /* it reconnects and replays from the table */
            return false;
        }
        if (sub->nheld == sub->held_alloc) {
            sub->held_alloc = sub->held_alloc ? 2 * sub->held_alloc : 16;
            sub->held = realloc(sub->held, sub->held_alloc * sizeof(*sub->held));
            if (!sub->held) {
                fputs("fazhi: out of memory\n", stderr);
                abort();
            }
        }
        strbuf_add(&sub->held_buf, frame, len);
        sub->held[sub->nheld].id = id;
        sub->held[sub->nheld++].end = sub->held_buf.len;
        return false;
    }
    if (id > 0 && id <= sub->skip_upto)
        return false;
    if (sub->queue.len - sub->off + len > SSE_QUEUE_LIMIT) {
        /* A client that stopped reading: end its stream; on reconnect it
           replays what it missed from the event table. */
        log_warn("sse: stream in %s closed: over %d bytes queued", sub->scope, SSE_QUEUE_LIMIT);
        strbuf_release(&sub->queue);
        sub->off = 0;
        sub->closed = true;
    } else {
        strbuf_add(&sub->queue, frame, len);
    }
    if (sub->suspended) {
        sub->suspended = false;
        return true;
    }
    return false;
}

static bool sub_matches(const struct sse_sub *sub, const struct store_event_rec *ev)
{
    if (!ev->unit_path || !str_starts_with(ev->unit_path, sub->scope))
        return false;
    return !sub->topic || strcmp(ev->topic ? ev->topic : "", sub->topic) == 0;
}

/* Resumes claimed connections, outside every lock, then settles the count. */
static void resume_claimed(struct sse_hub *hub, struct sse_sub **claimed, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(claimed[i]->conn);
    pthread_mutex_lock(&hub->lock);
    hub->pending -= n;
    if (hub->pending == 0)
        pthread_cond_broadcast(&hub->cond);
    pthread_mutex_unlock(&hub->lock);
}

/* ---- the hub ---- */

/* Under hub->lock: queues 'frame' (if any) to every subscriber and claims resumes. */
static size_t push_all_locked(struct sse_hub *hub, const char *frame, size_t len,
                              struct sse_sub **claimed)
{
    size_t n = 0;

    for (struct sse_sub *sub = hub->head; sub; sub = sub->next) {
        bool resume;
        pthread_mutex_lock(&sub->lock);
        if (hub->closed) {
            sub->closed = true;
            resume = sub->suspended;
            sub->suspended = false;
        } else if (sub->replaying) {
            resume = false; /* a ping during replay is pointless */
        } else if (sub->expires_at_ms && time_now_ms() >= sub->expires_at_ms) {
            /* The session behind the stream ended: so does the stream. */
            sub->closed = true;
            resume = sub->suspended;
            sub->suspended = false;
        } else {
            resume = sub_push_locked(sub, 0, frame, len);
        }
        pthread_mutex_unlock(&sub->lock);
        if (resume)
            claimed[n++] = sub;
    }
    hub->pending += n;
    return n;
}

static void *heartbeat_main(void *arg)
{
    struct sse_hub *hub = arg;
    struct timespec deadline;

    pthread_mutex_lock(&hub->lock);
    while (!hub->stop) {
        struct sse_sub **claimed;
        size_t n;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += SSE_HEARTBEAT_S;
        while (!hub->stop && pthread_cond_timedwait(&hub->cond, &hub->lock, &deadline) != ETIMEDOUT)
            ;
        if (hub->stop)
            break;
        claimed = xmalloc(hub->count * sizeof(*claimed));
        n = push_all_locked(hub, SSE_PING, sizeof(SSE_PING) - 1, claimed);
        pthread_mutex_unlock(&hub->lock);
        resume_claimed(hub, claimed, n);
        free(claimed);
        pthread_mutex_lock(&hub->lock);
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

struct sse_hub *sse_hub_new(void)
{
    struct sse_hub *hub = xmalloc(sizeof(*hub));
    pthread_condattr_t ca;
    int rc;

    memset(hub, 0, sizeof(*hub));
    pthread_mutex_init(&hub->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hub->cond, &ca);
    pthread_condattr_destroy(&ca);
    rc = pthread_create(&hub->heartbeat, NULL, heartbeat_main, hub);
    if (rc != 0)
        log_error("sse: cannot start the heartbeat thread: %s", strerror(rc));
    hub->heartbeat_running = rc == 0;
    return hub;
}

void sse_hub_shutdown(struct sse_hub *hub)
{
    struct timespec deadline;
    struct sse_sub **claimed;
    size_t n;
    bool join;

    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->closed = true;
    hub->stop = true;
    pthread_cond_broadcast(&hub->cond);
    claimed = xmalloc(hub->count * sizeof(*claimed));
    n = push_all_locked(hub, NULL, 0, claimed);
    join = hub->heartbeat_running;
    hub->heartbeat_running = false;
    pthread_mutex_unlock(&hub->lock);

    if (join)
        pthread_join(hub->heartbeat, NULL);
    resume_claimed(hub, claimed, n);
    free(claimed);

    /* Claims made by a publisher just before 'closed' was set. */
    pthread_mutex_lock(&hub->lock);
    while (hub->pending > 0)
        pthread_cond_wait(&hub->cond, &hub->lock);
    /* Give the woken streams a moment to send their end (the last chunk),
       so that clients see a clean end rather than a cut connection. */
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += SSE_DRAIN_S;
    while (hub->count > 0 && pthread_cond_timedwait(&hub->cond, &hub->lock, &deadline) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&hub->lock);
}

void sse_hub_free(struct sse_hub *hub)
{
    if (!hub)
        return;
    sse_hub_shutdown(hub);
    if (hub->count)
        log_error("sse: %zu streams still open when the hub is freed", hub->count);
    pthread_cond_destroy(&hub->cond);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

size_t sse_hub_count(struct sse_hub *hub)
{
    size_t n;

    pthread_mutex_lock(&hub->lock);
    n = hub->count;
    pthread_mutex_unlock(&hub->lock);
    return n;
}

/*
 * Ends the streams opened with a credential that was just revoked: the
 * payload names a user (all its sessions), a session or an API token.
 */
static void close_revoked(struct sse_hub *hub, const char *payload)
{
    json_t *j = json_loads(payload ? payload : "", 0, NULL);
    json_int_t user = json_integer_value(json_object_get(j, "user_id"));
    json_int_t token = json_integer_value(json_object_get(j, "token_id"));
    json_int_t session = json_integer_value(json_object_get(j, "session_id"));
    struct sse_sub **claimed = NULL;
    size_t n = 0;

    json_decref(j);
    pthread_mutex_lock(&hub->lock);
    if (hub->count)
        claimed = xmalloc(hub->count * sizeof(*claimed));
    for (struct sse_sub *sub = hub->head; sub; sub = sub->next) {
        bool resume = false;
        if (!((user && sub->user_id == user) || (token && sub->token_id == token) ||
              (session && sub->session_id == session)))
            continue;
        pthread_mutex_lock(&sub->lock);
        if (!sub->closed) {
            sub->closed = true;
            resume = sub->suspended;
            sub->suspended = false;
        }
        pthread_mutex_unlock(&sub->lock);
        if (resume)
            claimed[n++] = sub;
    }
    hub->pending += n;
    pthread_mutex_unlock(&hub->lock);
    resume_claimed(hub, claimed, n);
    free(claimed);
}

void sse_hub_publish(const struct store_event_rec *ev, void *arg)
{
    struct sse_hub *hub = arg;
    struct strbuf frame = STRBUF_INIT;
    struct sse_sub **claimed = NULL;
    size_t n = 0;

    if (!hub || !ev)
        return;
    if (strcmp(ev->type, ACCESS_REVOKED_EVENT) == 0) {
        close_revoked(hub, ev->payload);
        return;
    }
    format_frame(&frame, ev->id, ev->type, ev->payload);
    pthread_mutex_lock(&hub->lock);
    if (!hub->closed && hub->count) {
        claimed = xmalloc(hub->count * sizeof(*claimed));
        for (struct sse_sub *sub = hub->head; sub; sub = sub->next) {
            bool resume;
            if (!sub_matches(sub, ev))
                continue;
            pthread_mutex_lock(&sub->lock);
            resume = sub_push_locked(sub, ev->id, frame.buf, frame.len);
            pthread_mutex_unlock(&sub->lock);
            if (resume)
                claimed[n++] = sub;
        }
        hub->pending += n;
    }
    pthread_mutex_unlock(&hub->lock);
    resume_claimed(hub, claimed, n);
    free(claimed);
    strbuf_release(&frame);
}

/* ---- serving a stream ---- */

struct replay {
    const struct sse_sub *sub;
    int64_t after;
    struct strbuf *out;
    int64_t max_id;
};

#define SSE_REPLAY_PAGE 1000
/* More missed than this many bytes of frames: the client is told to reload
   (event "reset") instead of being sent them all. */
#define SSE_REPLAY_LIMIT (4 * 1024 * 1024)

static int replay_page(struct store_conn *c, struct replay *r, size_t *rows, struct err_ctx *ec);

/*
 * Reads the matching events after 'after', in id order, as frames, page by
 * page, in one read transaction. When there are more than SSE_REPLAY_LIMIT
 * bytes of them, it sends a "reset" event instead of the rest and moves
 * max_id to the newest event, so the client reloads what it shows.
 */
static int replay_read(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct replay *r = arg;
    size_t rows;
    int rc;

    do {
        if (r->out->len > SSE_REPLAY_LIMIT) {
            int64_t newest = 0;
            rc = store_query_int(c, &newest, ec, "SELECT COALESCE(MAX(id), 0) FROM events", "");
            if (rc < 0)
                return rc;
            if (newest > r->max_id)
                r->max_id = newest;
            format_frame(r->out, r->max_id, "reset", "{}");
            return 0;
        }
        if ((rc = replay_page(c, r, &rows, ec)) < 0)
            return rc;
        r->after = r->max_id;
    } while (rows == SSE_REPLAY_PAGE);
    return 0;
}

static int replay_page(struct store_conn *c, struct replay *r, size_t *rows, struct err_ctx *ec)
{
    char upper[UNIT_PATH_MAX + 2];
    struct store_stmt *st = NULL;
    int rc;

    /* The subtree of P is the range [P, P || '~'): paths hold digits and '/'. */
    snprintf(upper, sizeof(upper), "%s~", r->sub->scope);
    if (r->sub->topic)
        rc = store_query(
            c, &st, ec,
            "SELECT id, type, payload FROM events WHERE id > $1 AND topic = $2"
            " AND unit_path >= $3 AND unit_path < $4 ORDER BY id LIMIT 1000", /* SSE_REPLAY_PAGE */
            "ittt", (int64_t)r->after, r->sub->topic, r->sub->scope, upper);
    else
        rc = store_query(
            c, &st, ec,
            "SELECT id, type, payload FROM events WHERE id > $1"
            " AND unit_path >= $2 AND unit_path < $3 ORDER BY id LIMIT 1000", /* SSE_REPLAY_PAGE */
            "itt", (int64_t)r->after, r->sub->scope, upper);
    if (rc < 0)
        return rc;
    *rows = 0;
    while ((rc = store_step(st, ec)) == 1) {
        int64_t id = store_col_int(st, 0);
        format_frame(r->out, id, store_col_text(st, 1), store_col_text(st, 2));
        if (id > r->max_id)
            r->max_id = id;
        (*rows)++;
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int sse_serve(struct http_request *req, const char *scope_path, const char *topic, int64_t last_id,
              struct err_ctx *ec)
{
    struct http_ctx *ctx = http_ctx_of(req);
    struct sse_hub *hub = req->hub;
    struct strbuf replayed = STRBUF_INIT;
    struct MHD_Response *resp;
    struct sse_sub *sub;
    int64_t max_id = 0;

    if (!hub || !ctx || !ctx->conn)
        return err_set(ec, ERR_INTERNAL, NULL, NULL);
    if (!scope_path)
        scope_path = "";
    if (!*scope_path && !topic)
        return err_set(ec, ERR_FORBIDDEN, NULL, "没有可以订阅的事件范围");
    if (strlen(scope_path) >= UNIT_PATH_MAX)
        return err_set(ec, ERR_INTERNAL, NULL, NULL);

    sub = xmalloc(sizeof(*sub));
    memset(sub, 0, sizeof(*sub));
    pthread_mutex_init(&sub->lock, NULL);
    sub->hub = hub;
    sub->conn = ctx->conn;
    snprintf(sub->scope, sizeof(sub->scope), "%s", scope_path);
    if (req->principal) {
        sub->user_id = req->principal->user_id;
        sub->token_id = req->principal->token_id;
        sub->session_id = req->principal->session_id;
        sub->expires_at_ms = req->principal->expires_at_ms;
    }
    if (topic) {
        sub->topic = xmalloc(strlen(topic) + 1);
        memcpy(sub->topic, topic, strlen(topic) + 1);
    }
    strbuf_init(&sub->queue, 256);
    strbuf_init(&sub->held_buf, 0);
    strbuf_adds(&sub->queue, SSE_PREAMBLE);
    sub->replaying = last_id > 0 && req->store;

    /* Register first: whatever commits from now on reaches the stream,
       either held (during the replay) or queued. */
    pthread_mutex_lock(&hub->lock);
    if (hub->closed) {
        pthread_mutex_unlock(&hub->lock);
        sub_release(sub);
        return err_set(ec, ERR_UNAVAILABLE, NULL, "服务正在停止，请稍后重新连接");
    }
    sub->next = hub->head;
    if (hub->head)
        hub->head->prev = sub;
    hub->head = sub;
    hub->count++;
    pthread_mutex_unlock(&hub->lock);

    if (sub->replaying) {
        struct replay r = {sub, last_id, &replayed, 0};
        struct err_ctx rec;
        err_clear(&rec);
        /* A failed replay still leaves a live stream: EventSource gives up
           for good on an error status, and missing history is better than
           no updates. */
        if (store_read(req->store, replay_read, &r, &rec) < 0) {
            log_warn("sse: replay after id %lld failed: %s %s", (long long)last_id, rec.message,
                     rec.detail);
            strbuf_reset(&replayed);
        } else {
            max_id = r.max_id;
        }
    }

    pthread_mutex_lock(&sub->lock);
    if (sub->replaying) {
        size_t start = 0;
        strbuf_add(&sub->queue, replayed.buf, replayed.len);
        /* Held live events already in the replay are dropped: ids grow, so
           they are a prefix of the held ones. */
        for (size_t i = 0; i < sub->nheld; i++) {
            if (sub->held[i].id <= max_id)
                start = sub->held[i].end;
        }
        strbuf_add(&sub->queue, sub->held_buf.buf + start, sub->held_buf.len - start);
        strbuf_release(&sub->held_buf);
        free(sub->held);
        sub->held = NULL;
        sub->nheld = sub->held_alloc = 0;
        sub->skip_upto = max_id;
        sub->replaying = false;
    }
    pthread_mutex_unlock(&sub->lock);
    strbuf_release(&replayed);

    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_READER_BLOCK, sub_read, sub,
                                             sub_free);
    if (!resp) {
        sub_free(sub);
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    }
    http_add_header(req, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    http_add_header(req, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    http_add_header(req, "X-Accel-Buffering", "no");
    response_set_mhd(ctx, 200, resp);
    return 0;
}
