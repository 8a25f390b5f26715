/*
 * test_pages_admin.c - the administrator's catalog pages, fetched as a
 * browser without JavaScript would: the form that edits a ledger kind and
 * its counters (/console/admin/kinds/{code}/edit, POST
 * /console/admin/kinds/{code}) and the one that adds a kind
 * (/console/admin/kinds/new, POST /console/admin/kinds). Asserts that a
 * change made through the form is what the JSON API then reads, that a
 * fault of the rules comes back beside its input with nothing saved, that
 * a stale version and the removal of a counter entries use are refused with
 * the rules' message, and that only an administrator at a root unit gets
 * the forms.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

static struct test_server srv;
static struct client admin, clerk, api_admin, api_clerk;
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

/* The kind as the JSON API reads it (a new reference). */
static json_t *api_kind(const char *code)
{
    struct response r = {0};
    json_t *k;

    client_get(&api_admin, &r, "/api/v1/ledger/kinds/%s", code);
    assert_status(&r, 200);
    k = json_incref(r.json);
    response_release(&r);
    return k;
}

/* The counter 'code' of kind k (borrowed), or NULL. */
static json_t *counter_of(json_t *k, const char *code)
{
    return json_find(json_object_get(k, "counters"), "code", code);
}

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    page_login(&admin, ADMIN_LOGIN, ADMIN_PASSWORD, csrf_admin, sizeof(csrf_admin));
    page_login(&clerk, CLERKA_LOGIN, CLERK_PASSWORD, csrf_clerk, sizeof(csrf_clerk));
    client_init(&api_admin, &srv);
    client_login_ok(&api_admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&api_clerk, &srv);
    client_login_ok(&api_clerk, CLERKA_LOGIN, CLERK_PASSWORD);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerk);
    client_release(&api_admin);
    client_release(&api_clerk);
    server_stop(&srv);
    return 0;
}

/* ---- tests ---- */

static void test_pages_admin__list_links_and_form(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&admin, &r, "/console/admin/kinds");
    assert_status(&r, 200);
    assert_contains(r.body, "href=\"/console/admin/kinds/new\">新增台账种类</a>");
    assert_contains(r.body, "href=\"/console/admin/kinds/study.lecture/edit\">编辑");

    client_get(&admin, &r, "/console/admin/kinds/study.lecture/edit");
    assert_status(&r, 200);
    assert_contains(r.body, "action=\"/console/admin/kinds/study.lecture\"");
    assert_contains(r.body, "name=\"version\" value=\"1\"");
    assert_contains(r.body, "<label for=\"k-name\" class=\"required\">中文名称</label>");
    assert_contains(r.body, "value=\"法治讲座\"");
    assert_contains(r.body, "<label for=\"k-ut-community\">社区</label>");
    assert_contains(r.body, "id=\"k-ut-community\" name=\"unit_types.community\" value=\"on\" "
                            "checked");
    assert_contains(r.body, "id=\"k-ut-city\" name=\"unit_types.city\" value=\"on\">");
    assert_contains(r.body, "id=\"k-active\" name=\"active\" value=\"on\" checked");
    /* Existing counters: the code read-only, every field labelled; then empty rows. */
    assert_contains(r.body, "name=\"counters.0.code\" type=\"text\" maxlength=\"32\" "
                            "autocapitalize=\"none\" spellcheck=\"false\" value=\"attendance\" "
                            "readonly");
    assert_contains(r.body, "<label for=\"c-1-scale\">小数位数</label>");
    assert_contains(r.body, "id=\"c-1-scale\" name=\"counters.1.scale\"");
    assert_contains(r.body, "value=\"300\"");
    assert_contains(r.body, "<option value=\"decimal\" selected>小数</option>");
    assert_contains(r.body, "<label for=\"c-0-remove\">删除此计数项</label>");
    assert_contains(r.body, "<label for=\"c-2-code\">代码</label>");
    assert_lacks(r.body, "c-2-remove");

    client_get(&admin, &r, "/console/admin/kinds/new");
    assert_status(&r, 200);
    assert_contains(r.body, "action=\"/console/admin/kinds\"");
    assert_contains(r.body, "<label for=\"k-code\" class=\"required\">种类代码</label>");

    client_get(&admin, &r, "/console/admin/kinds/no.such/edit");
    assert_status(&r, 404);
    assert_contains(r.body, "class=\"error-page\"");
    response_release(&r);
}

static void test_pages_admin__edit_name_and_bound(void **state)
{
    struct response r = {0};
    json_t *k;

    (void)state;
    post_form(&admin, &r, "/console/admin/kinds/study.lecture", "csrf_token", csrf_admin, "version",
              "1", "name", "法治讲座（改）", "description", "每期一条。", "unit_types.subdistrict",
              "on", "unit_types.community", "on", "active", "on", "counters.0.existing", "on",
              "counters.0.code", "attendance", "counters.0.name", "受训人次", "counters.0.type",
              "integer", "counters.0.unit", "人次", "counters.0.scale", "0", "counters.0.max",
              "500", "counters.0.required", "on", "counters.1.existing", "on", "counters.1.code",
              "hours", "counters.1.name", "讲座时长", "counters.1.type", "decimal",
              "counters.1.unit", "小时", "counters.1.scale", "1", "counters.1.max", "8.5",
              /* an empty row offered for a new counter: ignored */
              "counters.2.code", "", "counters.2.name", "", "counters.2.type", "integer",
              "counters.2.unit", "", "counters.2.scale", "", "counters.2.max", "", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/admin/kinds");
    client_get(&admin, &r, "/console/admin/kinds");
    assert_contains(r.body, "已保存台账种类“法治讲座（改）”（第 2 版）。");

    k = api_kind("study.lecture");
    assert_string_equal(json_str_member(k, "name"), "法治讲座（改）");
    assert_string_equal(json_str_member(k, "description"), "每期一条。");
    assert_int_equal(json_int_member(k, "version"), 2);
    assert_int_equal(json_array_size(json_object_get(k, "unit_types")), 2);
    assert_int_equal(json_array_size(json_object_get(k, "counters")), 2);
    assert_int_equal(json_int_member(counter_of(k, "attendance"), "max"), 500);
    assert_true(json_is_true(json_object_get(counter_of(k, "attendance"), "required")));
    assert_true(json_real_value(json_object_get(counter_of(k, "hours"), "max")) == 8.5);
    json_decref(k);

    /* The same version again: stale, the rules' message and a way to the latest. */
    post_form(&admin, &r, "/console/admin/kinds/study.lecture", "csrf_token", csrf_admin, "version",
              "1", "name", "又改", "unit_types.community", "on", "active", "on",
              "counters.0.existing", "on", "counters.0.code", "attendance", "counters.0.name",
              "受训人次", "counters.0.type", "integer", "counters.0.unit", "人次",
              "counters.1.existing", "on", "counters.1.code", "hours", "counters.1.name",
              "讲座时长", "counters.1.type", "decimal", "counters.1.unit", "小时",
              "counters.1.scale", "1", NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "role=\"alert\"");
    assert_contains(r.body, "台账种类已被他人修改");
    assert_contains(r.body, "href=\"/console/admin/kinds/study.lecture/edit\"");
    assert_contains(r.body, "value=\"又改\""); /* what was typed stays */
    k = api_kind("study.lecture");
    assert_string_equal(json_str_member(k, "name"), "法治讲座（改）");
    json_decref(k);
    response_release(&r);
}

static void test_pages_admin__add_counter_and_bad_values(void **state)
{
    struct response r = {0};
    json_t *k;

    (void)state;
    /* A negative scale on a new counter row: 422 beside that row's input, nothing saved. */
    post_form(&admin, &r, "/console/admin/kinds/study.central_group", "csrf_token", csrf_admin,
              "version", "1", "name", "党工委中心组学法", "unit_types.subdistrict", "on", "active",
              "on", "counters.0.existing", "on", "counters.0.code", "attendance", "counters.0.name",
              "参学人次", "counters.0.type", "integer", "counters.0.unit", "人次", "counters.0.max",
              "100", "counters.1.existing", "on", "counters.1.remove", "on", "counters.1.code",
              "hours", "counters.1.name", "学习时长", "counters.1.type", "decimal",
              "counters.1.unit", "小时", "counters.1.scale", "1", "counters.2.code", "sessions",
              "counters.2.name", "场次", "counters.2.type", "decimal", "counters.2.unit", "场",
              "counters.2.scale", "-1", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "role=\"alert\"");
    assert_contains(r.body, "id=\"c-2-scale-error\">小数计数项应指定 1 到 6 位小数</p>");
    assert_contains(r.body, "aria-invalid=\"true\"");
    assert_contains(r.body, "value=\"-1\"");
    assert_contains(r.body, "value=\"sessions\"");
    assert_contains(r.body, "id=\"c-1-remove\" name=\"counters.1.remove\" value=\"on\" checked");
    k = api_kind("study.central_group");
    assert_int_equal(json_int_member(k, "version"), 1);
    assert_int_equal(json_array_size(json_object_get(k, "counters")), 2);
    json_decref(k);

    /* An empty name: beside the name. */
    post_form(&admin, &r, "/console/admin/kinds/study.central_group", "csrf_token", csrf_admin,
              "version", "1", "name", " ", "unit_types.subdistrict", "on", "active", "on",
              "counters.0.existing", "on", "counters.0.code", "attendance", "counters.0.name",
              "参学人次", "counters.0.type", "integer", "counters.0.unit", "人次", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"k-name-error\">不能为空</p>");

    /* A bad bound on an existing row. */
    post_form(&admin, &r, "/console/admin/kinds/study.central_group", "csrf_token", csrf_admin,
              "version", "1", "name", "党工委中心组学法", "unit_types.subdistrict", "on", "active",
              "on", "counters.0.existing", "on", "counters.0.code", "attendance", "counters.0.name",
              "参学人次", "counters.0.type", "integer", "counters.0.unit", "人次", "counters.0.max",
              "12.5", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"c-0-max-error\">");
    k = api_kind("study.central_group");
    assert_int_equal(json_int_member(k, "version"), 1);
    json_decref(k);

    /* Right: the hours removed (no entry uses them), a counter added in a later row. */
    post_form(&admin, &r, "/console/admin/kinds/study.central_group", "csrf_token", csrf_admin,
              "version", "1", "name", "党工委中心组学法", "unit_types.subdistrict", "on", "active",
              "on", "counters.0.existing", "on", "counters.0.code", "attendance", "counters.0.name",
              "参学人次", "counters.0.type", "integer", "counters.0.unit", "人次", "counters.0.max",
              "100", "counters.1.existing", "on", "counters.1.remove", "on", "counters.1.code",
              "hours", "counters.1.name", "学习时长", "counters.1.type", "decimal",
              "counters.1.unit", "小时", "counters.1.scale", "1", "counters.3.code", "sessions",
              "counters.3.name", "场次", "counters.3.type", "decimal", "counters.3.unit", "场",
              "counters.3.scale", "1", "counters.3.max", "4.5", NULL);
    assert_status(&r, 303);
    k = api_kind("study.central_group");
    assert_int_equal(json_int_member(k, "version"), 2);
    assert_int_equal(json_array_size(json_object_get(k, "counters")), 2);
    assert_null(counter_of(k, "hours"));
    assert_string_equal(json_str_member(counter_of(k, "sessions"), "name"), "场次");
    assert_int_equal(json_int_member(counter_of(k, "sessions"), "scale"), 1);
    json_decref(k);
    response_release(&r);
}

static void test_pages_admin__create_kind_and_used_counter(void **state)
{
    struct response r = {0};
    json_t *k;

    (void)state;
    /* A fault in the second counter row lands beside that row. */
    post_form(&admin, &r, "/console/admin/kinds", "csrf_token", csrf_admin, "code",
              "other.pages_test", "name", "页面测试活动", "unit_types.community", "on", "active",
              "on", "counters.0.code", "people", "counters.0.name", "参加人数", "counters.0.type",
              "integer", "counters.0.unit", "人", "counters.1.code", "Bad Code", "counters.1.name",
              "坏", "counters.1.type", "integer", "counters.1.unit", "个", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"c-1-code-error\">计数项代码应为");
    assert_contains(r.body, "value=\"other.pages_test\"");
    client_get(&api_admin, &r, "/api/v1/ledger/kinds/other.pages_test");
    assert_status(&r, 404);

    post_form(&admin, &r, "/console/admin/kinds", "csrf_token", csrf_admin, "code",
              "other.pages_test", "name", "页面测试活动", "description", "测试用。",
              "unit_types.community", "on", "active", "on", "counters.0.code", "people",
              "counters.0.name", "参加人数", "counters.0.type", "integer", "counters.0.unit", "人",
              "counters.0.required", "on", "counters.1.code", "gifts", "counters.1.name",
              "发放礼品", "counters.1.type", "integer", "counters.1.unit", "份", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/admin/kinds");
    client_get(&admin, &r, "/console/admin/kinds");
    assert_contains(r.body, "已新增台账种类“页面测试活动”。");
    k = api_kind("other.pages_test");
    assert_int_equal(json_int_member(k, "version"), 1);
    assert_string_equal(json_str_member(k, "origin"), "admin");
    assert_int_equal(json_array_size(json_object_get(k, "counters")), 2);
    json_decref(k);

    /* The same code again: 409 beside the code. */
    post_form(&admin, &r, "/console/admin/kinds", "csrf_token", csrf_admin, "code",
              "other.pages_test", "name", "重复", "unit_types.community", "on", NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "id=\"k-code-error\">");

    /* An entry uses both counters: removing one is refused with the rules' message. */
    client_send(&api_clerk, "POST", "/api/v1/ledger/entries",
                json_pack("{s:s, s:I, s:s, s:s, s:{s:i, s:i}}", "kind", "other.pages_test",
                          "unit_id", (json_int_t)srv.ca_id, "date", "2024-03-01", "title",
                          "测试活动", "counters", "people", 12, "gifts", 3),
                &r);
    assert_status(&r, 201);
    post_form(&admin, &r, "/console/admin/kinds/other.pages_test", "csrf_token", csrf_admin,
              "version", "1", "name", "页面测试活动", "unit_types.community", "on", "active", "on",
              "counters.0.existing", "on", "counters.0.code", "people", "counters.0.name",
              "参加人数", "counters.0.type", "integer", "counters.0.unit", "人",
              "counters.0.required", "on", "counters.1.existing", "on", "counters.1.remove", "on",
              "counters.1.code", "gifts", "counters.1.name", "发放礼品", "counters.1.type",
              "integer", "counters.1.unit", "份", NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "计数项 gifts 已有台账数据，不能删除");
    assert_contains(r.body, "id=\"c-1-row-error\">计数项 gifts 已有台账数据，不能删除</p>");
    k = api_kind("other.pages_test");
    assert_int_equal(json_int_member(k, "version"), 1);
    assert_non_null(counter_of(k, "gifts"));
    json_decref(k);
    response_release(&r);
}

static void test_pages_admin__only_root_admins(void **state)
{
    struct response r = {0};
    struct client sub;
    char csrf[128];
    json_t *k;

    (void)state;
    /* Staff: no admin pages at all, and nothing changes. */
    client_get(&clerk, &r, "/console/admin/kinds/study.lecture/edit");
    assert_status(&r, 403);
    assert_contains(r.body, "class=\"error-page\"");
    client_get(&clerk, &r, "/console/admin/kinds/new");
    assert_status(&r, 403);
    post_form(&clerk, &r, "/console/admin/kinds/study.staff_training", "csrf_token", csrf_clerk,
              "version", "1", "name", "被改", "unit_types.community", "on", NULL);
    assert_status(&r, 403);
    assert_contains(r.body, "class=\"error-page\"");
    post_form(&clerk, &r, "/console/admin/kinds", "csrf_token", csrf_clerk, "code", "other.x",
              "name", "x", "unit_types.community", "on", NULL);
    assert_status(&r, 403);

    /* An administrator of a community: sees the catalog, gets no form. */
    create_user(&api_admin, "subadmin", srv.ca_id, "admin", "Subadmin-pass-2024");
    page_login(&sub, "subadmin", "Subadmin-pass-2024", csrf, sizeof(csrf));
    client_get(&sub, &r, "/console/admin/kinds");
    assert_status(&r, 200);
    assert_lacks(r.body, "/console/admin/kinds/new");
    assert_lacks(r.body, "/edit\"");
    client_get(&sub, &r, "/console/admin/kinds/study.staff_training/edit");
    assert_status(&r, 403);
    assert_contains(r.body, "只有根单位的系统管理员可以修改台账种类目录");
    post_form(&sub, &r, "/console/admin/kinds/study.staff_training", "csrf_token", csrf, "version",
              "1", "name", "被改", "unit_types.community", "on", NULL);
    assert_status(&r, 403);
    k = api_kind("study.staff_training");
    assert_int_equal(json_int_member(k, "version"), 1);
    json_decref(k);
    client_release(&sub);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_admin__list_links_and_form),
        cmocka_unit_test(test_pages_admin__edit_name_and_bound),
        cmocka_unit_test(test_pages_admin__add_counter_and_bad_values),
        cmocka_unit_test(test_pages_admin__create_kind_and_used_counter),
        cmocka_unit_test(test_pages_admin__only_root_admins),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
