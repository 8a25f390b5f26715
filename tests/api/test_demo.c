/*
 * test_demo.c - `fazhi demo`: the data set reproduces, through the API,
 * every figure of the Chengxi 2022 report whose module exists (ledgers,
 * stations, the 法律明白人 register, the resident matters handled through
 * the APP), in each subdistrict of --scale; one
 * seed gives the same records; a database with data is refused.
 *
 * The expected figures are copied from conf/figures-2022.tsv on purpose:
 * the test must fail if the demo or the file drifts, not follow them.
 */
#include "core/compat.h"
#include "core/str.h"
#include "harness.h"

static struct test_server one;             /* --seed 2022 */
static struct test_server two;             /* --seed 2022 --scale 2 */
static struct client admin_one, admin_two; /* admin_two: of the district */

#define DEMO_ADMIN_PASSWORD "Admin-demo-2022"

/* A ledger figure: entries of 'kind' (counter NULL) or the sum of one counter. */
struct figure {
    const char *metric, *kind, *counter;
    double value;
};

static const struct figure figures[] = {
    {"study.central_group.sessions", "study.central_group", NULL, 12},
    {"study.lecture.sessions", "study.lecture", NULL, 8},
    {"study.lecture.attendance", "study.lecture", "attendance", 426},
    {"study.staff_training.sessions", "study.staff_training", NULL, 12},
    {"study.staff_training.attendance", "study.staff_training", "attendance", 736},
    {"publicity.campaign.count", "publicity.campaign", NULL, 28},
    {"publicity.meeting.count", "publicity.meeting", NULL, 46},
    {"publicity.materials.copies", "publicity.materials", "copies", 32000},
    {"publicity.led.count", "publicity.led", NULL, 135},
    {"publicity.wechat.count", "publicity.wechat", NULL, 358},
    {"traffic.joint_operations.count", "traffic.joint_operation", NULL, 36},
    {"traffic.joint_operations.vehicles_checked", "traffic.joint_operation", "vehicles_checked",
     2000},
    {"traffic.joint_operations.violations", "traffic.joint_operation", "violations", 50},
    {"traffic.station_duty.count", "traffic.station_duty", NULL, 50},
    {"traffic.persuasion.vehicles_checked", "traffic.persuasion", "vehicles_checked", 8000},
    {"traffic.persuasion.persuaded", "traffic.persuasion", "persuaded", 100},
    {"traffic.checkins.count", "traffic.checkin", NULL, 1425},
    {"traffic.patrols.count", "traffic.patrol", NULL, 700},
    {"traffic.patrols.km", "traffic.patrol", "km", 1050500},
    {"safety.joint_operations.count", "safety.joint_operation", NULL, 30},
    {"safety.places.inspected", "safety.joint_operation", "places_inspected", 42},
    {"sanitation.campaigns.count", "sanitation.campaign", NULL, 30},
    {"sanitation.parking.count", "sanitation.campaign", "parking", 225},
    {"sanitation.door_stalls.count", "sanitation.campaign", "door_stalls", 256},
    {"sanitation.piles.count", "sanitation.campaign", "piles", 587},
    {"sanitation.ads.count", "sanitation.campaign", "ads", 215},
    {"sanitation.vendors.count", "sanitation.campaign", "vendors", 126},
    {"river.sites.remediated", "river.remediation", "sites", 13},
};

#define STATIONS_2022       7   /* traffic.stations.count */
#define LEGAL_LITERATE_2022 24  /* people.legal_literate.trained */
#define MATTERS_2022        256 /* matters.app.handled */

static int setup(void **state)
{
    struct cli_result r = {0};

    (void)state;
    server_start_demo(&one, (const char *const[]){"--seed", "2022", NULL});
    server_start_demo(&two, (const char *const[]){"--seed", "2022", "--scale", "2", NULL});
    /* The demo's admin serves 城西街道 only; the district's subdistricts
     * are read by an administrator of the district. */
    cli(&two, &r, DEMO_ADMIN_PASSWORD "\n", "user", "add", "district", "--db", two.db, "--unit",
        "xicheng", "--role", "admin", "--password-stdin");
    assert_int_equal(r.status, 0);
    cli_result_release(&r);
    client_init(&admin_one, &one);
    client_init(&admin_two, &two);
    client_login_ok(&admin_one, "admin", DEMO_ADMIN_PASSWORD);
    client_login_ok(&admin_two, "district", DEMO_ADMIN_PASSWORD);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    client_release(&admin_one);
    client_release(&admin_two);
    server_stop(&one);
    server_stop(&two);
    return 0;
}

/* The units the client sees (a new reference to the items array). */
static json_t *units(struct client *c)
{
    struct response r = {0};
    json_t *items;

    client_get(c, &r, "/api/v1/units");
    assert_status(&r, 200);
    items = json_incref(response_items(&r));
    response_release(&r);
    return items;
}

/* The id and path of the unit with 'code'. */
static int64_t unit_by_code(json_t *list, const char *code, const char **path)
{
    json_t *u = json_find(list, "code", code);
    if (!u)
        fail_msg("no unit %s", code);
    if (path)
        *path = json_str_member(u, "path");
    return json_int_member(u, "id");
}

/* The value of metric 'name' in a GET /api/v1/metrics reply. */
static json_t *metric_of(const struct response *r, const char *name)
{
    json_t *m = json_find(json_object_get(r->json, "metrics"), "name", name);
    if (!m)
        fail_msg("no metric %s", name);
    return m;
}

/* The resident matters of unit 'id': 256 handled in 2022 (the report's
 * figure), the rest of the year plausible, and a smaller 2021. */
static void check_matters(struct client *c, int64_t id)
{
    struct response r = {0};
    int64_t handled_2021, received, rejected;
    json_t *m;

    client_get(c, &r, "/api/v1/metrics?unit=%lld&year=2022", (long long)id);
    assert_status(&r, 200);
    assert_int_equal(json_int_member(metric_of(&r, "matters.app.handled"), "value"), MATTERS_2022);
    received = json_int_member(metric_of(&r, "matters.received"), "value");
    rejected = json_int_member(metric_of(&r, "matters.rejected.count"), "value");
    assert_true(rejected > 0);
    /* Some still open at the end of the year: received > handled + rejected. */
    assert_true(received > MATTERS_2022 + rejected);
    m = metric_of(&r, "matters.resolved.on_time.rate");
    assert_int_equal(json_int_member(m, "denominator"), MATTERS_2022);
    assert_true(json_int_member(m, "numerator") < MATTERS_2022);
    assert_true(json_number_value(json_object_get(m, "value")) >= 85.0);
    m = metric_of(&r, "matters.satisfaction.rate");
    assert_true(json_int_member(m, "denominator") > MATTERS_2022 / 2);
    assert_true(json_number_value(json_object_get(m, "value")) >= 80.0);
    assert_true(json_number_value(
                    json_object_get(metric_of(&r, "matters.resolve.days.avg"), "value")) > 0.5);
    client_get(c, &r, "/api/v1/metrics?unit=%lld&year=2021", (long long)id);
    assert_status(&r, 200);
    handled_2021 = json_int_member(metric_of(&r, "matters.app.handled"), "value");
    assert_true(handled_2021 > 100);
    assert_true(handled_2021 < MATTERS_2022);
    response_release(&r);
}

/* Checks every landed figure of the 2022 report for subdistrict 'code'. */
static void check_figures(struct client *c, const char *code)
{
    json_t *list = units(c), *t;
    struct response r = {0};
    const char *path;
    int64_t id = unit_by_code(list, code, &path);
    size_t stations = 0, idx;
    json_t *u;

    client_get(c, &r, "/api/v1/ledger/totals?unit=%lld&year=2022", (long long)id);
    assert_status(&r, 200);
    t = r.json;
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
        const struct figure *f = &figures[i];
        json_t *k = json_find(json_object_get(t, "kinds"), "kind", f->kind);
        double got = -1;
        if (k && !f->counter)
            got = (double)json_int_member(k, "entries");
        else if (k)
            got = json_number_value(json_object_get(
                json_object_get(json_object_get(k, "counters"), f->counter), "total"));
        if (got != f->value) {
            harness_note("%s %s: %s = %.3f, expected %.3f", code, f->kind, f->metric, got,
                         f->value);
            fail();
        }
    }
    response_release(&r);

    /* Stations registered as units, in the subdistrict's subtree. */
    json_array_foreach(list, idx, u)
    {
        if (strcmp(json_str_member(u, "type"), "station") == 0 &&
            str_starts_with(json_str_member(u, "path"), path))
            stations++;
    }
    assert_int_equal(stations, STATIONS_2022);
    client_get(c, &r, "/api/v1/legal-literates?unit=%lld&year=2022&limit=500", (long long)id);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), LEGAL_LITERATE_2022);
    response_release(&r);
    check_matters(c, id);
    json_decref(list);
}

static void test_demo__chengxi_reproduces_the_2022_figures(void **state)
{
    (void)state;
    check_figures(&admin_one, "chengxi");
}

static void test_demo__every_subdistrict_of_a_scale_has_the_figures(void **state)
{
    json_t *list = units(&admin_two);
    size_t subdistricts = 0, idx;
    json_t *u;

    (void)state;
    json_array_foreach(list, idx, u)
    {
        if (strcmp(json_str_member(u, "type"), "subdistrict") == 0)
            subdistricts++;
    }
    assert_int_equal(subdistricts, 2);
    assert_non_null(json_find(list, "code", "xicheng"));
    json_decref(list);
    check_figures(&admin_two, "chengxi");
    check_figures(&admin_two, "chengdong");
}

/* The registers: the leading group (组长, two 副组长), the adviser's 2022
 * contract, mediators, officers with certificates expiring soon. */
static void test_demo__registers_hold_the_people_of_the_report(void **state)
{
    json_t *list = units(&admin_one), *items, *group, *o;
    struct response r = {0};
    int64_t id = unit_by_code(list, "chengxi", NULL);
    size_t leaders = 0, deputies = 0, expiring = 0, idx;

    (void)state;
    client_get(&admin_one, &r, "/api/v1/groups?unit=%lld", (long long)id);
    assert_status(&r, 200);
    group = json_array_get(response_items(&r), 0);
    assert_non_null(group);
    assert_non_null(strstr(json_str_member(group, "name"), "依法行政工作领导小组"));
    assert_string_equal(json_str_member(json_object_get(group, "office"), "name"), "平安办");
    client_get(&admin_one, &r, "/api/v1/groups/%lld/members",
               (long long)json_int_member(group, "id"));
    assert_status(&r, 200);
    json_array_foreach(response_items(&r), idx, o)
    {
        leaders += strcmp(json_str_member(o, "position"), "leader") == 0;
        deputies += strcmp(json_str_member(o, "position"), "deputy") == 0;
    }
    assert_int_equal(leaders, 1);
    assert_int_equal(deputies, 2);

    client_get(&admin_one, &r, "/api/v1/advisers?unit=%lld&active_on=2022-06-30", (long long)id);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 1);
    client_get(&admin_one, &r, "/api/v1/mediators?unit=%lld", (long long)id);
    assert_status(&r, 200);
    assert_true(json_array_size(response_items(&r)) >= 10);
    client_get(&admin_one, &r, "/api/v1/officers?unit=%lld", (long long)id);
    assert_status(&r, 200);
    items = response_items(&r);
    assert_true(json_array_size(items) >= 6);
    json_array_foreach(items, idx, o)
    {
        json_t *cert;
        size_t j;
        json_array_foreach(json_object_get(o, "certificates"), j, cert)
        {
            expiring += json_is_true(json_object_get(cert, "expiring_soon"));
        }
    }
    assert_true(expiring >= 1);
    response_release(&r);
    json_decref(list);
}

/* 2021 is there, smaller, for year-on-year change; patrols are flagged. */
static void test_demo__2021_is_smaller_and_patrols_are_flagged(void **state)
{
    json_t *list = units(&admin_one);
    struct response r = {0};
    int64_t id = unit_by_code(list, "chengxi", NULL), y2021;

    (void)state;
    client_get(&admin_one, &r, "/api/v1/ledger/totals?unit=%lld&year=2021", (long long)id);
    assert_status(&r, 200);
    y2021 = json_int_member(r.json, "entries");
    client_get(&admin_one, &r, "/api/v1/ledger/totals?unit=%lld&year=2022", (long long)id);
    assert_status(&r, 200);
    assert_true(y2021 > 1000);
    assert_true(y2021 < json_int_member(r.json, "entries"));
    client_get(&admin_one, &r, "/api/v1/ledger/warnings?unit=%lld&kind=traffic.patrol&limit=10",
               (long long)id);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 10);
    response_release(&r);
    json_decref(list);
}

/* The entries of 'kind' at 'code' as "date|title|place|counters" lines. */
static char *entry_lines(struct client *c, const char *code, const char *kind)
{
    json_t *list = units(c), *e;
    struct response r = {0};
    struct strbuf sb;
    size_t idx;

    strbuf_init(&sb, 4096);
    client_get(c, &r, "/api/v1/ledger/entries?unit=%lld&kind=%s&year=2022&limit=500",
               (long long)unit_by_code(list, code, NULL), kind);
    assert_status(&r, 200);
    json_array_foreach(response_items(&r), idx, e)
    {
        char *counters = json_dumps(json_object_get(e, "counters"), JSON_SORT_KEYS | JSON_COMPACT);
        strbuf_addf(&sb, "%s|%s|%s|%s|%s\n", json_str_member(e, "date"),
                    json_str_member(json_object_get(e, "unit"), "code"),
                    json_str_member(e, "title"), json_str_member(e, "place"), counters);
        free(counters);
    }
    response_release(&r);
    json_decref(list);
    return strbuf_detach(&sb, NULL);
}

/* The matters received at 'code' in 2022 as "date|unit|title" lines. */
static char *matter_lines(struct client *c, const char *code)
{
    json_t *list = units(c), *e;
    struct response r = {0};
    struct strbuf sb;
    size_t idx;

    strbuf_init(&sb, 4096);
    client_get(c, &r, "/api/v1/metrics/matters.received/records?unit=%lld&year=2022&limit=500",
               (long long)unit_by_code(list, code, NULL));
    assert_status(&r, 200);
    json_array_foreach(json_object_get(r.json, "records"), idx, e)
    {
        strbuf_addf(&sb, "%s|%s|%s\n", json_str_member(e, "date"),
                    json_str_member(json_object_get(e, "unit"), "code"),
                    json_str_member(e, "title"));
    }
    response_release(&r);
    json_decref(list);
    return strbuf_detach(&sb, NULL);
}

static void test_demo__one_seed_gives_the_same_records(void **state)
{
    static const char *const kinds[] = {"study.lecture", "publicity.materials", "traffic.patrol",
                                        "sanitation.campaign"};
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        char *a = entry_lines(&admin_one, "chengxi", kinds[i]);
        char *b = entry_lines(&admin_two, "chengxi", kinds[i]);
        assert_true(strlen(a) > 100);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    {
        char *a = matter_lines(&admin_one, "chengxi");
        char *b = matter_lines(&admin_two, "chengxi");
        assert_true(strlen(a) > 1000);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
}

static void test_demo__refuses_a_database_with_data(void **state)
{
    struct cli_result r = {0};

    (void)state;
    cli(&one, &r, NULL, "demo", "--db", one.db);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "空数据库"));
    cli_result_release(&r);
    cli(&one, &r, NULL, "demo", "--db", one.db, "--scale", "0");
    assert_int_equal(r.status, 2);
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo__chengxi_reproduces_the_2022_figures),
        cmocka_unit_test(test_demo__every_subdistrict_of_a_scale_has_the_figures),
        cmocka_unit_test(test_demo__registers_hold_the_people_of_the_report),
        cmocka_unit_test(test_demo__2021_is_smaller_and_patrols_are_flagged),
        cmocka_unit_test(test_demo__one_seed_gives_the_same_records),
        cmocka_unit_test(test_demo__refuses_a_database_with_data),
    };
    return harness_done(cmocka_run_group_tests(tests, setup, teardown));
}
