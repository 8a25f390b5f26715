/*
 * http.h - what a handler sees of HTTP: the request, the reply, the routes.
 *
 * A module's *_http.c declares a table of struct http_route; main.c hands
 * every table to the server. For each request the server:
 *   1. creates the request arena (freed when libmicrohttpd reports the
 *      request complete) and reads the body up to the configured limit;
 *   2. authenticates it (session cookie or "Authorization: Bearer" token)
 *      through the auth hook, checks the CSRF token on cookie-authenticated
 *      unsafe methods, and the route's required roles;
 *   3. calls the handler, which either sets a reply with one of the
 *      http_reply_* functions and returns 0, or returns a negative enum err
 *      with its err_ctx set; http_error_status() then picks the status and the
 *      body is {"error":{"code","message","field"}}.
 * Every reply carries the security headers; the request is logged once with
 * its method, path, status, bytes, microseconds and user id.
 *
 * Handlers never pick an HTTP status for an error and never write to the
 * socket themselves.
 */
#ifndef FAZHI_HTTP_H
#define FAZHI_HTTP_H

#include <jansson.h>

#include "core/access.h"
#include "core/arena.h"
#include "core/err.h"

struct store;
struct sse_hub;
struct http_request;

typedef int (*http_handler_fn)(struct http_request *req, struct err_ctx *ec);

enum http_route_flags {
    HTTP_PUBLIC = 1u << 0,  /* no authentication needed */
    HTTP_NO_CSRF = 1u << 1, /* unsafe method that needs no CSRF token (login) */
    /*
     * A page for a browser: an error found before the handler runs (not
     * signed in, a missing role, a bad CSRF token) or returned by it is
     * answered by the server's page_error hook (an HTML page, or for a GET
     * without a session a redirect to the sign-in page) instead of JSON.
     */
    HTTP_PAGE = 1u << 2,
    /*
     * The path carries a secret (a resident's tracking code): every log
     * line about the request shows the route's pattern
     * ("/api/v1/track/{code}") instead of the path (see http_log_path()).
     */
    HTTP_LOG_PATTERN = 1u << 3,
};

struct http_route {
    const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern; /* "/api/v1/units/{id}": literal segments and {name} */
    http_handler_fn handler;
    unsigned flags; /* enum http_route_flags */
    unsigned roles; /* enum role bits, any of which admits; 0 = any signed-in caller */
    /*
     * The largest body this route accepts, in bytes; 0 = the server's
     * configured limit (1 MiB by default). A route that takes photos sets
     * HTTP_MAX_BODY_UPLOAD. A bigger body is answered 413 naming the limit
     * before the handler runs (at once when Content-Length declares it).
     */
    size_t max_body;
};

/* The body limit of a route that accepts photos (multipart/form-data). */
#define HTTP_MAX_BODY_UPLOAD ((size_t)26 * 1024 * 1024)

#define HTTP_MAX_PARAMS 8

struct http_request {
    struct arena *arena; /* everything request-scoped comes from here */
    struct store *store; /* the database */
    struct sse_hub *hub; /* live events */
    const char *method;
    const char *path; /* as received, without the query string */
    const char *body; /* NUL-terminated copy of the body, or "" */
    size_t body_len;
    const char *client_ip; /* text form of the peer address */
    bool secure;           /* reached over TLS (X-Forwarded-Proto: https) */

    /* The caller, or NULL when anonymous. Set before the handler runs. */
    const struct principal *principal;
    bool via_cookie; /* authenticated by the session cookie (CSRF applies) */

    /* Path parameters of the matched route. */
    size_t nparams;
    const char *param_names[HTTP_MAX_PARAMS];
    const char *param_values[HTTP_MAX_PARAMS]; /* percent-decoded */

    void *server_private; /* the server's own state; handlers do not touch it */
};

/* ---- reading the request ---- */

/* A path parameter by name, or NULL. */
const char *http_param(const struct http_request *req, const char *name);

/*
 * A path parameter that must be a positive integer id; otherwise ERR_NOT_FOUND
 * (a bad id names no record).
 */
int http_param_id(const struct http_request *req, const char *name, int64_t *out,
                  struct err_ctx *ec);

/* A request header (case-insensitive), or NULL. */
const char *http_header(const struct http_request *req, const char *name);

/* A cookie's value, or NULL. */
const char *http_cookie(const struct http_request *req, const char *name);

/* A query-string argument, percent-decoded, or NULL when absent. */
const char *http_query(const struct http_request *req, const char *name);

/* The same, but NULL also when empty: what a filter left blank in a form
 * sends ("?from=&to="). */
const char *http_query_text(const struct http_request *req, const char *name);

/*
 * A query-string integer in [min, max]: absent gives 'def'; present but not
 * such an integer is ERR_BAD_REQUEST naming the argument.
 */
int http_query_int(const struct http_request *req, const char *name, int64_t min, int64_t max,
                   int64_t def, int64_t *out, struct err_ctx *ec);

/*
 * Parses the body as a JSON object. ERR_MEDIA_TYPE unless Content-Type is
 * application/json; ERR_BAD_REQUEST (with the line and column in the message)
 * for bad JSON or a non-object; ERR_TOO_LARGE for a body over the server's
 * max_body (1 MiB by default) even on a route that accepts more (parsed
 * JSON takes many times its text: only multipart uploads may be larger).
 * The object belongs to the request (freed with it).
 */
int http_json_body(struct http_request *req, json_t **out, struct err_ctx *ec);

/*
 * A parsed form: application/x-www-form-urlencoded or multipart/form-data
 * (RFC 7578), the same to a handler. Text fields of either are clean UTF-8,
 * NUL-terminated; the files of a multipart form stay in the request's body.
 */
struct http_form;

/* One uploaded file: a part of a multipart form that carried a filename. */
struct http_file {
    const char *name;     /* the form field */
    const char *filename; /* as the client sent it (clean UTF-8, may be ""); never a path to use */
    const char *content_type;  /* as declared by the client ("application/octet-stream" when
                                  absent): not to be trusted, see media_image_type() */
    const unsigned char *data; /* in the request's arena */
    size_t len;
};

/*
 * Parses the body as a form: application/x-www-form-urlencoded or
 * multipart/form-data. ERR_MEDIA_TYPE for another content type;
 * ERR_TOO_LARGE for an urlencoded body over the server's max_body (only a
 * multipart body may use a route's larger limit);
 * ERR_BAD_REQUEST for a malformed body (a multipart one without a valid
 * boundary, truncated, with too many parts) or a text field that is not clean
 * UTF-8, naming the field. The form is parsed once and kept for later calls.
 */
int http_form_body(struct http_request *req, struct http_form **out, struct err_ctx *ec);

/* A text field (the first of that name), or NULL; file parts are not text fields. */
const char *http_form_get(const struct http_form *f, const char *name);

/* Every value of a text field that repeats ("attribute[kind][]=a&...=b"),
 * in order, as an array in the arena; returns how many. */
size_t http_form_get_all(const struct http_form *f, struct arena *a, const char *name,
                         const char ***out);

/*
 * The files of field 'name', in the order they were sent: *out points at
 * an array of that many (NULL when none). A file input left empty (an empty
 * filename and no bytes: what a browser sends for it) is not a file.
 */
size_t http_form_files(const struct http_form *f, const char *name, const struct http_file **out);

/*
 * The request's path as log lines show it: the matched route's pattern when
 * the route has HTTP_LOG_PATTERN, else the path with control bytes escaped
 * and its length capped. In the request's arena. Every log line that names
 * a request uses it.
 */
const char *http_log_path(const struct http_request *req);

/* ---- replying ---- */

/* Replies with JSON; takes ownership of 'body'. */
int http_reply_json(struct http_request *req, int status, json_t *body);

/* Replies with bytes the request's arena or static storage holds. */
int http_reply_bytes(struct http_request *req, int status, const char *content_type,
                     const void *data, size_t len);

/* Replies 204 No Content. */
int http_reply_empty(struct http_request *req);

/* Replies with a redirect (303 for after a form POST). */
int http_reply_redirect(struct http_request *req, int status, const char *location);

/* Adds a header to the reply (both strings are copied). */
void http_add_header(struct http_request *req, const char *name, const char *value);

/*
 * Sets a cookie: Path=/, HttpOnly, SameSite=Lax, and Secure when the
 * request came over TLS. max_age_s < 0 makes a session cookie; 0 deletes it.
 */
void http_set_cookie(struct http_request *req, const char *name, const char *value,
                     int64_t max_age_s);

/* ---- errors ---- */

/* The one mapping from enum err to an HTTP status. */
int http_error_status(enum err code);

#endif
