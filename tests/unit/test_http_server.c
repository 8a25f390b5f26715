/*
 * test_http_server.c - the HTTP layer end to end, in process: a real
 * libmicrohttpd daemon on a free port, a route table of test handlers, no
 * database, and libcurl as the client. Covers status mapping, the error body,
 * security headers, keep-alive, body limits, authentication, roles, CSRF,
 * and an event stream that is fed, then ended by shutdown.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "core/log.h"
#include "http/server.h"
#include "http/sse.h"
#include "store/store.h"

/* ---- the server under test ---- */

static int test_auth(struct http_request *req, struct principal *out, struct err_ctx *ec)
{
    const char *authz = http_header(req, "Authorization");
    const char *session = http_cookie(req, "fazhi_session");

    memset(out, 0, sizeof(*out));
    snprintf(out->unit_path, sizeof(out->unit_path), "/1/");
    if (authz) {
        if (strcmp(authz, "Bearer good") != 0)
            return err_set(ec, ERR_UNAUTHENTICATED, "Authorization", "令牌无效");
        out->token_id = 3;
        out->roles = ROLE_STAFF;
        return 1;
    }
    if (session) {
        if (strcmp(session, "s1") != 0)
            return err_set(ec, ERR_UNAUTHENTICATED, NULL, "会话已过期");
        out->user_id = 7;
        out->roles = ROLE_LEADER;
        snprintf(out->csrf_token, sizeof(out->csrf_token), "csrf-7");
        req->via_cookie = true;
        return 1;
    }
    return 0;
}

static int h_hello(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    return http_reply_json(req, 200, json_pack("{s:s}", "hello", "世界"));
}

static int h_echo(struct http_request *req, struct err_ctx *ec)
{
    json_t *body;
    int rc = http_json_body(req, &body, ec);
    if (rc < 0)
        return rc;
    return http_reply_json(req, 200, json_incref(body));
}

static int h_item(struct http_request *req, struct err_ctx *ec)
{
    int64_t id, n;
    int rc;

    if ((rc = http_param_id(req, "id", &id, ec)) < 0 ||
        (rc = http_query_int(req, "n", 1, 10, 1, &n, ec)) < 0)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:I, s:I}", "id", (json_int_t)id, "n", (json_int_t)n));
}

static int h_conflict(struct http_request *req, struct err_ctx *ec)
{
    http_reply_empty(req); /* an error after a reply still wins */
    return err_set(ec, ERR_INVALID, "login", "登录名已存在");
}

static int h_noreply(struct http_request *req, struct err_ctx *ec)
{
    (void)req;
    (void)ec;
    return 0;
}

static int h_whoami(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    http_set_cookie(req, "seen", "1", 60);
    return http_reply_json(req, 200,
                           json_pack("{s:I}", "user", (json_int_t)req->principal->user_id));
}

static int h_form(struct http_request *req, struct err_ctx *ec)
{
    struct http_form *f;
    int rc = http_form_body(req, &f, ec);
    if (rc < 0)
        return rc;
    return http_reply_json(req, 200, json_pack("{s:s?}", "name", http_form_get(f, "name")));
}

static const struct http_route test_routes[] = {
    {"GET", "/hello", h_hello, HTTP_PUBLIC, 0},
    {"POST", "/echo", h_echo, HTTP_PUBLIC | HTTP_NO_CSRF, 0},
    {"GET", "/items/{id}", h_item, HTTP_PUBLIC, 0},
    {"DELETE", "/items/{id}", h_item, 0, ROLE_ADMIN},
    {"GET", "/conflict", h_conflict, HTTP_PUBLIC, 0},
    {"GET", "/noreply", h_noreply, HTTP_PUBLIC, 0},
    {"GET", "/me", h_whoami, 0, 0},
    {"POST", "/me", h_whoami, 0, 0},
    {"POST", "/form", h_form, 0, 0},
};

static struct http_server *start_server(void)
{
    static const struct http_route_table table = {test_routes, ARRAY_SIZE(test_routes)};
    struct http_server_config cfg = {0};
    struct http_server *srv = NULL;
    struct err_ctx ec;

    err_clear(&ec);
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.max_body = 64;
    cfg.version = "test";
    cfg.auth = test_auth;
    cfg.tables = &table;
    cfg.ntables = 1;
    if (http_server_start(&cfg, &srv, &ec) < 0)
        fail_msg("start: %s %s", ec.message, ec.detail);
    return srv;
}

/* ---- a small libcurl client ---- */

struct reply {
    long status;
    char body[4096];
    size_t body_len;
    char headers[4096];
    size_t headers_len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg, bool header)
{
    struct reply *r = arg;
    char *buf = header ? r->headers : r->body;
    size_t *len = header ? &r->headers_len : &r->body_len;
    size_t cap = header ? sizeof(r->headers) : sizeof(r->body);
    size_t k = size * n;

    if (*len + k >= cap)
        k = cap - 1 - *len;
    memcpy(buf + *len, p, k);
    *len += k;
    buf[*len] = '\0';
    return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    return collect(p, size, n, arg, false);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    return collect(p, size, n, arg, true);
}

static void request(CURL *c, unsigned port, const char *method, const char *path,
                    const char *const *headers, const char *body, size_t body_len, struct reply *r)
{
    char url[512];
    struct curl_slist *hl = NULL;

    memset(r, 0, sizeof(*r));
    curl_easy_reset(c); /* options go, the open connection stays */
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (curl_easy_perform(c) != CURLE_OK)
        r->status = -1;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
}

static bool has_header(const struct reply *r, const char *line)
{
    return strcasestr(r->headers, line) != NULL;
}

/* ---- table of requests ---- */

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Over the 64-byte limit of the test server. */
static const char big_json[] =
    "{\"text\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}";

static const struct {
    const char *method, *path;
    const char *const *headers;
    const char *body;
    long status;
    const char *want; /* a substring of the body */
} cases[] = {
    {"GET", "/hello", NULL, NULL, 200, "{\"hello\":\"世界\"}"},
    {"HEAD", "/hello", NULL, NULL, 200, ""},
    {"GET", "/healthz", NULL, NULL, 200, "\"status\":\"ok\""},
    {"GET", "/nope", NULL, NULL, 404, "{\"error\":{\"code\":\"not_found\""},
    {"GET", "/hello/", NULL, NULL, 404, "not_found"},
    {"POST", "/hello", NULL, "", 405, "method_not_allowed"},
    {"GET", "/items/12?n=3", NULL, NULL, 200, "{\"id\":12,\"n\":3}"},
    {"GET", "/items/abc", NULL, NULL, 404, "\"field\":\"id\""},
    {"GET", "/items/%2F", NULL, NULL, 404, "not_found"},
    {"GET", "/items/1?n=99", NULL, NULL, 400, "\"field\":\"n\""},
    {"GET", "/items/1?n=%zz", NULL, NULL, 400, "\"field\":\"n\""},
    {"GET", "/items/1?x=%ff", NULL, NULL, 400, "\"field\":\"x\""},
    {"GET", "/conflict", NULL, NULL, 422,
     "{\"error\":{\"code\":\"invalid\",\"message\":\"登录名已存在\",\"field\":\"login\"}}"},
    {"GET", "/noreply", NULL, NULL, 500, "\"code\":\"internal\""},
    {"POST", "/echo", H("Content-Type: application/json; charset=utf-8"), "{\"a\":[1,2]}", 200,
     "{\"a\":[1,2]}"},
    {"POST", "/echo", H("Content-Type: application/json"), "{\"a\":1,", 400, "第 1 行"},
    {"POST", "/echo", H("Content-Type: application/json"), "{\"a\":1,\"a\":2}", 400, "重复"},
    {"POST", "/echo", H("Content-Type: application/json"), "[]", 400, "JSON 对象"},
    {"POST", "/echo", H("Content-Type: text/plain"), "{}", 415, "unsupported_media_type"},
    {"POST", "/echo", H("Content-Type: application/json"), big_json, 413, "too_large"},
    {"POST", "/echo", H("Content-Type: application/json", "Transfer-Encoding: chunked"), big_json,
     413, "too_large"},
    {"GET", "/me", NULL, NULL, 401, "unauthenticated"},
    {"GET", "/me", H("Authorization: Bearer good"), NULL, 200, "{\"user\":0}"},
    {"GET", "/me", H("Authorization: Bearer bad"), NULL, 401, "\"field\":\"Authorization\""},
    {"GET", "/hello", H("Authorization: Bearer bad"), NULL, 401, "令牌无效"},
    {"GET", "/hello", H("Cookie: fazhi_session=stale"), NULL, 200, "hello"},
    {"GET", "/me", H("Cookie: fazhi_session=stale"), NULL, 401, "会话已过期"},
    {"GET", "/me", H("Cookie: a=b; fazhi_session=s1"), NULL, 200, "{\"user\":7}"},
    {"DELETE", "/items/1", H("Authorization: Bearer good"), NULL, 403, "forbidden"},
    {"POST", "/me", H("Cookie: fazhi_session=s1"), "", 403,
     "{\"error\":{\"code\":\"forbidden\",\"message\":\"缺少或无效的 CSRF 令牌\",\"field\":"
     "\"csrf_token\"}}"},
    {"POST", "/me", H("Cookie: fazhi_session=s1", "X-CSRF-Token: csrf-8"), "", 403, "csrf_token"},
    {"POST", "/me", H("Cookie: fazhi_session=s1", "X-CSRF-Token: csrf-77"), "", 403, "csrf_token"},
    {"POST", "/me", H("Cookie: fazhi_session=s1", "X-CSRF-Token: csrf-7"), "", 200, "{\"user\":7}"},
    {"POST", "/me", H("Authorization: Bearer good"), "", 200, "{\"user\":0}"},
    {"POST", "/form", H("Cookie: fazhi_session=s1"), "csrf_token=csrf-7&name=%E5%BC%A0", 200,
     "{\"name\":\"张\"}"},
    {"POST", "/form", H("Cookie: fazhi_session=s1"), "csrf_token=nope&name=x", 403, "csrf_token"},
    {"POST", "/form", H("Authorization: Bearer good"), "name=a+b", 200, "{\"name\":\"a b\"}"},
    {"POST", "/form", H("Authorization: Bearer good"), "name=%ff", 400, "\"field\":\"name\""},
    {"POST", "/form", H("Authorization: Bearer good", "Content-Type: application/json"), "{}", 415,
     "unsupported_media_type"},
};

static void test_http_server__requests(void **state)
{
    struct http_server *srv = start_server();
    unsigned port = http_server_port(srv);
    CURL *c = curl_easy_init();
    struct reply r;

    (void)state;
    assert_true(port > 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *body = cases[i].body;
        request(c, port, cases[i].method, cases[i].path, cases[i].headers, body,
                body ? strlen(body) : 0, &r);
        if (r.status != cases[i].status || !strstr(r.body, cases[i].want))
            fail_msg("case %zu: %s %s gave %ld %s", i, cases[i].method, cases[i].path, r.status,
                     r.body);
        /* Every response carries the security headers and a JSON type. */
        assert_true(has_header(&r, "X-Content-Type-Options: nosniff"));
        assert_true(has_header(&r, "Content-Security-Policy: default-src 'self'"));
        assert_true(has_header(&r, "X-Frame-Options: DENY"));
        assert_true(has_header(&r, "Referrer-Policy: "));
        assert_true(has_header(&r, "Content-Type: application/json; charset=utf-8"));
    }
    curl_easy_cleanup(c);
    http_server_stop(srv);
}

static void test_http_server__headers(void **state)
{
    struct http_server *srv = start_server();
    unsigned port = http_server_port(srv);
    CURL *c = curl_easy_init();
    struct reply r;
    long connects = -1;

    (void)state;
    request(c, port, "PUT", "/items/5", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 405);
    assert_true(has_header(&r, "Allow: DELETE, GET, HEAD"));
    request(c, port, "GET", "/me", NULL, NULL, 0, &r);
    assert_true(has_header(&r, "WWW-Authenticate: Bearer"));
    request(c, port, "GET", "/me", H("Cookie: fazhi_session=s1", "X-Forwarded-Proto: https"), NULL,
            0, &r);
    assert_true(has_header(&r, "Set-Cookie: seen=1; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; "
                               "Secure"));
    assert_true(has_header(&r, "Cache-Control: no-store"));
    /* The last request reused the connection: keep-alive survives. */
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0);
    curl_easy_cleanup(c);
    http_server_stop(srv);
}

/* ---- an event stream ended by shutdown ---- */

struct stream {
    unsigned port;
    pthread_mutex_t lock;
    char data[8192];
    size_t len;
    CURLcode rc;
};

static size_t on_stream(char *p, size_t size, size_t n, void *arg)
{
    struct stream *s = arg;
    size_t k = size * n;

    pthread_mutex_lock(&s->lock);
    if (s->len + k >= sizeof(s->data))
        k = sizeof(s->data) - 1 - s->len;
    memcpy(s->data + s->len, p, k);
    s->len += k;
    s->data[s->len] = '\0';
    pthread_mutex_unlock(&s->lock);
    return size * n;
}

static void *stream_main(void *arg)
{
    struct stream *s = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Authorization: Bearer good");
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/events", s->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    s->rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return NULL;
}

static bool wait_for(struct stream *s, const char *text)
{
    for (int i = 0; i < 500; i++) {
        bool found;
        pthread_mutex_lock(&s->lock);
        found = strstr(s->data, text) != NULL;
        pthread_mutex_unlock(&s->lock);
        if (found)
            return true;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return false;
}

static void test_sse_serve__publish_then_shutdown(void **state)
{
    struct http_server *srv = start_server();
    struct sse_hub *hub = http_server_hub(srv);
    struct stream s = {.port = http_server_port(srv)};
    struct store_event_rec in_scope = {41, 0, "matter.created", "/1/4/", "", "{\"id\":1}"};
    struct store_event_rec out_of_scope = {42, 0, "matter.created", "/2/", "", "{\"id\":2}"};
    struct store_event_rec multi_line = {43, 0, "x", "/1/", "", "{\n\"id\":3}"};
    pthread_t t;

    (void)state;
    pthread_mutex_init(&s.lock, NULL);
    pthread_create(&t, NULL, stream_main, &s);
    assert_true(wait_for(&s, ": connected\n\nretry: 3000\n\n"));
    assert_int_equal(sse_hub_count(hub), 1);
    sse_hub_publish(&out_of_scope, hub);
    sse_hub_publish(&in_scope, hub);
    sse_hub_publish(&multi_line, hub);
    assert_true(wait_for(&s, "id: 41\nevent: matter.created\ndata: {\"id\":1}\n\n"));
    assert_true(wait_for(&s, "id: 43\nevent: x\ndata: {\ndata: \"id\":3}\n\n"));
    pthread_mutex_lock(&s.lock);
    assert_null(strstr(s.data, "id: 42"));
    pthread_mutex_unlock(&s.lock);
    /* The stream is suspended now; stopping must end it, not abort. */
    http_server_stop(srv);
    pthread_join(t, NULL);
    assert_int_equal(s.rc, CURLE_OK);
    pthread_mutex_destroy(&s.lock);
}

static void test_sse_hub_shutdown__refuses_new_streams(void **state)
{
    struct http_server *srv = start_server();
    struct reply r;
    CURL *c = curl_easy_init();

    (void)state;
    sse_hub_shutdown(http_server_hub(srv));
    request(c, http_server_port(srv), "GET", "/api/v1/events", H("Authorization: Bearer good"),
            NULL, 0, &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"code\":\"unavailable\""));
    curl_easy_cleanup(c);
    http_server_stop(srv);
}

static void test_http_server_start__bad_config(void **state)
{
    static const struct http_route dup[] = {
        {"GET", "/healthz", h_hello, HTTP_PUBLIC, 0},
    };
    static const struct http_route_table dup_table = {dup, ARRAY_SIZE(dup)};
    struct http_server_config cfg = {0};
    struct http_server *srv = (struct http_server *)&cfg;
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    cfg.listen = "127.0.0.1:0";
    cfg.tables = &dup_table;
    cfg.ntables = 1;
    assert_int_equal(http_server_start(&cfg, &srv, &ec), ERR_INVALID);
    assert_null(srv);
    assert_non_null(strstr(ec.message, "/healthz"));

    err_clear(&ec);
    cfg.tables = NULL;
    cfg.ntables = 0;
    cfg.listen = "localhost";
    assert_int_equal(http_server_start(&cfg, &srv, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "listen");
}

static int group_setup(void **state)
{
    (void)state;
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_server__requests),
        cmocka_unit_test(test_http_server__headers),
        cmocka_unit_test(test_sse_serve__publish_then_shutdown),
        cmocka_unit_test(test_sse_hub_shutdown__refuses_new_streams),
        cmocka_unit_test(test_http_server_start__bad_config),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
