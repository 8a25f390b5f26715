/*
 * harness.h - what the API tests share: a real `fazhi serve`, a CLI runner,
 * an HTTP client and a Server-Sent Events reader.
 *
 * Each test binary starts one server in its cmocka group setup: a temporary
 * directory under /tmp, a database prepared with the CLI (a subdistrict
 * "root" with two communities "ca" and "cb", an admin at root and one staff
 * user in each community), then `fazhi serve --listen 127.0.0.1:0` with its
 * log in the directory. The binary comes from FAZHI_BIN (set by make check),
 * else build/asan/fazhi. The directory is removed at the end unless a test
 * failed; then its path is printed so the server log can be read.
 *
 * Everything here fails the current test through cmocka (fail fast, with the
 * server log's tail printed when the server died) rather than returning
 * errors, so the tests read as a list of expectations.
 *
 * The server runs under AddressSanitizer, where one argon2id verification
 * takes a good fraction of a second: log a client in once and reuse it.
 */
#ifndef FAZHI_TESTS_API_HARNESS_H
#define FAZHI_TESTS_API_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

/* The accounts server_start() creates. */
#define ADMIN_LOGIN    "admin"
#define ADMIN_PASSWORD "Admin-pass-2024"
#define CLERKA_LOGIN   "clerka"
#define CLERKB_LOGIN   "clerkb"
#define CLERK_PASSWORD "Clerk-pass-2024"

struct test_server {
    char dir[128]; /* the temporary directory */
    char db[192];  /* DIR/api.db (not fazhi.db, the CLI default) */
    char log[192]; /* DIR/server.log: the server's stdout and stderr */
    char base[64]; /* "http://127.0.0.1:PORT" */
    const char *bin;
    unsigned port;
    pid_t pid; /* 0 when not running */
    int64_t root_id, ca_id, cb_id;
};

/* ---- the server ---- */

/* Prepares the database with the CLI and starts `fazhi serve`; fails the
 * test (printing the log's tail) when the server dies or never answers. */
void server_start(struct test_server *s);

/* Options added to every later `fazhi serve` of this process (after the
 * harness's own, among them `--submit-limit 0`, so they can override it)
 * (NULL-terminated, borrowed; NULL for none), e.g. "--webhook-retry-ms". */
void harness_serve_args(const char *const *args);

/* server_stop() (a no-op when already stopped), then `fazhi serve` again on
 * the same database (a new port; the previous log is kept as server.log.1). */
void server_restart(struct test_server *s);

/* SIGTERM, then expects exit status 0 within 10 s; SIGKILL and a failure
 * otherwise. A no-op when the server is not running. */
void server_stop(struct test_server *s);

/* Prints the last 'lines' lines of the server log (for a failure). */
void server_print_log(const struct test_server *s, int lines);

/*
 * Ends a test binary: main returns harness_done(cmocka_run_group_tests(...)).
 * Removes the temporary directories when everything passed (and
 * FAZHI_TEST_KEEP is not set), prints their paths otherwise; counts a
 * failure that cmocka's return value misses (a group teardown that failed).
 * After a failure it exits at once with status 1, without the sanitizer's
 * leak report: a failed case leaks what it could not release.
 */
int harness_done(int failures);

/*
 * Prints a diagnostic for a failure: every line prefixed with "# " (a TAP
 * comment, so that no text from the server can pass for an "ok" line) and
 * cut at 1000 bytes (cmocka's print buffer).
 */
void harness_note(const char *fmt, ...) FZ_PRINTF(1, 2);

/* Records a failure seen outside a test (a teardown), for harness_done(). */
void harness_note_failure(void);

/* ---- the command line ---- */

struct cli_result {
    int status; /* exit status, or 128 + signal */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr */
};

/*
 * Runs FAZHI_BIN with 'argv' (NULL-terminated, without the program name) in
 * the server's directory, 'input' (may be NULL) on stdin and 'env' (may be
 * NULL: NULL-terminated "NAME=value" strings) added to an environment
 * cleared of every FAZHI_* variable. Waits up to 60 s. Returns r->status.
 */
int cli_run(const struct test_server *s, struct cli_result *r, const char *input,
            const char *const *env, const char *const *argv);

#define cli(s, r, input, ...)                                                                      \
    cli_run((s), (r), (input), NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Frees r's buffers (r may be reused afterwards). */
void cli_result_release(struct cli_result *r);

/* The last non-empty line of 'text', copied into buf. */
void last_line(const char *text, char *buf, size_t size);

/* ---- HTTP ---- */

#define RESPONSE_MAX_HEADERS 64

struct response {
    long status; /* 0 when the request failed at the transport level */
    char *body;  /* NUL-terminated */
    size_t len;
    json_t *json; /* the body parsed, or NULL if it is not JSON */
    size_t nheaders;
    char *names[RESPONSE_MAX_HEADERS]; /* of the final response only */
    char *values[RESPONSE_MAX_HEADERS];
};

struct client {
    CURL *curl;
    const struct test_server *srv;
    char bearer[128]; /* "Authorization: Bearer ..." when not empty */
    char csrf[128];   /* sent as X-CSRF-Token on unsafe methods when not empty */
    bool omit_csrf;   /* do not send it, to test the check */
    int64_t user_id;  /* after client_login() */
};

/* A client with its own cookie store; no credentials yet. */
void client_init(struct client *c, const struct test_server *s);
void client_release(struct client *c);

/*
 * Sends one request and fills *r (whose previous contents are released; it
 * must start zeroed). 'body' may be NULL; 'headers' is NULL or a
 * NULL-terminated list of "Name: value" lines added to the request. Returns
 * the status.
 */
long client_request(struct client *c, const char *method, const char *path,
                    const char *content_type, const char *body, size_t body_len,
                    const char *const *headers, struct response *r);

/* GET 'path' (printf-style). */
long client_get(struct client *c, struct response *r, const char *fmt, ...) FZ_PRINTF(3, 4);

/* 'method' with 'body' as application/json; takes ownership of 'body' (may be NULL). */
long client_send(struct client *c, const char *method, const char *path, json_t *body,
                 struct response *r);

/* POST /api/v1/session; on 201 keeps csrf_token and the user id. */
long client_login(struct client *c, const char *login, const char *password, struct response *r);

/* client_login() that must succeed. */
void client_login_ok(struct client *c, const char *login, const char *password);

/* Releases a response's buffers and zeroes it. */
void response_release(struct response *r);

/* The n-th (from 0) value of header 'name' (case-insensitive), or NULL. */
const char *response_header_n(const struct response *r, const char *name, size_t n);
#define response_header(r, name) response_header_n((r), (name), 0)

/*
 * Checks that 'r' is an error reply: the status, Content-Type
 * application/json, the body {"error":{"code","message","field"}} with a
 * non-empty message, 'code', and 'field' when not NULL ("" for none), plus
 * the security headers every reply carries.
 */
#define assert_error(r, status, code, field)                                                       \
    assert_error_at((r), (status), (code), (field), __FILE__, __LINE__)
void assert_error_at(const struct response *r, long status, const char *code, const char *field,
                     const char *file, int line);

/* Checks the status, failing with the body printed. */
#define assert_status(r, status) assert_status_at((r), (status), __FILE__, __LINE__)
void assert_status_at(const struct response *r, long status, const char *file, int line);

/* Checks Content-Security-Policy (with frame-ancestors), X-Content-Type-Options:
 * nosniff and Referrer-Policy. */
#define assert_security_headers(r) assert_security_headers_at((r), __FILE__, __LINE__)
void assert_security_headers_at(const struct response *r, const char *file, int line);

/* ---- JSON ---- */

/* The integer member 'key' of 'o' (0 when absent). */
int64_t json_int_member(const json_t *o, const char *key);

/* The string member 'key' of 'o', or NULL. */
const char *json_str_member(const json_t *o, const char *key);

/* The first object of 'items' whose string member 'key' equals 'value', or NULL. */
json_t *json_find(const json_t *items, const char *key, const char *value);

/* r->json's "items" array (asserts it is one). */
json_t *response_items(const struct response *r);

/* Every audit entry the client sees, following next_after: a new array. */
json_t *audit_all(struct client *c);

/* The number of units the client sees. */
size_t unit_count(struct client *c);

/* Creates a user through the API (c must be an admin); returns its id. */
int64_t create_user(struct client *admin, const char *login, int64_t unit_id, const char *role,
                    const char *password);

/* A name unique in this process run, "PREFIX-N" (lower-case safe). */
const char *unique_name(const char *prefix, char *buf, size_t size);

/* ---- Server-Sent Events ---- */

/*
 * A reader lives on the heap: when a test fails with a stream open, cmocka
 * jumps out of the test and the reader thread must not be left writing into
 * a dead stack frame. Readers still open at harness_done() are closed there.
 */
struct sse_reader {
    pthread_t thread;
    CURL *easy;
    CURLM *multi;
    struct curl_slist *headers;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *buf; /* all bytes received, NUL-terminated */
    size_t len, cap;
    atomic_bool stop;
    bool finished; /* the transfer ended (server closed, or stopped) */
    CURLcode result;
};

/* Opens GET /api/v1/events with c's credentials (cookies or bearer), with
 * "Last-Event-ID: last_id" when last_id is not NULL, in a thread. */
struct sse_reader *sse_open(struct client *c, const char *last_id);

/* The same for another event stream ("/api/v1/track/CX-.../events"). */
struct sse_reader *sse_open_path(struct client *c, const char *path, const char *last_id);

/* True once 'needle' appears in what was received (within timeout_ms). */
bool sse_wait_for(struct sse_reader *s, const char *needle, int timeout_ms);

/* True once the stream has ended (within timeout_ms). */
bool sse_wait_finished(struct sse_reader *s, int timeout_ms);

/* A malloc'd copy of what was received so far; the caller frees it. */
char *sse_text(struct sse_reader *s);

/* Stops the transfer, joins the thread and frees the reader. */
void sse_close(struct sse_reader *s);

/* One parsed event frame. */
struct sse_event {
    int64_t id;    /* 0 when the frame had no id line */
    char type[64]; /* "message" when the frame had no event line */
    char *data;    /* the data lines joined by '\n'; malloc'd */
};

/* Parses the complete frames of 'text' (comments skipped, frames without
 * data ignored) into at most 'max' events; returns how many. */
size_t sse_parse(const char *text, struct sse_event *out, size_t max);
void sse_events_release(struct sse_event *ev, size_t n);

/* ---- added for the org tests ---- */

/* server_start() with a root unit of type 'root_type' ("city", "district",
 * ...) instead of "subdistrict", for trees deeper than one level. */
void server_start_rooted(struct test_server *s, const char *root_type);

/* ---- added for the demo tests ---- */

/* server_start() on a database built by `fazhi demo --db DB` with
 * 'demo_args' (NULL-terminated: "--seed", "7", ...) instead of the usual
 * units and users; root_id, ca_id and cb_id stay 0. */
void server_start_demo(struct test_server *s, const char *const *demo_args);

/* The number of "items" GET 'path' returns to c (which must answer 200). */
size_t list_count(struct client *c, const char *path);

/* ---- pages ---- */

/* "a=1&b=2" from NULL-terminated name, value pairs; values url-encoded.
 * Returns a malloc'd string; the caller frees it. */
char *form_body(CURL *curl, va_list ap);

/* POSTs a form (pairs of name, value; NULL ends) to 'path'. */
long post_form(struct client *c, struct response *r, const char *path, ...);

/* The value of the first csrf_token field in a page, into out[size]. */
void csrf_of(const char *html, char *out, size_t size);

/* Fails the test (with a note) when 'needle' is missing from / present in 'hay'. */
#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle))) {                                                            \
            harness_note("missing: %s", (needle));                                                 \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_lacks(hay, needle)                                                                  \
    do {                                                                                           \
        if (strstr((hay), (needle))) {                                                             \
            harness_note("unexpected: %s", (needle));                                              \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#endif
