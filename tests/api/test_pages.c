/*
 * test_pages.c - the server-rendered pages, fetched as a browser without
 * JavaScript would: forms posted url-encoded with the csrf_token field, 303
 * redirects, the session cookie. Asserts what people rely on: signing in
 * and out, a lecture recorded through the form showing in its list and
 * totals, an error beside the field at fault, a correction with the version,
 * the export of the same list, another community's entry answering 404 with
 * none of its data, and the dashboard's sections, chart and live feed.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/str.h"

#include <time.h>

static struct test_server srv;
static struct client clerka, clerkb, admin;
static char csrf_a[128], csrf_b[128], csrf_admin[128];
static char today[16];

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
    assert_string_equal(response_header(&r, "Location"), "/console");
    client_get(c, &r, "/console");
    assert_status(&r, 200);
    csrf_of(r.body, csrf, size);
    response_release(&r);
}

/* The id in a Location of the form PREFIX<id>, or 0. */
static long long location_id(const struct response *r, const char *prefix)
{
    const char *loc = response_header(r, "Location");
    return loc && strncmp(loc, prefix, strlen(prefix)) == 0
               ? strtoll(loc + strlen(prefix), NULL, 10)
               : 0;
}

/* The id of the first entry linked from a list page. */
static long long first_entry_id(const char *html)
{
    const char *p = strstr(html, "href=\"/console/ledger/entries/");
    return p ? strtoll(p + strlen("href=\"/console/ledger/entries/"), NULL, 10) : 0;
}

static int group_setup(void **state)
{
    time_t now = time(NULL) + 8 * 3600; /* China Standard Time */
    struct tm tm;

    (void)state;
    gmtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    server_start(&srv);
    page_login(&clerka, CLERKA_LOGIN, CLERK_PASSWORD, csrf_a, sizeof(csrf_a));
    page_login(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD, csrf_b, sizeof(csrf_b));
    page_login(&admin, ADMIN_LOGIN, ADMIN_PASSWORD, csrf_admin, sizeof(csrf_admin));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&admin);
    server_stop(&srv);
    return 0;
}

/* ---- sign-in ---- */

static void test_pages__anonymous_console_goes_to_login(void **state)
{
    struct client anon;
    struct response r = {0};

    (void)state;
    client_init(&anon, &srv);
    client_get(&anon, &r, "/console/ledger/study.lecture");
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"),
                        "/login?next=/console/ledger/study.lecture");
    client_get(&anon, &r, "/login?next=/console/ledger");
    assert_status(&r, 200);
    assert_contains(r.body, "<html lang=\"zh-CN\">");
    assert_contains(r.body, "<label for=\"login\">登录名</label>");
    assert_contains(r.body, "<label for=\"password\">密码</label>");
    assert_contains(r.body, "name=\"next\" value=\"/console/ledger\"");
    client_get(&anon, &r, "/");
    assert_status(&r, 200);
    assert_contains(r.body, "办事服务");
    response_release(&r);
    client_release(&anon);
}

static void test_pages__login_form(void **state)
{
    struct client c;
    struct response r = {0};

    (void)state;
    client_init(&c, &srv);
    /* Wrong password: the form again, the message beside the password. */
    post_form(&c, &r, "/login", "login", CLERKA_LOGIN, "password", "Wrong-pass-0000", NULL);
    assert_status(&r, 401);
    assert_contains(r.body, "id=\"password-error\">用户名或密码错误</p>");
    assert_contains(r.body, "value=\"clerka\""); /* the login is kept, the password not */
    assert_lacks(r.body, "Wrong-pass-0000");
    for (size_t i = 0; response_header_n(&r, "Set-Cookie", i); i++)
        assert_false(str_starts_with(response_header_n(&r, "Set-Cookie", i), "fazhi_session="));

    /* Posted from another site: refused before any password is checked. */
    {
        const char *const headers[] = {"Origin: http://evil.example", NULL};
        const char body[] = "login=clerka&password=Clerk-pass-2024";
        client_request(&c, "POST", "/login", "application/x-www-form-urlencoded", body,
                       strlen(body), headers, &r);
        assert_status(&r, 403);
        assert_contains(r.body, "error-message");
    }

    /* The right password, with ?next= kept through the form. */
    post_form(&c, &r, "/login", "login", CLERKA_LOGIN, "password", CLERK_PASSWORD, "next",
              "/console/ledger", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/ledger");
    assert_non_null(strstr(response_header(&r, "Set-Cookie"), "HttpOnly"));
    client_get(&c, &r, "/console/ledger");
    assert_status(&r, 200);
    assert_contains(r.body, "法治讲座");
    /* Signed in, /login sends to the console. */
    client_get(&c, &r, "/login");
    assert_status(&r, 303);
    response_release(&r);
    client_release(&c);
}

static void test_pages__logout(void **state)
{
    struct client c;
    struct response r = {0};
    char csrf[128];

    (void)state;
    page_login(&c, CLERKB_LOGIN, CLERK_PASSWORD, csrf, sizeof(csrf));
    /* Without the form's token: refused as a page, the session stays. */
    post_form(&c, &r, "/logout", "x", "1", NULL);
    assert_status(&r, 403);
    assert_contains(r.body, "CSRF");
    post_form(&c, &r, "/logout", "csrf_token", csrf, NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/login");
    client_get(&c, &r, "/console");
    assert_status(&r, 303);
    response_release(&r);
    client_release(&c);
}

/* ---- the ledger journey: record, find, correct, export ---- */

static void test_pages__record_find_correct_export(void **state)
{
    struct response r = {0};
    char path[128];
    long long id;

    (void)state;
    /* The form: the kind's counters, labelled with name and unit. */
    client_get(&clerka, &r, "/console/ledger/study.lecture/new");
    assert_status(&r, 200);
    assert_contains(r.body, ">受训人次（人次）</label>");
    assert_contains(r.body, ">讲座时长（小时）</label>");
    assert_contains(r.body, "name=\"counters.attendance\" type=\"number\"");
    assert_contains(r.body, "step=\"0.1\"");
    assert_contains(r.body, "<label for=\"date\" class=\"required\">日期</label>");

    post_form(&clerka, &r, "/console/ledger/study.lecture", "csrf_token", csrf_a, "unit_id", "2",
              "date", today, "title", "宪法进社区讲座", "place", "甲社区活动室",
              "counters.attendance", "56", "counters.hours", "1.5", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/ledger/study.lecture");

    /* Found in the list, with the flash and the totals row. */
    client_get(&clerka, &r, "/console/ledger/study.lecture?q=%s", "%E5%AE%AA%E6%B3%95");
    assert_status(&r, 200);
    assert_contains(r.body, "宪法进社区讲座");
    assert_contains(r.body, "已登记“宪法进社区讲座”");
    assert_contains(r.body, "合计（1 条）");
    assert_contains(r.body, "<td class=\"num\">56</td><td class=\"num\">1.5</td>");
    assert_contains(r.body, "href=\"/api/v1/ledger/export?format=xlsx&amp;kind=study.lecture");
    id = first_entry_id(r.body);
    assert_true(id > 0);

    /* The entry page and its history. */
    client_get(&clerka, &r, "/console/ledger/entries/%lld", id);
    assert_status(&r, 200);
    assert_contains(r.body, "<h1>宪法进社区讲座</h1>");
    assert_contains(r.body, "<td>登记</td>");
    assert_contains(r.body, "<td>" CLERKA_LOGIN "</td>"); /* who recorded it, by name */
    assert_lacks(r.body, "user:");
    assert_contains(r.body, "data-confirm=");

    /* Correct it with its version; a second save with the old version is refused. */
    snprintf(path, sizeof(path), "/console/ledger/entries/%lld/edit", id);
    client_get(&clerka, &r, "%s", path);
    assert_status(&r, 200);
    assert_contains(r.body, "name=\"version\" value=\"1\"");
    assert_contains(r.body, "value=\"56\"");
    post_form(&clerka, &r, path, "csrf_token", csrf_a, "version", "1", "unit_id", "2", "date",
              today, "title", "宪法进社区讲座", "place", "甲社区活动室", "counters.attendance",
              "65", "counters.hours", "", NULL);
    assert_status(&r, 303);
    assert_int_equal(location_id(&r, "/console/ledger/entries/"), id);
    post_form(&clerka, &r, path, "csrf_token", csrf_a, "version", "1", "unit_id", "2", "date",
              today, "title", "又改", "counters.attendance", "70", NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "form-error-summary");

    client_get(&clerka, &r, "/console/ledger/study.lecture?q=%s", "%E5%AE%AA%E6%B3%95");
    assert_contains(r.body, "<td class=\"num\">65</td><td class=\"num\"></td>");
    assert_contains(r.body, "合计（1 条）");

    /* The export of the same filters, with the page's cookie. */
    client_get(&clerka, &r, "/api/v1/ledger/export?format=csv&kind=study.lecture&q=%s",
               "%E5%AE%AA%E6%B3%95");
    assert_status(&r, 200);
    assert_contains(r.body, "宪法进社区讲座");
    assert_contains(r.body, ",65,");

    /* The dashboard counts it this month, per area, with a chart and the live feed. */
    client_get(&clerka, &r, "/console");
    assert_status(&r, 200);
    assert_contains(r.body, "id=\"ledger-study\"");
    assert_contains(r.body, "<h2 id=\"ledger-study-title\">学法培训</h2>");
    assert_contains(r.body, "<svg class=\"chart-svg\" role=\"img\"");
    assert_contains(r.body, "<title>学法培训：");
    assert_contains(r.body, "data-live-feed=");
    assert_contains(r.body, "宪法进社区讲座"); /* in the feed, rendered by the server */
    response_release(&r);
}

static void test_pages__invalid_form_shows_errors_beside_fields(void **state)
{
    struct response r = {0};

    (void)state;
    post_form(&clerka, &r, "/console/ledger/study.lecture", "csrf_token", csrf_a, "unit_id", "2",
              "date", "2000-02-30", "title", "", "counters.attendance", "12.5", "counters.hours",
              "1.25", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "role=\"alert\"");
    assert_contains(r.body, "id=\"date-error\">");
    assert_contains(r.body, "id=\"title-error\">缺少必填项</p>");
    assert_contains(r.body, "id=\"counter-attendance-error\">应为整数</p>");
    assert_contains(r.body, "id=\"counter-hours-error\">");
    assert_contains(r.body, "value=\"12.5\""); /* what was typed stays */
    assert_contains(r.body, "aria-invalid=\"true\"");

    /* A required counter left out, and a unit outside the clerk's scope. */
    post_form(&clerka, &r, "/console/ledger/study.lecture", "csrf_token", csrf_a, "unit_id", "3",
              "date", today, "title", "越权", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"unit_id-error\">");
    assert_contains(r.body, "id=\"counter-attendance-error\">缺少必填项（受训人次）</p>");

    /* Bad filter dates: the list again with the error beside the filter. */
    client_get(&clerka, &r, "/console/ledger/study.lecture?from=2024-13-01");
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"f-from-error\">");
    response_release(&r);
}

static void test_pages__other_community_gets_404(void **state)
{
    struct response r = {0};
    char path[128];
    long long id;

    (void)state;
    post_form(&clerka, &r, "/console/ledger/study.lecture", "csrf_token", csrf_a, "unit_id", "2",
              "date", today, "title", "甲社区内部讲座", "counters.attendance", "20", NULL);
    assert_status(&r, 303);
    client_get(&clerka, &r, "/console/ledger/study.lecture?q=%s",
               "%E7%94%B2%E7%A4%BE%E5%8C%BA%E5%86%85%E9%83%A8");
    id = first_entry_id(r.body);
    assert_true(id > 0);

    client_get(&clerkb, &r, "/console/ledger/entries/%lld", id);
    assert_status(&r, 404);
    assert_contains(r.body, "class=\"error-page\"");
    assert_lacks(r.body, "甲社区内部讲座");
    client_get(&clerkb, &r, "/console/ledger/entries/%lld/edit", id);
    assert_status(&r, 404);
    assert_lacks(r.body, "甲社区内部讲座");
    snprintf(path, sizeof(path), "/console/ledger/entries/%lld/edit", id);
    post_form(&clerkb, &r, path, "csrf_token", csrf_b, "version", "1", "title", "改掉", NULL);
    assert_status(&r, 404);
    snprintf(path, sizeof(path), "/console/ledger/entries/%lld/delete", id);
    post_form(&clerkb, &r, path, "csrf_token", csrf_b, "version", "1", NULL);
    assert_status(&r, 404);
    client_get(&clerkb, &r, "/console/ledger/study.lecture?unit=%lld", (long long)srv.ca_id);
    assert_status(&r, 404);
    client_get(&clerkb, &r, "/console/ledger/study.lecture");
    assert_status(&r, 200);
    assert_lacks(r.body, "甲社区内部讲座");
    client_get(&clerkb, &r, "/console");
    assert_lacks(r.body, "甲社区内部讲座");

    /* The owner deletes it (with the form's version): gone from the list. */
    snprintf(path, sizeof(path), "/console/ledger/entries/%lld/delete", id);
    post_form(&clerka, &r, path, "csrf_token", csrf_a, "version", "1", NULL);
    assert_status(&r, 303);
    assert_string_equal(response_header(&r, "Location"), "/console/ledger/study.lecture");
    client_get(&clerka, &r, "/console/ledger/entries/%lld", id);
    assert_status(&r, 404);
    response_release(&r);
}

static void test_pages__unknown_address_is_a_page(void **state)
{
    struct response r = {0};

    (void)state;
    /* A wrong address typed by a person: an HTML page in the console
       layout, with the way back, not JSON. */
    client_get(&clerka, &r, "/console/no-such-page");
    assert_status(&r, 404);
    assert_contains(response_header(&r, "Content-Type"), "text/html");
    assert_contains(r.body, "class=\"error-page\"");
    assert_contains(r.body, "页面不存在");
    assert_contains(r.body, "href=\"/console\"");
    /* The API keeps its JSON errors. */
    client_get(&clerka, &r, "/api/v1/no-such-thing");
    assert_error(&r, 404, "not_found", NULL);
    response_release(&r);
}

static void test_pages__import(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/console/ledger/import");
    assert_status(&r, 200);
    assert_contains(r.body, "<label for=\"csv\" class=\"required\">CSV 内容</label>");
    post_form(&clerka, &r, "/console/ledger/import", "csrf_token", csrf_a, "csv",
              "kind,unit,date,title,attendance\n"
              "study.lecture,ca,2022-03-01,导入讲座,30\n"
              "study.lecture,cb,2022-03-02,越权讲座,30\n"
              "study.lecture,ca,2022-03-03,坏值,abc\n",
              NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "<td class=\"num\">3</td><td>unit</td>");
    assert_contains(r.body, "<td class=\"num\">4</td><td>counters.attendance</td>");
    post_form(&clerka, &r, "/console/ledger/import", "csrf_token", csrf_a, "csv",
              "kind,unit,date,title,attendance\nstudy.lecture,ca,2022-03-01,导入讲座,30\n", NULL);
    assert_status(&r, 303);
    client_get(&clerka, &r, "/console/ledger/study.lecture?from=2022-01-01&to=2022-12-31");
    assert_contains(r.body, "导入讲座");
    assert_contains(r.body, "合计（1 条）");
    response_release(&r);
}

/* ---- organisation and administration ---- */

static void test_pages__org_pages(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/console/units");
    assert_status(&r, 200);
    assert_contains(r.body, "甲社区");
    assert_lacks(r.body, "乙社区");
    post_form(&clerka, &r, "/console/people", "csrf_token", csrf_a, "name", "赵六", "unit_id", "2",
              "id_number", "110105194912310021", NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"p-id-error\">");
    post_form(&clerka, &r, "/console/people", "csrf_token", csrf_a, "name", "赵六", "unit_id", "2",
              "id_number", "11010519491231002X", "phone", "13812345678", NULL);
    assert_status(&r, 303);
    /* A clerk sees the numbers masked; the administrator in full. */
    client_get(&clerka, &r, "/console/people?id_number=11010519491231002x");
    assert_contains(r.body, "赵六");
    assert_contains(r.body, "110105********002X");
    assert_contains(r.body, "138****5678");
    client_get(&admin, &r, "/console/people?q=%s", "%E8%B5%B5");
    assert_contains(r.body, "11010519491231002X");
    client_get(&clerka, &r, "/console/officers");
    assert_status(&r, 200);
    assert_contains(r.body, "<h1>执法人员</h1>");
    client_get(&clerka, &r, "/console/legal-literates");
    assert_status(&r, 200);
    response_release(&r);
}

static void test_pages__admin(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerka, &r, "/console/admin/users");
    assert_status(&r, 403);
    assert_contains(r.body, "class=\"error-page\"");
    client_get(&admin, &r, "/console/admin/users");
    assert_status(&r, 200);
    assert_contains(r.body, "<label for=\"u-role-staff\">工作人员</label>");
    post_form(&admin, &r, "/console/admin/users", "csrf_token", csrf_admin, "login", "Bad Login",
              "name", "某人", "unit_id", "2", "role_staff", "on", "password", "Some-pass-2024",
              NULL);
    assert_status(&r, 422);
    assert_contains(r.body, "id=\"u-login-error\">");
    post_form(&admin, &r, "/console/admin/users", "csrf_token", csrf_admin, "login", "pagesuser",
              "name", "钱七", "unit_id", "2", "role_staff", "on", "password", "Some-pass-2024",
              NULL);
    assert_status(&r, 303);
    client_get(&admin, &r, "/console/admin/users");
    assert_contains(r.body, "<code>pagesuser</code>");
    assert_contains(r.body, "钱七");

    post_form(&admin, &r, "/console/admin/tokens", "csrf_token", csrf_admin, "name", "报表程序",
              "unit_id", "1", "role_leader", "on", NULL);
    assert_status(&r, 201);
    assert_contains(r.body, "id=\"new-token-text\"");
    client_get(&admin, &r, "/console/admin/kinds");
    assert_status(&r, 200);
    assert_contains(r.body, "受训人次");
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages__anonymous_console_goes_to_login),
        cmocka_unit_test(test_pages__login_form),
        cmocka_unit_test(test_pages__logout),
        cmocka_unit_test(test_pages__record_find_correct_export),
        cmocka_unit_test(test_pages__invalid_form_shows_errors_beside_fields),
        cmocka_unit_test(test_pages__other_community_gets_404),
        cmocka_unit_test(test_pages__unknown_address_is_a_page),
        cmocka_unit_test(test_pages__import),
        cmocka_unit_test(test_pages__org_pages),
        cmocka_unit_test(test_pages__admin),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
