/*
 * test_findings.c - the findings pass: GET /api/v1/findings and
 * `fazhi findings`.
 *
 * Two servers: the demo (its 2022 patrols sum 1,050,500 km over 700
 * patrols, and two of its ten officers hold no certificate), and a fresh
 * one where the cases record a few entries through the API: a lecture
 * series in community "ca" in 2021 and none in 2022, and, in "cb", clean
 * entries in 2021 and one implausible entry in 2023.
 */
#include "core/compat.h"
#include "api/harness.h"

#define DEMO_ADMIN_PASSWORD "Admin-demo-2022"
#define DEMO_CLERK_PASSWORD "Clerk-demo-2022"

static struct test_server demo, srv;
static struct client demo_admin, demo_clerk, admin, clerka, clerkb;

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

static int group_setup(void **state)
{
    (void)state;
    server_start_demo(&demo, (const char *const[]){"--seed", "2022", NULL});
    client_init(&demo_admin, &demo);
    client_login_ok(&demo_admin, "admin", DEMO_ADMIN_PASSWORD);
    client_init(&demo_clerk, &demo);
    client_login_ok(&demo_clerk, "clerk", DEMO_CLERK_PASSWORD);

    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_init(&clerkb, &srv);
    client_login_ok(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD);

    /* ca: lectures in three months of 2021, nothing in 2022. */
    create_entry(&clerka, "study.lecture", srv.ca_id, "2021-03-10",
                 json_pack("{s:i}", "attendance", 40));
    create_entry(&clerka, "study.lecture", srv.ca_id, "2021-06-10",
                 json_pack("{s:i}", "attendance", 45));
    create_entry(&clerka, "study.lecture", srv.ca_id, "2021-09-10",
                 json_pack("{s:i}", "attendance", 50));
    /* cb: plausible lectures in two months of 2021 (not "usually"), and in
     * 2023 one lecture of 900 person-times against a bound of 300. */
    create_entry(&clerkb, "study.lecture", srv.cb_id, "2021-04-01",
                 json_pack("{s:i}", "attendance", 30));
    create_entry(&clerkb, "study.lecture", srv.cb_id, "2021-05-01",
                 json_pack("{s:i}", "attendance", 30));
    create_entry(&clerkb, "study.lecture", srv.cb_id, "2023-05-01",
                 json_pack("{s:i}", "attendance", 900));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&demo_admin);
    client_release(&demo_clerk);
    client_release(&admin);
    client_release(&clerka);
    client_release(&clerkb);
    server_stop(&demo);
    server_stop(&srv);
    return 0;
}

/* GET the findings (200 required): a new reference to the array. */
static json_t *findings(struct client *c, const char *query)
{
    struct response r = {0};
    json_t *list;

    client_get(c, &r, "/api/v1/findings?%s", query);
    assert_status(&r, 200);
    list = json_object_get(r.json, "findings");
    assert_true(json_is_array(list));
    json_incref(list);
    response_release(&r);
    return list;
}

/* The first finding with 'code' (and, when not NULL, subject.kind 'kind'). */
static json_t *find_finding(json_t *list, const char *code, const char *kind)
{
    size_t i;
    json_t *f;

    json_array_foreach(list, i, f)
    {
        const char *k = json_str_member(json_object_get(f, "subject"), "kind");
        if (strcmp(json_str_member(f, "code"), code) == 0 && (!kind || (k && strcmp(k, kind) == 0)))
            return f;
    }
    return NULL;
}

static void test_findings__demo_patrols_are_implausible(void **state)
{
    json_t *list = findings(&demo_admin, "year=2022"), *f, *records, *subject;
    const char *text;

    (void)state;
    f = find_finding(list, "ledger.implausible", "traffic.patrol");
    assert_non_null(f);
    text = json_str_member(f, "text");
    assert_string_equal(json_str_member(f, "severity"), "serious");
    assert_non_null(strstr(text, "2022年路面巡逻700次"));
    assert_non_null(strstr(text, "累计1050500公里"));
    assert_non_null(strstr(text, "平均每次约1500公里"));
    assert_non_null(strstr(text, "每次不超过200公里"));
    subject = json_object_get(f, "subject");
    assert_string_equal(json_str_member(subject, "counter"), "km");
    assert_int_equal(json_int_member(subject, "entries"), 700);
    /* The records: all 700 patrols are flagged; 20 named, the rest linked. */
    assert_int_equal(json_int_member(f, "records_total"), 700);
    records = json_object_get(f, "records");
    assert_int_equal(json_array_size(records), 20);
    assert_string_equal(json_str_member(json_array_get(records, 0), "type"), "ledger_entry");
    assert_true(json_int_member(json_array_get(records, 0), "id") > 0);
    assert_non_null(json_str_member(f, "records_href"));

    /* The officers: 10, of whom 8 hold a certificate valid on 2022-12-31. */
    f = find_finding(list, "org.uncertified", NULL);
    assert_non_null(f);
    assert_int_equal(json_int_member(f, "records_total"), 2);
    assert_non_null(strstr(json_str_member(f, "text"), "执法人员10人中持有有效执法证的仅8人"));
    assert_string_equal(json_str_member(json_array_get(json_object_get(f, "records"), 0), "type"),
                        "person");
    /* Most severe first. */
    assert_string_equal(json_str_member(json_array_get(list, 0), "severity"), "serious");
    json_decref(list);
}

static void test_findings__lapsed_kind(void **state)
{
    json_t *list, *f, *subject;
    char q[64];

    (void)state;
    list = findings(&admin, "year=2022");
    f = find_finding(list, "ledger.lapsed", "study.lecture");
    assert_non_null(f);
    subject = json_object_get(f, "subject");
    assert_int_equal(json_int_member(subject, "unit_id"), srv.ca_id);
    assert_int_equal(json_int_member(subject, "months"), 3);
    assert_int_equal(json_int_member(f, "records_total"), 3);
    assert_int_equal(json_array_size(json_object_get(f, "records")), 3);
    assert_non_null(
        strstr(json_str_member(f, "text"), "2021年有3个月记录了法治讲座（共3次），2022年未记录"));
    /* cb recorded in two months only: not "usually"; one finding in all. */
    {
        size_t i, n = 0;
        json_t *g;
        json_array_foreach(list, i, g) n +=
            strcmp(json_str_member(g, "code"), "ledger.lapsed") == 0;
        assert_int_equal(n, 1);
    }
    json_decref(list);

    /* 2021 follows a 2020 without entries: nothing lapsed. */
    list = findings(&admin, "year=2021");
    assert_null(find_finding(list, "ledger.lapsed", NULL));
    json_decref(list);

    /* The clerk of ca sees it for its own unit. */
    snprintf(q, sizeof(q), "unit=%lld&year=2022", (long long)srv.ca_id);
    list = findings(&clerka, q);
    assert_non_null(find_finding(list, "ledger.lapsed", "study.lecture"));
    json_decref(list);
}

static void test_findings__scope(void **state)
{
    struct response r = {0};
    json_t *list;

    (void)state;
    /* The clerk of cb sees nothing about ca, and may not ask for it. */
    list = findings(&clerkb, "year=2022");
    assert_null(find_finding(list, "ledger.lapsed", NULL));
    json_decref(list);
    client_get(&clerkb, &r, "/api/v1/findings?unit=%lld&year=2022", (long long)srv.ca_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerkb, &r, "/api/v1/findings?unit=%lld&year=2022", (long long)srv.root_id);
    assert_error(&r, 404, "not_found", "unit");
    /* The demo's community clerk sees neither the patrols nor the officers. */
    list = findings(&demo_clerk, "year=2022");
    assert_null(find_finding(list, "ledger.implausible", "traffic.patrol"));
    assert_null(find_finding(list, "org.uncertified", NULL));
    json_decref(list);
    client_get(&clerkb, &r, "/api/v1/findings");
    assert_error(&r, 400, "bad_request", "year");
    response_release(&r);
}

static void test_findings__clean_data_has_no_implausible_value(void **state)
{
    json_t *list, *f;

    (void)state;
    list = findings(&admin, "year=2021");
    assert_null(find_finding(list, "ledger.implausible", NULL));
    json_decref(list);
    /* One lecture of 900 person-times in 2023: the average is the value. */
    list = findings(&admin, "year=2023");
    f = find_finding(list, "ledger.implausible", "study.lecture");
    assert_non_null(f);
    assert_int_equal(json_int_member(f, "records_total"), 1);
    assert_non_null(strstr(json_str_member(f, "text"), "每次不超过300人次"));
    json_decref(list);
}

static void test_findings__cli(void **state)
{
    struct cli_result r = {0};

    (void)state;
    assert_int_equal(
        cli(&demo, &r, NULL, "findings", "--db", demo.db, "--unit", "chengxi", "--year", "2022"),
        0);
    assert_non_null(strstr(r.out, "【严重】2022年路面巡逻700次"));
    assert_non_null(strstr(r.out, "共 700 条"));
    assert_non_null(strstr(r.out, "\n\n【"));
    cli_result_release(&r);
    assert_int_equal(cli(&demo, &r, NULL, "findings", "--db", demo.db, "--unit", "chengxi"), 2);
    cli_result_release(&r);
    assert_int_equal(
        cli(&demo, &r, NULL, "findings", "--db", demo.db, "--unit", "nowhere", "--year", "2022"),
        1);
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_findings__demo_patrols_are_implausible),
        cmocka_unit_test(test_findings__lapsed_kind),
        cmocka_unit_test(test_findings__scope),
        cmocka_unit_test(test_findings__clean_data_has_no_implausible_value),
        cmocka_unit_test(test_findings__cli),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
