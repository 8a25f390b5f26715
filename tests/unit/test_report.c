/*
 * test_report.c - report templates (report/report.h): placeholders checked
 * at load time with file and line, the document model md4c yields, the
 * filters (pct, wan, approx, yoy) table by table, and the shipped template
 * against the registry of the landed modules.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "modules/account/account_http.h"
#include "modules/ledger/ledger_http.h"
#include "modules/matter/matter_http.h"
#include "modules/metrics/metrics_http.h"
#include "modules/org/org_http.h"
#include "report/report.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static int fake_compute(const struct metric *m, struct metric_query *q, struct metric_value *out,
                        struct err_ctx *ec)
{
    (void)q, (void)ec;
    out->value = (int64_t)(intptr_t)m->arg;
    out->defined = true;
    return 0;
}

static const struct metric fakes[] = {
    {"a.count", "次数", "次", METRIC_COUNT, 0, fake_compute, NULL, (const void *)(intptr_t)36},
    {"a.rate", "比率", "%", METRIC_RATE, 0, fake_compute, NULL, (const void *)(intptr_t)995},
    {"a.yuan", "金额", "元", METRIC_SUM, 2, fake_compute, NULL, (const void *)(intptr_t)800000000},
    {"a.km", "里程", "公里", METRIC_SUM, 3, fake_compute, NULL, (const void *)(intptr_t)1050500},
};

static struct metric_registry *registry(void)
{
    struct metric_registry *r = metric_registry_new();
    struct err_ctx ec = {0};
    assert_int_equal(metric_registry_add(r, fakes, ARRAY_SIZE(fakes), &ec), 0);
    return r;
}

static void test_report__unknown_names_fail_with_file_and_line(void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"# 标题\n\n正文{{a.count}}\n\n第二段{{x.y}}次\n", "t.md:5: 未知指标 x.y"},
        {"{{a.count | bogus}}", "t.md:1: 未知过滤器 bogus"},
        {"\n{{a.count | pct}}", "t.md:2: 过滤器 pct 只用于比率指标，a.count 不是比率"},
        {"{{a.km | wan}}", "t.md:1: 过滤器 wan 只用于以元计的合计指标，a.km 不是"},
        {"{{a.km | approx}}", "t.md:1: 过滤器 approx 只用于整数指标，a.km 不是"},
        {"{{a.count | approx:约}}", "t.md:1: 过滤器 approx 的参数应为“余”或“多”"},
        {"{{block:nothing}}", "t.md:1: 未知文本块 nothing"},
        {"a\nb {{a.count\n", "t.md:2: 占位符缺少 }}"},
    };
    struct metric_registry *r = registry();
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct arena *a = arena_new();
        struct report_template *t = NULL;
        struct err_ctx ec = {0};
        assert_int_equal(
            report_template_parse("t.md", cases[i].text, strlen(cases[i].text), r, a, &t, &ec),
            ERR_INVALID);
        assert_string_equal(ec.message, cases[i].message);
        arena_free(a);
    }
    metric_registry_free(r);
}

static int no_group(void *arg, struct arena *a, struct report_group *out, struct err_ctx *ec)
{
    static struct report_member members[] = {
        {"leader", "甲"}, {"deputy", "乙"}, {"deputy", "丙"}, {"member", "丁"}};
    (void)arg, (void)a, (void)ec;
    out->name = "领导小组";
    out->members = members;
    out->n = ARRAY_SIZE(members);
    return 0;
}

static void test_report__document_and_markdown(void **state)
{
    static const char text[] =
        "<!-- 注释不出现 -->\n\n# {{unit.name}}{{year}}年度报告\n\n## 一、{{next_year}}年\n\n"
        "开展{{a.count | approx}}次，成功率{{a.rate | pct}}，\n标的{{a.yuan | wan}}万元，"
        "{{a.km}}公里，{{a.count | yoy}}。\n\n{{block:leading_group}}\n\n- 第一项\n- "
        "第二项\n\n{{block:plans}}\n";
    struct metric_registry *r = registry();
    struct arena *a = arena_new();
    struct report_template *t;
    struct report_params p = {0};
    struct metric_query q = {0};
    struct report_doc *doc;
    const struct metric *used[8];
    struct err_ctx ec = {0};
    struct strbuf out;
    (void)state;

    assert_int_equal(report_template_parse("t.md", text, strlen(text), r, a, &t, &ec), 0);
    assert_int_equal(report_template_metrics(t, used, ARRAY_SIZE(used)), 4);
    q.arena = a;
    q.unit_id = 4;
    assert_int_equal(metric_period_year(2022, &q.period, &ec), 0);
    p.q = &q;
    p.unit_name = "城西街道";
    p.leading_group = no_group;
    assert_int_equal(report_build(t, &p, &doc, &ec), 0);
    assert_string_equal(doc->title, "城西街道2022年度报告");
    strbuf_init(&out, 1024);
    report_writer_find("md")->write(doc, &out);
    assert_string_equal(out.buf,
                        "# 城西街道2022年度报告\n\n## 一、2023年\n\n"
                        "开展36余次，成功率99.5%，标的800万元，1050.5公里，与上年持平。\n\n"
                        "领导小组：组长甲；副组长乙、丙；成员丁。\n\n- 第一项\n- 第二项\n\n"
                        "（待填写）\n");
    strbuf_reset(&out);
    report_writer_find("html")->write(doc, &out);
    assert_non_null(strstr(out.buf, "<title>城西街道2022年度报告</title>"));
    assert_non_null(strstr(out.buf,
                           "<a class=\"figure\" "
                           "href=\"/api/v1/metrics/a.count/records?unit=4&amp;year=2022\""));
    assert_non_null(strstr(out.buf, "<ul>\n<li>第一项</li>\n<li>第二项</li>\n</ul>"));
    assert_null(strstr(out.buf, "注释"));
    assert_null(report_writer_find("pdf"));
    strbuf_release(&out);
    arena_free(a);
    metric_registry_free(r);
}

static void test_report__filters(void **state)
{
    static const struct {
        int metric; /* index into fakes */
        enum report_filter filter;
        const char *arg;
        int64_t value, prev;
        bool defined, prev_defined;
        const char *text;
    } cases[] = {
        {1, REPORT_FILTER_PCT, NULL, 995, 0, true, true, "99.5%"},
        {1, REPORT_FILTER_PCT, NULL, 1000, 0, true, true, "100%"},
        {1, REPORT_FILTER_PCT, NULL, 5, 0, true, true, "0.5%"},
        {1, REPORT_FILTER_PCT, NULL, 0, 0, false, true, "—"},
        {2, REPORT_FILTER_WAN, NULL, 800000000, 0, true, true, "800"},
        {2, REPORT_FILTER_WAN, NULL, 12500000, 0, true, true, "12.5"},
        {2, REPORT_FILTER_WAN, NULL, 12345678, 0, true, true, "12.35"},
        {2, REPORT_FILTER_WAN, NULL, 50, 0, true, true, "0"},
        {0, REPORT_FILTER_APPROX, NULL, 36, 0, true, true, "36余"},
        {0, REPORT_FILTER_APPROX, NULL, 2000, 0, true, true, "2000余"},
        {0, REPORT_FILTER_APPROX, NULL, 32000, 0, true, true, "32000余"},
        {0, REPORT_FILTER_APPROX, NULL, 1425, 0, true, true, "1420余"},
        {0, REPORT_FILTER_APPROX, NULL, 358, 0, true, true, "358余"},
        {0, REPORT_FILTER_APPROX, NULL, 7, 0, true, true, "7"},
        {0, REPORT_FILTER_APPROX, "多", 10, 0, true, true, "10多"},
        {0, REPORT_FILTER_YOY, NULL, 45, 40, true, true, "比上年增长12.5%"},
        {0, REPORT_FILTER_YOY, NULL, 97, 100, true, true, "比上年下降3%"},
        {0, REPORT_FILTER_YOY, NULL, 40, 40, true, true, "与上年持平"},
        {0, REPORT_FILTER_YOY, NULL, 5, 0, true, true, "比上年增加5"},
        {0, REPORT_FILTER_YOY, NULL, 2, 3, true, true, "比上年下降33.3%"},
        {1, REPORT_FILTER_YOY, NULL, 995, 990, true, true, "比上年提高0.5个百分点"},
        {1, REPORT_FILTER_YOY, NULL, 990, 1000, true, true, "比上年降低1个百分点"},
        {1, REPORT_FILTER_YOY, NULL, 990, 0, true, false, "上年无可比数据"},
        {3, REPORT_FILTER_NONE, NULL, 1050500, 0, true, true, "1050.5"},
        {1, REPORT_FILTER_NONE, NULL, 1000, 0, true, true, "100.0"},
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metric_value v = {.value = cases[i].value, .defined = cases[i].defined};
        struct metric_value prev = {.value = cases[i].prev, .defined = cases[i].prev_defined};
        char buf[96];
        assert_int_equal(report_filter_format(&fakes[cases[i].metric], cases[i].filter,
                                              cases[i].arg, &v, &prev, buf, sizeof(buf)),
                         0);
        assert_string_equal(buf, cases[i].text);
    }
}

/* The shipped template names only registered metrics. */
static void test_report__shipped_template_loads(void **state)
{
    static const struct module *const modules[] = {&org_module, &account_module, &ledger_module,
                                                   &matter_module, &metrics_module};
    struct arena *a = arena_new();
    struct report_template *t;
    const struct metric *used[64];
    struct err_ctx ec = {0};
    (void)state;

    module_list_set(modules, ARRAY_SIZE(modules));
    assert_int_equal(module_metrics_init(&ec), 0);
    assert_int_equal(report_template_load(REPORT_TEMPLATE_ANNUAL, module_metrics(), a, &t, &ec), 0);
    assert_int_equal(report_template_metrics(t, used, ARRAY_SIZE(used)), 30);
    assert_int_equal(report_template_load("reports/none.md", module_metrics(), a, &t, &ec),
                     ERR_NOT_FOUND);
    module_metrics_release();
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__unknown_names_fail_with_file_and_line),
        cmocka_unit_test(test_report__document_and_markdown),
        cmocka_unit_test(test_report__filters),
        cmocka_unit_test(test_report__shipped_template_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
