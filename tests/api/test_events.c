/*
 * test_events.c - Server-Sent Events at /api/v1/events: live delivery, unit
 * scope, replay with Last-Event-ID, and a clean shutdown with a stream open.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client admin, clerka;

#define CONNECT_MS 10000
#define DELIVER_MS 5000

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerka);
    server_stop(&srv);
    return 0;
}

/* Opens a stream and waits for its ": connected" comment. */
static struct sse_reader *open_stream(struct client *c, const char *last_id)
{
    struct sse_reader *s = sse_open(c, last_id);

    if (!sse_wait_for(s, ": connected", CONNECT_MS)) {
        char *text = sse_text(s);
        harness_note("no \": connected\" within %d ms; received: %s\n", CONNECT_MS, text);
        free(text);
        server_print_log(&srv, 20);
        sse_close(s);
        fail();
    }
    return s;
}

/* Creates a department under the root through the API; returns its id. */
static int64_t create_department(const char *code)
{
    struct response r = {0};
    int64_t id;

    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "事件部门", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    response_release(&r);
    return id;
}

/* The needle a unit's event data holds: "code":"CODE". */
static const char *code_needle(const char *code, char *buf, size_t size)
{
    snprintf(buf, size, "\"code\":\"%s\"", code);
    return buf;
}

/* Waits for the whole frame of the event of unit 'code' (its data line and
 * the blank line that ends it); fails with what was received. */
static void expect_event(struct sse_reader *s, const char *code)
{
    char needle[128], *text = NULL;
    const char *at;

    if (sse_wait_for(s, code_needle(code, needle, sizeof(needle)), DELIVER_MS)) {
        for (int i = 0; i < 100; i++) {
            free(text);
            text = sse_text(s);
            at = strstr(text, needle);
            if (at && strstr(at, "\n\n")) {
                free(text);
                return;
            }
            sse_wait_for(s, "never-arrives", 10);
        }
    }
    free(text);
    text = sse_text(s);
    {
        size_t len = strlen(text);
        harness_note("no event for unit %s within %d ms; received %zu bytes%s: %s\n", code,
                     DELIVER_MS, len, len > 1500 ? ", ending" : "",
                     len > 1500 ? text + len - 1500 : text);
    }
    free(text);
    fail();
}

#define MAX_EVENTS 64

/* The unit.created event of unit 'code' among 'ev', or NULL; counts matches. */
static const struct sse_event *event_of(const struct sse_event *ev, size_t n, const char *code,
                                        size_t *matches)
{
    const struct sse_event *found = NULL;
    char needle[128];

    code_needle(code, needle, sizeof(needle));
    *matches = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].type, "unit.created") == 0 && strstr(ev[i].data, needle)) {
            found = found ? found : &ev[i];
            (*matches)++;
        }
    return found;
}

static void test_events__unauthenticated_is_401(void **state)
{
    struct response r = {0};
    struct client anon;

    (void)state;
    client_init(&anon, &srv);
    client_get(&anon, &r, "/api/v1/events");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_release(&anon);
    response_release(&r);
}

static void test_events__admin_receives_unit_created(void **state)
{
    struct sse_reader *s;
    struct sse_event ev[MAX_EVENTS];
    const struct sse_event *e;
    char code[64], *text;
    size_t n, matches;
    int64_t id;
    json_t *data;

    (void)state;
    s = open_stream(&admin, NULL);
    unique_name("live", code, sizeof(code));
    id = create_department(code);
    expect_event(s, code);

    text = sse_text(s);
    n = sse_parse(text, ev, MAX_EVENTS);
    e = event_of(ev, n, code, &matches);
    if (!e) {
        harness_note("no complete \"event: unit.created\" frame for %s in: %s\n", code, text);
        fail();
    }
    assert_int_equal(matches, 1);
    assert_true(e->id > 0);
    data = json_loads(e->data, 0, NULL);
    assert_non_null(data);
    assert_string_equal(json_str_member(data, "code"), code);
    assert_int_equal(json_int_member(data, "id"), id);
    json_decref(data);
    sse_events_release(ev, n);
    free(text);
    sse_close(s);
}

static void test_events__bearer_token_stream(void **state)
{
    struct response r = {0};
    struct sse_reader *s;
    struct client bot;
    char code[64];

    (void)state;
    /* Programs follow the stream with an API token instead of a cookie. */
    client_send(&admin, "POST", "/api/v1/apikeys",
                json_pack("{s:s, s:[s], s:I}", "name", "事件令牌", "roles", "staff", "unit_id",
                          (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    client_init(&bot, &srv);
    snprintf(bot.bearer, sizeof(bot.bearer), "%s", json_str_member(r.json, "token"));
    s = open_stream(&bot, NULL);
    unique_name("tokened", code, sizeof(code));
    create_department(code);
    expect_event(s, code);
    sse_close(s);
    client_release(&bot);
    response_release(&r);
}

static void test_events__scope_limits_live_events(void **state)
{
    struct sse_reader *a, *c;
    char code[64], needle[128], *text;

    (void)state;
    a = open_stream(&admin, NULL);
    c = open_stream(&clerka, NULL);
    unique_name("scoped", code, sizeof(code));
    create_department(code);
    expect_event(a, code); /* the root's admin sees it */
    /* Fan-out is one pass over the subscribers: had clerka's stream been
     * sent the event, it would be there well within this wait. */
    sse_wait_for(c, code_needle(code, needle, sizeof(needle)), 1000);
    text = sse_text(c);
    if (strstr(text, needle)) {
        harness_note("clerka (community ca) received an event of a unit outside ca: %s\n", text);
        fail();
    }
    free(text);
    sse_close(a);
    sse_close(c);
}

static void test_events__replay_after_last_event_id(void **state)
{
    struct sse_reader *s;
    struct sse_event ev[MAX_EVENTS];
    char codes[3][64], last[32], *text;
    int64_t ids[3], prev = 0;
    size_t n, matches;

    (void)state;
    s = open_stream(&admin, NULL);
    for (int i = 0; i < 3; i++) {
        unique_name("replay", codes[i], sizeof(codes[i]));
        create_department(codes[i]);
    }
    expect_event(s, codes[2]);
    text = sse_text(s);
    n = sse_parse(text, ev, MAX_EVENTS);
    for (int i = 0; i < 3; i++) {
        const struct sse_event *e = event_of(ev, n, codes[i], &matches);
        assert_non_null(e);
        ids[i] = e->id;
        assert_true(ids[i] > (i ? ids[i - 1] : 0));
    }
    sse_events_release(ev, n);
    free(text);
    sse_close(s);

    /* Reconnect as if the last event seen was the first of the three. */
    snprintf(last, sizeof(last), "%lld", (long long)ids[0]);
    s = open_stream(&admin, last);
    expect_event(s, codes[2]);
    sse_wait_for(s, "never-arrives", 500); /* let duplicates show up, if any */
    text = sse_text(s);
    n = sse_parse(text, ev, MAX_EVENTS);
    assert_null(event_of(ev, n, codes[0], &matches));
    for (int i = 1; i < 3; i++) {
        const struct sse_event *e = event_of(ev, n, codes[i], &matches);
        assert_non_null(e);
        assert_int_equal(matches, 1);
        assert_int_equal(e->id, ids[i]); /* the same id as when it went out live */
    }
    /* Everything replayed comes after the given id, in order, once. */
    for (size_t i = 0; i < n; i++) {
        if (!ev[i].id)
            continue;
        if (ev[i].id <= ids[0] || ev[i].id <= prev) {
            harness_note("event id %lld out of order after %lld (Last-Event-ID %lld): %s\n",
                         (long long)ev[i].id, (long long)prev, (long long)ids[0], text);
            fail();
        }
        prev = ev[i].id;
    }
    sse_events_release(ev, n);
    free(text);
    sse_close(s);
}

static void test_events__replay_respects_scope(void **state)
{
    struct sse_reader *s;
    struct sse_event ev[MAX_EVENTS];
    char *text;
    size_t n, matches;

    (void)state;
    /* The setup's CLI made root, ca and cb in that order, the first events
     * of the fresh database (ids 1, 2, 3); the other cases made departments.
     * Replaying after the root's event, clerka may see ca's event only. */
    s = open_stream(&clerka, "1");
    expect_event(s, "ca");
    sse_wait_for(s, "never-arrives", 500);
    text = sse_text(s);
    n = sse_parse(text, ev, MAX_EVENTS);
    assert_non_null(event_of(ev, n, "ca", &matches));
    assert_int_equal(matches, 1);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].type, "unit.created") == 0 && !strstr(ev[i].data, "\"code\":\"ca\"")) {
            harness_note("clerka was replayed an event outside community ca: %s\n", ev[i].data);
            fail();
        }
    }
    sse_events_release(ev, n);
    free(text);
    sse_close(s);
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

/* Creates 'n' departments "PREFIX-i" at once through an admin API token,
 * 32 requests in flight; fails unless every one is 201. */
static void create_many(const char *prefix, int n)
{
    struct response r = {0};
    struct curl_slist *headers = NULL;
    char url[256], line[256];
    int started = 0, done = 0, running = 0;
    CURLM *m = curl_multi_init();

    client_send(&admin, "POST", "/api/v1/apikeys",
                json_pack("{s:s, s:[s], s:I}", "name", "批量令牌", "roles", "admin", "unit_id",
                          (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    snprintf(line, sizeof(line), "Authorization: Bearer %s", json_str_member(r.json, "token"));
    headers = curl_slist_append(headers, line);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    snprintf(url, sizeof(url), "%s/api/v1/units", srv.base);
    while (done < n) {
        CURLMsg *msg;
        int left;
        while (started < n && running < 32) {
            CURL *h = curl_easy_init();
            char body[256];
            snprintf(body, sizeof(body),
                     "{\"code\":\"%s-%d\",\"name\":\"批量部门\",\"type\":\"department\","
                     "\"parent_id\":%lld}",
                     prefix, started, (long long)srv.root_id);
            curl_easy_setopt(h, CURLOPT_URL, url);
            curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
            curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
            curl_multi_add_handle(m, h);
            started++;
            running++;
        }
        curl_multi_perform(m, &left);
        while ((msg = curl_multi_info_read(m, &left))) {
            long status = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            running--;
            done++;
            assert_int_equal(status, 201);
        }
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(headers);
    response_release(&r);
}

#define MANY 1100

static void test_events__replay_of_more_than_a_thousand(void **state)
{
    struct sse_reader *s;
    struct sse_event *ev = calloc(MANY + 64, sizeof(*ev));
    char first[64], last[64], prefix[32], id[32], needle[128], *text;
    size_t n, count = 0, matches;
    int64_t prev;

    (void)state;
    assert_non_null(ev);
    /* Where the client was: the id of one event it received live. */
    s = open_stream(&admin, NULL);
    unique_name("before-gap", first, sizeof(first));
    create_department(first);
    expect_event(s, first);
    text = sse_text(s);
    n = sse_parse(text, ev, MANY + 64);
    prev = event_of(ev, n, first, &matches)->id;
    sse_events_release(ev, n);
    free(text);
    sse_close(s);

    /* A busy office while the client was away, then one last event. */
    unique_name("gap", prefix, sizeof(prefix));
    create_many(prefix, MANY);
    unique_name("after-gap", last, sizeof(last));
    create_department(last);

    snprintf(id, sizeof(id), "%lld", (long long)prev);
    s = open_stream(&admin, id);
    if (sse_wait_for(s, code_needle(last, needle, sizeof(needle)), DELIVER_MS))
        expect_event(s, last); /* and its frame complete */
    text = sse_text(s);
    n = sse_parse(text, ev, MANY + 64);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].type, "unit.created") != 0)
            continue;
        assert_true(ev[i].id > prev);
        prev = ev[i].id;
        count++;
    }
    if (count != MANY + 1)
        harness_note("replayed %zu of the %d events after Last-Event-ID %s (the last had id "
                     "%lld); the rest never came\n",
                     count, MANY + 1, id, (long long)prev);
    assert_int_equal(count, MANY + 1);
    sse_events_release(ev, n);
    free(ev);
    free(text);
    sse_close(s);
}

/* After 'revoke' took a stream's credential away, the stream must end at
 * once and carry nothing more: not the unit created right afterwards. */
static void expect_stream_cut(struct sse_reader *s)
{
    char code[64], needle[128], *text;
    bool ended;

    unique_name("after-revoke", code, sizeof(code));
    create_department(code);
    ended = sse_wait_finished(s, DELIVER_MS);
    text = sse_text(s);
    if (!ended || strstr(text, code_needle(code, needle, sizeof(needle)))) {
        harness_note("the stream %s after its credential was revoked; received: %s\n",
                     ended ? "delivered an event" : "stayed open", text);
        free(text);
        sse_close(s);
        fail();
    }
    free(text);
    sse_close(s);
}

static void test_events__disabled_user_stream_ends(void **state)
{
    struct response r = {0};
    struct sse_reader *s;
    struct client c;
    char login[64], path[64];
    int64_t id;

    (void)state;
    /* Staff at the root: sees every unit's events. */
    unique_name("watcher", login, sizeof(login));
    id = create_user(&admin, login, srv.root_id, "staff", "Watcher-pass-1");
    client_init(&c, &srv);
    client_login_ok(&c, login, "Watcher-pass-1");
    s = open_stream(&c, NULL);
    snprintf(path, sizeof(path), "/api/v1/users/%lld", (long long)id);
    client_send(&admin, "PATCH", path, json_pack("{s:b}", "disabled", 1), &r);
    assert_status(&r, 200);
    expect_stream_cut(s);
    client_release(&c);
    response_release(&r);
}

static void test_events__revoked_token_stream_ends(void **state)
{
    struct response r = {0};
    struct sse_reader *s;
    struct client bot;
    char path[64];

    (void)state;
    client_send(&admin, "POST", "/api/v1/apikeys",
                json_pack("{s:s, s:[s], s:I}", "name", "撤销令牌", "roles", "staff", "unit_id",
                          (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    client_init(&bot, &srv);
    snprintf(bot.bearer, sizeof(bot.bearer), "%s", json_str_member(r.json, "token"));
    snprintf(path, sizeof(path), "/api/v1/apikeys/%lld", (long long)json_int_member(r.json, "id"));
    s = open_stream(&bot, NULL);
    client_request(&admin, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);
    expect_stream_cut(s);
    client_release(&bot);
    response_release(&r);
}

static void test_shutdown__with_open_stream_exits_cleanly(void **state)
{
    struct sse_reader *s;

    (void)state;
    s = open_stream(&admin, NULL);
    server_stop(&srv); /* asserts exit status 0 within 10 s */
    if (!sse_wait_finished(s, 5000)) {
        sse_close(s);
        fail_msg("the event stream was still open after the server stopped");
    }
    sse_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events__unauthenticated_is_401),
        cmocka_unit_test(test_events__admin_receives_unit_created),
        cmocka_unit_test(test_events__bearer_token_stream),
        cmocka_unit_test(test_events__scope_limits_live_events),
        cmocka_unit_test(test_events__replay_after_last_event_id),
        cmocka_unit_test(test_events__replay_respects_scope),
        cmocka_unit_test(test_events__replay_of_more_than_a_thousand),
        cmocka_unit_test(test_events__disabled_user_stream_ends),
        cmocka_unit_test(test_events__revoked_token_stream_ends),
        /* Stops the server: keep it last. */
        cmocka_unit_test(test_shutdown__with_open_stream_exits_cleanly),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
