/*
 * test_metric.c - the metric registry (report/metric.h): periods and their
 * predecessors, exact values and their text (scales, rates rounded half
 * away from zero), the registry's checks, and the metrics the landed
 * modules register against the figures of conf/figures-2022.tsv.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/embedded.h"
#include "modules/account/account_http.h"
#include "modules/ledger/ledger_http.h"
#include "modules/metrics/metrics_http.h"
#include "modules/org/org_http.h"
#include "report/metric.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* ================================================================
 * Periods
 * ================================================================ */

static void assert_period(const struct metric_period *p, const char *from, const char *to)
{
    assert_string_equal(p->from, from);
    assert_string_equal(p->to, to);
}

static void test_metric_period__constructors(void **state)
{
    static const struct {
        int year, quarter, month;
        const char *from, *to, *label;
    } cases[] = {
        {2022, 0, 0, "2022-01-01", "2022-12-31", "2022年"},
        {2022, 1, 0, "2022-01-01", "2022-03-31", "2022年第一季度"},
        {2022, 2, 0, "2022-04-01", "2022-06-30", "2022年第二季度"},
        {2022, 4, 0, "2022-10-01", "2022-12-31", "2022年第四季度"},
        {2022, 0, 2, "2022-02-01", "2022-02-28", "2022年2月"},
        {2024, 0, 2, "2024-02-01", "2024-02-29", "2024年2月"},
        {2000, 0, 2, "2000-02-01", "2000-02-29", "2000年2月"},
        {1900, 0, 2, "1900-02-01", "1900-02-28", "1900年2月"},
        {2022, 0, 12, "2022-12-01", "2022-12-31", "2022年12月"},
    };
    struct metric_period p;
    struct err_ctx ec;
    char label[96];
    int rc;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        err_clear(&ec);
        if (cases[i].quarter)
            rc = metric_period_quarter(cases[i].year, cases[i].quarter, &p, &ec);
        else if (cases[i].month)
            rc = metric_period_month(cases[i].year, cases[i].month, &p, &ec);
        else
            rc = metric_period_year(cases[i].year, &p, &ec);
        assert_int_equal(rc, 0);
        assert_period(&p, cases[i].from, cases[i].to);
        metric_period_label(&p, label, sizeof(label));
        assert_string_equal(label, cases[i].label);
    }

    err_clear(&ec);
    assert_int_equal(metric_period_year(1899, &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "year");
    err_clear(&ec);
    assert_int_equal(metric_period_quarter(2022, 5, &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "quarter");
    err_clear(&ec);
    assert_int_equal(metric_period_month(2022, 0, &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "month");
    err_clear(&ec);
    assert_int_equal(metric_period_month(10000, 1, &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "year");
}

static void test_metric_period_range__checks(void **state)
{
    struct metric_period p;
    struct err_ctx ec;
    char label[96];

    (void)state;
    err_clear(&ec);
    assert_int_equal(metric_period_range("2022-01-05", "2022-02-01", &p, &ec), 0);
    assert_period(&p, "2022-01-05", "2022-02-01");
    assert_int_equal(p.kind, METRIC_PERIOD_RANGE);
    metric_period_label(&p, label, sizeof(label));
    assert_string_equal(label, "2022年1月5日至2022年2月1日");
    assert_int_equal(metric_period_range("2022-03-01", "2022-03-01", &p, &ec), 0);

    err_clear(&ec);
    assert_int_equal(metric_period_range("2022-02-30", "2022-03-01", &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "from");
    err_clear(&ec);
    assert_int_equal(metric_period_range("2022-02-01", "2022-1-3", &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "to");
    err_clear(&ec);
    assert_int_equal(metric_period_range("2022-02-01", "2022-01-31", &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "to");
    err_clear(&ec);
    assert_int_equal(metric_period_range(NULL, "2022-01-31", &p, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "from");
}

static void test_metric_period_previous__same_length(void **state)
{
    struct metric_period p, prev;
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    assert_int_equal(metric_period_year(2022, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2021-01-01", "2021-12-31");
    assert_int_equal(prev.kind, METRIC_PERIOD_YEAR);

    assert_int_equal(metric_period_quarter(2022, 1, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2021-10-01", "2021-12-31");
    assert_int_equal(metric_period_quarter(2022, 3, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2022-04-01", "2022-06-30");

    /* A month's predecessor is the calendar month, whatever its length. */
    assert_int_equal(metric_period_month(2022, 3, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2022-02-01", "2022-02-28");
    assert_int_equal(metric_period_month(2022, 1, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2021-12-01", "2021-12-31");

    /* A range: as many days, ending the day before. */
    assert_int_equal(metric_period_range("2022-03-01", "2022-03-10", &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2022-02-19", "2022-02-28");
    assert_int_equal(prev.kind, METRIC_PERIOD_RANGE);
    assert_int_equal(metric_period_range("2024-03-01", "2024-03-01", &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "2024-02-29", "2024-02-29");

    /* Nothing before 1900. */
    assert_int_equal(metric_period_year(1900, &p, &ec), 0);
    metric_period_previous(&p, &prev);
    assert_period(&prev, "1900-01-01", "1900-01-01");
}

/* ================================================================
 * Values and text
 * ================================================================ */

static void test_metric_decimal_format__exact(void **state)
{
    static const struct {
        int64_t v;
        int scale;
        const char *text;
    } cases[] = {
        {0, 0, "0"},
        {426, 0, "426"},
        {1050500000, 3, "1050500"},
        {10505, 1, "1050.5"},
        {1050100, 3, "1050.1"},
        {1, 3, "0.001"},
        {-5, 2, "-0.05"},
        {800000000, 2, "8000000"},
        {999999999999999, 6, "999999999.999999"},
        {INT64_MAX, 0, "9223372036854775807"},
        {INT64_MIN, 0, "-9223372036854775808"},
    };
    char buf[64];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        metric_decimal_format(cases[i].v, cases[i].scale, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
}

static void test_metric_rate__rounding(void **state)
{
    static const struct {
        int64_t num, den, tenths;
        const char *text;
    } cases[] = {
        {1223, 1229, 995, "99.5"},   /* 99.5118: the report's success rate */
        {1229, 1229, 1000, "100.0"}, /* the mediated rate */
        {0, 7, 0, "0.0"},
        {1, 3, 333, "33.3"},
        {2, 3, 667, "66.7"},
        {1, 8, 125, "12.5"},   /* 12.5 exactly */
        {1, 16, 63, "6.3"},    /* 6.25 -> 6.3: half away from zero */
        {-1, 16, -63, "-6.3"}, /* and away from zero below it */
        {3, 2000, 2, "0.2"},   /* 0.15 -> 0.2 */
        {1, 2001, 0, "0.0"},   /* 0.0499... */
        {5, 2, 2500, "250.0"}, /* above 100% is a value too */
    };
    const struct metric m = {.name = "a.rate", .label = "率", .unit = "%", .kind = METRIC_RATE};
    char buf[64];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct metric_value v = metric_rate(cases[i].num, cases[i].den);
        assert_true(v.defined);
        assert_int_equal(v.value, cases[i].tenths);
        assert_int_equal(v.numerator, cases[i].num);
        assert_int_equal(v.denominator, cases[i].den);
        metric_format(&m, &v, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
    {
        struct metric_value v = metric_rate(0, 0);
        assert_false(v.defined);
        metric_format(&m, &v, buf, sizeof(buf));
        assert_string_equal(buf, "—");
    }
}

static void test_metric_value_json__kinds(void **state)
{
    const struct metric count = {
        .name = "a.count", .label = "次数", .unit = "次", .kind = METRIC_COUNT};
    const struct metric km = {
        .name = "a.km", .label = "里程", .unit = "公里", .kind = METRIC_SUM, .scale = 3};
    const struct metric rate = {.name = "a.rate", .label = "率", .unit = "%", .kind = METRIC_RATE};
    struct metric_value v = {.value = 12, .defined = true};
    json_t *j;

    (void)state;
    j = metric_value_json(&count, &v);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "a.count");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "count");
    assert_int_equal(json_integer_value(json_object_get(j, "value")), 12);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "12");
    assert_null(json_object_get(j, "numerator"));
    json_decref(j);

    v.value = 1050500;
    j = metric_value_json(&km, &v);
    assert_true(json_is_real(json_object_get(j, "value")));
    assert_true(json_real_value(json_object_get(j, "value")) == 1050.5);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "1050.5");
    assert_string_equal(json_string_value(json_object_get(j, "unit")), "公里");
    json_decref(j);

    v = metric_rate(1223, 1229);
    j = metric_value_json(&rate, &v);
    assert_true(json_real_value(json_object_get(j, "value")) == 99.5);
    assert_int_equal(json_integer_value(json_object_get(j, "numerator")), 1223);
    assert_int_equal(json_integer_value(json_object_get(j, "denominator")), 1229);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "99.5");
    json_decref(j);

    v = metric_rate(0, 0);
    j = metric_value_json(&rate, &v);
    assert_true(json_is_null(json_object_get(j, "value")));
    json_decref(j);
}

/* ================================================================
 * The registry
 * ================================================================ */

static int compute_seven(const struct metric *m, struct metric_query *q, struct metric_value *out,
                         struct err_ctx *ec)
{
    bool fresh;
    int *calls = metric_query_cache(q, &compute_seven, sizeof(int), &fresh);

    (void)m;
    (void)ec;
    assert_true(fresh == (*calls == 0));
    ++*calls;
    out->value = 7;
    return 0;
}

static void test_metric_registry__lookup_and_checks(void **state)
{
    static const struct metric a[] = {
        {.name = "b.two",
         .label = "二",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
        {.name = "a.one",
         .label = "一",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
    };
    static const struct metric dup[] = {
        {.name = "c.three",
         .label = "三",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
        {.name = "a.one",
         .label = "一",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
    };
    static const struct metric twice[] = {
        {.name = "d.four",
         .label = "四",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
        {.name = "d.four",
         .label = "四",
         .unit = "次",
         .kind = METRIC_COUNT,
         .compute = compute_seven},
    };
    static const struct metric bad[] = {
        {.name = "Bad.name", .label = "x", .unit = "次", .compute = compute_seven},
        {.name = "single", .label = "x", .unit = "次", .compute = compute_seven},
        {.name = "a..b", .label = "x", .unit = "次", .compute = compute_seven},
        {.name = "a.b.", .label = "x", .unit = "次", .compute = compute_seven},
        {.name = "a.b", .label = "", .unit = "次", .compute = compute_seven},
        {.name = "a.b", .label = "x", .unit = "次", .compute = NULL},
        {.name = "a.b",
         .label = "x",
         .unit = "次",
         .kind = METRIC_SUM,
         .scale = 7,
         .compute = compute_seven},
        {.name = "a.b",
         .label = "x",
         .unit = "次",
         .kind = METRIC_COUNT,
         .scale = 2,
         .compute = compute_seven},
    };
    struct metric_registry *r = metric_registry_new();
    struct arena *ar = arena_new();
    struct metric_query q = {.arena = ar};
    struct metric_result *res;
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    assert_int_equal(metric_registry_add(r, a, ARRAY_SIZE(a), &ec), 0);
    assert_int_equal(metric_registry_count(r), 2);
    assert_string_equal(metric_registry_at(r, 0)->name, "a.one");
    assert_string_equal(metric_registry_at(r, 1)->name, "b.two");
    assert_ptr_equal(metric_registry_find(r, "b.two"), &a[0]);
    assert_null(metric_registry_find(r, "b.three"));
    assert_null(metric_registry_find(r, NULL));
    assert_null(metric_registry_at(r, 2));

    /* A name taken, or given twice in one table: nothing of the table is added. */
    assert_int_equal(metric_registry_add(r, dup, ARRAY_SIZE(dup), &ec), ERR_CONFLICT);
    assert_non_null(strstr(ec.message, "a.one"));
    assert_null(metric_registry_find(r, "c.three"));
    err_clear(&ec);
    assert_int_equal(metric_registry_add(r, twice, ARRAY_SIZE(twice), &ec), ERR_CONFLICT);
    assert_int_equal(metric_registry_count(r), 2);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&ec);
        assert_int_equal(metric_registry_add(r, &bad[i], 1, &ec), ERR_INVALID);
    }
    assert_int_equal(metric_registry_count(r), 2);

    /* Evaluating all shares one cache per query: computed in name order. */
    err_clear(&ec);
    assert_int_equal(metric_evaluate_all(r, &q, &res, &ec), 0);
    assert_ptr_equal(res[0].metric, &a[1]);
    assert_int_equal(res[0].value.value, 7);
    assert_int_equal(res[1].value.value, 7);
    assert_int_equal(*(int *)metric_query_cache(&q, &compute_seven, sizeof(int), &(bool){0}), 2);

    metric_registry_free(r);
    metric_registry_free(NULL);
    arena_free(ar);
}

/*
 * The figures of conf/figures-2022.tsv that the landed modules hold: every
 * ledger-shaped one (docs/ledger.md) and the org module's registers and
 * units. Later modules (matters, mediation, enforcement cases, disclosure,
 * decisions) add theirs, and this list grows with them.
 */
static const char *const landed[] = {
    "people.legal_literate.trained",
    "publicity.campaign.count",
    "publicity.led.count",
    "publicity.materials.copies",
    "publicity.meeting.count",
    "publicity.wechat.count",
    "river.sites.remediated",
    "safety.joint_operations.count",
    "safety.places.inspected",
    "sanitation.ads.count",
    "sanitation.campaigns.count",
    "sanitation.door_stalls.count",
    "sanitation.parking.count",
    "sanitation.piles.count",
    "sanitation.vendors.count",
    "study.central_group.sessions",
    "study.lecture.attendance",
    "study.lecture.sessions",
    "study.staff_training.attendance",
    "study.staff_training.sessions",
    "traffic.checkins.count",
    "traffic.joint_operations.count",
    "traffic.joint_operations.vehicles_checked",
    "traffic.joint_operations.violations",
    "traffic.patrols.count",
    "traffic.patrols.km",
    "traffic.persuasion.persuaded",
    "traffic.persuasion.vehicles_checked",
    "traffic.station_duty.count",
    "traffic.stations.count",
};

static void test_module_metrics__landed_figures(void **state)
{
    static const struct module *const mods[] = {&org_module, &account_module, &ledger_module,
                                                &metrics_module};
    const struct embedded_file *fig = embedded_file_find("figures-2022.tsv");
    const struct metric_registry *r;
    struct err_ctx ec;

    (void)state;
    module_list_set(mods, ARRAY_SIZE(mods));
    err_clear(&ec);
    assert_int_equal(module_metrics_init(&ec), 0);
    r = module_metrics();
    assert_int_equal(metric_registry_count(r), ARRAY_SIZE(landed));
    for (size_t i = 0; i < ARRAY_SIZE(landed); i++) {
        const struct metric *m = metric_registry_find(r, landed[i]);
        char needle[96], unit[32];
        const char *line, *tab;

        if (!m)
            fail_msg("metric %s is not registered", landed[i]);
        assert_non_null(m->records);
        /* Its unit is the figure's (the column after the value). */
        assert_non_null(fig);
        snprintf(needle, sizeof(needle), "\n%s\t", landed[i]);
        line = strstr(fig->data, needle);
        if (!line)
            fail_msg("metric %s is not a figure of figures-2022.tsv", landed[i]);
        tab = strchr(line + strlen(needle), '\t');
        assert_non_null(tab);
        snprintf(unit, sizeof(unit), "%.*s", (int)strcspn(tab + 1, "\t"), tab + 1);
        assert_string_equal(m->unit, unit);
    }
    /* Registering the same modules twice is refused. */
    {
        static const struct module *const twice[] = {&ledger_module, &ledger_module};
        module_list_set(twice, ARRAY_SIZE(twice));
        err_clear(&ec);
        assert_int_equal(module_metrics_init(&ec), ERR_CONFLICT);
        assert_ptr_equal(module_metrics(), r); /* the previous registry stays */
    }
    module_metrics_release();
    assert_null(module_metrics());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_period__constructors),
        cmocka_unit_test(test_metric_period_range__checks),
        cmocka_unit_test(test_metric_period_previous__same_length),
        cmocka_unit_test(test_metric_decimal_format__exact),
        cmocka_unit_test(test_metric_rate__rounding),
        cmocka_unit_test(test_metric_value_json__kinds),
        cmocka_unit_test(test_metric_registry__lookup_and_checks),
        cmocka_unit_test(test_module_metrics__landed_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
