/*
 * internal.h - the per-request state shared by the files of http/.
 *
 * struct http_ctx wraps the struct http_request a handler sees; it lives in
 * the request's own arena (req.server_private points back at it) from the
 * moment libmicrohttpd hands over the request line until it reports the
 * request complete. Nothing outside http/ includes this header.
 *
 * A reply is recorded here by the http_reply_* functions and turned into a
 * libmicrohttpd response only once, by response_queue(), after the handler
 * returned: so handlers may add headers and cookies before or after choosing
 * the body, and an error returned after a reply was chosen still wins.
 */
#ifndef FAZHI_HTTP_INTERNAL_H
#define FAZHI_HTTP_INTERNAL_H

#include <microhttpd.h>

#include "http/parse.h"
#include "http/router.h"
#include "http/server.h"

struct router;

struct http_header_item {
    struct http_header_item *next;
    const char *name, *value; /* in the arena */
};

struct http_form {
    struct parse_pairs pairs; /* text fields */
    struct http_file *files;  /* file parts, those of one name together, each name's in order */
    size_t nfiles;
};

struct http_ctx {
    struct http_request req;
    struct http_server *srv;
    struct MHD_Connection *conn;
    int64_t start_us;

    /* Request line, as received. */
    const char *query; /* after '?', not decoded, or NULL */
    size_t query_len;
    struct parse_pairs query_pairs; /* decoded before the handler runs */
    struct parse_pairs cookies;
    bool cookies_parsed;
    struct http_form *form; /* parsed body, once asked for */
    json_t *json;           /* parsed body, once asked for */
    struct principal principal;

    /* The route, looked up when the headers are in (for its body limit). */
    int match_rc; /* 0, ERR_NOT_FOUND or ERR_METHOD */
    struct router_match match;
    char allow[ROUTER_ALLOW_MAX]; /* for 405 */
    size_t max_body;              /* the route's limit, or the server's */
    size_t text_max_body;         /* the server's: JSON and urlencoded bodies */

    /* Upload: a body declared up to the server's max_body is in the arena;
       any other is in body_heap (malloc'd, freed when the request ends),
       reserving its capacity from the budget once over max_body. */
    char *body_buf;  /* body_heap, an arena buffer, or NULL */
    char *body_heap; /* or NULL */
    size_t body_cap;
    size_t body_limit;    /* the most the buffer may hold: Content-Length + 1, or max_body + 1 */
    uint64_t discarded;   /* bytes dropped after the body went over the limit */
    size_t body_reserved; /* of the server's body budget */
    bool too_large;
    bool over_budget; /* too_large because the budget was spent: 503, not 413 */

    /* Reply. */
    bool has_reply;
    int status;
    const char *content_type; /* NULL: no Content-Type (204, redirects) */
    const void *data;         /* in the arena or static */
    size_t len;
    struct MHD_Response *response; /* a ready response (SSE), or NULL */
    struct http_header_item *headers, **headers_tail;
    bool has_cache_control;

    /* Progress. */
    bool started;              /* the access handler has been called once */
    bool queued;               /* a response went to libmicrohttpd */
    bool dispatched;           /* a blocking worker ran the handler */
    struct http_ctx *next_job; /* in the blocking-work queue */
    size_t bytes;              /* body bytes of the reply, for the log */
};

static inline struct http_ctx *http_ctx_of(const struct http_request *req)
{
    return (struct http_ctx *)req->server_private;
}

/* ---- response.c ---- */

/* Drops any reply chosen so far (headers included), before an error reply. */
void response_reset(struct http_ctx *ctx);

/*
 * Replaces the reply with the error in 'ec' (code, message, field): the one
 * place an error becomes a status and {"error":{...}} body. 5xx errors are
 * logged with their detail. 'allow' (may be NULL) is the Allow header of 405.
 */
void response_error(struct http_ctx *ctx, const struct err_ctx *ec, const char *allow);

/* Records a ready libmicrohttpd response (takes ownership): the SSE stream. */
void response_set_mhd(struct http_ctx *ctx, int status, struct MHD_Response *resp);

/*
 * Builds the libmicrohttpd response from the recorded reply, adds the
 * security headers and queues it. A handler that chose no reply gets a 500.
 */
enum MHD_Result response_queue(struct http_ctx *ctx);

/* ---- server.c ---- */

/* Bytes of the body budget reserved by requests in flight (for tests). */
size_t http_server_body_bytes(const struct http_server *srv);

/* ---- request.c ---- */

/* Decodes the query string into ctx->query_pairs (ERR_BAD_REQUEST naming the argument). */
int request_parse_query(struct http_ctx *ctx, struct err_ctx *ec);

#endif
