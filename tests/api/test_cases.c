/*
 * test_cases.c - the deadline lists across case types:
 * GET /api/v1/cases/overdue and GET /api/v1/cases/due-soon.
 *
 * No case module exists yet, so no API opens a case: the lists are empty
 * here, and tests/unit/test_case.c fills them through the engine. These
 * cases check the replies' shape, the arguments, sign-in and scope.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client admin, clerka, anon;

static int group_setup(void **state)
{
    (void)state;
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
    return 0;
}

static void assert_empty_items(struct client *c, const char *path)
{
    struct response r = {0};

    client_get(c, &r, "%s", path);
    assert_status(&r, 200);
    assert_true(json_is_array(json_object_get(r.json, "items")));
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    response_release(&r);
}

static void test_cases__empty_lists(void **state)
{
    char path[128];

    (void)state;
    assert_empty_items(&clerka, "/api/v1/cases/overdue");
    assert_empty_items(&clerka, "/api/v1/cases/due-soon");
    assert_empty_items(&clerka, "/api/v1/cases/due-soon?days=60");
    assert_empty_items(&admin, "/api/v1/cases/due-soon?days=1");
    snprintf(path, sizeof(path), "/api/v1/cases/overdue?unit=%lld", (long long)srv.ca_id);
    assert_empty_items(&clerka, path);
    snprintf(path, sizeof(path), "/api/v1/cases/due-soon?unit=%lld", (long long)srv.root_id);
    assert_empty_items(&admin, path);
}

static void test_cases__bad_days(void **state)
{
    static const char *const bad[] = {"0", "abc", "61", "-3", "2.5"};
    struct response r = {0};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        client_get(&clerka, &r, "/api/v1/cases/due-soon?days=%s", bad[i]);
        assert_error(&r, 400, "bad_request", "days");
    }
    response_release(&r);
}

static void test_cases__sign_in(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&anon, &r, "/api/v1/cases/overdue");
    assert_status(&r, 401);
    client_get(&anon, &r, "/api/v1/cases/due-soon?days=3");
    assert_status(&r, 401);
    response_release(&r);
}

static void test_cases__scope(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/api/v1/cases/overdue?unit=%lld", (long long)srv.root_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerka, &r, "/api/v1/cases/due-soon?unit=%lld", (long long)srv.cb_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&admin, &r, "/api/v1/cases/overdue?unit=999999");
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerka, &r, "/api/v1/cases/overdue?unit=x");
    assert_error(&r, 400, "bad_request", "unit");
    response_release(&r);
}

static void test_cases__dashboard_without_cases(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/console");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "待办期限"));
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases__empty_lists),
        cmocka_unit_test(test_cases__bad_days),
        cmocka_unit_test(test_cases__sign_in),
        cmocka_unit_test(test_cases__scope),
        cmocka_unit_test(test_cases__dashboard_without_cases),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
