/*
 * test_metrics.c - the report figures over the API and the command line:
 * GET /api/v1/metrics, GET /api/v1/metrics/{name}/records and
 * `fazhi metrics`.
 *
 * The setup records a small, known set of ledger entries (in both
 * communities, at a station and at the subdistrict, in 2022 and in 2023),
 * people of the legal-literate register and a station, all through the
 * API; the cases then compare exact figures for units, periods and callers.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;
static struct client admin, clerka, clerkb, leader;
static int64_t station_id;
static int64_t ads_entry_id, lecture_a1, lecture_a2, lecture_b;
static int64_t literate_a;

/* POSTs an entry that must be created; returns its id. Takes 'counters'. */
static int64_t create_entry(struct client *c, const char *kind, int64_t unit, const char *date,
                            json_t *counters)
{
    struct response r = {0};
    int64_t id;

    client_send(c, "POST", "/api/v1/ledger/entries",
                json_pack("{s:s, s:I, s:s, s:s, s:o}", "kind", kind, "unit_id", (json_int_t)unit,
                          "date", date, "title", kind, "counters", counters),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    response_release(&r);
    return id;
}

/* A person of 'unit' registered as legal-literate on 'trained_on'. */
static int64_t create_literate(const char *name, int64_t unit, const char *trained_on)
{
    struct response r = {0};
    int64_t person, id;

    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", name, "unit_id", (json_int_t)unit), &r);
    assert_status(&r, 201);
    person = json_int_member(r.json, "id");
    client_send(&admin, "POST", "/api/v1/legal-literates",
                json_pack("{s:I, s:I, s:s}", "person_id", (json_int_t)person, "community_unit_id",
                          (json_int_t)unit, "trained_on", trained_on),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    response_release(&r);
    return id;
}

static int group_setup(void **state)
{
    struct response r = {0};
    char login[64], code[64];

    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_init(&clerkb, &srv);
    client_login_ok(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD);
    unique_name("leader", login, sizeof(login));
    create_user(&admin, login, srv.root_id, "leader", "Leader-pass-2024");
    client_init(&leader, &srv);
    client_login_ok(&leader, login, "Leader-pass-2024");

    unique_name("st", code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "城西劝导站", "type",
                          "station", "parent_id", (json_int_t)srv.root_id),
                &r);
    assert_status(&r, 201);
    station_id = json_int_member(r.json, "id");
    response_release(&r);

    /* Community A: two lectures in 2022, one in 2023; two campaigns. */
    lecture_a1 = create_entry(&clerka, "study.lecture", srv.ca_id, "2022-03-01",
                              json_pack("{s:i}", "attendance", 30));
    lecture_a2 = create_entry(&clerka, "study.lecture", srv.ca_id, "2022-07-15",
                              json_pack("{s:i}", "attendance", 45));
    create_entry(&clerka, "study.lecture", srv.ca_id, "2023-01-10",
                 json_pack("{s:i}", "attendance", 99));
    ads_entry_id = create_entry(&clerka, "sanitation.campaign", srv.ca_id, "2022-05-20",
                                json_pack("{s:i}", "ads", 5));
    create_entry(&clerka, "sanitation.campaign", srv.ca_id, "2022-06-20",
                 json_pack("{s:i}", "parking", 3));
    /* Community B: one lecture. */
    lecture_b = create_entry(&clerkb, "study.lecture", srv.cb_id, "2022-05-05",
                             json_pack("{s:i}", "attendance", 20));
    /* The station: two patrols, 1050.5 km and 0.25 km. */
    create_entry(&admin, "traffic.patrol", station_id, "2022-08-01",
                 json_pack("{s:f}", "km", 1050.5));
    create_entry(&admin, "traffic.patrol", station_id, "2022-08-02",
                 json_pack("{s:f}", "km", 0.25));
    /* The register: one in A in 2022, one in A in 2021, one in B in 2022. */
    literate_a = create_literate("张明白", srv.ca_id, "2022-04-01");
    create_literate("李明白", srv.ca_id, "2021-12-31");
    create_literate("王明白", srv.cb_id, "2022-06-01");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&leader);
    server_stop(&srv);
    return 0;
}

/* GET /api/v1/metrics?QUERY as 'c', which must answer 200; a new reference. */
static json_t *metrics(struct client *c, const char *query)
{
    struct response r = {0};
    json_t *j;

    client_get(c, &r, "/api/v1/metrics?%s", query);
    assert_status(&r, 200);
    j = json_incref(r.json);
    response_release(&r);
    return j;
}

/* The metric 'name' of a reply. */
static json_t *metric(json_t *reply, const char *name)
{
    json_t *m = json_find(json_object_get(reply, "metrics"), "name", name);
    if (!m)
        fail_msg("no metric %s in the reply", name);
    return m;
}

static const char *text_of(json_t *reply, const char *name)
{
    return json_str_member(metric(reply, name), "text");
}

static int64_t int_of(json_t *reply, const char *name)
{
    return json_int_member(metric(reply, name), "value");
}

static void test_metrics__subdistrict_year(void **state)
{
    char query[128];
    json_t *j;

    (void)state;
    snprintf(query, sizeof(query), "unit=%lld&year=2022", (long long)srv.root_id);
    j = metrics(&leader, query);
    assert_int_equal(json_int_member(json_object_get(j, "unit"), "id"), srv.root_id);
    assert_string_equal(json_str_member(json_object_get(j, "period"), "from"), "2022-01-01");
    assert_string_equal(json_str_member(json_object_get(j, "period"), "to"), "2022-12-31");
    assert_string_equal(json_str_member(json_object_get(j, "period"), "label"), "2022年");
    assert_int_equal(json_array_size(json_object_get(j, "metrics")), 36);

    assert_int_equal(int_of(j, "study.lecture.sessions"), 3);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 95);
    assert_int_equal(int_of(j, "sanitation.campaigns.count"), 2);
    assert_int_equal(int_of(j, "sanitation.ads.count"), 5);
    assert_int_equal(int_of(j, "sanitation.parking.count"), 3);
    assert_int_equal(int_of(j, "sanitation.vendors.count"), 0);
    assert_int_equal(int_of(j, "traffic.patrols.count"), 2);
    assert_string_equal(text_of(j, "traffic.patrols.km"), "1050.75");
    assert_true(json_real_value(json_object_get(metric(j, "traffic.patrols.km"), "value")) ==
                1050.75);
    assert_string_equal(json_str_member(metric(j, "traffic.patrols.km"), "unit"), "公里");
    assert_string_equal(json_str_member(metric(j, "traffic.patrols.km"), "kind"), "sum");
    assert_int_equal(int_of(j, "people.legal_literate.trained"), 2);
    assert_int_equal(int_of(j, "traffic.stations.count"), 1);
    assert_int_equal(int_of(j, "study.central_group.sessions"), 0);
    assert_string_equal(json_str_member(metric(j, "study.lecture.sessions"), "label"), "法治讲座");
    json_decref(j);

    /* The year after holds only the 2023 lecture, and no register row. */
    snprintf(query, sizeof(query), "unit=%lld&year=2023", (long long)srv.root_id);
    j = metrics(&admin, query);
    assert_int_equal(int_of(j, "study.lecture.sessions"), 1);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 99);
    assert_int_equal(int_of(j, "people.legal_literate.trained"), 0);
    assert_int_equal(int_of(j, "traffic.stations.count"), 1);
    json_decref(j);
}

static void test_metrics__periods(void **state)
{
    char query[160];
    json_t *j;

    (void)state;
    snprintf(query, sizeof(query), "unit=%lld&year=2022&quarter=1", (long long)srv.root_id);
    j = metrics(&leader, query);
    assert_int_equal(int_of(j, "study.lecture.sessions"), 1);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 30);
    assert_string_equal(json_str_member(json_object_get(j, "period"), "to"), "2022-03-31");
    json_decref(j);

    snprintf(query, sizeof(query), "unit=%lld&year=2022&month=7", (long long)srv.root_id);
    j = metrics(&leader, query);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 45);
    json_decref(j);

    /* Any range: from the day of B's lecture to the first patrol, inclusive. */
    snprintf(query, sizeof(query), "unit=%lld&from=2022-05-05&to=2022-08-01",
             (long long)srv.root_id);
    j = metrics(&leader, query);
    assert_int_equal(int_of(j, "study.lecture.sessions"), 2);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 65);
    assert_string_equal(text_of(j, "traffic.patrols.km"), "1050.5");
    assert_int_equal(int_of(j, "sanitation.campaigns.count"), 2);
    assert_int_equal(int_of(j, "people.legal_literate.trained"), 1);
    json_decref(j);
}

static void test_metrics__scope(void **state)
{
    struct response r = {0};
    char query[128];
    json_t *j;

    (void)state;
    /* A clerk of community A, without unit=: A's own figures only. */
    j = metrics(&clerka, "year=2022");
    assert_int_equal(json_int_member(json_object_get(j, "unit"), "id"), srv.ca_id);
    assert_int_equal(int_of(j, "study.lecture.sessions"), 2);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 75);
    assert_int_equal(int_of(j, "sanitation.ads.count"), 5);
    assert_int_equal(int_of(j, "traffic.patrols.count"), 0);
    assert_string_equal(text_of(j, "traffic.patrols.km"), "0");
    assert_int_equal(int_of(j, "people.legal_literate.trained"), 1);
    assert_int_equal(int_of(j, "traffic.stations.count"), 0);
    json_decref(j);

    j = metrics(&clerkb, "year=2022");
    assert_int_equal(int_of(j, "study.lecture.attendance"), 20);
    assert_int_equal(int_of(j, "sanitation.ads.count"), 0);
    json_decref(j);

    /* The subdistrict and the other community are outside A's scope. */
    client_get(&clerka, &r, "/api/v1/metrics?unit=%lld&year=2022", (long long)srv.root_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerka, &r, "/api/v1/metrics?unit=%lld&year=2022", (long long)srv.cb_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerka, &r, "/api/v1/metrics/study.lecture.attendance/records?unit=%lld&year=2022",
               (long long)srv.cb_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&admin, &r, "/api/v1/metrics?unit=999999&year=2022");
    assert_error(&r, 404, "not_found", "unit");
    response_release(&r);

    /* The leader sees A's figures when asking for A. */
    snprintf(query, sizeof(query), "unit=%lld&year=2022", (long long)srv.ca_id);
    j = metrics(&leader, query);
    assert_int_equal(int_of(j, "study.lecture.attendance"), 75);
    json_decref(j);
}

static void test_metrics__bad_requests(void **state)
{
    struct response r = {0};
    struct client anon;

    (void)state;
    client_get(&admin, &r, "/api/v1/metrics");
    assert_error(&r, 400, "bad_request", "year");
    client_get(&admin, &r, "/api/v1/metrics?year=22x");
    assert_error(&r, 400, "bad_request", "year");
    client_get(&admin, &r, "/api/v1/metrics?year=2022&quarter=5");
    assert_error(&r, 400, "bad_request", "quarter");
    client_get(&admin, &r, "/api/v1/metrics?year=2022&quarter=1&month=2");
    assert_error(&r, 400, "bad_request", "month");
    client_get(&admin, &r, "/api/v1/metrics?year=2022&from=2022-01-01&to=2022-02-01");
    assert_error(&r, 400, "bad_request", "year");
    client_get(&admin, &r, "/api/v1/metrics?from=2022-01-01");
    assert_error(&r, 400, "bad_request", "to");
    client_get(&admin, &r, "/api/v1/metrics?from=2022-02-30&to=2022-03-01");
    assert_error(&r, 422, "invalid", "from");
    client_get(&admin, &r, "/api/v1/metrics?from=2022-03-02&to=2022-03-01");
    assert_error(&r, 422, "invalid", "to");
    client_get(&admin, &r, "/api/v1/metrics/no.such.metric/records?year=2022");
    assert_error(&r, 404, "not_found", "name");
    client_get(&admin, &r, "/api/v1/metrics/sanitation.ads.count/records?year=2022&limit=0");
    assert_error(&r, 400, "bad_request", "limit");

    client_init(&anon, &srv);
    client_get(&anon, &r, "/api/v1/metrics?year=2022");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_release(&anon);
    response_release(&r);
}

/* The ids of the records of GET /api/v1/metrics/NAME/records?QUERY. */
static json_t *records(struct client *c, const char *name, const char *query)
{
    struct response r = {0};
    json_t *j;

    client_get(c, &r, "/api/v1/metrics/%s/records?%s", name, query);
    assert_status(&r, 200);
    j = json_incref(r.json);
    response_release(&r);
    return j;
}

static void test_metrics_records__the_entries_behind(void **state)
{
    char query[128];
    json_t *j, *list;

    (void)state;
    snprintf(query, sizeof(query), "unit=%lld&year=2022", (long long)srv.root_id);

    /* A sum lists only the entries holding its counter, with their part. */
    j = records(&leader, "sanitation.ads.count", query);
    assert_string_equal(json_str_member(json_object_get(j, "metric"), "text"), "5");
    list = json_object_get(j, "records");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_int_member(json_array_get(list, 0), "id"), ads_entry_id);
    assert_int_equal(json_int_member(json_array_get(list, 0), "value"), 5);
    assert_string_equal(json_str_member(json_array_get(list, 0), "date"), "2022-05-20");
    assert_string_equal(json_str_member(json_array_get(list, 0), "type"), "ledger_entry");
    assert_int_equal(json_int_member(json_object_get(json_array_get(list, 0), "unit"), "id"),
                     srv.ca_id);
    assert_false(json_is_true(json_object_get(j, "more")));
    json_decref(j);

    /* Newest first; the 2023 lecture is outside the year. */
    j = records(&leader, "study.lecture.attendance", query);
    list = json_object_get(j, "records");
    assert_int_equal(json_array_size(list), 3);
    assert_int_equal(json_int_member(json_array_get(list, 0), "id"), lecture_a2);
    assert_int_equal(json_int_member(json_array_get(list, 1), "id"), lecture_b);
    assert_int_equal(json_int_member(json_array_get(list, 2), "id"), lecture_a1);
    json_decref(j);

    /* A limit cuts the list and says so. */
    snprintf(query, sizeof(query), "unit=%lld&year=2022&limit=2", (long long)srv.root_id);
    j = records(&leader, "study.lecture.sessions", query);
    assert_int_equal(json_array_size(json_object_get(j, "records")), 2);
    assert_true(json_is_true(json_object_get(j, "more")));
    json_decref(j);

    /* Scope: the clerk of A sees A's lectures only. */
    j = records(&clerka, "study.lecture.sessions", "year=2022");
    list = json_object_get(j, "records");
    assert_int_equal(json_array_size(list), 2);
    assert_null(json_object_get(json_array_get(list, 0), "value"));
    json_decref(j);

    /* The register: who was trained, by name, in A. */
    j = records(&clerka, "people.legal_literate.trained", "year=2022");
    list = json_object_get(j, "records");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_int_member(json_array_get(list, 0), "id"), literate_a);
    assert_string_equal(json_str_member(json_array_get(list, 0), "title"), "张明白");
    assert_string_equal(json_str_member(json_array_get(list, 0), "date"), "2022-04-01");
    json_decref(j);

    /* The stations of the subdistrict. */
    snprintf(query, sizeof(query), "unit=%lld&year=2022", (long long)srv.root_id);
    j = records(&leader, "traffic.stations.count", query);
    list = json_object_get(j, "records");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_int_member(json_array_get(list, 0), "id"), station_id);
    assert_string_equal(json_str_member(json_array_get(list, 0), "title"), "城西劝导站");
    json_decref(j);
}

static void test_metrics__cli(void **state)
{
    struct cli_result r = {0};
    const char *line;
    size_t lines = 0;
    char prev[96] = "";

    (void)state;
    assert_int_equal(
        cli(&srv, &r, NULL, "metrics", "--db", srv.db, "--unit", "root", "--year", "2022"), 0);
    assert_non_null(strstr(r.out, "\nstudy.lecture.attendance\t95\n"));
    assert_non_null(strstr(r.out, "\ntraffic.patrols.km\t1050.75\n"));
    assert_non_null(strstr(r.out, "people.legal_literate.trained\t2\n"));
    assert_non_null(strstr(r.out, "\ntraffic.stations.count\t1\n"));
    /* One name<TAB>value line per metric, sorted by name. */
    for (line = r.out; *line; line = strchr(line, '\n') + 1) {
        char name[96];
        size_t n = strcspn(line, "\t\n");
        assert_true(line[n] == '\t');
        snprintf(name, sizeof(name), "%.*s", (int)n, line);
        assert_true(strcmp(prev, name) < 0);
        snprintf(prev, sizeof(prev), "%s", name);
        lines++;
        assert_non_null(strchr(line, '\n'));
    }
    assert_int_equal(lines, 36);
    cli_result_release(&r);

    assert_int_equal(cli(&srv, &r, NULL, "metrics", "--db", srv.db, "--unit", "ca", "--from",
                         "2022-07-01", "--to", "2022-07-31"),
                     0);
    assert_non_null(strstr(r.out, "\nstudy.lecture.attendance\t45\n"));
    cli_result_release(&r);

    assert_int_equal(
        cli(&srv, &r, NULL, "metrics", "--db", srv.db, "--unit", "nope", "--year", "2022"), 1);
    assert_non_null(strstr(r.err, "nope"));
    cli_result_release(&r);
    assert_int_equal(cli(&srv, &r, NULL, "metrics", "--db", srv.db, "--unit", "root"), 2);
    cli_result_release(&r);
    assert_int_equal(cli(&srv, &r, NULL, "metrics", "--db", srv.db, "--unit", "root", "--year",
                         "2022", "--from", "2022-01-01", "--to", "2022-02-01"),
                     2);
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics__subdistrict_year),
        cmocka_unit_test(test_metrics__periods),
        cmocka_unit_test(test_metrics__scope),
        cmocka_unit_test(test_metrics__bad_requests),
        cmocka_unit_test(test_metrics_records__the_entries_behind),
        cmocka_unit_test(test_metrics__cli),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
