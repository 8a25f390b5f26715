/*
 * response.c - replies: JSON, bytes, redirects, cookies, errors, and the
 * headers every response carries.
 *
 * The http_reply_* functions only record the reply in the request context;
 * response_queue() builds the libmicrohttpd response once the handler has
 * returned. JSON is serialised straight into the request arena (one pass for
 * bodies up to 4 KiB, two beyond), and the response points at that memory
 * (MHD_RESPMEM_PERSISTENT): the arena is freed only when libmicrohttpd
 * reports the request complete, after the last byte went out.
 */
#include "core/compat.h"
#include "core/log.h"
#include "http/internal.h"

#include <strings.h>

#define JSON_TYPE        "application/json; charset=utf-8"
#define JSON_FIRST_GUESS 4096

/* Sent with every response: pages, JSON, errors, event streams. */
static const struct {
    const char *name, *value;
} security_headers[] = {
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
};

int http_error_status(enum err code)
{
    switch (code) {
    case ERR_BAD_REQUEST:
        return 400;
    case ERR_INVALID:
        return 422;
    case ERR_UNAUTHENTICATED:
        return 401;
    case ERR_FORBIDDEN:
        return 403;
    case ERR_NOT_FOUND:
        return 404;
    case ERR_METHOD:
        return 405;
    case ERR_CONFLICT:
        return 409;
    case ERR_TOO_LARGE:
        return 413;
    case ERR_MEDIA_TYPE:
        return 415;
    case ERR_RATE_LIMIT:
        return 429;
    case ERR_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

/* ---- headers ---- */

/* A header line must not be split: no CR, LF or NUL inside. */
static bool header_text_ok(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

void http_add_header(struct http_request *req, const char *name, const char *value)
{
    struct http_ctx *ctx = http_ctx_of(req);
    struct http_header_item *h;

    if (!header_text_ok(name) || !*name || strchr(name, ':') || !header_text_ok(value)) {
        log_warn("http: header %s dropped: line break or bad name", name ? name : "(null)");
        return;
    }
    h = arena_alloc(req->arena, sizeof(*h));
    h->next = NULL;
    h->name = arena_strdup(req->arena, name);
    h->value = arena_strdup(req->arena, value);
    *ctx->headers_tail = h;
    ctx->headers_tail = &h->next;
    if (strcasecmp(name, "Cache-Control") == 0)
        ctx->has_cache_control = true;
}

/* Cookie names are tokens; values are visible ASCII without ';', ',', '"' or '\'. */
static bool cookie_part_ok(const char *s, bool is_name)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr(";,\"\\", c))
            return false;
        if (is_name && strchr("()<>@:/[]?={}", c))
            return false;
    }
    return true;
}

void http_set_cookie(struct http_request *req, const char *name, const char *value,
                     int64_t max_age_s)
{
    char age[40] = "";

    if (!name || !*name || !value || !cookie_part_ok(name, true) || !cookie_part_ok(value, false)) {
        log_error("http: cookie %s not set: bad characters", name ? name : "(null)");
        return;
    }
    if (max_age_s >= 0)
        snprintf(age, sizeof(age), "; Max-Age=%lld", (long long)max_age_s);
    http_add_header(req, MHD_HTTP_HEADER_SET_COOKIE,
                    arena_printf(req->arena, "%s=%s; Path=/%s; HttpOnly; SameSite=Lax%s", name,
                                 value, age, req->secure ? "; Secure" : ""));
}

/* ---- replies ---- */

static void set_reply(struct http_ctx *ctx, int status, const char *content_type, const void *data,
                      size_t len)
{
    if (ctx->response) {
        MHD_destroy_response(ctx->response);
        ctx->response = NULL;
    }
    ctx->has_reply = true;
    ctx->status = status;
    ctx->content_type = content_type;
    ctx->data = data;
    ctx->len = len;
}

int http_reply_json(struct http_request *req, int status, json_t *body)
{
    struct http_ctx *ctx = http_ctx_of(req);
    char *buf;
    size_t n;

    if (!body) {
        log_error("http %s %s: reply body is NULL (json_pack failed?)", req->method,
                  http_log_path(req));
        return ERR_INTERNAL;
    }
    buf = arena_alloc(req->arena, JSON_FIRST_GUESS);
    n = json_dumpb(body, buf, JSON_FIRST_GUESS, JSON_COMPACT | JSON_ENCODE_ANY);
    if (n > JSON_FIRST_GUESS) {
        size_t need = n;
        buf = arena_alloc(req->arena, need);
        n = json_dumpb(body, buf, need, JSON_COMPACT | JSON_ENCODE_ANY);
        if (n != need)
            n = 0;
    }
    json_decref(body);
    if (n == 0) {
        log_error("http %s %s: reply body could not be serialised", req->method,
                  http_log_path(req));
        return ERR_INTERNAL;
    }
    set_reply(ctx, status, JSON_TYPE, buf, n);
    return 0;
}

int http_reply_bytes(struct http_request *req, int status, const char *content_type,
                     const void *data, size_t len)
{
    set_reply(http_ctx_of(req), status, content_type, len ? data : "", len);
    return 0;
}

int http_reply_empty(struct http_request *req)
{
    set_reply(http_ctx_of(req), 204, NULL, "", 0);
    return 0;
}

int http_reply_redirect(struct http_request *req, int status, const char *location)
{
    if (!header_text_ok(location) || !*location) {
        log_error("http %s %s: bad redirect location", req->method, http_log_path(req));
        return ERR_INTERNAL;
    }
    set_reply(http_ctx_of(req), status, NULL, "", 0);
    http_add_header(req, MHD_HTTP_HEADER_LOCATION, location);
    return 0;
}

void response_set_mhd(struct http_ctx *ctx, int status, struct MHD_Response *resp)
{
    set_reply(ctx, status, NULL, "", 0);
    ctx->response = resp;
}

void response_reset(struct http_ctx *ctx)
{
    if (ctx->response) {
        MHD_destroy_response(ctx->response);
        ctx->response = NULL;
    }
    ctx->has_reply = false;
    ctx->headers = NULL;
    ctx->headers_tail = &ctx->headers;
    ctx->has_cache_control = false;
}

/* ---- errors ---- */

/*
 * A JSON string of s, or NULL. Messages are cut to a fixed size by err_set(),
 * possibly inside a UTF-8 sequence: drop such a tail rather than the message.
 */
static json_t *utf8_string(const char *s)
{
    size_t n = strlen(s);

    for (int cut = 0; cut < 4 && cut <= (int)n; cut++) {
        json_t *v = json_stringn(s, n - (size_t)cut);
        if (v)
            return v;
    }
    return NULL;
}

void response_error(struct http_ctx *ctx, const struct err_ctx *ec, const char *allow)
{
    struct http_request *req = &ctx->req;
    enum err code = ec->code != ERR_OK ? ec->code : ERR_INTERNAL;
    int status = http_error_status(code);
    const char *message = ec->message[0] ? ec->message : err_default_message(code);
    json_t *msg = utf8_string(message);
    json_t *field = ec->field[0] ? utf8_string(ec->field) : NULL;
    json_t *body;

    if (status >= 500)
        log_error("http %s %s: %d %s: %s%s%s", req->method, http_log_path(req), status,
                  err_code_name(code), message, ec->detail[0] ? " | " : "", ec->detail);
    if (!msg)
        msg = json_string(err_default_message(code));
    body = json_pack("{s:{s:s, s:o, s:o}}", "error", "code", err_code_name(code), "message", msg,
                     "field", field ? field : json_null());
    response_reset(ctx);
    if (code == ERR_METHOD && allow && *allow)
        http_add_header(req, MHD_HTTP_HEADER_ALLOW, allow);
    if (code == ERR_UNAUTHENTICATED)
        http_add_header(req, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"fazhi\"");
    if (http_reply_json(req, status, body) < 0) {
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"服务器内部错误\",\"field\":null}}";
        set_reply(ctx, 500, JSON_TYPE, fallback, sizeof(fallback) - 1);
    }
}

/* ---- handing the reply to libmicrohttpd ---- */

static void add(struct MHD_Response *resp, const char *name, const char *value)
{
    if (MHD_add_response_header(resp, name, value) != MHD_YES)
        log_warn("http: libmicrohttpd refused header %s", name);
}

enum MHD_Result response_queue(struct http_ctx *ctx)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (!ctx->has_reply) {
        struct err_ctx ec;
        err_clear(&ec);
        err_set(&ec, ERR_INTERNAL, NULL, NULL);
        err_detail(&ec, "the handler returned 0 without a reply");
        response_error(ctx, &ec, NULL);
    }
    if (ctx->response) {
        resp = ctx->response;
        ctx->response = NULL;
    } else {
        resp = MHD_create_response_from_buffer(ctx->len, (void *)ctx->data, MHD_RESPMEM_PERSISTENT);
        if (!resp) {
            log_error("http %s %s: cannot create a response", ctx->req.method,
                      http_log_path(&ctx->req));
            return MHD_NO;
        }
        if (ctx->content_type)
            add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctx->content_type);
        ctx->bytes = ctx->len;
    }
    for (size_t i = 0; i < ARRAY_SIZE(security_headers); i++)
        add(resp, security_headers[i].name, security_headers[i].value);
    if (!ctx->has_cache_control)
        add(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (const struct http_header_item *h = ctx->headers; h; h = h->next)
        add(resp, h->name, h->value);
    ret = MHD_queue_response(ctx->conn, (unsigned)ctx->status, resp);
    MHD_destroy_response(resp);
    ctx->queued = true;
    return ret;
}
