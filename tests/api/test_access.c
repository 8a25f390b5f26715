/*
 * test_access.c - roles and unit scope: who sees and changes what, through a
 * session cookie or an API token.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client admin, clerka;

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

/* Expects GET /api/v1/units to list exactly the unit 'code'. */
static void assert_sees_only(struct client *c, const char *code)
{
    struct response r = {0};
    json_t *items;

    client_get(c, &r, "/api/v1/units");
    assert_status(&r, 200);
    items = response_items(&r);
    if (json_array_size(items) != 1 || !json_find(items, "code", code)) {
        harness_note("want only unit %s, got %s\n", code, r.body);
        fail();
    }
    response_release(&r);
}

/* A token for 'roles' (one role) at 'unit_id', made by the admin; returns its id. */
static int64_t make_token(const char *role, int64_t unit_id, char *token, size_t size)
{
    struct response r = {0};
    char name[64];
    int64_t id;

    unique_name("key", name, sizeof(name));
    client_send(
        &admin, "POST", "/api/v1/apikeys",
        json_pack("{s:s, s:[s], s:I}", "name", name, "roles", role, "unit_id", (json_int_t)unit_id),
        &r);
    assert_status(&r, 201);
    assert_non_null(json_str_member(r.json, "token"));
    snprintf(token, size, "%s", json_str_member(r.json, "token"));
    assert_true(strlen(token) >= 32);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    response_release(&r);
    return id;
}

static void test_units__staff_sees_own_community_only(void **state)
{
    struct response r = {0};

    (void)state;
    assert_sees_only(&clerka, "ca");
    client_get(&clerka, &r, "/api/v1/units/%lld", (long long)srv.ca_id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "code"), "ca");
    response_release(&r);
}

static void test_units__other_community_is_not_found(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/api/v1/units/%lld", (long long)srv.cb_id);
    assert_error(&r, 404, "not_found", NULL);
    /* Not a word of the record: neither its code nor its name. */
    assert_null(strstr(r.body, "\"cb\""));
    assert_null(strstr(r.body, "乙社区"));
    client_get(&clerka, &r, "/api/v1/units/%lld", (long long)srv.root_id);
    assert_error(&r, 404, "not_found", NULL);
    response_release(&r);
}

static void test_users__admin_only(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/api/v1/users");
    assert_error(&r, 403, "forbidden", NULL);
    client_get(&clerka, &r, "/api/v1/apikeys");
    assert_error(&r, 403, "forbidden", NULL);
    client_get(&clerka, &r, "/api/v1/audit");
    assert_error(&r, 403, "forbidden", NULL);
    response_release(&r);
}

static void test_units__staff_cannot_create(void **state)
{
    struct response r = {0};
    struct cli_result cr = {0};
    size_t before = unit_count(&admin);
    char code[64];

    (void)state;
    unique_name("dept", code, sizeof(code));
    client_send(&clerka, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "越权部门", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_error(&r, 403, "forbidden", NULL);
    assert_int_equal(unit_count(&admin), before);
    cli(&srv, &cr, NULL, "unit", "list", "--db", srv.db);
    assert_null(strstr(cr.out, code));
    cli_result_release(&cr);
    response_release(&r);
}

static void test_units__admin_sees_every_unit(void **state)
{
    struct response r = {0};
    struct cli_result cr = {0};
    json_t *items;
    size_t lines = 0;

    (void)state;
    client_get(&admin, &r, "/api/v1/units");
    assert_status(&r, 200);
    items = response_items(&r);
    assert_non_null(json_find(items, "code", "root"));
    assert_non_null(json_find(items, "code", "ca"));
    assert_non_null(json_find(items, "code", "cb"));
    /* As many as the database holds (the CLI lists them all, one a line
     * after the heading). */
    cli(&srv, &cr, NULL, "unit", "list", "--db", srv.db);
    assert_int_equal(cr.status, 0);
    for (const char *p = cr.out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(json_array_size(items), lines - 1);
    cli_result_release(&cr);
    response_release(&r);
}

static void test_users__created_in_other_community_sees_it_only(void **state)
{
    struct response r = {0};
    struct client c;
    char login[64];
    int64_t id;

    (void)state;
    unique_name("userb", login, sizeof(login));
    id = create_user(&admin, login, srv.cb_id, "staff", "Userb-pass-123");
    client_get(&admin, &r, "/api/v1/users/%lld", (long long)id);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "login"), login);
    assert_string_equal(json_str_member(json_object_get(r.json, "unit"), "code"), "cb");
    assert_null(json_object_get(r.json, "password"));
    assert_null(json_object_get(r.json, "password_hash"));
    assert_null(strstr(r.body, "argon2"));

    client_init(&c, &srv);
    client_login_ok(&c, login, "Userb-pass-123");
    assert_sees_only(&c, "cb");
    client_get(&c, &r, "/api/v1/units/%lld", (long long)srv.ca_id);
    assert_error(&r, 404, "not_found", NULL);
    client_release(&c);
    response_release(&r);
}

static void test_apikeys__bearer_scoped_then_revoked(void **state)
{
    struct response r = {0};
    struct client bot;
    char token[128], prefix[16];
    int64_t id;
    json_t *item = NULL;
    size_t i;

    (void)state;
    id = make_token("staff", srv.ca_id, token, sizeof(token));

    client_init(&bot, &srv);
    snprintf(bot.bearer, sizeof(bot.bearer), "%s", token);
    assert_sees_only(&bot, "ca");
    client_get(&bot, &r, "/api/v1/units/%lld", (long long)srv.cb_id);
    assert_error(&r, 404, "not_found", NULL);
    client_get(&bot, &r, "/api/v1/users");
    assert_error(&r, 403, "forbidden", NULL);

    /* Listed, but the token itself is never shown again. */
    client_get(&admin, &r, "/api/v1/apikeys");
    assert_status(&r, 200);
    assert_null(strstr(r.body, token));
    snprintf(prefix, sizeof(prefix), "%.9s", token);
    json_array_foreach(response_items(&r), i, item)
    {
        assert_null(json_object_get(item, "token"));
        if (json_int_member(item, "id") == id)
            break;
    }
    assert_true(i < json_array_size(response_items(&r)));
    assert_true(json_is_null(json_object_get(item, "revoked_at")));

    client_request(&admin, "DELETE", "/api/v1/apikeys/0", NULL, NULL, 0, NULL, &r);
    assert_error(&r, 404, "not_found", NULL);
    {
        char path[64];
        snprintf(path, sizeof(path), "/api/v1/apikeys/%lld", (long long)id);
        client_request(&admin, "DELETE", path, NULL, NULL, 0, NULL, &r);
        assert_status(&r, 204);
        client_get(&bot, &r, "/api/v1/units");
        assert_error(&r, 401, "unauthenticated", NULL);
        /* Revoking twice is a conflict, not a second success. */
        client_request(&admin, "DELETE", path, NULL, NULL, 0, NULL, &r);
        assert_error(&r, 409, "conflict", NULL);
    }
    client_get(&admin, &r, "/api/v1/apikeys");
    item = NULL;
    json_array_foreach(response_items(&r), i, item)
    {
        if (json_int_member(item, "id") == id)
            break;
    }
    assert_true(json_is_string(json_object_get(item, "revoked_at")));
    client_release(&bot);
    response_release(&r);
}

static void test_apikeys__bearer_needs_no_csrf(void **state)
{
    struct response r = {0};
    struct client bot;
    char token[128], code[64];

    (void)state;
    make_token("admin", srv.root_id, token, sizeof(token));
    client_init(&bot, &srv);
    snprintf(bot.bearer, sizeof(bot.bearer), "%s", token);
    unique_name("botdept", code, sizeof(code));
    client_send(&bot, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "令牌部门", "type",
                          "department", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    client_release(&bot);
    response_release(&r);
}

static void test_auth__bad_credentials_are_401(void **state)
{
    struct response r = {0};
    struct client c;
    static const char *const bad[] = {
        "Authorization: Bearer fz_this-is-not-a-real-token-at-all-000000000",
        "Authorization: Bearer ",
        "Authorization: Basic eDp5",
        "Authorization: Basic x",
    };

    (void)state;
    client_init(&c, &srv);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        client_request(&c, "GET", "/api/v1/units", NULL, NULL, 0,
                       (const char *const[]){bad[i], NULL}, &r);
        assert_error(&r, 401, "unauthenticated", NULL);
    }
    /* A garbage bearer is not rescued by a good cookie either. */
    client_request(&admin, "GET", "/api/v1/units", NULL, NULL, 0,
                   (const char *const[]){bad[0], NULL}, &r);
    assert_error(&r, 401, "unauthenticated", NULL);
    client_release(&c);
    response_release(&r);
}

static void test_users__disabled_user_loses_session(void **state)
{
    struct response r = {0};
    struct client c;
    char login[64], path[64];
    int64_t id;

    (void)state;
    unique_name("leaver", login, sizeof(login));
    id = create_user(&admin, login, srv.ca_id, "staff", "Leaver-pass-123");
    client_init(&c, &srv);
    client_login_ok(&c, login, "Leaver-pass-123");
    client_get(&c, &r, "/api/v1/session");
    assert_status(&r, 200);

    snprintf(path, sizeof(path), "/api/v1/users/%lld", (long long)id);
    client_send(&admin, "PATCH", path, json_pack("{s:b}", "disabled", 1), &r);
    assert_status(&r, 200);
    assert_true(json_is_true(json_object_get(r.json, "disabled")));

    client_get(&c, &r, "/api/v1/session");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_get(&c, &r, "/api/v1/units");
    assert_error(&r, 401, "unauthenticated", NULL);
    /* And cannot sign in again. */
    client_login(&c, login, "Leaver-pass-123", &r);
    assert_error(&r, 401, "unauthenticated", NULL);
    client_release(&c);
    response_release(&r);
}

static void test_cli__apikey_add_works_against_running_server(void **state)
{
    struct cli_result cr = {0};
    struct response r = {0};
    struct client bot;
    char name[64], token[128];

    (void)state;
    unique_name("clikey", name, sizeof(name));
    cli(&srv, &cr, NULL, "apikey", "add", name, "--role", "staff", "--unit", "ca", "--db", srv.db);
    if (cr.status != 0)
        harness_note("stderr: %s\n", cr.err);
    assert_int_equal(cr.status, 0);
    last_line(cr.out, token, sizeof(token));
    assert_true(strlen(token) >= 32);
    assert_null(strchr(token, ' '));

    client_init(&bot, &srv);
    snprintf(bot.bearer, sizeof(bot.bearer), "%s", token);
    assert_sees_only(&bot, "ca");
    client_get(&admin, &r, "/api/v1/apikeys");
    assert_non_null(json_find(response_items(&r), "name", name));
    client_release(&bot);
    cli_result_release(&cr);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units__staff_sees_own_community_only),
        cmocka_unit_test(test_units__other_community_is_not_found),
        cmocka_unit_test(test_users__admin_only),
        cmocka_unit_test(test_units__staff_cannot_create),
        cmocka_unit_test(test_units__admin_sees_every_unit),
        cmocka_unit_test(test_users__created_in_other_community_sees_it_only),
        cmocka_unit_test(test_apikeys__bearer_scoped_then_revoked),
        cmocka_unit_test(test_apikeys__bearer_needs_no_csrf),
        cmocka_unit_test(test_auth__bad_credentials_are_401),
        cmocka_unit_test(test_users__disabled_user_loses_session),
        cmocka_unit_test(test_cli__apikey_add_works_against_running_server),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
