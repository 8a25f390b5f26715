/*
 * test_pages_admin2.c - the administrator's pages of the matter type
 * catalog (/console/admin/matter-types) and of webhooks
 * (/console/admin/webhooks, /console/admin/webhooks/{id}), fetched as a
 * browser without JavaScript would. Asserts that only an administrator at a
 * root unit gets them, that routing a type to a unit through the form is
 * where the next submission goes, that a bad deadline comes back beside that
 * type's field with nothing changed, that a webhook's secret is shown on the
 * reply that created it and never again, and that disabling works.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

static struct test_server srv;
static struct client admin, clerk, api_admin, anon;
static char csrf_admin[128], csrf_clerk[128];

/* ---- helpers ---- */

/* Signs in through the login form and keeps the page's CSRF token. */
static void page_login(struct client *c, const char *login, const char *password, char *csrf,
                       size_t size)
{
    struct response r = {0};

    client_init(c, &srv);
    c->omit_csrf = true; /* pages send the form field, as a browser does */
    post_form(c, &r, "/login", "login", login, "password", password, NULL);
    assert_status(&r, 303);
    client_get(c, &r, "/console");
    assert_status(&r, 200);
    csrf_of(r.body, csrf, size);
    response_release(&r);
}

/* The public catalog's deadline of an active type. */
static int64_t api_deadline(const char *code)
{
    struct response r = {0};
    int64_t days;

    client_get(&anon, &r, "/api/v1/matter-types");
    assert_status(&r, 200);
    days = json_int_member(json_find(response_items(&r), "code", code), "deadline_days");
    response_release(&r);
    return days;
}

/* The id of the webhook named 'name', through the API (0: none). */
static int64_t api_webhook_id(const char *name, bool *active)
{
    struct response r = {0};
    json_t *w;
    int64_t id = 0;

    client_get(&api_admin, &r, "/api/v1/webhooks");
    assert_status(&r, 200);
    w = json_find(response_items(&r), "name", name);
    if (w) {
        id = json_int_member(w, "id");
        if (active)
            *active = json_is_true(json_object_get(w, "active"));
    }
    response_release(&r);
    return id;
}

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    page_login(&admin, ADMIN_LOGIN, ADMIN_PASSWORD, csrf_admin, sizeof(csrf_admin));
    page_login(&clerk, CLERKA_LOGIN, CLERK_PASSWORD, csrf_clerk, sizeof(csrf_clerk));
    client_init(&api_admin, &srv);
    client_login_ok(&api_admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&anon, &srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerk);
    client_release(&api_admin);
    client_release(&anon);
    server_stop(&srv);
    return 0;
}

/* ---- tests ---- */

static void test_pages_admin2__pages_and_who_gets_them(void **state)
{
    struct response r = {0};
    struct client sub;
    char csrf[128];

    (void)state;
    client_get(&admin, &r, "/console/admin");
    assert_status(&r, 200);
    assert_contains(r.body, "href=\"/console/admin/matter-types\">事项类型</a>");
    assert_contains(r.body, "href=\"/console/admin/webhooks\">Webhook</a>");

    client_get(&admin, &r, "/console/admin/matter-types");
    assert_status(&r, 200);
    assert_contains(r.body, "<h1>事项类型</h1>");
    assert_contains(r.body, "<th scope=\"row\" class=\"nowrap\">问题反映</th>"
                            "<td><code>complaint</code></td>");
    /* The catalog's units (zzzx, ...) do not exist here: the root receives them. */
    assert_contains(r.body, "未设置（由根单位受理）");
    assert_contains(r.body, "action=\"/console/admin/matter-types/complaint\"");
    assert_contains(r.body, "<label for=\"mt-complaint-days\">办理时限（工作日）</label>");
    assert_contains(r.body, "id=\"mt-complaint-days\" name=\"deadline_days\"");
    assert_contains(r.body, "value=\"5\"");
    assert_contains(r.body, "id=\"mt-complaint-active\" name=\"active\" value=\"on\" checked");
    assert_contains(r.body, "否（私人事务，不公开）"); /* dispute is not listed */
    assert_contains(r.body, "name=\"csrf_token\"");

    client_get(&admin, &r, "/console/admin/webhooks");
    assert_status(&r, 200);
    assert_contains(r.body, "<h1>Webhook</h1>");
    assert_contains(r.body, "action=\"/console/admin/webhooks\"");
    assert_contains(r.body, "<label for=\"w-url\" class=\"required\">接收地址</label>");

    /* Staff: the 403 page, and nothing changes. */
    client_get(&clerk, &r, "/console/admin/matter-types");
    assert_status(&r, 403);
    assert_contains(r.body, "class=\"error-page\"");
    post_form(&clerk, &r, "/console/admin/matter-types/complaint", "csrf_token", csrf_clerk,
              "deadline_days", "9", "active", "on", NULL);
    assert_status(&r, 403);
    client_get(&clerk, &r, "/console/admin/webhooks");
    assert_status(&r, 403);
    assert_contains(r.body, "class=\"error-page\"");
    post_form(&clerk, &r, "/console/admin/webhooks", "csrf_token", csrf_clerk, "name", "x", "url",
              "http://127.0.0.1:9/x", "events", "unit.closed", NULL);
    assert_status(&r, 403);
    client_get(&clerk, &r, "/console/admin/webhooks/1");
    assert_status(&r, 403);
    assert_int_equal(api_deadline("complaint"), 5);
    assert_int_equal(api_webhook_id("x", NULL), 0);

    /* An administrator of a community: the 403 page with the rule's words. */
    create_user(&api_admin, "subadmin2", srv.ca_id, "admin", "Subadmin-pass-2024");
    page_login(&sub, "subadmin2", "Subadmin-pass-2024", csrf, sizeof(csrf));
    /* Their admin home does not offer what they may not set, and says who may. */
    client_get(&sub, &r, "/console/admin");
    assert_status(&r, 200);
    assert_lacks(r.body, "href=\"/console/admin/matter-types\"");
    assert_lacks(r.body, "href=\"/console/admin/webhooks\"");
    assert_contains(r.body, "由根单位的系统管理员设置");
    client_get(&sub, &r, "/console/admin/matter-types");
    assert_status(&r, 403);
    assert_contains(r.body, "只有根单位的系统管理员可以修改事项类型");
    post_form(&sub, &r, "/console/admin/matter-types/complaint", "csrf_token", csrf,
              "deadline_days", "9", "active", "on", NULL);
    assert_status(&r, 403);
    client_get(&sub, &r, "/console/admin/webhooks");
    assert_status(&r, 403);
    assert_contains(r.body, "只有根单位的系统管理员可以管理 Webhook");
    post_form(&sub, &r, "/console/admin/webhooks", "csrf_token", csrf, "name", "y", "url",
              "http://127.0.0.1:9/y", "events", "unit.closed", NULL);
    assert_status(&r, 403);
    assert_int_equal(api_deadline("complaint"), 5);
    assert_int_equal(api_webhook_id("y", NULL), 0);
    client_release(&sub);

    /* Without the form's CSRF token: refused. */
    post_form(&admin, &r, "/console/admin/matter-types/complaint", "deadline_days", "9", "active",
              "on", NULL);
    assert_status(&r, 403);
    assert_int_equal(api_deadline("complaint"), 5);
    response_release(&r);
}

static void test_pages_admin2__route_a_type(void **state)
{
    struct response r = {0};
    char unit[32];
    int64_t id;
    json_t *m;

    (void)state;
    snprintf(unit, sizeof(unit), "%lld", (long long)srv.ca_id);
    post_form(&admin, &r, "/console/admin/matter-types/complaint", "csrf_token", csrf_admin,
              "unit_id", unit, "deadline_days", "7", "active", "on", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/admin/matter-types");
    client_get(&admin, &r, "/console/admin/matter-types");
    assert_status(&r, 200);
    assert_contains(r.body, "已保存");
    assert_contains(r.body, "<td class=\"num\">7</td>");
    assert_int_equal(api_deadline("complaint"), 7);

    /* The next complaint goes to that unit. */
    client_send(&anon, "POST", "/api/v1/matters",
                json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "complaint", "description",
                          "页面测试：路灯不亮", "phone", "13912345678", "attributes", "category",
                          "facility"),
                &r);
    assert_status(&r, 201);
    client_get(&api_admin, &r, "/api/v1/matters?limit=1");
    assert_status(&r, 200);
    id = json_int_member(json_array_get(response_items(&r), 0), "id");
    client_get(&api_admin, &r, "/api/v1/matters/%lld", (long long)id);
    assert_status(&r, 200);
    m = json_object_get(r.json, "matter");
    assert_string_equal(json_str_member(m, "description"), "页面测试：路灯不亮");
    assert_int_equal(json_int_member(json_object_get(m, "unit"), "id"), srv.ca_id);
    response_release(&r);
}

static void test_pages_admin2__bad_deadline(void **state)
{
    struct response r = {0};
    int64_t before = api_deadline("safety");

    (void)state;
    post_form(&admin, &r, "/console/admin/matter-types/safety", "csrf_token", csrf_admin,
              "deadline_days", "61", "active", "on", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "role=\"alert\"");
    assert_contains(r.body, "id=\"mt-safety-days-error\">办理时限应为 1 到 60 之间的整数");
    assert_contains(r.body, "value=\"61\""); /* what was typed stays */
    assert_contains(r.body, "aria-invalid=\"true\"");
    assert_lacks(r.body, "mt-complaint-days-error"); /* only beside that row */
    assert_int_equal(api_deadline("safety"), before);

    post_form(&admin, &r, "/console/admin/matter-types/safety", "csrf_token", csrf_admin,
              "deadline_days", "三天", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"mt-safety-days-error\">");
    /* What was posted stays: "active" was not ticked. */
    assert_lacks(r.body, "id=\"mt-safety-active\" name=\"active\" value=\"on\" checked");
    assert_int_equal(api_deadline("safety"), before);

    post_form(&admin, &r, "/console/admin/matter-types/safety", "csrf_token", csrf_admin, "unit_id",
              "999999", "deadline_days", "4", "active", "on", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"mt-safety-unit-error\">单位不存在或已撤销</p>");
    assert_int_equal(api_deadline("safety"), before);

    post_form(&admin, &r, "/console/admin/matter-types/nosuch", "csrf_token", csrf_admin,
              "deadline_days", "4", NULL);
    assert_status(&r, 404);
    assert_contains(r.body, "class=\"error-page\"");
    response_release(&r);
}

static void test_pages_admin2__webhook_add_and_disable(void **state)
{
    struct response r = {0};
    char secret[80], needle[160];
    const char *at;
    bool active = false;
    int64_t id;

    (void)state;
    /* A bad address: beside the field, nothing added. */
    post_form(&admin, &r, "/console/admin/webhooks", "csrf_token", csrf_admin, "name", "短信网关",
              "url", "ftp://sms.example.cn/x", "events", "unit.closed", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"w-url-error\">");
    assert_contains(r.body, "value=\"短信网关\"");
    assert_int_equal(api_webhook_id("短信网关", NULL), 0);

    post_form(&admin, &r, "/console/admin/webhooks", "csrf_token", csrf_admin, "name", "短信网关",
              "url", "http://127.0.0.1:9/hook", "events", "unit.closed, case.*", NULL);
    assert_status(&r, 201);
    assert_contains(r.body, "Webhook“短信网关”已添加");
    at = strstr(r.body, "id=\"new-webhook-secret\" type=\"text\" readonly value=\"");
    assert_non_null(at);
    at += strlen("id=\"new-webhook-secret\" type=\"text\" readonly value=\"");
    assert_true(strspn(at, "0123456789abcdef") == 64);
    snprintf(secret, sizeof(secret), "%.64s", at);
    id = api_webhook_id("短信网关", &active);
    assert_true(id > 0);
    assert_true(active);

    /* The list afterwards: the webhook, not its secret. */
    client_get(&admin, &r, "/console/admin/webhooks");
    assert_status(&r, 200);
    assert_contains(r.body, "<code>http://127.0.0.1:9/hook</code>");
    assert_contains(r.body, "<code>unit.closed、case.*</code>");
    assert_lacks(r.body, secret);
    assert_lacks(r.body, "new-webhook-secret");
    snprintf(needle, sizeof(needle), "action=\"/console/admin/webhooks/%lld/disable\"",
             (long long)id);
    assert_contains(r.body, needle);

    /* Its delivery log (empty so far). */
    client_get(&admin, &r, "/console/admin/webhooks/%lld", (long long)id);
    assert_status(&r, 200);
    assert_contains(r.body, "<h1>短信网关</h1>");
    assert_contains(r.body, "<h2>投递记录</h2>");
    assert_contains(r.body, "还没有投递记录。");
    assert_lacks(r.body, secret);
    client_get(&admin, &r, "/console/admin/webhooks/999999");
    assert_status(&r, 404);

    /* Disabling. */
    snprintf(needle, sizeof(needle), "/console/admin/webhooks/%lld/disable", (long long)id);
    post_form(&admin, &r, needle, "csrf_token", csrf_admin, NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/admin/webhooks");
    api_webhook_id("短信网关", &active);
    assert_false(active);
    client_get(&admin, &r, "/console/admin/webhooks");
    assert_contains(r.body, "已停用，不再向它发送事件。");
    assert_contains(r.body, "<span class=\"badge badge-danger\">已停用</span>");
    assert_lacks(r.body, needle);
    /* Again: refused, it is off already. */
    post_form(&admin, &r, needle, "csrf_token", csrf_admin, NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "class=\"error-page\"");
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_admin2__pages_and_who_gets_them),
        cmocka_unit_test(test_pages_admin2__route_a_type),
        cmocka_unit_test(test_pages_admin2__bad_deadline),
        cmocka_unit_test(test_pages_admin2__webhook_add_and_disable),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
