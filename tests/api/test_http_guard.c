/*
 * test_http_guard.c - the HTTP layer's defences, end to end: the body
 * budget against stalled uploads, the size limit of JSON and urlencoded
 * bodies on upload routes, X-Forwarded-For behind a trusted proxy, and
 * route patterns in place of secret paths in the log.
 *
 * Like test_upload.c, the server runs in process (http_server_start) with a
 * route table of its own; raw sockets send what libcurl will not (headers
 * alone, then silence; repeated header lines).
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/log.h"
#include "http/internal.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)
/* What all large bodies being read may hold at once in this test's server. */
#define BUDGET ((size_t)8 * 1024 * 1024)

static struct http_server *server;
static char base[64];

/* {"len": body bytes} */
static int h_len(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    return http_reply_json(req, 200, json_pack("{s:I}", "len", (json_int_t)req->body_len));
}

/* {"keys": members of the JSON object} */
static int h_json(struct http_request *req, struct err_ctx *ec)
{
    json_t *o;
    int rc;

    if ((rc = http_json_body(req, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, json_pack("{s:I}", "keys", (json_int_t)json_object_size(o)));
}

/* {"a": length of the text field a} */
static int h_form(struct http_request *req, struct err_ctx *ec)
{
    struct http_form *f;
    const char *a;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    a = http_form_get(f, "a");
    return http_reply_json(req, 200, json_pack("{s:I}", "a", (json_int_t)(a ? strlen(a) : 0)));
}

/* {"ip": the client address the server settled on} */
static int h_ip(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    return http_reply_json(req, 200, json_pack("{s:s}", "ip", req->client_ip));
}

static int h_ok(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    return http_reply_json(req, 200, json_pack("{s:s?}", "code", http_param(req, "code")));
}

static int h_fail(struct http_request *req, struct err_ctx *ec)
{
    (void)req;
    err_set(ec, ERR_INTERNAL, NULL, NULL);
    return err_detail(ec, "deliberate failure");
}

static const struct http_route routes[] = {
    {"POST", "/photos", h_len, HTTP_PUBLIC, 0, HTTP_MAX_BODY_UPLOAD},
    {"POST", "/small", h_len, HTTP_PUBLIC, 0},
    {"POST", "/json", h_json, HTTP_PUBLIC, 0, HTTP_MAX_BODY_UPLOAD},
    {"POST", "/form", h_form, HTTP_PUBLIC, 0, HTTP_MAX_BODY_UPLOAD},
    {"GET", "/ip", h_ip, HTTP_PUBLIC, 0},
    {"GET", "/track/{code}", h_ok, HTTP_PUBLIC | HTTP_LOG_PATTERN, 0},
    {"GET", "/track/{code}/fail", h_fail, HTTP_PUBLIC | HTTP_LOG_PATTERN, 0},
    {"GET", "/plain/{code}", h_ok, HTTP_PUBLIC, 0},
};

static const struct http_route_table table = {routes, ARRAY_SIZE(routes)};

static void config(struct http_server_config *cfg, const char *trusted_proxy)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = "127.0.0.1:0";
    cfg->threads = 2;
    cfg->workers = 4;
    cfg->version = "test";
    cfg->tables = &table;
    cfg->ntables = 1;
    cfg->body_budget = BUDGET;
    cfg->trusted_proxy = trusted_proxy;
}

static int group_setup(void **state)
{
    struct http_server_config cfg;
    struct err_ctx ec;

    (void)state;
    log_set_level(LOG_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    err_clear(&ec);
    /* The peer 127.0.0.1 written as an IPv4-mapped IPv6 address: it must
       still be recognised (compared in canonical form). */
    config(&cfg, "::ffff:127.0.0.1");
    if (http_server_start(&cfg, &server, &ec) < 0) {
        harness_note("start: %s %s", ec.message, ec.detail);
        return -1;
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", http_server_port(server));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    http_server_stop(server);
    return 0;
}

/* ---- clients ---- */

struct reply {
    long status;
    char *body;
    size_t len;
    json_t *json;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);

    if (!nb)
        return 0;
    memcpy(nb + r->len, p, k);
    r->body = nb;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static void reply_release(struct reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

/* One request with libcurl; 'body' NULL for a GET, 'mime' for a multipart POST. */
static void request(const char *path, const char *content_type, const char *body, size_t len,
                    curl_mime *mime, CURL *c, struct reply *r)
{
    struct curl_slist *hl = NULL;
    char url[128], ct[128];

    memset(r, 0, sizeof(*r));
    hl = curl_slist_append(hl, "Expect:");
    if (content_type) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        hl = curl_slist_append(hl, ct);
    }
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (mime) {
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body)
        r->json = json_loads(r->body, 0, NULL);
    curl_slist_free_all(hl);
}

static void get(const char *path, struct reply *r)
{
    CURL *c = curl_easy_init();
    request(path, NULL, NULL, 0, NULL, c, r);
    curl_easy_cleanup(c);
}

static void post(const char *path, const char *content_type, const char *body, size_t len,
                 struct reply *r)
{
    CURL *c = curl_easy_init();
    request(path, content_type, body, len, NULL, c, r);
    curl_easy_cleanup(c);
}

static void assert_reply(const struct reply *r, long status, const char *code)
{
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;

    if (r->status != status ||
        (code && (!err || strcmp(json_str_member(err, "code"), code) != 0))) {
        harness_note("want %ld %s, got %ld %s", status, code ? code : "", r->status,
                     r->body ? r->body : "");
        fail();
    }
}

static int raw_connect(void)
{
    struct sockaddr_in sa = {0};
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)http_server_port(server));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void raw_send(int fd, const char *text)
{
    size_t n = strlen(text), off = 0;

    while (off < n) {
        ssize_t k = send(fd, text + off, n - off, MSG_NOSIGNAL);
        assert_true(k > 0);
        off += (size_t)k;
    }
}

/* Sends a whole request (with "Connection: close") and returns the reply's
 * body (after the blank line), malloc'd. */
static char *raw_exchange(const char *text)
{
    int fd = raw_connect();
    char *buf = malloc(65536), *bodyp;
    size_t len = 0;
    ssize_t k;

    raw_send(fd, text);
    while (len < 65535 && (k = recv(fd, buf + len, 65535 - len, 0)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    close(fd);
    bodyp = strstr(buf, "\r\n\r\n");
    assert_non_null(bodyp);
    memmove(buf, bodyp + 4, strlen(bodyp + 4) + 1);
    return buf;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- 1. the body budget ---- */

static void test_guard__stalled_uploads_do_not_spend_the_budget(void **state)
{
    /* Each declares 4 MiB - 1: reserved up front, two would fill the
       budget exactly and every other body would be answered 503. */
    static const char stall[] = "POST /photos HTTP/1.1\r\nHost: t\r\n"
                                "Content-Type: application/octet-stream\r\n"
                                "Content-Length: 4194303\r\n\r\n";
    int fds[6];
    size_t big = 10 * MIB, medium = 2 * MIB;
    char *data = malloc(big);
    struct reply r;

    (void)state;
    memset(data, 'x', big);
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
        fds[i] = raw_connect();
        raw_send(fds[i], stall);
    }
    sleep_ms(300); /* the server has read every header */
    assert_int_equal(http_server_body_bytes(server), 0);
    /* A sign-in sized body gets through. */
    post("/small", "application/json", "{\"login\":\"a\"}", 13, &r);
    assert_reply(&r, 200, NULL);
    assert_int_equal(json_int_member(r.json, "len"), 13);
    reply_release(&r);
    /* So does a large one that fits what is left. */
    post("/photos", "application/octet-stream", data, medium, &r);
    assert_reply(&r, 200, NULL);
    assert_int_equal(json_int_member(r.json, "len"), (json_int_t)medium);
    reply_release(&r);
    /* A body that really is over the budget is still refused. */
    post("/photos", "application/octet-stream", data, big, &r);
    assert_reply(&r, 503, "unavailable");
    reply_release(&r);
    /* A stalled upload that sends some of its body holds about that much. */
    raw_send(fds[0], "0123456789");
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        close(fds[i]);
    /* Every request over: the budget is whole again. */
    for (int i = 0; i < 100 && http_server_body_bytes(server) != 0; i++)
        sleep_ms(50);
    assert_int_equal(http_server_body_bytes(server), 0);
    free(data);
}

/* ---- 2. JSON and urlencoded bodies keep to the default limit ---- */

static void test_guard__json_and_urlencoded_keep_to_max_body(void **state)
{
    size_t len = 2 * MIB;
    char *json = malloc(len + 1), *form = malloc(len + 1);
    curl_mime *mime;
    curl_mimepart *part;
    CURL *c;
    struct reply r;
    const char *msg;

    (void)state;
    /* {"a":"xxxx..."} of 2 MiB: under the route's 26 MiB, over 1 MiB. */
    memset(json, 'x', len);
    memcpy(json, "{\"a\":\"", 6);
    memcpy(json + len - 2, "\"}", 2);
    json[len] = '\0';
    post("/json", "application/json", json, len, &r);
    assert_reply(&r, 413, "too_large");
    msg = json_str_member(json_object_get(r.json, "error"), "message");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "1048576"));
    reply_release(&r);
    post("/json", "application/json", "{\"a\":1,\"b\":2}", 13, &r);
    assert_reply(&r, 200, NULL);
    assert_int_equal(json_int_member(r.json, "keys"), 2);
    reply_release(&r);

    memset(form, 'y', len);
    memcpy(form, "a=", 2);
    form[len] = '\0';
    post("/form", "application/x-www-form-urlencoded", form, len, &r);
    assert_reply(&r, 413, "too_large");
    reply_release(&r);
    post("/form", "application/x-www-form-urlencoded", "a=hello", 7, &r);
    assert_reply(&r, 200, NULL);
    assert_int_equal(json_int_member(r.json, "a"), 5);
    reply_release(&r);

    /* multipart/form-data may use the route's limit. */
    c = curl_easy_init();
    mime = curl_mime_init(c);
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "photo");
    curl_mime_filename(part, "big.bin");
    curl_mime_data(part, form, len);
    request("/form", NULL, NULL, 0, mime, c, &r);
    assert_reply(&r, 200, NULL);
    reply_release(&r);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    free(json);
    free(form);
}

/* ---- 3. X-Forwarded-For behind the trusted proxy ---- */

static void expect_ip(const char *headers, const char *want)
{
    char text[1024];
    char *body;
    json_t *j;

    snprintf(text, sizeof(text), "GET /ip HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
             headers);
    body = raw_exchange(text);
    j = json_loads(body, 0, NULL);
    if (!j || !json_str_member(j, "ip") || strcmp(json_str_member(j, "ip"), want) != 0) {
        harness_note("headers %s: want %s, got %s", headers, want, body);
        fail();
    }
    json_decref(j);
    free(body);
}

static void test_guard__forwarded_for_takes_the_proxys_entry(void **state)
{
    (void)state;
    /* HAProxy adds its own line after the client's forged one. */
    expect_ip("X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9\r\n", "203.0.113.9");
    expect_ip("X-Forwarded-For: 6.6.6.6, 7.7.7.7\r\nx-forwarded-for: 10.0.0.1, 2001:db8::5\r\n",
              "2001:db8::5");
    /* nginx appends to the client's line. */
    expect_ip("X-Forwarded-For: 6.6.6.6, 198.51.100.4\r\n", "198.51.100.4");
    /* The proxy's entry is no address: the peer, never the client's word. */
    expect_ip("X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: nonsense\r\n", "127.0.0.1");
    expect_ip("", "127.0.0.1");
}

static void test_guard__trusted_proxy_must_be_an_address(void **state)
{
    static const char *const bad[] = {"localhost", "127.0.0.1:8080", "[::1]:80", "10.0.0.0/8",
                                      "proxy.example.org"};
    struct http_server_config cfg;
    struct http_server *s = NULL;
    struct err_ctx ec;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        config(&cfg, bad[i]);
        err_clear(&ec);
        assert_true(http_server_start(&cfg, &s, &ec) < 0);
        assert_null(s);
        assert_int_equal(ec.code, ERR_INVALID);
        if (!strstr(ec.message, bad[i])) {
            harness_note("message does not name %s: %s", bad[i], ec.message);
            fail();
        }
    }
    config(&cfg, "2001:DB8:0:0::1");
    err_clear(&ec);
    assert_int_equal(http_server_start(&cfg, &s, &ec), 0);
    http_server_stop(s);
}

/* ---- 5. secret paths stay out of the log ---- */

/* True once 'needle' is in the file (within 5 s). */
static bool wait_in_file(const char *path, const char *needle, char **text)
{
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(path, "rb");
        size_t n;
        free(*text);
        *text = calloc(1, 1 << 20);
        n = f ? fread(*text, 1, (1 << 20) - 1, f) : 0;
        (*text)[n] = '\0';
        if (f)
            fclose(f);
        if (strstr(*text, needle))
            return true;
        sleep_ms(50);
    }
    return false;
}

static void test_guard__log_shows_the_pattern(void **state)
{
    char path[] = "/tmp/fazhi-guard-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    static const char *const want[] = {
        "http GET /track/{code} 200",
        "http GET /track/{code}/fail: 500",
        "http GET /track/{code}/fail 500",
        "http GET /plain/visible-123 200",
    };
    char *text = NULL;
    struct reply r;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDERR_FILENO);
    log_set_level(LOG_INFO);
    get("/track/CX-7KQ2-9MWD", &r);
    assert_reply(&r, 200, NULL);
    assert_string_equal(json_str_member(r.json, "code"), "CX-7KQ2-9MWD");
    reply_release(&r);
    get("/track/CX-7KQ2-9MWD/fail", &r);
    assert_reply(&r, 500, "internal");
    reply_release(&r);
    get("/plain/visible-123", &r);
    assert_reply(&r, 200, NULL);
    reply_release(&r);
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        if (!wait_in_file(path, want[i], &text)) {
            dup2(saved, STDERR_FILENO);
            harness_note("log lacks \"%s\":\n%s", want[i], text);
            fail();
        }
    }
    log_set_level(LOG_ERROR);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    unlink(path);
    assert_lacks(text, "7KQ2");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard__stalled_uploads_do_not_spend_the_budget),
        cmocka_unit_test(test_guard__json_and_urlencoded_keep_to_max_body),
        cmocka_unit_test(test_guard__forwarded_for_takes_the_proxys_entry),
        cmocka_unit_test(test_guard__trusted_proxy_must_be_an_address),
        cmocka_unit_test(test_guard__log_shows_the_pattern),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
