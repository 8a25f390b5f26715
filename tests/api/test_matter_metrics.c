/*
 * test_matter_metrics.c - the resident matters' report figures
 * (src/modules/matter/matter_report.c) through the real API: matters
 * submitted by residents, handled by a leader, rated and reopened by
 * residents, then GET /api/v1/metrics and the records behind each figure,
 * for the subdistrict, each community, a clerk's scope and another year.
 *
 * The setup's matters, all of today (the API acts now):
 *   m1 complaint     assigned to ca, resolved, rated 5
 *   m2 safety        assigned to ca, resolved, rated 4
 *   m3 consultation  assigned to cb, resolved, rated 2
 *   m4 suggestion    assigned to cb, resolved, not rated
 *   m5 complaint     rejected (stays at the handling unit: root)
 *   m6 certificate   accepted, open (root)
 *   m7 dispute       assigned to ca, resolved, reopened: not handled
 * The catalog's handling units (zzzx, pab, ...) do not exist here, so every
 * matter is received at the root unit and moves with its assignment.
 */
#include "core/compat.h"
#include "api/harness.h"

#include <time.h>

static struct test_server srv;
static struct client leader, clerka, anon;
static int64_t ids[8];
static char codes[8][32];
static char from[16], to[16]; /* yesterday and tomorrow, local */

/* A resident's submission; returns the matter's id (the newest in the
 * staff list) and keeps its tracking code. */
static int64_t submit(int k, const char *type, json_t *attributes)
{
    struct response r = {0};
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "description",
                             "小区门口路灯不亮，晚上出行不安全。", "address", "甲社区文昌路12号",
                             "phone", "13900001234");
    int64_t id;

    if (attributes)
        json_object_set_new(body, "attributes", attributes);
    client_send(&anon, "POST", "/api/v1/matters", body, &r);
    assert_status(&r, 201);
    snprintf(codes[k], sizeof(codes[k]), "%s", json_str_member(r.json, "code"));
    client_get(&leader, &r, "/api/v1/matters");
    assert_status(&r, 200);
    id = json_int_member(json_array_get(response_items(&r), 0), "id");
    assert_true(id > 0);
    response_release(&r);
    ids[k] = id;
    return id;
}

/* A staff action that must succeed; takes 'body' (NULL: {}). */
static void act(int k, const char *transition, json_t *body)
{
    struct response r = {0};
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/matters/%lld/actions/%s", (long long)ids[k], transition);
    client_send(&leader, "POST", path, body ? body : json_object(), &r);
    assert_status(&r, 200);
    response_release(&r);
}

/* A resident's action by tracking code that must succeed. */
static void resident(int k, const char *transition, json_t *body)
{
    struct response r = {0};
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/track/%s/%s", codes[k], transition);
    client_send(&anon, "POST", path, body, &r);
    assert_status(&r, 200);
    response_release(&r);
}

/* accept, assign to 'unit', start, resolve. */
static void handle_to(int k, int64_t unit)
{
    act(k, "accept", NULL);
    act(k, "assign", json_pack("{s:I}", "unit_id", (json_int_t)unit));
    act(k, "start", NULL);
    act(k, "resolve", json_pack("{s:s}", "reply", "已安排维修，路灯恢复照明。"));
}

static void local_day(time_t t, char *buf, size_t size)
{
    struct tm tm;
    t += 8 * 3600;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d", &tm);
}

static int group_setup(void **state)
{
    char login[64];
    time_t now = time(NULL);

    (void)state;
    local_day(now - 86400, from, sizeof(from));
    local_day(now + 86400, to, sizeof(to));
    server_start(&srv);
    client_init(&anon, &srv);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    {
        struct client admin;
        client_init(&admin, &srv);
        client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
        unique_name("leader", login, sizeof(login));
        create_user(&admin, login, srv.root_id, "leader", "Leader-pass-2024");
        client_release(&admin);
    }
    client_init(&leader, &srv);
    client_login_ok(&leader, login, "Leader-pass-2024");

    submit(1, "complaint", json_pack("{s:s}", "category", "facility"));
    submit(2, "safety", json_pack("{s:s}", "hazard", "fire"));
    submit(3, "consultation", NULL);
    submit(4, "suggestion", NULL);
    submit(5, "complaint", json_pack("{s:s}", "category", "noise"));
    submit(6, "certificate",
           json_pack("{s:s, s:s}", "certificate_kind", "residence", "purpose", "子女入学"));
    submit(7, "dispute", NULL);

    handle_to(1, srv.ca_id);
    resident(1, "rate", json_pack("{s:i}", "rating", 5));
    handle_to(2, srv.ca_id);
    resident(2, "rate", json_pack("{s:i, s:s}", "rating", 4, "comment", "处理及时"));
    handle_to(3, srv.cb_id);
    resident(3, "rate", json_pack("{s:i}", "rating", 2));
    handle_to(4, srv.cb_id);
    act(5, "reject", json_pack("{s:s}", "reason", "不属于街道职责范围，请向区市场监管局反映。"));
    act(6, "accept", NULL);
    handle_to(7, srv.ca_id);
    resident(7, "reopen", json_pack("{s:s}", "reason", "问题没有解决。"));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&leader);
    client_release(&clerka);
    client_release(&anon);
    server_stop(&srv);
    return 0;
}

/* Expected figures of one unit and period. */
struct expect {
    int64_t received, handled, rejected;
    int64_t on_time, rated, satisfied; /* numerators and denominators */
};

static json_t *metric(const struct response *r, const char *name)
{
    json_t *m = json_find(json_object_get(r->json, "metrics"), "name", name);
    if (!m)
        fail_msg("no metric %s", name);
    return m;
}

static void check_rate(const struct response *r, const char *name, int64_t num, int64_t den,
                       const char *text)
{
    json_t *m = metric(r, name);

    assert_string_equal(json_str_member(m, "kind"), "rate");
    assert_int_equal(json_int_member(m, "numerator"), num);
    assert_int_equal(json_int_member(m, "denominator"), den);
    assert_string_equal(json_str_member(m, "text"), text);
    if (den == 0)
        assert_true(json_is_null(json_object_get(m, "value")));
}

static void check(struct client *c, int64_t unit, const char *period, const struct expect *e,
                  const char *on_time_text, const char *satisfaction_text)
{
    struct response r = {0};

    client_get(c, &r, "/api/v1/metrics?unit=%lld&%s", (long long)unit, period);
    assert_status(&r, 200);
    assert_int_equal(json_int_member(metric(&r, "matters.received"), "value"), e->received);
    assert_int_equal(json_int_member(metric(&r, "matters.app.handled"), "value"), e->handled);
    assert_string_equal(json_str_member(metric(&r, "matters.app.handled"), "unit"), "件次");
    assert_int_equal(json_int_member(metric(&r, "matters.rejected.count"), "value"), e->rejected);
    check_rate(&r, "matters.resolved.on_time.rate", e->on_time, e->handled, on_time_text);
    check_rate(&r, "matters.satisfaction.rate", e->satisfied, e->rated, satisfaction_text);
    /* Resolved within seconds of the submission: 0.0 calendar days. */
    assert_string_equal(json_str_member(metric(&r, "matters.resolve.days.avg"), "kind"), "sum");
    assert_string_equal(json_str_member(metric(&r, "matters.resolve.days.avg"), "text"), "0");
    response_release(&r);
}

static void test_matter_metrics__the_subdistrict_counts_every_matter(void **state)
{
    char period[64];
    const struct expect e = {
        .received = 7, .handled = 4, .rejected = 1, .on_time = 4, .rated = 3, .satisfied = 2};
    (void)state;
    snprintf(period, sizeof(period), "from=%s&to=%s", from, to);
    check(&leader, srv.root_id, period, &e, "100.0", "66.7");
}

static void test_matter_metrics__a_community_counts_what_was_assigned_to_it(void **state)
{
    char period[64];
    const struct expect ca = {
        .received = 3, .handled = 2, .on_time = 2, .rated = 2, .satisfied = 2};
    const struct expect cb = {
        .received = 2, .handled = 2, .on_time = 2, .rated = 1, .satisfied = 0};
    (void)state;
    snprintf(period, sizeof(period), "from=%s&to=%s", from, to);
    check(&leader, srv.ca_id, period, &ca, "100.0", "100.0");
    check(&leader, srv.cb_id, period, &cb, "100.0", "0.0");
    /* A clerk of ca reads the same figures of ca, and nothing of root. */
    check(&clerka, srv.ca_id, period, &ca, "100.0", "100.0");
}

static void test_matter_metrics__another_period_counts_nothing(void **state)
{
    const struct expect none = {0};
    (void)state;
    check(&leader, srv.root_id, "from=2021-01-01&to=2021-12-31", &none, "—", "—");
}

/* The ids of the records behind 'name' at root, as a bit set of k. */
static unsigned records_of(const char *name, size_t *n)
{
    struct response r = {0};
    unsigned set = 0;
    json_t *rec;
    size_t idx;

    client_get(&leader, &r, "/api/v1/metrics/%s/records?unit=%lld&from=%s&to=%s&limit=50", name,
               (long long)srv.root_id, from, to);
    assert_status(&r, 200);
    *n = json_array_size(json_object_get(r.json, "records"));
    json_array_foreach(json_object_get(r.json, "records"), idx, rec)
    {
        char href[64];
        int64_t id = json_int_member(rec, "id");
        assert_string_equal(json_str_member(rec, "type"), "matter");
        snprintf(href, sizeof(href), "/console/matters/%lld", (long long)id);
        assert_string_equal(json_str_member(rec, "href"), href);
        /* The title shows the type, never the tracking code. */
        assert_non_null(strstr(json_str_member(rec, "title"), "："));
        for (int k = 1; k < 8; k++) {
            assert_null(strstr(json_str_member(rec, "title"), codes[k]));
            if (ids[k] == id)
                set |= 1u << k;
        }
    }
    response_release(&r);
    return set;
}

static void test_matter_metrics__records_list_the_matters_behind_each_figure(void **state)
{
    size_t n;
    (void)state;
    assert_int_equal(records_of("matters.app.handled", &n), 0x1e); /* m1..m4 */
    assert_int_equal(n, 4);
    assert_int_equal(records_of("matters.received", &n), 0xfe); /* m1..m7 */
    assert_int_equal(n, 7);
    assert_int_equal(records_of("matters.rejected.count", &n), 1u << 5);
    assert_int_equal(n, 1);
    assert_int_equal(records_of("matters.satisfaction.rate", &n), 0x0e); /* the rated */
    assert_int_equal(n, 3);
    assert_int_equal(records_of("matters.resolve.days.avg", &n), 0x1e);
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matter_metrics__the_subdistrict_counts_every_matter),
        cmocka_unit_test(test_matter_metrics__a_community_counts_what_was_assigned_to_it),
        cmocka_unit_test(test_matter_metrics__another_period_counts_nothing),
        cmocka_unit_test(test_matter_metrics__records_list_the_matters_behind_each_figure),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
