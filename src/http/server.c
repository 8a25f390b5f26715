/*
 * server.c - libmicrohttpd glue: start and stop, the request life cycle,
 * authentication, role and CSRF checks, and the built-in routes.
 *
 * Life of a request (libmicrohttpd calls, in order):
 *   on_uri        the request line arrived: create the arena and context
 *                 (the raw URI is only visible here; we split path and query
 *                 ourselves and keep libmicrohttpd from decoding either);
 *   on_request #1 headers are in: remember method, peer, TLS; look the
 *                 route up (its max_body is the body limit); answer 413 at
 *                 once if Content-Length is over the limit. Nothing else is
 *                 queued on this call, because a reply queued on the first
 *                 call loses keep-alive (measured with 0.9.75): a 404 or 405
 *                 waits for the last call like any other reply;
 *   on_request #n body pieces: copy up to the limit (a large body into a
 *                 malloc'd buffer, reserved from the budget as it grows),
 *                 drop the rest;
 *   on_request #last answer 404/405, authenticate, check roles and CSRF,
 *                 run the handler, queue the reply;
 *   on_completed  log one line and free the arena.
 *
 * The daemon runs an epoll thread pool; each I/O thread owns its
 * connections, so the request path of a read takes no lock of ours.
 *
 * Requests with an unsafe method (POST, PUT, PATCH, DELETE) may block: a
 * durable write waits for its group commit, a sign-in spends ~0.1 s hashing.
 * Run on an I/O thread, that would stall every other connection of the
 * thread and, worse, cap the writes waiting for one group commit at the
 * number of I/O threads. So their last on_request call suspends the
 * connection and hands the request to a pool of blocking workers; the
 * worker runs the handler and resumes the connection, and the next
 * on_request call queues the reply. Reads stay on the I/O threads.
 */
#include "core/compat.h"
#include "http/server.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "http/internal.h"
#include "http/router.h"
#include "http/sse.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_LISTEN      "127.0.0.1:8080"
#define DEFAULT_MAX_BODY    (1024 * 1024)
#define DEFAULT_TIMEOUT_S   30
#define DEFAULT_CONNECTIONS 4096
#define CONNECTION_MEMORY   (16 * 1024)
#define LISTEN_BACKLOG      1024
#define BODY_FIRST_ALLOC    4096
/* How much of an over-long body (without Content-Length) we read and drop
   before hanging up instead of answering 413. */
#define DISCARD_LIMIT (8 * 1024 * 1024)

/*
 * Request bodies are buffered whole before the handler runs, and a route
 * that takes photos accepts 26 MiB from anyone: without a bound, a few
 * hundred slow anonymous uploads would hold gigabytes. Bodies larger than
 * the server's max_body share this budget, reserved as their bytes arrive
 * (never from the declared Content-Length, which costs a client nothing to
 * send); a body whose next growth does not fit is read and dropped, then
 * answered 503 (try again later). Bodies up to max_body do not count: a
 * sign-in always gets through.
 */
#define DEFAULT_BODY_BUDGET ((size_t)512 * 1024 * 1024)

/* Blocking workers: enough that many writes wait for one group commit. */
#define DEFAULT_WORKERS 64
#define WORKER_STACK    (1024 * 1024)

struct http_server {
    struct router *router;
    /* The blocking-work queue (see the top of this file). */
    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_ready, jobs_idle;
    struct http_ctx *jobs_head, **jobs_tail;
    pthread_t *workers;
    unsigned nworkers, busy;
    bool draining; /* no new jobs: run them inline */
    bool quit;     /* workers leave once the queue is empty */
    struct sse_hub *hub;
    struct MHD_Daemon *daemon;
    struct store *store;
    http_auth_fn auth;
    http_page_error_fn page_error;
    char *version;
    size_t max_body;
    size_t body_budget;
    char *trusted_proxy;       /* or NULL */
    _Atomic size_t body_bytes; /* buffered by requests in flight, within body_budget */
    unsigned port;
};

/* Reserves room for a body of 'bytes' in all (what ctx reserved counts);
 * false when the budget is spent. Only bodies over the server's max_body
 * reserve (see body_grow()). */
static bool body_reserve(struct http_ctx *ctx, size_t bytes)
{
    size_t extra = bytes > ctx->body_reserved ? bytes - ctx->body_reserved : 0;

    if (extra == 0)
        return true;
    if (atomic_fetch_add(&ctx->srv->body_bytes, extra) + extra > ctx->srv->body_budget) {
        atomic_fetch_sub(&ctx->srv->body_bytes, extra);
        return false;
    }
    ctx->body_reserved = bytes;
    return true;
}

/* Gives back the body's buffer (when malloc'd) and its share of the budget. */
static void body_drop(struct http_ctx *ctx)
{
    free(ctx->body_heap);
    ctx->body_heap = NULL;
    ctx->body_buf = NULL;
    ctx->body_cap = 0;
    ctx->req.body_len = 0;
    if (ctx->body_reserved)
        atomic_fetch_sub(&ctx->srv->body_bytes, ctx->body_reserved);
    ctx->body_reserved = 0;
}

/*
 * Makes room for 'need' bytes (the final NUL included) in a malloc'd buffer
 * that grows geometrically up to ctx->body_limit. Once the buffer is larger
 * than the server's max_body, the body reserves exactly the capacity it
 * holds. False when the budget (or memory) is spent.
 */
static bool body_grow(struct http_ctx *ctx, size_t need)
{
    size_t cap = ctx->body_cap ? ctx->body_cap : BODY_FIRST_ALLOC;
    char *buf;

    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > ctx->body_limit)
        cap = ctx->body_limit > need ? ctx->body_limit : need;
    if (cap > ctx->srv->max_body + 1 && !body_reserve(ctx, cap))
        return false;
    if (ctx->body_heap) {
        buf = realloc(ctx->body_heap, cap);
    } else {
        /* The first heap buffer; a Content-Length body starts in the arena. */
        buf = malloc(cap);
        if (buf && ctx->req.body_len)
            memcpy(buf, ctx->body_buf, ctx->req.body_len);
    }
    if (!buf)
        return false;
    ctx->body_heap = buf;
    ctx->body_buf = buf;
    ctx->body_cap = cap;
    return true;
}

size_t http_server_body_bytes(const struct http_server *srv)
{
    return atomic_load(&srv->body_bytes);
}

/* The last message libmicrohttpd logged in this thread: why a start failed. */
static _Thread_local char last_mhd_error[256];

/* ---- built-in routes ---- */

/* GET /healthz -> 200 {"status":"ok","version","database":{"backend","ok","schema"},"streams"}
 *              | 503 {"status":"unavailable",...} */
static int handle_healthz(struct http_request *req, struct err_ctx *ec)
{
    struct http_server *srv = http_ctx_of(req)->srv;
    json_int_t streams = (json_int_t)sse_hub_count(srv->hub);
    struct err_ctx dbec;
    int current = 0, latest = 0;
    const char *backend;
    bool ok;

    (void)ec;
    if (!srv->store)
        return http_reply_json(req, 200,
                               json_pack("{s:s, s:s, s:n, s:I}", "status", "ok", "version",
                                         srv->version, "database", "streams", streams));
    err_clear(&dbec);
    ok = store_ping(srv->store, &dbec) == 0 &&
         store_schema_version(srv->store, &current, &latest, &dbec) == 0;
    if (!ok)
        log_warn("healthz: database check failed: %s %s", dbec.message, dbec.detail);
    backend = store_backend_name(srv->store);
    return http_reply_json(req, ok ? 200 : 503,
                           json_pack("{s:s, s:s, s:{s:s, s:b, s:i}, s:I}", "status",
                                     ok ? "ok" : "unavailable", "version", srv->version, "database",
                                     "backend", backend ? backend : "", "ok", ok, "schema", current,
                                     "streams", streams));
}

/* GET /api/v1/events[?last_event_id=N]  (Last-Event-ID: N) -> 200 text/event-stream */
static int handle_events(struct http_request *req, struct err_ctx *ec)
{
    const char *h = http_header(req, "Last-Event-ID");
    int64_t last = 0;
    int rc;

    if (h) {
        /* The browser echoes what we sent; anything else means "from now". */
        if (str_to_int64(h, 0, INT64_MAX, &last) < 0)
            last = 0;
    } else if ((rc = http_query_int(req, "last_event_id", 0, INT64_MAX, 0, &last, ec)) < 0) {
        return rc;
    }
    return sse_serve(req, req->principal->unit_path, NULL, last, ec);
}

static const struct http_route builtin_routes[] = {
    {"GET", "/healthz", handle_healthz, HTTP_PUBLIC, 0},
    {"GET", "/api/v1/events", handle_events, 0, 0},
};

/* ---- checks before the handler ---- */

/*
 * Runs the auth hook. A stale session cookie on a public route is treated
 * as no credentials, so that an expired session never locks anyone out of
 * the sign-in page; a bad bearer token is always an error, because a
 * program should learn that its token is wrong.
 */
static int authenticate(struct http_ctx *ctx, const struct http_route *route, struct err_ctx *ec)
{
    struct http_request *req = &ctx->req;
    int rc;

    if (!ctx->srv->auth)
        return 0;
    rc = ctx->srv->auth(req, &ctx->principal, ec);
    if (rc > 0) {
        req->principal = &ctx->principal;
        return 0;
    }
    req->via_cookie = false;
    if (rc == 0)
        return 0;
    if ((route->flags & HTTP_PUBLIC) && rc == ERR_UNAUTHENTICATED &&
        !http_header(req, MHD_HTTP_HEADER_AUTHORIZATION)) {
        err_clear(ec);
        return 0;
    }
    if (ec->code == ERR_OK)
        err_set(ec, (enum err)rc, NULL, NULL);
    return ec->code;
}

static bool method_is_safe(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/*
 * The CSRF token of the session must come back in the X-CSRF-Token header
 * (scripts) or, for a form posted by a page without JavaScript, in its
 * csrf_token field (urlencoded or multipart). Compared in constant time.
 */
static bool csrf_ok(struct http_ctx *ctx, struct err_ctx *ec)
{
    struct http_request *req = &ctx->req;
    const char *want = req->principal->csrf_token;
    const char *got = http_header(req, "X-CSRF-Token");
    const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = strnlen(want, sizeof(req->principal->csrf_token));

    if (n == 0 || n == sizeof(req->principal->csrf_token))
        return false;
    if (!got && (parse_media_type_is(ct, "application/x-www-form-urlencoded") ||
                 parse_media_type_is(ct, "multipart/form-data"))) {
        /* Parsed once: the handler gets the same form. A malformed one
           has no token, so the request is refused here. */
        struct http_form *f;
        struct err_ctx fec;
        err_clear(&fec);
        if (http_form_body(req, &f, &fec) == 0)
            got = http_form_get(f, "csrf_token");
        else if (fec.code == ERR_TOO_LARGE)
            *ec = fec; /* a form too big to parse: say so, not "no token" */
    }
    return got && strlen(got) == n && sodium_memcmp(got, want, n) == 0;
}

/* True for an address a person reads as a page: not the JSON API, not the
 * Open311 API, not a static file, not the health check. */
static bool is_page_path(const char *path)
{
    return !str_starts_with(path, "/api/") && !str_starts_with(path, "/open311/") &&
           !str_starts_with(path, "/static/") && strcmp(path, "/healthz") != 0;
}

static void dispatch(struct http_ctx *ctx)
{
    struct http_request *req = &ctx->req;
    const struct http_route *route;
    const struct router_match *m = &ctx->match; /* looked up by request_begin() */
    struct err_ctx ec;
    int rc = ctx->match_rc;

    err_clear(&ec);
    if (rc < 0) {
        err_set(&ec, (enum err)rc, NULL, NULL);
        if (rc == ERR_NOT_FOUND && is_page_path(req->path) && ctx->srv->page_error) {
            /* A person who typed or followed a wrong address gets a page in
               the layout they know (signed in or not), not JSON. */
            static const struct http_route any_page = {"GET", "", NULL, HTTP_PUBLIC | HTTP_PAGE, 0};
            struct err_ctx aec, pec = ec;
            err_clear(&aec);
            if (authenticate(ctx, &any_page, &aec) < 0)
                req->principal = NULL;
            if (ctx->srv->page_error(req, &pec) == 0)
                return;
        }
        response_error(ctx, &ec, ctx->allow);
        return;
    }
    route = m->route;
    req->nparams = m->nparams;
    for (size_t i = 0; i < m->nparams; i++) {
        req->param_names[i] = m->names[i];
        req->param_values[i] = m->values[i];
    }
    if (request_parse_query(ctx, &ec) < 0 || authenticate(ctx, route, &ec) < 0)
        goto fail;
    if (!(route->flags & HTTP_PUBLIC)) {
        if (!req->principal) {
            err_set(&ec, ERR_UNAUTHENTICATED, NULL, "请先登录");
            goto fail;
        }
        if (!access_has_role(req->principal, route->roles)) {
            err_set(&ec, ERR_FORBIDDEN, NULL, "当前角色无权执行此操作");
            goto fail;
        }
    }
    if (req->via_cookie && req->principal && !method_is_safe(req->method) &&
        !(route->flags & HTTP_NO_CSRF) && !csrf_ok(ctx, &ec)) {
        if (ec.code == ERR_OK)
            err_set(&ec, ERR_FORBIDDEN, "csrf_token", "缺少或无效的 CSRF 令牌");
        goto fail;
    }
    rc = route->handler(req, &ec);
    if (rc < 0) {
        if (ec.code == ERR_OK)
            err_set(&ec, (enum err)rc, NULL, NULL);
        goto fail;
    }
    return; /* no reply chosen: response_queue() answers 500 */
fail:
    if ((route->flags & HTTP_PAGE) && ctx->srv->page_error) {
        struct err_ctx pec = ec;
        response_reset(ctx);
        if (ctx->srv->page_error(req, &pec) == 0)
            return;
    }
    response_error(ctx, &ec, NULL);
}

/* ---- libmicrohttpd callbacks ---- */

/* Leaves the path and query undecoded: the router and parse.c decode them. */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

/* libmicrohttpd messages about one client going away, not about us. */
static const char *const mhd_client_noise[] = {
    "no longer available", "onnection reset", "Failed to send",
    "Failed to receive",   "timed out",       "closed by remote",
};

static void on_mhd_log(void *cls, const char *fmt, va_list ap) FZ_PRINTF(2, 0);

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    enum log_level level = LOG_WARN;
    size_t n;

    (void)cls;
    vsnprintf(last_mhd_error, sizeof(last_mhd_error), fmt, ap);
    n = strlen(last_mhd_error);
    while (n && (last_mhd_error[n - 1] == '\n' || last_mhd_error[n - 1] == '\r'))
        last_mhd_error[--n] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(mhd_client_noise); i++)
        if (strstr(last_mhd_error, mhd_client_noise[i]))
            level = LOG_DEBUG;
    log_write(level, "libmicrohttpd: %s", last_mhd_error);
}

static struct http_ctx *ctx_new(struct http_server *srv, struct MHD_Connection *conn,
                                const char *uri)
{
    struct arena *a = arena_new();
    struct http_ctx *ctx = arena_zalloc(a, sizeof(*ctx));
    const char *q = uri ? strchr(uri, '?') : NULL;

    ctx->srv = srv;
    ctx->conn = conn;
    ctx->start_us = time_mono_us();
    ctx->headers_tail = &ctx->headers;
    ctx->req.arena = a;
    ctx->req.store = srv->store;
    ctx->req.hub = srv->hub;
    ctx->req.server_private = ctx;
    ctx->req.method = "-";
    ctx->req.body = "";
    ctx->req.client_ip = "-";
    ctx->text_max_body = srv->max_body;
    if (!uri)
        uri = "";
    if (q) {
        ctx->req.path = arena_strndup(a, uri, (size_t)(q - uri));
        ctx->query_len = strlen(q + 1);
        ctx->query = arena_strndup(a, q + 1, ctx->query_len);
    } else {
        ctx->req.path = arena_strdup(a, uri);
    }
    return ctx;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    return ctx_new(cls, conn, uri);
}

static const char *client_ip(struct MHD_Connection *conn, struct arena *a)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char *buf = arena_alloc(a, INET6_ADDRSTRLEN);

    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        if (inet_ntop(AF_INET, &in->sin_addr, buf, INET6_ADDRSTRLEN))
            return buf;
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        /* A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, INET6_ADDRSTRLEN))
                return buf;
        } else if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, INET6_ADDRSTRLEN)) {
            return buf;
        }
    }
    return "-";
}

/* Keeps the last X-Forwarded-For line (libmicrohttpd walks them in order). */
static enum MHD_Result last_forwarded_line(void *cls, enum MHD_ValueKind kind, const char *key,
                                           const char *value)
{
    (void)kind;
    if (key && value && strcasecmp(key, "X-Forwarded-For") == 0)
        *(const char **)cls = value;
    return MHD_YES;
}

/*
 * The client behind the trusted proxy: the last address of the last
 * X-Forwarded-For line (the one that proxy appended, as a new line or at
 * the end of the client's; every entry before it is the client's to
 * invent). MHD_lookup_connection_value() would return the first line: the
 * client's own. 'peer' when the header is missing or that entry is no
 * address.
 */
static const char *forwarded_for(struct MHD_Connection *conn, struct arena *a, const char *peer)
{
    const char *h = NULL;
    const char *last, *text;
    unsigned char addr[sizeof(struct in6_addr)];
    size_t n;

    MHD_get_connection_values(conn, MHD_HEADER_KIND, last_forwarded_line, (void *)&h);
    if (!h)
        return peer;
    last = strrchr(h, ',');
    text = str_trim(last ? last + 1 : h, &n);
    if (n == 0 || n >= INET6_ADDRSTRLEN)
        return peer;
    text = arena_strndup(a, text, n);
    if (inet_pton(AF_INET, text, addr) != 1 && inet_pton(AF_INET6, text, addr) != 1)
        return peer;
    return text;
}

/* The first call: headers are in, the body (if any) is not. */
static enum MHD_Result request_begin(struct http_ctx *ctx, const char *method)
{
    struct http_request *req = &ctx->req;
    const char *proto, *cl;
    int64_t declared;

    ctx->started = true;
    req->method = arena_strdup(req->arena, method);
    req->client_ip = client_ip(ctx->conn, req->arena);
    if (ctx->srv->trusted_proxy && strcmp(req->client_ip, ctx->srv->trusted_proxy) == 0)
        req->client_ip = forwarded_for(ctx->conn, req->arena, req->client_ip);
    proto = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    req->secure = proto && strcasecmp(proto, "https") == 0;
    /* The route decides the body limit, so it is found before the body is
       read; a 404 or 405 is only answered on the last call (see above). */
    ctx->match_rc = router_match(ctx->srv->router, req->arena, req->method, req->path, &ctx->match,
                                 ctx->allow, sizeof(ctx->allow));
    ctx->max_body = ctx->srv->max_body;
    if (ctx->match_rc == 0 && ctx->match.route->max_body)
        ctx->max_body = ctx->match.route->max_body;
    ctx->body_limit = ctx->max_body + 1;
    cl = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && str_to_int64(cl, 0, INT64_MAX, &declared) == 0) {
        /* A body over the limit is read and dropped, then answered 413: a
           reply sent while the client is still uploading can reach it as a
           connection reset instead. Only a body too big to read through
           is refused at once. */
        if ((uint64_t)declared > ctx->max_body && (uint64_t)declared <= DISCARD_LIMIT) {
            ctx->too_large = true;
        } else if ((uint64_t)declared > ctx->max_body) {
            /* Answer before reading the body; libmicrohttpd closes the
               connection after this reply, which is what we want. */
            struct err_ctx ec;
            err_clear(&ec);
            err_set(&ec, ERR_TOO_LARGE, NULL, "请求体超过 %zu 字节的上限", ctx->max_body);
            response_error(ctx, &ec, NULL);
            return response_queue(ctx);
        }
        if (declared > 0 && !ctx->too_large) {
            /* Room for the declared body, but no more than arrives: a small
               one (up to the server's max_body) in the arena at once, a
               larger one grown (and reserved) as its bytes come in. */
            ctx->body_limit = (size_t)declared + 1;
            if ((uint64_t)declared <= ctx->srv->max_body) {
                ctx->body_cap = (size_t)declared + 1;
                ctx->body_buf = arena_alloc(req->arena, ctx->body_cap);
            }
        }
    }
    return MHD_YES;
}

static enum MHD_Result request_body(struct http_ctx *ctx, const char *data, size_t n)
{
    struct http_request *req = &ctx->req;
    size_t max = ctx->max_body;

    if (ctx->too_large || n > max - req->body_len) {
        /* A body within the route's limit that found no room is read to
           its end for the 503; one over the limit up to DISCARD_LIMIT. */
        uint64_t keep_reading = ctx->over_budget && max > DISCARD_LIMIT ? max : DISCARD_LIMIT;
        ctx->too_large = true;
        ctx->discarded += n;
        return ctx->discarded > keep_reading ? MHD_NO : MHD_YES;
    }
    if (req->body_len + n + 1 > ctx->body_cap && !body_grow(ctx, req->body_len + n + 1)) {
        body_drop(ctx);          /* nothing of it is kept from here on */
        ctx->over_budget = true; /* read and dropped, then answered 503 */
        ctx->too_large = true;
        ctx->discarded += n;
        return MHD_YES;
    }
    memcpy(ctx->body_buf + req->body_len, data, n);
    req->body_len += n;
    return MHD_YES;
}

/* ---- blocking workers ---- */

/*
 * Suspends the connection and queues the request for a worker. Returns
 * false when the pool is draining (shutdown): the caller then runs the
 * request inline, so that no connection stays suspended when the daemon
 * stops.
 */
static bool offload(struct http_ctx *ctx)
{
    struct http_server *srv = ctx->srv;

    pthread_mutex_lock(&srv->jobs_lock);
    if (srv->draining || !srv->nworkers) {
        pthread_mutex_unlock(&srv->jobs_lock);
        return false;
    }
    /* Suspend first: the worker's resume must come after it. */
    MHD_suspend_connection(ctx->conn);
    ctx->next_job = NULL;
    *srv->jobs_tail = ctx;
    srv->jobs_tail = &ctx->next_job;
    pthread_cond_signal(&srv->jobs_ready);
    pthread_mutex_unlock(&srv->jobs_lock);
    return true;
}

static void *worker_main(void *arg)
{
    struct http_server *srv = arg;

    pthread_mutex_lock(&srv->jobs_lock);
    for (;;) {
        struct http_ctx *ctx;

        while (!srv->jobs_head && !srv->quit)
            pthread_cond_wait(&srv->jobs_ready, &srv->jobs_lock);
        if (!srv->jobs_head)
            break;
        ctx = srv->jobs_head;
        srv->jobs_head = ctx->next_job;
        if (!srv->jobs_head)
            srv->jobs_tail = &srv->jobs_head;
        srv->busy++;
        pthread_mutex_unlock(&srv->jobs_lock);

        dispatch(ctx);
        ctx->dispatched = true;
        MHD_resume_connection(ctx->conn);

        pthread_mutex_lock(&srv->jobs_lock);
        if (--srv->busy == 0 && !srv->jobs_head)
            pthread_cond_broadcast(&srv->jobs_idle);
    }
    pthread_mutex_unlock(&srv->jobs_lock);
    return NULL;
}

static int workers_start(struct http_server *srv, unsigned n, struct err_ctx *ec)
{
    pthread_attr_t attr;

    srv->workers = calloc(n, sizeof(*srv->workers));
    if (!srv->workers)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (; srv->nworkers < n; srv->nworkers++) {
        if (pthread_create(&srv->workers[srv->nworkers], &attr, worker_main, srv) != 0) {
            pthread_attr_destroy(&attr);
            return err_set(ec, ERR_INTERNAL, NULL, "无法创建工作线程");
        }
    }
    pthread_attr_destroy(&attr);
    return 0;
}

/* Refuses new jobs and waits until the queued and running ones are done
 * (each resumes its connection). */
static void workers_drain(struct http_server *srv)
{
    pthread_mutex_lock(&srv->jobs_lock);
    srv->draining = true;
    while (srv->jobs_head || srv->busy)
        pthread_cond_wait(&srv->jobs_idle, &srv->jobs_lock);
    pthread_mutex_unlock(&srv->jobs_lock);
}

static void workers_stop(struct http_server *srv)
{
    pthread_mutex_lock(&srv->jobs_lock);
    srv->quit = true;
    pthread_cond_broadcast(&srv->jobs_ready);
    pthread_mutex_unlock(&srv->jobs_lock);
    for (unsigned i = 0; i < srv->nworkers; i++)
        pthread_join(srv->workers[i], NULL);
    free(srv->workers);
    srv->workers = NULL;
    srv->nworkers = 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_ctx *ctx = *con_cls;

    (void)version;
    if (!ctx) /* only if on_uri did not run */
        *con_cls = ctx = ctx_new(cls, conn, url);
    if (!ctx->started)
        return request_begin(ctx, method);
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return request_body(ctx, upload_data, n);
    }
    if (ctx->queued)
        return MHD_YES;
    if (ctx->dispatched) /* a worker ran it and resumed the connection */
        return response_queue(ctx);
    if (ctx->body_buf) {
        ctx->body_buf[ctx->req.body_len] = '\0';
        ctx->req.body = ctx->body_buf;
    }
    if (ctx->too_large) {
        struct err_ctx ec;
        err_clear(&ec);
        if (ctx->over_budget)
            err_set(&ec, ERR_UNAVAILABLE, NULL, "服务器正忙，请稍后再试");
        else
            err_set(&ec, ERR_TOO_LARGE, NULL, "请求体超过 %zu 字节的上限", ctx->max_body);
        response_error(ctx, &ec, NULL);
    } else {
        if (!method_is_safe(ctx->req.method) && offload(ctx))
            return MHD_YES;
        dispatch(ctx);
    }
    return response_queue(ctx);
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return "";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return " (timeout)";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return " (shutdown)";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return " (client closed)";
    default:
        return " (error)";
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_ctx *ctx = *con_cls;

    (void)cls;
    (void)conn;
    if (!ctx)
        return;
    *con_cls = NULL;
    if (log_get_level() <= LOG_INFO) {
        const struct principal *p = ctx->req.principal;
        const char *path = http_log_path(&ctx->req);
        char user[32], status[8];

        if (!p)
            snprintf(user, sizeof(user), "-");
        else if (p->user_id)
            snprintf(user, sizeof(user), "%lld", (long long)p->user_id);
        else
            snprintf(user, sizeof(user), "token:%lld", (long long)p->token_id);
        if (ctx->queued)
            snprintf(status, sizeof(status), "%d", ctx->status);
        else
            snprintf(status, sizeof(status), "-");
        log_info("http %s %s %s %zuB %lldus user=%s%s", ctx->req.method, path, status, ctx->bytes,
                 (long long)(time_mono_us() - ctx->start_us), user, termination_name(toe));
    }
    response_reset(ctx); /* a reply never queued (the client left) */
    body_drop(ctx);
    arena_free(ctx->req.arena);
}

/* ---- start and stop ---- */

/*
 * Splits "host:port", "[v6]:port" or ":port" (every interface). Fills *addr
 * for a host, or sets *any for none; *port gets the port.
 */
static int parse_listen(const char *listen, struct sockaddr_storage *addr, bool *any,
                        unsigned *port, struct err_ctx *ec)
{
    char host[256];
    const char *colon, *hs, *he;
    struct addrinfo hints, *res = NULL;
    int64_t p;
    int rc;

    if (listen[0] == '[') {
        hs = listen + 1;
        he = strchr(hs, ']');
        if (!he || he[1] != ':')
            goto bad;
        colon = he + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            goto bad;
        hs = listen;
        he = colon;
        if (memchr(hs, ':', (size_t)(he - hs)))
            goto bad; /* a bare IPv6 address needs brackets */
    }
    if (str_to_int64(colon + 1, 0, 65535, &p) < 0 || (size_t)(he - hs) >= sizeof(host))
        goto bad;
    *port = (unsigned)p;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    *any = host[0] == '\0';
    if (*any)
        return 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 || !res)
        return err_set(ec, ERR_INVALID, "listen", "无法解析监听地址“%s”：%s", host,
                       gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (addr->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)addr)->sin_port = htons((uint16_t)p);
    else if (addr->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)(void *)addr)->sin6_port = htons((uint16_t)p);
    else
        goto bad;
    return 0;
bad:
    return err_set(ec, ERR_INVALID, "listen",
                   "监听地址“%s”无效，应为“主机:端口”、“[IPv6]:端口”或“:端口”", listen);
}

/*
 * The text form client_ip() gives an address (inet_ntop's, an IPv4-mapped
 * IPv6 address as IPv4), so that the trusted proxy compares equal however it
 * was written. -1 when 'text' is not an IPv4 or IPv6 address: a hostname or
 * "host:port" must not be taken for one.
 */
static int canonical_address(const char *text, char *out, size_t size)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, text, &a4) == 1)
        return inet_ntop(AF_INET, &a4, out, (socklen_t)size) ? 0 : -1;
    if (inet_pton(AF_INET6, text, &a6) != 1)
        return -1;
    if (IN6_IS_ADDR_V4MAPPED(&a6))
        return inet_ntop(AF_INET, &a6.s6_addr[12], out, (socklen_t)size) ? 0 : -1;
    return inet_ntop(AF_INET6, &a6, out, (socklen_t)size) ? 0 : -1;
}

/* Each connection is a descriptor: make room for the configured number. */
static void raise_fd_limit(unsigned connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn("http: open-file limit %llu is below %u connections; raise it (ulimit -n)",
                 (unsigned long long)rl.rlim_cur, connections);
}

static struct MHD_Daemon *start_daemon(struct http_server *srv, unsigned flags, unsigned port,
                                       const struct sockaddr *addr, unsigned threads,
                                       unsigned timeout_s, unsigned connections)
{
    struct MHD_OptionItem ops[8];
    size_t n = 0;

    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, connections, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG, NULL};
    /* A pool of one is no pool (libmicrohttpd warns about it). */
    if (threads > 1)
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    /* Without an address, libmicrohttpd binds 'port' on every interface. */
    if (addr)
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)addr};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, srv,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_UNESCAPE_CALLBACK,
                            on_unescape, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                            MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
}

static void server_free(struct http_server *srv)
{
    if (!srv)
        return;
    workers_stop(srv);
    pthread_mutex_destroy(&srv->jobs_lock);
    pthread_cond_destroy(&srv->jobs_ready);
    pthread_cond_destroy(&srv->jobs_idle);
    sse_hub_free(srv->hub);
    router_free(srv->router);
    free(srv->version);
    free(srv->trusted_proxy);
    free(srv);
}

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct err_ctx *ec)
{
    const char *listen = cfg->listen && *cfg->listen ? cfg->listen : DEFAULT_LISTEN;
    unsigned threads, timeout_s, connections, port = 0, flags;
    struct sockaddr_storage addr;
    struct http_server *srv;
    const union MHD_DaemonInfo *info;
    char proxy[INET6_ADDRSTRLEN];
    bool any = false;
    int rc = 0;

    *out = NULL;
    if (sodium_init() < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "libsodium 初始化失败");
    if (cfg->trusted_proxy && *cfg->trusted_proxy &&
        canonical_address(cfg->trusted_proxy, proxy, sizeof(proxy)) < 0)
        return err_set(ec, ERR_INVALID, "trusted_proxy",
                       "受信任的代理“%s”不是 IP 地址：应为一个 IPv4 或 IPv6 地址，不带端口，"
                       "不能是主机名",
                       cfg->trusted_proxy);
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    pthread_mutex_init(&srv->jobs_lock, NULL);
    pthread_cond_init(&srv->jobs_ready, NULL);
    pthread_cond_init(&srv->jobs_idle, NULL);
    srv->jobs_tail = &srv->jobs_head;
    srv->store = cfg->store;
    srv->auth = cfg->auth;
    srv->page_error = cfg->page_error;
    srv->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    srv->trusted_proxy = cfg->trusted_proxy && *cfg->trusted_proxy ? strdup(proxy) : NULL;
    srv->body_budget = cfg->body_budget ? cfg->body_budget : DEFAULT_BODY_BUDGET;
    srv->version = strdup(cfg->version ? cfg->version : "");
    srv->router = router_new();
    if (!srv->version) {
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    for (size_t i = 0; i < ARRAY_SIZE(builtin_routes); i++)
        if ((rc = router_add(srv->router, &builtin_routes[i], ec)) < 0)
            goto out;
    for (size_t t = 0; t < cfg->ntables; t++)
        for (size_t i = 0; i < cfg->tables[t].count; i++)
            if ((rc = router_add(srv->router, &cfg->tables[t].routes[i], ec)) < 0)
                goto out;
    if ((rc = parse_listen(listen, &addr, &any, &port, ec)) < 0)
        goto out;
    if ((rc = workers_start(srv, cfg->workers ? (unsigned)cfg->workers : DEFAULT_WORKERS, ec)) < 0)
        goto out;
    srv->hub = sse_hub_new();

    threads = cfg->threads > 0 ? (unsigned)cfg->threads : 0;
    if (!threads) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (unsigned)cores : 1;
    }
    timeout_s = cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S;
    connections = cfg->max_connections ? cfg->max_connections : DEFAULT_CONNECTIONS;
    raise_fd_limit(connections);

    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    last_mhd_error[0] = '\0';
    if (any) {
        /* Every interface: IPv6 and IPv4 on one socket, or IPv4 alone on a
           machine without IPv6. */
        srv->daemon = start_daemon(srv, flags | MHD_USE_DUAL_STACK, port, NULL, threads, timeout_s,
                                   connections);
        if (!srv->daemon)
            srv->daemon = start_daemon(srv, flags, port, NULL, threads, timeout_s, connections);
    } else {
        if (addr.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        srv->daemon = start_daemon(srv, flags, port, (const struct sockaddr *)&addr, threads,
                                   timeout_s, connections);
    }
    if (!srv->daemon) {
        err_set(ec, ERR_IO, "listen", "无法在 %s 上启动 HTTP 服务（端口可能已被占用）", listen);
        rc = err_detail(ec, "%s", last_mhd_error[0] ? last_mhd_error : "MHD_start_daemon failed");
        goto out;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    *out = srv;
    srv = NULL;
out:
    server_free(srv);
    return rc;
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

struct sse_hub *http_server_hub(struct http_server *srv)
{
    return srv->hub;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    /*
     * No MHD_quiesce_daemon() first: on an epoll daemon with its own threads
     * it races the workers removing the listen socket from their epoll sets,
     * and libmicrohttpd 0.9.75 aborts the process when it loses (seen in
     * make check). MHD_stop_daemon() below closes the listen socket itself;
     * a request that arrives during the steps before it is served normally.
     *
     * 1. End every event stream and wake every suspended connection:
     *    stopping the daemon with a suspended connection aborts the process.
     *    New streams are refused (503) from here on.
     */
    sse_hub_shutdown(srv->hub);
    /* 2. Let the blocking workers finish: each resumes its connection. From
          here on, writes run inline on the I/O threads. */
    workers_drain(srv);
    /* 3. Stop accepting, finish requests in flight, close every connection. */
    MHD_stop_daemon(srv->daemon);
    /* 4. The hub is freed below: the store must not call into it any more. */
    if (srv->store)
        store_set_event_hook(srv->store, NULL, NULL);
    server_free(srv);
}
