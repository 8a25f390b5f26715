/*
 * server.h - the HTTP server: libmicrohttpd with an epoll thread pool.
 *
 * Built-in routes, besides the tables the modules bring:
 *   GET /healthz           (public)  {"status","version","database":{...}}
 *   GET /api/v1/events     (signed in) Server-Sent Events in the caller's scope
 *
 * Shutdown (http_server_stop): end every live event stream, let requests
 * in flight finish, stop accepting and close every connection, then return;
 * the caller closes the database afterwards.
 */
#ifndef FAZHI_HTTP_SERVER_H
#define FAZHI_HTTP_SERVER_H

#include "http/http.h"

struct http_server;

/*
 * Authenticates a request from its headers (the session cookie
 * "fazhi_session", or "Authorization: Bearer TOKEN"). Returns 1 and fills
 * *out (and sets req->via_cookie) when authenticated, 0 when the request
 * carries no credentials, or a negative enum err (ERR_UNAUTHENTICATED for an
 * unknown, expired or revoked credential).
 */
typedef int (*http_auth_fn)(struct http_request *req, struct principal *out, struct err_ctx *ec);

/*
 * Replies to a failed request of an HTTP_PAGE route with a page for the
 * error in 'ec' (web_error_page()). Returns 0 when it set a reply, else a
 * negative enum err: the server then answers in JSON.
 */
typedef int (*http_page_error_fn)(struct http_request *req, struct err_ctx *ec);

struct http_route_table {
    const struct http_route *routes;
    size_t count;
};

struct http_server_config {
    const char *listen; /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    int threads;        /* I/O threads of the epoll pool (default: cores) */
    int workers;        /* threads for requests that may block, i.e. writes (default 64) */
    size_t max_body;    /* largest accepted body in bytes (default 1 MiB) */
    size_t body_budget; /* bytes bodies over max_body may hold at once (512 MiB),
                           reserved as they arrive; one that outgrows it is 503 */
    /* The address of a reverse proxy in front (NULL: none): an IPv4 or IPv6
     * address, nothing else (start-up fails naming it). A request from it
     * is the client named last in its last X-Forwarded-For line, so that
     * the per-address limits (sign-in, tracking codes) count residents, not
     * the proxy. Other peers' X-Forwarded-For is ignored. */
    const char *trusted_proxy;
    unsigned timeout_s;       /* idle connection timeout (default 30) */
    unsigned max_connections; /* default 4096 */
    const char *version;      /* reported by /healthz */
    struct store *store;
    http_auth_fn auth;             /* may be NULL: every request is anonymous */
    http_page_error_fn page_error; /* may be NULL: page errors are JSON too */
    const struct http_route_table *tables;
    size_t ntables;
};

/*
 * Builds the router from the tables (a bad or duplicate pattern is an
 * error naming it), binds the address and starts the workers.
 * On success *out is running; stop it with http_server_stop().
 */
int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct err_ctx *ec);

/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);

/* The live-event hub, to install as the store's event hook. */
struct sse_hub *http_server_hub(struct http_server *srv);

/*
 * Stops as described above and frees the server with its hub. Before the
 * hub is freed it removes the store's event hook (store_set_event_hook(store,
 * NULL, NULL)), so a commit after this point cannot reach freed memory.
 */
void http_server_stop(struct http_server *srv);

#endif
