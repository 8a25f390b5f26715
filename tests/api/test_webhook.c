/*
 * test_webhook.c - outbound webhooks against a real receiver.
 *
 * The receiver is a small HTTP server in a thread of this test (a socket,
 * one request per connection) that records every request and answers 500
 * to the first N. The server runs with --webhook-retry-ms 50, so that the
 * back-off is 50, 100, 200 ... ms. The event delivered is "unit.created",
 * which the org module publishes when a unit is created (through the API or
 * the CLI).
 */
#include "core/compat.h"
#include "api/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct test_server srv;
static struct client admin, clerka, anon;

/* ================================================================
 * The receiver
 * ================================================================ */

#define RECEIVER_MAX 32

struct received {
    char *head; /* request line and headers */
    char *body;
    int64_t at_ms; /* monotonic */
};

struct receiver {
    int fd;
    unsigned port;
    char url[96];
    pthread_t thread;
    bool running;
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fail_first; /* answer 500 to this many requests first */
    struct received reqs[RECEIVER_MAX];
    size_t n;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_for_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads one request from fd: the head up to the blank line, then
 * Content-Length bytes of body. Returns false on a short read. */
static bool read_request(int fd, char **head, char **body)
{
    size_t cap = 65536, len = 0, need = 0;
    char *buf = malloc(cap + 1), *end = NULL;

    while (!end || len < need) {
        ssize_t got = recv(fd, buf + len, cap - len, 0);
        if (got <= 0 || len + (size_t)got >= cap) {
            free(buf);
            return false;
        }
        len += (size_t)got;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            need = (size_t)(end - buf) + 4 + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
    }
    *head = strndup(buf, (size_t)(end - buf) + 2);
    *body = strndup(end + 4, len - (size_t)(end - buf) - 4);
    free(buf);
    return true;
}

static void *receiver_run(void *arg)
{
    struct receiver *r = arg;

    while (!atomic_load(&r->stop)) {
        struct pollfd pfd = {r->fd, POLLIN, 0};
        struct timeval tv = {5, 0};
        char *head, *body;
        int status = 200, c;
        char reply[128];

        if (poll(&pfd, 1, 50) <= 0)
            continue;
        if ((c = accept(r->fd, NULL, NULL)) < 0)
            continue;
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (read_request(c, &head, &body)) {
            pthread_mutex_lock(&r->lock);
            if ((int)r->n < r->fail_first)
                status = 500;
            if (r->n < RECEIVER_MAX)
                r->reqs[r->n++] = (struct received){head, body, mono_ms()};
            else
                free(head), free(body);
            pthread_cond_broadcast(&r->cond);
            pthread_mutex_unlock(&r->lock);
            snprintf(reply, sizeof(reply),
                     "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status,
                     status == 200 ? "OK" : "Internal Server Error");
            send(c, reply, strlen(reply), MSG_NOSIGNAL);
        }
        close(c);
    }
    return NULL;
}

/* A receiver on a free port of 127.0.0.1; listening now or, when 'up' is
 * false, bound only (connections are refused) until receiver_listen(). */
static struct receiver *receiver_new(bool up, int fail_first)
{
    struct receiver *r = calloc(1, sizeof(*r));
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    int one = 1;

    assert_non_null(r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->fail_first = fail_first;
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->fd >= 0);
    setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(r->fd, (struct sockaddr *)&sa, &sl), 0);
    r->port = ntohs(sa.sin_port);
    snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%u/hook", r->port);
    if (up) {
        assert_int_equal(listen(r->fd, 16), 0);
        assert_int_equal(pthread_create(&r->thread, NULL, receiver_run, r), 0);
        r->running = true;
    }
    return r;
}

static void receiver_listen(struct receiver *r)
{
    assert_int_equal(listen(r->fd, 16), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, receiver_run, r), 0);
    r->running = true;
}

static void receiver_free(struct receiver *r)
{
    if (!r)
        return;
    atomic_store(&r->stop, true);
    if (r->running)
        pthread_join(r->thread, NULL);
    close(r->fd);
    for (size_t i = 0; i < r->n; i++) {
        free(r->reqs[i].head);
        free(r->reqs[i].body);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* True once the receiver has at least 'count' requests (within timeout_ms). */
static bool receiver_wait(struct receiver *r, size_t count, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    bool ok;

    pthread_mutex_lock(&r->lock);
    while (r->n < count && mono_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
    }
    ok = r->n >= count;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static size_t receiver_count(struct receiver *r)
{
    size_t n;
    pthread_mutex_lock(&r->lock);
    n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* The value of header 'name' in a recorded head, into buf ("" when absent). */
static const char *req_header(const struct received *q, const char *name, char *buf, size_t size)
{
    const char *p = q->head;

    buf[0] = '\0';
    while ((p = strstr(p, "\r\n"))) {
        p += 2;
        if (strncasecmp(p, name, strlen(name)) == 0 && p[strlen(name)] == ':') {
            const char *v = p + strlen(name) + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(buf, size, "%.*s", (int)(e ? e - v : (ptrdiff_t)strlen(v)), v);
            break;
        }
    }
    return buf;
}

/* ================================================================
 * Helpers
 * ================================================================ */

static int group_setup(void **state)
{
    static const char *const serve_args[] = {"--webhook-retry-ms", "50", NULL};

    (void)state;
    harness_serve_args(serve_args);
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_init(&anon, &srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&anon);
    client_release(&clerka);
    client_release(&admin);
    server_stop(&srv);
    harness_serve_args(NULL);
    return 0;
}

/* POST /api/v1/webhooks; returns the id, the secret into secret[65+]. */
static int64_t webhook_add(const char *url, const char *events, const char *secret_in, char *secret,
                           size_t size)
{
    struct response r = {0};
    char name[64];
    int64_t id;

    unique_name("hook", name, sizeof(name));
    client_send(&admin, "POST", "/api/v1/webhooks",
                secret_in
                    ? json_pack("{s:s, s:s, s:s, s:s}", "name", name, "url", url, "events", events,
                                "secret", secret_in)
                    : json_pack("{s:s, s:s, s:s}", "name", name, "url", url, "events", events),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    assert_true(json_is_true(json_object_get(r.json, "active")));
    assert_non_null(json_str_member(r.json, "secret"));
    snprintf(secret, size, "%s", json_str_member(r.json, "secret"));
    if (secret_in)
        assert_string_equal(secret, secret_in);
    response_release(&r);
    return id;
}

static void webhook_off(int64_t id)
{
    struct response r = {0};
    char path[64];

    snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", (long long)id);
    client_send(&admin, "DELETE", path, NULL, &r);
    assert_status(&r, 204);
    response_release(&r);
}

/* Creates a community under root through the API (a "unit.created" event);
 * its code into code[size]. */
static void unit_add(char *code, size_t size)
{
    struct response r = {0};

    unique_name("wh", code, size);
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "通知测试社区", "type",
                          "community", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    response_release(&r);
}

/* The delivery log of webhook 'id', newest first (a new reference). */
static json_t *deliveries(int64_t id)
{
    struct response r = {0};
    json_t *items;

    client_get(&admin, &r, "/api/v1/webhooks/%lld/deliveries?limit=100", (long long)id);
    assert_status(&r, 200);
    items = json_incref(response_items(&r));
    response_release(&r);
    return items;
}

/* Waits until the newest entry of the log has 'outcome' and the log holds
 * at least 'count' entries; returns the log. */
static json_t *deliveries_wait(int64_t id, const char *outcome, size_t count, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;

    for (;;) {
        json_t *items = deliveries(id);
        json_t *first = json_array_get(items, 0);
        const char *o = first ? json_str_member(first, "outcome") : NULL;
        if (o && strcmp(o, outcome) == 0 && json_array_size(items) >= count)
            return items;
        if (mono_ms() > deadline) {
            char *text = json_dumps(items, JSON_COMPACT);
            harness_note("delivery log of webhook %lld: %s", (long long)id, text);
            free(text);
            json_decref(items);
            server_print_log(&srv, 30);
            fail_msg("no '%s' in the delivery log within %d ms", outcome, timeout_ms);
        }
        json_decref(items);
        sleep_for_ms(50);
    }
}

/* The request body's data.code. */
static const char *body_code(const json_t *body)
{
    return json_str_member(json_object_get(body, "data"), "code");
}

/* ================================================================
 * Cases
 * ================================================================ */

static void test_webhook__delivered_and_signed(void **state)
{
    const char *secret_in = "test-secret-0123456789";
    struct receiver *rcv = receiver_new(true, 0);
    char secret[256], code[64], buf[512], want[96];
    const struct received *q;
    json_t *body, *log, *d;
    int64_t id, ts, now = (int64_t)time(NULL);

    (void)state;
    id = webhook_add(rcv->url, "unit.created", secret_in, secret, sizeof(secret));
    unit_add(code, sizeof(code));
    if (!receiver_wait(rcv, 1, 10000)) {
        server_print_log(&srv, 30);
        fail_msg("the receiver got no request within 10 s");
    }
    q = &rcv->reqs[0];
    assert_true(strncmp(q->head, "POST /hook HTTP/1.1\r\n", 21) == 0);
    assert_string_equal(req_header(q, "Content-Type", buf, sizeof(buf)), "application/json");
    assert_true(strncmp(req_header(q, "User-Agent", buf, sizeof(buf)), "fazhi/", 6) == 0);
    assert_string_equal(req_header(q, "X-Fazhi-Event", buf, sizeof(buf)), "unit.created");

    body = json_loads(q->body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_str_member(body, "type"), "unit.created");
    assert_string_equal(body_code(body), code);
    assert_int_equal(strlen(json_str_member(body, "at")), strlen("2026-11-29T10:00:00+08:00"));
    assert_non_null(strstr(json_str_member(body, "at"), "+08:00"));
    snprintf(want, sizeof(want), "%lld", (long long)json_int_member(body, "id"));
    assert_string_equal(req_header(q, "X-Fazhi-Delivery", buf, sizeof(buf)), want);

    /* The signature: HMAC-SHA256(secret, timestamp + "." + body). */
    ts = strtoll(req_header(q, "X-Fazhi-Timestamp", buf, sizeof(buf)), NULL, 10);
    assert_true(ts >= now - 60 && ts <= now + 60);
    {
        crypto_auth_hmacsha256_state st;
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char hex[2 * sizeof(mac) + 1];
        crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret_in, strlen(secret_in));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)buf, strlen(buf));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)q->body, strlen(q->body));
        crypto_auth_hmacsha256_final(&st, mac);
        sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
        snprintf(want, sizeof(want), "sha256=%s", hex);
    }
    assert_string_equal(req_header(q, "X-Fazhi-Signature", buf, sizeof(buf)), want);

    log = deliveries_wait(id, "delivered", 1, 10000);
    assert_int_equal(json_array_size(log), 1);
    d = json_array_get(log, 0);
    assert_int_equal(json_int_member(d, "attempt"), 1);
    assert_int_equal(json_int_member(d, "http_status"), 200);
    assert_int_equal(json_int_member(d, "event_id"), json_int_member(body, "id"));
    assert_string_equal(json_str_member(d, "event_type"), "unit.created");
    json_decref(log);
    json_decref(body);

    /* The list never shows a secret; DELETE switches the webhook off. */
    {
        struct response r = {0};
        json_t *it;
        webhook_off(id);
        client_get(&admin, &r, "/api/v1/webhooks");
        assert_status(&r, 200);
        assert_null(strstr(r.body, secret_in));
        assert_null(strstr(r.body, "\"secret\""));
        for (size_t i = 0; (it = json_array_get(response_items(&r), i)); i++)
            if (json_int_member(it, "id") == id)
                assert_true(json_is_false(json_object_get(it, "active")));
        snprintf(buf, sizeof(buf), "/api/v1/webhooks/%lld", (long long)id);
        client_send(&admin, "DELETE", buf, NULL, &r);
        assert_error(&r, 409, "conflict", "id");
        response_release(&r);
    }
    receiver_free(rcv);
}

static void test_webhook__retried_with_backoff(void **state)
{
    struct receiver *rcv = receiver_new(true, 2);
    char secret[256], code[64], a[32], b[32];
    int64_t id, gap1, gap2;
    json_t *log;

    (void)state;
    /* A generated secret: 32 random bytes in hex. */
    id = webhook_add(rcv->url, "unit.*", NULL, secret, sizeof(secret));
    assert_int_equal(strlen(secret), 64);
    unit_add(code, sizeof(code));
    if (!receiver_wait(rcv, 3, 15000)) {
        server_print_log(&srv, 30);
        fail_msg("the receiver got %zu requests, want 3", receiver_count(rcv));
    }
    /* The same event each time. */
    assert_string_equal(req_header(&rcv->reqs[0], "X-Fazhi-Delivery", a, sizeof(a)),
                        req_header(&rcv->reqs[2], "X-Fazhi-Delivery", b, sizeof(b)));
    assert_string_equal(req_header(&rcv->reqs[1], "X-Fazhi-Delivery", b, sizeof(b)), a);
    gap1 = rcv->reqs[1].at_ms - rcv->reqs[0].at_ms;
    gap2 = rcv->reqs[2].at_ms - rcv->reqs[1].at_ms;
    if (gap1 < 45 || gap2 < 95 || gap2 <= gap1)
        fail_msg("gaps between attempts %lld ms then %lld ms: want about 50 then 100",
                 (long long)gap1, (long long)gap2);

    log = deliveries_wait(id, "delivered", 3, 10000);
    assert_int_equal(json_array_size(log), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *d = json_array_get(log, i);
        assert_int_equal(json_int_member(d, "attempt"), 3 - (int64_t)i);
        assert_string_equal(json_str_member(d, "outcome"), i == 0 ? "delivered" : "retry");
        assert_int_equal(json_int_member(d, "http_status"), i == 0 ? 200 : 500);
        assert_int_equal(json_int_member(d, "event_id"), strtoll(a, NULL, 10));
    }
    json_decref(log);
    webhook_off(id);
    receiver_free(rcv);
}

static void test_webhook__gives_up_then_goes_on(void **state)
{
    struct receiver *rcv = receiver_new(false, 0); /* bound, not listening: refused */
    char secret[256], code1[64], code2[64], buf[64];
    json_t *log, *body;
    int64_t id, first_event;

    (void)state;
    id = webhook_add(rcv->url, "unit.created", NULL, secret, sizeof(secret));
    unit_add(code1, sizeof(code1));
    /* 8 attempts 50, 100, ... 3200 ms apart: about 6.4 s. */
    log = deliveries_wait(id, "gave_up", 8, 30000);
    assert_int_equal(json_array_size(log), 8);
    first_event = json_int_member(json_array_get(log, 0), "event_id");
    for (size_t i = 0; i < 8; i++) {
        json_t *d = json_array_get(log, i);
        assert_int_equal(json_int_member(d, "attempt"), 8 - (int64_t)i);
        assert_string_equal(json_str_member(d, "outcome"), i == 0 ? "gave_up" : "retry");
        assert_int_equal(json_int_member(d, "http_status"), 0);
        assert_true(strlen(json_str_member(d, "error")) > 0);
        assert_int_equal(json_int_member(d, "event_id"), first_event);
    }
    json_decref(log);

    /* The receiver comes up: the next event is delivered, the given-up one
     * is not sent again. */
    receiver_listen(rcv);
    unit_add(code2, sizeof(code2));
    if (!receiver_wait(rcv, 1, 10000)) {
        server_print_log(&srv, 30);
        fail_msg("the next event was not delivered");
    }
    body = json_loads(rcv->reqs[0].body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(body_code(body), code2);
    assert_true(json_int_member(body, "id") > first_event);
    snprintf(buf, sizeof(buf), "%lld", (long long)json_int_member(body, "id"));
    log = deliveries_wait(id, "delivered", 9, 10000);
    assert_int_equal(json_int_member(json_array_get(log, 0), "event_id"),
                     json_int_member(body, "id"));
    json_decref(log);
    json_decref(body);
    sleep_for_ms(300);
    assert_int_equal(receiver_count(rcv), 1);
    webhook_off(id);
    receiver_free(rcv);
}

static void test_webhook__restart_neither_twice_nor_lost(void **state)
{
    struct receiver *rcv = receiver_new(true, 0);
    char secret[256], codes[3][64];
    struct cli_result cr = {0};
    json_t *log;
    int64_t id, prev = 0;

    (void)state;
    id = webhook_add(rcv->url, "unit.created", NULL, secret, sizeof(secret));
    unit_add(codes[0], sizeof(codes[0]));
    assert_true(receiver_wait(rcv, 1, 10000));
    json_decref(deliveries_wait(id, "delivered", 1, 10000));

    /* An event while the server is down (the CLI creates a unit). */
    server_stop(&srv);
    unique_name("wh", codes[1], sizeof(codes[1]));
    cli(&srv, &cr, NULL, "unit", "add", "--db", srv.db, "--code", codes[1], "--name", "停机时社区",
        "--type", "community", "--parent", "root");
    assert_int_equal(cr.status, 0);
    cli_result_release(&cr);
    server_restart(&srv);

    if (!receiver_wait(rcv, 2, 10000)) {
        server_print_log(&srv, 30);
        fail_msg("the event recorded while the server was down was not delivered");
    }
    unit_add(codes[2], sizeof(codes[2]));
    assert_true(receiver_wait(rcv, 3, 10000));
    log = deliveries_wait(id, "delivered", 3, 10000);
    sleep_for_ms(500);
    assert_int_equal(receiver_count(rcv), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *body = json_loads(rcv->reqs[i].body, 0, NULL);
        assert_non_null(body);
        assert_string_equal(body_code(body), codes[i]);
        assert_true(json_int_member(body, "id") > prev);
        prev = json_int_member(body, "id");
        json_decref(body);
    }
    assert_int_equal(json_array_size(log), 3);
    json_decref(log);
    webhook_off(id);
    receiver_free(rcv);
}

/* What an SMS gateway needs of a resident's matter: the code, the phone
 * in full, the new state and the office's words. */
static void test_webhook__tells_the_gateway_of_each_matter_change(void **state)
{
    struct receiver *rcv = receiver_new(true, 0);
    struct response r = {0};
    char secret[256], path[96];
    const char *code;
    json_t *body, *data;
    int64_t id, matter_id;

    (void)state;
    id = webhook_add(rcv->url, "matter.notify", NULL, secret, sizeof(secret));
    client_send(&anon, "POST", "/api/v1/matters",
                json_pack("{s:s, s:s, s:s}", "type", "consultation", "description",
                          "咨询老年优待证办理", "phone", "13655556666"),
                &r);
    assert_status(&r, 201);
    code = json_str_member(r.json, "code");
    assert_true(receiver_wait(rcv, 1, 10000));
    body = json_loads(rcv->reqs[0].body, 0, NULL);
    data = json_object_get(body, "data");
    assert_string_equal(json_str_member(body, "type"), "matter.notify");
    assert_string_equal(json_str_member(data, "code"), code);
    assert_string_equal(json_str_member(data, "phone"), "13655556666");
    assert_string_equal(json_str_member(data, "state"), "submitted");
    snprintf(path, sizeof(path), "/track/%s", code);
    assert_string_equal(json_str_member(data, "track_path"), path);
    json_decref(body);

    /* A reply reaches the gateway with its text. */
    client_get(&admin, &r, "/api/v1/matters?limit=1");
    matter_id = json_int_member(json_array_get(response_items(&r), 0), "id");
    snprintf(path, sizeof(path), "/api/v1/matters/%lld/actions/reject", (long long)matter_id);
    client_send(&admin, "POST", path, json_pack("{s:s}", "reason", "请到社区服务站现场办理"), &r);
    assert_status(&r, 200);
    assert_true(receiver_wait(rcv, 2, 10000));
    body = json_loads(rcv->reqs[1].body, 0, NULL);
    data = json_object_get(body, "data");
    assert_string_equal(json_str_member(data, "state"), "rejected");
    assert_string_equal(json_str_member(data, "text"), "请到社区服务站现场办理");
    json_decref(body);
    json_decref(deliveries_wait(id, "delivered", 2, 10000));
    webhook_off(id);
    response_release(&r);
    receiver_free(rcv);
}

static void test_webhook__admins_only(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/api/v1/webhooks");
    assert_error(&r, 403, "forbidden", NULL);
    client_send(&clerka, "POST", "/api/v1/webhooks",
                json_pack("{s:s, s:s, s:s}", "name", "x", "url", "http://127.0.0.1:9/", "events",
                          "unit.created"),
                &r);
    assert_error(&r, 403, "forbidden", NULL);
    client_get(&clerka, &r, "/api/v1/webhooks/1/deliveries");
    assert_error(&r, 403, "forbidden", NULL);
    client_get(&anon, &r, "/api/v1/webhooks");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_get(&admin, &r, "/api/v1/webhooks/999999");
    assert_error(&r, 404, "not_found", "id");
    client_get(&admin, &r, "/api/v1/webhooks/999999/deliveries");
    assert_error(&r, 404, "not_found", "id");
    response_release(&r);
}

static void test_webhook__bad_input_changes_nothing(void **state)
{
    static const struct {
        const char *name, *url, *events, *secret, *field;
    } bad[] = {
        {"n", "ftp://127.0.0.1/x", "unit.created", NULL, "url"},
        {"n", "file:///etc/passwd", "unit.created", NULL, "url"},
        {"n", "127.0.0.1:9/x", "unit.created", NULL, "url"},
        {"n", "http://", "unit.created", NULL, "url"},
        {"n", NULL, "unit.created", NULL, "url"},
        {"n", "http://127.0.0.1:9/", "", NULL, "events"},
        {"n", "http://127.0.0.1:9/", "Unit.Created", NULL, "events"},
        {"n", "http://127.0.0.1:9/", "unit.created,,case.*", NULL, "events"},
        {"n", "http://127.0.0.1:9/", "unit*", NULL, "events"},
        {"n", "http://127.0.0.1:9/", NULL, NULL, "events"},
        {NULL, "http://127.0.0.1:9/", "unit.created", NULL, "name"},
        {"n", "http://127.0.0.1:9/", "unit.created", "short", "secret"},
    };
    struct response r = {0};
    size_t before = list_count(&admin, "/api/v1/webhooks");
    char secret[256], path[64];
    int64_t id;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *b = json_object();
        if (bad[i].name)
            json_object_set_new(b, "name", json_string(bad[i].name));
        if (bad[i].url)
            json_object_set_new(b, "url", json_string(bad[i].url));
        if (bad[i].events)
            json_object_set_new(b, "events", json_string(bad[i].events));
        if (bad[i].secret)
            json_object_set_new(b, "secret", json_string(bad[i].secret));
        client_send(&admin, "POST", "/api/v1/webhooks", b, &r);
        assert_error(&r, 422, "invalid", bad[i].field);
    }
    client_send(&admin, "POST", "/api/v1/webhooks",
                json_pack("{s:s, s:s, s:[]}", "name", "n", "url", "http://127.0.0.1:9/", "events"),
                &r);
    assert_error(&r, 422, "invalid", "events");
    assert_int_equal(list_count(&admin, "/api/v1/webhooks"), before);

    /* A change with a bad field changes nothing either. */
    id = webhook_add("http://127.0.0.1:9/x", "cli.never", NULL, secret, sizeof(secret));
    snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", (long long)id);
    client_send(&admin, "PATCH", path,
                json_pack("{s:s, s:s}", "url", "gopher://127.0.0.1/", "events", "case.*"), &r);
    assert_error(&r, 422, "invalid", "url");
    client_send(&admin, "PATCH", path, json_pack("{s:s}", "events", "case.*.x"), &r);
    assert_error(&r, 422, "invalid", "events");
    client_get(&admin, &r, "%s", path);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "url"), "http://127.0.0.1:9/x");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "events"), 0)),
                        "cli.never");

    /* A good change: events as an array, switched off and on. */
    client_send(&admin, "PATCH", path,
                json_pack("{s:[s, s], s:b}", "events", "case.*", "unit.created", "active", 0), &r);
    assert_status(&r, 200);
    assert_true(json_is_false(json_object_get(r.json, "active")));
    assert_int_equal(json_array_size(json_object_get(r.json, "events")), 2);
    client_send(&admin, "PATCH", path, json_pack("{s:b}", "active", 0), &r);
    assert_status(&r, 200);
    response_release(&r);

    /* Every change is audited. */
    {
        json_t *all = audit_all(&admin), *e;
        int creates = 0, updates = 0, disables = 0;
        char idtext[32];
        snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
        for (size_t i = 0; (e = json_array_get(all, i)); i++) {
            const char *action = json_str_member(e, "action");
            if (strcmp(json_str_member(e, "entity"), "webhook") != 0 ||
                strcmp(json_str_member(e, "entity_id"), idtext) != 0)
                continue;
            creates += strcmp(action, "create") == 0;
            updates += strcmp(action, "update") == 0;
            disables += strcmp(action, "disable") == 0;
            /* Never the secret. */
            {
                char *text = json_dumps(e, JSON_COMPACT);
                bool leaked = strstr(text, secret) != NULL;
                free(text);
                assert_false(leaked);
            }
        }
        assert_int_equal(creates, 1);
        assert_int_equal(updates, 2);
        assert_int_equal(disables, 0);
        json_decref(all);
    }
}

static void test_webhook__cli(void **state)
{
    struct cli_result r = {0};
    char line[256], idtext[32];
    const char *p;

    (void)state;
    cli(&srv, &r, NULL, "webhook", "add", "http://127.0.0.1:9/cli", "--db", srv.db, "--name",
        "短信网关", "--events", "matter.notify,case.*");
    assert_int_equal(r.status, 0);
    last_line(r.out, line, sizeof(line));
    assert_int_equal(strlen(line), 64); /* the generated secret, last */
    assert_non_null(p = strstr(r.out, "编号 "));
    snprintf(idtext, sizeof(idtext), "%lld", strtoll(p + strlen("编号 "), NULL, 10));
    cli_result_release(&r);

    cli(&srv, &r, "cli-secret-0123456789\n", "webhook", "add", "https://gw.example.cn/wx", "--db",
        srv.db, "--name", "微信", "--events", "matter.notify", "--secret-stdin");
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "cli-secret"));
    cli_result_release(&r);

    cli(&srv, &r, NULL, "webhook", "add", "ftp://127.0.0.1/", "--db", srv.db, "--name", "x",
        "--events", "a");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "url"));
    cli_result_release(&r);
    cli(&srv, &r, NULL, "webhook", "add", "http://127.0.0.1:9/", "--db", srv.db, "--name", "x");
    assert_int_equal(r.status, 2);
    cli_result_release(&r);

    cli(&srv, &r, NULL, "webhook", "list", "--db", srv.db);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "短信网关\thttp://127.0.0.1:9/cli\tmatter.notify,case.*"));
    assert_non_null(strstr(r.out, "微信"));
    assert_null(strstr(r.out, "cli-secret"));
    cli_result_release(&r);

    cli(&srv, &r, NULL, "webhook", "disable", idtext, "--db", srv.db);
    assert_int_equal(r.status, 0);
    cli_result_release(&r);
    cli(&srv, &r, NULL, "webhook", "disable", idtext, "--db", srv.db);
    assert_int_equal(r.status, 1);
    cli_result_release(&r);
    cli(&srv, &r, NULL, "webhook", "list", "--db", srv.db);
    assert_non_null(strstr(r.out, "已停用"));
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook__delivered_and_signed),
        cmocka_unit_test(test_webhook__retried_with_backoff),
        cmocka_unit_test(test_webhook__gives_up_then_goes_on),
        cmocka_unit_test(test_webhook__restart_neither_twice_nor_lost),
        cmocka_unit_test(test_webhook__tells_the_gateway_of_each_matter_change),
        cmocka_unit_test(test_webhook__admins_only),
        cmocka_unit_test(test_webhook__bad_input_changes_nothing),
        cmocka_unit_test(test_webhook__cli),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
