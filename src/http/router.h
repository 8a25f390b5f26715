/*
 * router.h - matching a method and path to a route (internal to http/).
 *
 * Patterns are absolute paths of literal segments and {name} parameters:
 * "/api/v1/units/{id}/members". A literal segment wins over a parameter when
 * both could match; the search backtracks, so "/a/{x}/c" still matches
 * "/a/b/c" when a literal "/a/b" route exists. Segments are never empty:
 * "/a/" does not match "/a", and "//a" matches nothing.
 *
 * Literal segments are compared with the raw path bytes (no decoding), so
 * patterns hold only unreserved characters. Parameter values are
 * percent-decoded ('+' stays '+'); one that decodes to '/', NUL, a control
 * character or invalid UTF-8 names nothing and the match is ERR_NOT_FOUND.
 *
 * The router is built once at start-up and only read afterwards, so any
 * number of threads may match concurrently without a lock.
 */
#ifndef FAZHI_HTTP_ROUTER_H
#define FAZHI_HTTP_ROUTER_H

#include "http/http.h"

struct router;

struct router_match {
    const struct http_route *route;
    size_t nparams;
    const char *names[HTTP_MAX_PARAMS];  /* point into the router */
    const char *values[HTTP_MAX_PARAMS]; /* decoded, in the arena */
};

/* Longest Allow list router_match() writes ("GET, HEAD, POST, ..."). */
#define ROUTER_ALLOW_MAX 128

/* Returns an empty router; free it with router_free(). */
struct router *router_new(void);
void router_free(struct router *r);

/*
 * Adds a route; the router keeps the pointer, so 'route' must outlive it
 * (route tables are static). A malformed pattern (not starting with '/',
 * empty segment, unbalanced or misplaced braces, bad parameter name, too
 * many or repeated parameters), an empty method, a NULL handler, or a method
 * and pattern shape that is already routed fail with ERR_INVALID and a
 * message naming the pattern.
 */
int router_add(struct router *r, const struct http_route *route, struct err_ctx *ec);

/*
 * Finds the route for 'method' and 'path' (without the query string). HEAD
 * falls back to GET. Returns 0 and fills *m; ERR_NOT_FOUND; or ERR_METHOD
 * when the path exists for other methods, with those methods written to
 * 'allow' (NUL-terminated, comma-separated, for the Allow header).
 */
int router_match(const struct router *r, struct arena *a, const char *method, const char *path,
                 struct router_match *m, char *allow, size_t allow_size);

#endif
