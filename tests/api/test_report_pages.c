/*
 * test_report_pages.c - the annual report in the console over the demo data
 * set: the preview with the seed's headings and figures, the downloads, the
 * free text, sign-off by a leader (not by staff), a frozen version that keeps
 * its figures after the records change and lists what changed, and a unit
 * outside a clerk's scope answering 404.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client leader, staff, clerk;
static int64_t chengxi;
static char version_path[256];

/* POSTs a form (pairs of name, value; NULL ends) with the client's CSRF token. */
static long post_form_csrf(struct client *c, struct response *r, const char *path, ...)
{
    va_list ap;
    char *body, *full;
    long status;
    size_t n;

    va_start(ap, path);
    body = form_body(c->curl, ap);
    va_end(ap);
    n = strlen(body) + strlen(c->csrf) + 32;
    full = malloc(n);
    snprintf(full, n, "csrf_token=%s%s%s", c->csrf, *body ? "&" : "", body);
    status = client_request(c, "POST", path, "application/x-www-form-urlencoded", full,
                            strlen(full), NULL, r);
    free(body);
    free(full);
    return status;
}

static int group_setup(void **state)
{
    struct response r = {0};
    struct client admin;
    json_t *u;

    (void)state;
    server_start_demo(&srv, (const char *const[]){"--seed", "2022", NULL});
    client_init(&admin, &srv);
    client_login_ok(&admin, "admin", "Admin-demo-2022");
    client_get(&admin, &r, "/api/v1/units?limit=500");
    assert_status(&r, 200);
    u = json_find(response_items(&r), "code", "chengxi");
    assert_non_null(u);
    chengxi = json_int_member(u, "id");
    response_release(&r);
    create_user(&admin, "reportstaff", chengxi, "staff", "Staff-pass-2024");
    client_release(&admin);

    client_init(&leader, &srv);
    client_login_ok(&leader, "leader", "Leader-demo-2022");
    client_init(&staff, &srv);
    client_login_ok(&staff, "reportstaff", "Staff-pass-2024");
    client_init(&clerk, &srv);
    client_login_ok(&clerk, "clerk", "Clerk-demo-2022");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&leader);
    client_release(&staff);
    client_release(&clerk);
    server_stop(&srv);
    return 0;
}

static void test_report_pages__choose_redirects_to_the_report(void **state)
{
    struct response r = {0};
    char want[128];

    (void)state;
    client_get(&leader, &r, "/console/report");
    assert_status(&r, 200);
    assert_contains(r.body, "<label for=\"unit\"");
    assert_contains(r.body, "年度报告");
    client_get(&leader, &r, "/console/report?unit=%lld&year=2022", (long long)chengxi);
    assert_status(&r, 303);
    snprintf(want, sizeof(want), "/console/report/%lld/2022", (long long)chengxi);
    assert_string_equal(response_header(&r, "Location"), want);
    response_release(&r);
}

static void test_report_pages__preview_shows_headings_and_figures(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&leader, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_status(&r, 200);
    assert_contains(r.body, "城西街道党工委办事处关于2022年度法治政府建设情况的报告");
    assert_contains(r.body, "一、主要举措");
    assert_contains(r.body, "二、法治政府建设中的不足及原因");
    assert_contains(r.body, "1050500");
    assert_contains(r.body, "/api/v1/metrics/traffic.patrols.km/records?unit=");
    assert_contains(r.body, "download?format=pdf");
    assert_contains(r.body, "尚未签发");
    assert_lacks(r.body,
                 "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>城西街道党工委");
    response_release(&r);
}

static void test_report_pages__downloads(void **state)
{
    static const struct {
        const char *format, *type, *start;
    } cases[] = {
        {"pdf", "application/pdf", "%PDF"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK"},
        {"md", "text/markdown; charset=utf-8", "# 城西街道"},
        {"html", "text/html; charset=utf-8", "<!DOCTYPE html>"},
    };
    struct response r = {0};

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *cd;
        client_get(&staff, &r, "/console/report/%lld/2022/download?format=%s", (long long)chengxi,
                   cases[i].format);
        assert_status(&r, 200);
        assert_string_equal(response_header(&r, "Content-Type"), cases[i].type);
        assert_true(r.len > strlen(cases[i].start));
        assert_memory_equal(r.body, cases[i].start, strlen(cases[i].start));
        cd = response_header(&r, "Content-Disposition");
        assert_non_null(cd);
        assert_contains(cd, "attachment;");
        assert_contains(cd, "filename*=UTF-8''%E5%9F%8E%E8%A5%BF"); /* 城西 */
    }
    client_get(&staff, &r, "/console/report/%lld/2022/download?format=exe", (long long)chengxi);
    assert_status(&r, 400);
    response_release(&r);
}

static void test_report_pages__free_text_shows_in_the_preview(void **state)
{
    struct response r = {0};
    char path[128];

    (void)state;
    snprintf(path, sizeof(path), "/console/report/%lld/2022/text", (long long)chengxi);
    post_form_csrf(&staff, &r, path, "block", "shortcomings", "version", "0", "text",
                   "部分社区台账登记不够及时。", NULL);
    assert_status(&r, 303);
    client_get(&staff, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_status(&r, 200);
    assert_contains(r.body, "部分社区台账登记不够及时。");
    assert_contains(r.body, "name=\"version\" value=\"1\"");

    /* The same stale version again: a conflict, the typed text kept. */
    post_form_csrf(&staff, &r, path, "block", "shortcomings", "version", "0", "text",
                   "旧版本上的修改", NULL);
    assert_status(&r, 409);
    assert_contains(r.body, "旧版本上的修改");
    assert_contains(r.body, "已被他人修改");

    post_form_csrf(&leader, &r, path, "block", "plans", "version", "0", "text",
                   "继续推进台账电子化。", NULL);
    assert_status(&r, 303);
    client_get(&leader, &r, "/console/report/%lld/2022/download?format=md", (long long)chengxi);
    assert_status(&r, 200);
    assert_contains(r.body, "继续推进台账电子化。");
    assert_contains(r.body, "部分社区台账登记不够及时。");
    response_release(&r);
}

static void test_report_pages__only_a_leader_signs_off(void **state)
{
    struct response r = {0};
    char path[128];
    const char *loc;

    (void)state;
    snprintf(path, sizeof(path), "/console/report/%lld/2022/sign", (long long)chengxi);
    client_get(&staff, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_status(&r, 200);
    assert_lacks(r.body, path);
    post_form_csrf(&staff, &r, path, "note", "越权", NULL);
    assert_status(&r, 403);
    assert_contains(response_header(&r, "Content-Type"), "text/html");

    client_get(&leader, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_contains(r.body, path);
    post_form_csrf(&leader, &r, path, "note", "经党工委会议审议", NULL);
    assert_status(&r, 303);
    loc = response_header(&r, "Location");
    assert_non_null(loc);
    snprintf(version_path, sizeof(version_path), "%s", loc);
    snprintf(path, sizeof(path), "/console/report/%lld/2022/versions/", (long long)chengxi);
    assert_true(strncmp(version_path, path, strlen(path)) == 0);

    client_get(&staff, &r, "%s", version_path);
    assert_status(&r, 200);
    assert_contains(r.body, "签发以来数据未变化");
    assert_contains(r.body, "经党工委会议审议");
    assert_contains(r.body, "data-metric=\"sanitation.campaigns.count\">30</a>次");
    assert_contains(r.body, "部分社区台账登记不够及时。");
    client_get(&staff, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_contains(r.body, version_path);
    response_release(&r);
}

static void test_report_pages__a_frozen_version_keeps_its_figures(void **state)
{
    struct response r = {0};

    (void)state;
    assert_true(version_path[0]);
    client_send(&staff, "POST", "/api/v1/ledger/entries",
                json_pack("{s:s, s:I, s:s, s:s}", "kind", "sanitation.campaign", "unit_id",
                          (json_int_t)chengxi, "date", "2022-06-15", "title", "签发后补登的整治"),
                &r);
    assert_status(&r, 201);

    client_get(&staff, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_status(&r, 200);
    assert_contains(r.body, "data-metric=\"sanitation.campaigns.count\">31</a>次");

    client_get(&staff, &r, "%s", version_path);
    assert_status(&r, 200);
    assert_contains(r.body, "data-metric=\"sanitation.campaigns.count\">30</a>次");
    assert_lacks(r.body, "data-metric=\"sanitation.campaigns.count\">31</a>次");
    assert_lacks(r.body, "签发以来数据未变化");
    assert_contains(r.body, "签发以来的变化");
    assert_contains(r.body,
                    "环境卫生综合整治</th><td class=\"num\">30</td><td class=\"num\">→ 31</td>");
    response_release(&r);
}

static void test_report_pages__outside_scope_is_not_found(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerk, &r, "/console/report/%lld/2022", (long long)chengxi);
    assert_status(&r, 404);
    assert_contains(response_header(&r, "Content-Type"), "text/html");
    client_get(&clerk, &r, "/console/report/%lld/2022/download?format=md", (long long)chengxi);
    assert_status(&r, 404);
    client_get(&clerk, &r, "%s", version_path);
    assert_status(&r, 404);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_pages__choose_redirects_to_the_report),
        cmocka_unit_test(test_report_pages__preview_shows_headings_and_figures),
        cmocka_unit_test(test_report_pages__downloads),
        cmocka_unit_test(test_report_pages__free_text_shows_in_the_preview),
        cmocka_unit_test(test_report_pages__only_a_leader_signs_off),
        cmocka_unit_test(test_report_pages__a_frozen_version_keeps_its_figures),
        cmocka_unit_test(test_report_pages__outside_scope_is_not_found),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
