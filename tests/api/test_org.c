/*
 * test_org.c - the unit tree over HTTP: create with established_on, rename,
 * move (the paths of a whole subtree), close; scope and validation. Every
 * refused change leaves the tree as it was.
 *
 * The server's root is a city (server_start_rooted), so that the tree can
 * hold districts, subdistricts and communities and a subtree can move.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client admin, clerka;

static int group_setup(void **state)
{
    (void)state;
    server_start_rooted(&srv, "city");
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

/* Opens the admin's event stream and waits until it is subscribed (its
 * ": connected" comment), so that no event of the test can slip past. */
static struct sse_reader *open_stream(void)
{
    struct sse_reader *s = sse_open(&admin, NULL);

    if (!sse_wait_for(s, ": connected", 5000)) {
        sse_close(s);
        fail_msg("the event stream did not connect within 5 s");
    }
    return s;
}

/* Creates a unit as the admin; returns its id. */
static int64_t make_unit(const char *type, int64_t parent, const char *name)
{
    struct response r = {0};
    char code[64];
    int64_t id;

    unique_name("u", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", name, "type", type,
                          "parent_id", (json_int_t)parent),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    response_release(&r);
    return id;
}

/* GET /api/v1/units/{id} as the admin: a new reference the caller releases. */
static json_t *unit_get(int64_t id)
{
    struct response r = {0};
    json_t *u;

    client_get(&admin, &r, "/api/v1/units/%lld", (long long)id);
    assert_status(&r, 200);
    u = json_incref(r.json);
    response_release(&r);
    return u;
}

/* The whole tree as the admin sees it, as text: compared before and after a
 * refused change. The caller frees it. */
static char *tree_text(void)
{
    struct response r = {0};
    char *text;

    client_get(&admin, &r, "/api/v1/units");
    assert_status(&r, 200);
    text = json_dumps(response_items(&r), JSON_COMPACT | JSON_SORT_KEYS);
    response_release(&r);
    return text;
}

/* POST /api/v1/units/{id}/{action} */
static long post(struct client *c, struct response *r, long long id, const char *action,
                 json_t *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/units/%lld/%s", id, action);
    return client_send(c, "POST", path, body, r);
}

static long patch(struct client *c, struct response *r, long long id, json_t *body)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/units/%lld", id);
    return client_send(c, "PATCH", path, body, r);
}

/* The number of audit entries of 'entity' with 'action' for id. */
static size_t audit_count(const char *entity, const char *action, int64_t id)
{
    json_t *all = audit_all(&admin), *e;
    char idtext[32];
    size_t i, n = 0;

    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    json_array_foreach(all, i, e)
    {
        if (strcmp(json_str_member(e, "entity"), entity) == 0 &&
            strcmp(json_str_member(e, "action"), action) == 0 &&
            strcmp(json_str_member(e, "entity_id"), idtext) == 0)
            n++;
    }
    json_decref(all);
    return n;
}

static void test_units__create_with_established_on(void **state)
{
    struct response r = {0};
    size_t before = unit_count(&admin);
    char code[64];

    (void)state;
    unique_name("est", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I, s:s}", "code", code, "name", "丙区", "type",
                          "district", "parent_id", (json_int_t)srv.root_id, "established_on",
                          "2019-05-01"),
                &r);
    assert_status(&r, 201);
    assert_string_equal(json_str_member(r.json, "established_on"), "2019-05-01");
    assert_true(json_is_null(json_object_get(r.json, "closed_on")));

    unique_name("est", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I, s:s}", "code", code, "name", "丁区", "type",
                          "district", "parent_id", (json_int_t)srv.root_id, "established_on",
                          "2019-02-30"),
                &r);
    assert_error(&r, 422, "invalid", "established_on");
    assert_int_equal(unit_count(&admin), before + 1);
    response_release(&r);
}

static void test_units__rename_and_set_established_on(void **state)
{
    struct response r = {0};
    struct sse_reader *sse = open_stream();
    int64_t id = make_unit("district", srv.root_id, "旧名区");
    json_t *u;

    (void)state;
    patch(&admin, &r, id,
          json_pack("{s:s, s:s}", "name", "新名区", "established_on", "2020-01-01"));
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "name"), "新名区");
    assert_string_equal(json_str_member(r.json, "established_on"), "2020-01-01");
    assert_true(sse_wait_for(sse, "unit.updated", 5000));
    sse_close(sse);
    assert_int_equal(audit_count("unit", "update", id), 1);

    /* null clears the date; an absent name stays. */
    patch(&admin, &r, id, json_pack("{s:n}", "established_on"));
    assert_status(&r, 200);
    assert_true(json_is_null(json_object_get(r.json, "established_on")));
    assert_string_equal(json_str_member(r.json, "name"), "新名区");

    u = unit_get(id);
    assert_string_equal(json_str_member(u, "name"), "新名区");
    json_decref(u);
    response_release(&r);
}

static void test_units__bad_change_names_field_and_changes_nothing(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"name\":\"\"}", "name"},
        {"{\"name\":null}", "name"},
        {"{\"name\":5}", "name"},
        {"{\"name\":"
         "\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"
         "二三四五六七八九十一\"}",
         "name"},
        {"{\"established_on\":\"2020-13-01\"}", "established_on"},
        {"{\"established_on\":\"2020-1-1\"}", "established_on"},
        {"{\"established_on\":20200101}", "established_on"},
        {"{\"code\":\"renamed\"}", "code"},
        {"{\"closed_on\":\"2020-01-01\"}", "closed_on"},
        {"{\"name\":\"好名\",\"parent_id\":1}", "parent_id"},
    };
    struct response r = {0};
    int64_t id = make_unit("district", srv.root_id, "校验区");
    char *before = tree_text(), *after, path[64];
    size_t audits = audit_count("unit", "update", id);

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/units/%lld", (long long)id);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        client_request(&admin, "PATCH", path, "application/json", cases[i].body,
                       strlen(cases[i].body), NULL, &r);
        assert_error(&r, 422, "invalid", cases[i].field);
    }
    after = tree_text();
    assert_string_equal(after, before);
    assert_int_equal(audit_count("unit", "update", id), audits);
    patch(&admin, &r, 999999, json_pack("{s:s}", "name", "无此单位"));
    assert_error(&r, 404, "not_found", "id");
    free(before);
    free(after);
    response_release(&r);
}

static void test_units__move_rewrites_the_subtree(void **state)
{
    struct response r = {0};
    struct sse_reader *sse = open_stream();
    int64_t d1 = make_unit("district", srv.root_id, "一区");
    int64_t d2 = make_unit("district", srv.root_id, "二区");
    int64_t s = make_unit("subdistrict", d1, "迁移街道");
    int64_t c1 = make_unit("community", s, "迁移社区");
    int64_t v1 = make_unit("village", s, "迁移村");
    int64_t person;
    json_t *ud2, *us, *uc1, *uv1;
    char want[256], query[128];

    (void)state;
    /* A record of the subtree: found below its new parent afterwards. */
    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "随迁居民", "unit_id", (json_int_t)c1), &r);
    assert_status(&r, 201);
    person = json_int_member(r.json, "id");

    post(&admin, &r, (long long)s, "move", json_pack("{s:I}", "parent_id", (json_int_t)d2));
    assert_status(&r, 200);
    assert_int_equal(json_int_member(r.json, "parent_id"), d2);
    ud2 = unit_get(d2);
    snprintf(want, sizeof(want), "%s%lld/", json_str_member(ud2, "path"), (long long)s);
    assert_string_equal(json_str_member(r.json, "path"), want);
    us = unit_get(s);
    assert_string_equal(json_str_member(us, "path"), want);
    uc1 = unit_get(c1);
    uv1 = unit_get(v1);
    snprintf(want, sizeof(want), "%s%lld/", json_str_member(us, "path"), (long long)c1);
    assert_string_equal(json_str_member(uc1, "path"), want);
    snprintf(want, sizeof(want), "%s%lld/", json_str_member(us, "path"), (long long)v1);
    assert_string_equal(json_str_member(uv1, "path"), want);
    assert_int_equal(json_int_member(uc1, "parent_id"), s);
    assert_true(sse_wait_for(sse, "unit.moved", 5000));
    sse_close(sse);
    assert_int_equal(audit_count("unit", "move", s), 1);

    /* Other tables hold unit ids only, so filters by subtree follow at once. */
    snprintf(query, sizeof(query), "/api/v1/people?unit=%lld", (long long)d2);
    client_get(&admin, &r, "%s", query);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    assert_int_equal(json_int_member(json_array_get(response_items(&r), 0), "id"), person);
    snprintf(query, sizeof(query), "/api/v1/people?unit=%lld", (long long)d1);
    assert_int_equal(list_count(&admin, query), 0);

    /* Moving under the parent it has changes nothing. */
    post(&admin, &r, (long long)s, "move", json_pack("{s:I}", "parent_id", (json_int_t)d2));
    assert_status(&r, 200);
    assert_int_equal(audit_count("unit", "move", s), 1);
    json_decref(ud2);
    json_decref(us);
    json_decref(uc1);
    json_decref(uv1);
    response_release(&r);
}

static void test_units__move_refused_changes_nothing(void **state)
{
    struct response r = {0};
    int64_t d1 = make_unit("district", srv.root_id, "三区");
    int64_t d2 = make_unit("district", srv.root_id, "四区");
    int64_t s = make_unit("subdistrict", d1, "拒迁街道");
    int64_t c1 = make_unit("community", s, "拒迁社区");
    int64_t c2 = make_unit("community", d2, "他区社区");
    char *before = tree_text(), *after;
    const struct {
        int64_t id;
        json_t *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {s, json_pack("{s:I}", "parent_id", (json_int_t)c1), 422, "invalid", "parent_id"},
        {s, json_pack("{s:I}", "parent_id", (json_int_t)s), 422, "invalid", "parent_id"},
        {d1, json_pack("{s:I}", "parent_id", (json_int_t)s), 422, "invalid", "parent_id"},
        {c1, json_pack("{s:I}", "parent_id", (json_int_t)c2), 422, "invalid", "parent_id"},
        {s, json_pack("{s:I}", "parent_id", (json_int_t)999999), 422, "invalid", "parent_id"},
        {s, json_pack("{}"), 422, "invalid", "parent_id"},
        {s, json_pack("{s:s}", "parent_id", "d2"), 422, "invalid", "parent_id"},
        {s, json_pack("{s:I, s:s}", "parent_id", (json_int_t)d2, "path", "/x/"), 422, "invalid",
         "path"},
        {srv.root_id, json_pack("{s:I}", "parent_id", (json_int_t)d1), 422, "invalid", "id"},
        {999999, json_pack("{s:I}", "parent_id", (json_int_t)d1), 404, "not_found", "id"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        post(&admin, &r, (long long)cases[i].id, "move", cases[i].body);
        assert_error(&r, cases[i].status, cases[i].code, cases[i].field);
    }
    after = tree_text();
    assert_string_equal(after, before);
    assert_int_equal(audit_count("unit", "move", s), 0);
    free(before);
    free(after);
    response_release(&r);
}

static void test_units__move_needs_both_parents_in_scope(void **state)
{
    struct response r = {0};
    struct client sub;
    int64_t d1 = make_unit("district", srv.root_id, "五区");
    int64_t d2 = make_unit("district", srv.root_id, "六区");
    int64_t s1 = make_unit("subdistrict", d1, "五区甲街道");
    int64_t s2 = make_unit("subdistrict", d1, "五区乙街道");
    int64_t c = make_unit("community", s1, "五区社区");
    char login[64], *before, *after;

    (void)state;
    unique_name("subadmin", login, sizeof(login));
    create_user(&admin, login, d1, "admin", "Subadmin-pass-1");
    client_init(&sub, &srv);
    client_login_ok(&sub, login, "Subadmin-pass-1");
    before = tree_text();

    /* The new parent is outside the district admin's scope. */
    post(&sub, &r, (long long)s1, "move", json_pack("{s:I}", "parent_id", (json_int_t)d2));
    assert_error(&r, 422, "invalid", "parent_id");
    /* The old parent (the root) is. */
    post(&sub, &r, (long long)d1, "move", json_pack("{s:I}", "parent_id", (json_int_t)d2));
    assert_error(&r, 403, "forbidden", NULL);
    /* A unit outside scope is not found. */
    post(&sub, &r, (long long)d2, "move", json_pack("{s:I}", "parent_id", (json_int_t)srv.root_id));
    assert_error(&r, 404, "not_found", "id");
    patch(&sub, &r, d2, json_pack("{s:s}", "name", "越权改名"));
    assert_error(&r, 404, "not_found", "id");
    /* A clerk may do none of it. */
    post(&clerka, &r, (long long)srv.ca_id, "move",
         json_pack("{s:I}", "parent_id", (json_int_t)srv.root_id));
    assert_error(&r, 403, "forbidden", NULL);
    patch(&clerka, &r, srv.ca_id, json_pack("{s:s}", "name", "改名"));
    assert_error(&r, 403, "forbidden", NULL);
    post(&clerka, &r, (long long)srv.ca_id, "close", json_pack("{s:s}", "closed_on", "2023-01-01"));
    assert_error(&r, 403, "forbidden", NULL);
    after = tree_text();
    assert_string_equal(after, before);
    free(before);
    free(after);

    /* Within its district it may. */
    post(&sub, &r, (long long)c, "move", json_pack("{s:I}", "parent_id", (json_int_t)s2));
    assert_status(&r, 200);
    assert_int_equal(json_int_member(r.json, "parent_id"), s2);
    client_release(&sub);
    response_release(&r);
}

static void test_units__close(void **state)
{
    struct response r = {0};
    struct sse_reader *sse = open_stream();
    int64_t d = make_unit("district", srv.root_id, "七区");
    int64_t s = make_unit("subdistrict", d, "撤销街道");
    int64_t c = make_unit("community", s, "撤销社区");
    int64_t person;
    char *before, *after, code[64];

    (void)state;
    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "原社区居民", "unit_id", (json_int_t)c), &r);
    assert_status(&r, 201);
    person = json_int_member(r.json, "id");
    patch(&admin, &r, s, json_pack("{s:s}", "established_on", "2010-01-01"));
    assert_status(&r, 200);

    before = tree_text();
    /* An open child unit. */
    post(&admin, &r, (long long)s, "close", json_pack("{s:s}", "closed_on", "2023-07-01"));
    assert_error(&r, 409, "conflict", "id");
    /* Bad dates. */
    post(&admin, &r, (long long)c, "close", json_pack("{s:s}", "closed_on", "2023-02-30"));
    assert_error(&r, 422, "invalid", "closed_on");
    post(&admin, &r, (long long)c, "close", json_pack("{}"));
    assert_error(&r, 422, "invalid", "closed_on");
    post(&admin, &r, (long long)c, "close", json_pack("{s:s}", "closed_on", "2999-01-01"));
    assert_error(&r, 422, "invalid", "closed_on");
    post(&admin, &r, (long long)s, "close", json_pack("{s:s}", "closed_on", "2009-12-31"));
    assert_error(&r, 422, "invalid", "closed_on"); /* before it was set up */
    after = tree_text();
    assert_string_equal(after, before);
    free(before);
    free(after);

    post(&admin, &r, (long long)c, "close", json_pack("{s:s}", "closed_on", "2023-06-30"));
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "closed_on"), "2023-06-30");
    assert_true(json_is_string(json_object_get(r.json, "closed_at")));
    assert_true(sse_wait_for(sse, "unit.closed", 5000));
    sse_close(sse);
    post(&admin, &r, (long long)c, "close", json_pack("{s:s}", "closed_on", "2023-06-30"));
    assert_error(&r, 409, "conflict", "id");

    /* The parent: not before its child closed, nor before it was set up. */
    post(&admin, &r, (long long)s, "close", json_pack("{s:s}", "closed_on", "2023-06-01"));
    assert_error(&r, 422, "invalid", "closed_on");
    post(&admin, &r, (long long)s, "close", json_pack("{s:s}", "closed_on", "2023-07-01"));
    assert_status(&r, 200);
    assert_int_equal(audit_count("unit", "close", s), 1);

    /* Closed units stay listed, keep their records, take nothing new. */
    client_get(&admin, &r, "/api/v1/units");
    {
        json_t *items = response_items(&r), *it;
        size_t i;
        bool seen = false;
        json_array_foreach(items, i, it)
        {
            if (json_int_member(it, "id") == c) {
                seen = true;
                assert_string_equal(json_str_member(it, "closed_on"), "2023-06-30");
            }
        }
        assert_true(seen);
    }
    client_get(&admin, &r, "/api/v1/people/%lld", (long long)person);
    assert_status(&r, 200);
    unique_name("late", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "迟建社区", "type",
                          "community", "parent_id", (json_int_t)s),
                &r);
    assert_error(&r, 422, "invalid", "parent_id");
    post(&admin, &r, (long long)c, "move", json_pack("{s:I}", "parent_id", (json_int_t)d));
    assert_error(&r, 409, "conflict", "id");
    patch(&admin, &r, s, json_pack("{s:s}", "established_on", "2024-01-01"));
    assert_error(&r, 422, "invalid", "established_on");
    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "新居民", "unit_id", (json_int_t)c), &r);
    assert_error(&r, 422, "invalid", "unit_id");
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units__create_with_established_on),
        cmocka_unit_test(test_units__rename_and_set_established_on),
        cmocka_unit_test(test_units__bad_change_names_field_and_changes_nothing),
        cmocka_unit_test(test_units__move_rewrites_the_subtree),
        cmocka_unit_test(test_units__move_refused_changes_nothing),
        cmocka_unit_test(test_units__move_needs_both_parents_in_scope),
        cmocka_unit_test(test_units__close),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
