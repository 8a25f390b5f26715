/*
 * test_ledger.c - the ledger API: kinds, entries, scope, validation,
 * history, warnings, totals, events, tracks, and every ledger-shaped figure
 * of the 2022 report recorded and read back.
 *
 * Only the figures test records entries dated 2022 (so its totals for the
 * year are exactly the report's); every other case uses 2023.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/embedded.h"
#include "core/str.h"
#include "core/time.h"

static struct test_server srv;
static struct client admin, clerka, clerkb, leader;

static int group_setup(void **state)
{
    char login[64];

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

/* ================================================================
 * Helpers
 * ================================================================ */

/* {"kind","unit_id","date","title","counters"}; takes 'counters' (may be NULL). */
static json_t *entry_body(const char *kind, int64_t unit, const char *date, const char *title,
                          json_t *counters)
{
    json_t *b = json_pack("{s:s, s:I, s:s, s:s}", "kind", kind, "unit_id", (json_int_t)unit, "date",
                          date, "title", title);
    if (counters)
        json_object_set_new(b, "counters", counters);
    return b;
}

/* POSTs an entry that must be created; returns its id. */
static int64_t create_entry(struct client *c, json_t *body)
{
    struct response r = {0};
    int64_t id;

    client_send(c, "POST", "/api/v1/ledger/entries", body, &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_true(id > 0);
    response_release(&r);
    return id;
}

/* GET /api/v1/ledger/totals?QUERY that must answer 200; a new reference. */
static json_t *totals(struct client *c, const char *fmt, ...) FZ_PRINTF(2, 3);

static json_t *totals(struct client *c, const char *fmt, ...)
{
    struct response r = {0};
    char query[512];
    json_t *j;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(query, sizeof(query), fmt, ap);
    va_end(ap);
    client_get(c, &r, "/api/v1/ledger/totals?%s", query);
    assert_status(&r, 200);
    j = json_incref(r.json);
    response_release(&r);
    return j;
}

/* The block of kind 'code' in a totals reply, or NULL. */
static json_t *totals_kind(json_t *t, const char *code)
{
    return json_find(json_object_get(t, "kinds"), "kind", code);
}

/* The total of counter 'counter' of kind 'kind' (0 when absent). */
static double counter_total(json_t *t, const char *kind, const char *counter)
{
    json_t *k = totals_kind(t, kind);
    return json_number_value(
        json_object_get(json_object_get(json_object_get(k, "counters"), counter), "total"));
}

static int64_t kind_entries(json_t *t, const char *kind)
{
    return json_int_member(totals_kind(t, kind), "entries");
}

/* How many audit entries the admin sees: every write adds one. */
static size_t audit_count(void)
{
    json_t *all = audit_all(&admin);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* Creates a unit under 'parent' as the admin; returns its id. */
static int64_t create_unit(const char *prefix, const char *type, int64_t parent)
{
    struct response r = {0};
    char code[64];
    int64_t id;

    unique_name(prefix, code, sizeof(code));
    client_send(&admin, "POST", "/api/v1/units",
                json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", code, "type", type,
                          "parent_id", (json_int_t)parent),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    response_release(&r);
    return id;
}

/* "PREFIX<id>SUFFIX": a path naming a record. */
static const char *path_of(char *buf, size_t size, const char *prefix, int64_t id,
                           const char *suffix)
{
    snprintf(buf, size, "%s%lld%s", prefix, (long long)id, suffix);
    return buf;
}

/* 'tmpl' with every "%s" replaced by 'value' (bodies of a table of cases). */
static void subst(char *out, size_t size, const char *tmpl, const char *value)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p;

    while ((p = strstr(tmpl, "%s"))) {
        strbuf_add(&sb, tmpl, (size_t)(p - tmpl));
        strbuf_adds(&sb, value);
        tmpl = p + 2;
    }
    strbuf_adds(&sb, tmpl);
    snprintf(out, size, "%s", sb.buf);
    strbuf_release(&sb);
}

/* ================================================================
 * Kinds
 * ================================================================ */

static void test_kinds__listed_with_counters(void **state)
{
    struct response r = {0};
    json_t *items, *k, *ads, *km;

    (void)state;
    client_get(&clerka, &r, "/api/v1/ledger/kinds");
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 16);
    k = json_find(items, "code", "sanitation.campaign");
    assert_non_null(k);
    assert_string_equal(json_str_member(k, "name"), "环境卫生综合整治");
    ads = json_find(json_object_get(k, "counters"), "code", "ads");
    assert_non_null(ads);
    assert_string_equal(json_str_member(ads, "unit"), "处");
    assert_string_equal(json_str_member(ads, "type"), "integer");

    client_get(&clerka, &r, "/api/v1/ledger/kinds/traffic.patrol");
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "track_counter"), "km");
    km = json_find(json_object_get(r.json, "counters"), "code", "km");
    assert_string_equal(json_str_member(km, "type"), "decimal");
    assert_int_equal(json_int_member(km, "scale"), 3);
    assert_int_equal(json_int_member(km, "max"), 200);
    assert_string_equal(json_str_member(r.json, "origin"), "catalog");

    client_get(&clerka, &r, "/api/v1/ledger/kinds/no.such");
    assert_error(&r, 404, "not_found", "code");
    response_release(&r);
}

static void test_kinds__admin_edits_with_checks(void **state)
{
    struct response r = {0};
    size_t before;

    (void)state;
    client_send(
        &clerka, "POST", "/api/v1/ledger/kinds",
        json_pack("{s:s, s:s, s:[s]}", "code", "test.x", "name", "测试", "unit_types", "community"),
        &r);
    assert_error(&r, 403, "forbidden", NULL);

    client_send(&admin, "POST", "/api/v1/ledger/kinds",
                json_pack("{s:s, s:s, s:[s], s:[{s:s, s:s, s:s, s:s, s:b, s:i}]}", "code",
                          "test.visits", "name", "走访", "unit_types", "community", "counters",
                          "code", "households", "name", "走访户数", "type", "integer", "unit", "户",
                          "required", 1, "max", 100),
                &r);
    assert_status(&r, 201);
    assert_int_equal(json_int_member(r.json, "version"), 1);
    assert_string_equal(json_str_member(r.json, "origin"), "admin");

    client_send(&admin, "POST", "/api/v1/ledger/kinds",
                json_pack("{s:s, s:s, s:[s]}", "code", "test.visits", "name", "走访", "unit_types",
                          "community"),
                &r);
    assert_error(&r, 409, "conflict", "code");

    before = audit_count();
    client_send(&admin, "POST", "/api/v1/ledger/kinds",
                json_pack("{s:s, s:s, s:[s], s:[{s:s, s:s, s:s, s:s}]}", "code", "test.bad", "name",
                          "坏", "unit_types", "community", "counters", "code", "n", "name", "数",
                          "type", "float", "unit", "个"),
                &r);
    assert_error(&r, 422, "invalid", "counters[0].type");
    client_send(
        &admin, "POST", "/api/v1/ledger/kinds",
        json_pack("{s:s, s:s, s:[s]}", "code", "Test Bad", "name", "坏", "unit_types", "community"),
        &r);
    assert_error(&r, 422, "invalid", "code");
    client_send(
        &admin, "POST", "/api/v1/ledger/kinds",
        json_pack("{s:s, s:s, s:[s]}", "code", "test.bad2", "name", "坏", "unit_types", "town"),
        &r);
    assert_error(&r, 422, "invalid", "unit_types[0]");
    assert_int_equal(audit_count(), before);

    /* PUT replaces; a stale version and a new code are refused. */
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/test.visits",
                json_pack("{s:s, s:[s,s], s:[], s:i}", "name", "入户走访", "unit_types",
                          "community", "village", "counters", "version", 1),
                &r);
    assert_status(&r, 200);
    assert_string_equal(json_str_member(r.json, "name"), "入户走访");
    assert_int_equal(json_int_member(r.json, "version"), 2);
    client_send(
        &admin, "PUT", "/api/v1/ledger/kinds/test.visits",
        json_pack("{s:s, s:[s], s:i}", "name", "走访", "unit_types", "community", "version", 1),
        &r);
    assert_error(&r, 409, "conflict", "version");
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/test.visits",
                json_pack("{s:s, s:s, s:[s]}", "code", "test.other", "name", "走访", "unit_types",
                          "community"),
                &r);
    assert_error(&r, 422, "invalid", "code");
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/no.such",
                json_pack("{s:s, s:[s]}", "name", "无", "unit_types", "community"), &r);
    assert_error(&r, 404, "not_found", "code");
    client_send(&clerka, "PUT", "/api/v1/ledger/kinds/test.visits",
                json_pack("{s:s, s:[s]}", "name", "无", "unit_types", "community"), &r);
    assert_error(&r, 403, "forbidden", NULL);
    response_release(&r);
}

static void test_kinds__counter_in_use_is_kept(void **state)
{
    struct response r = {0};
    json_t *counters;

    (void)state;
    client_send(&admin, "POST", "/api/v1/ledger/kinds",
                json_pack("{s:s, s:s, s:[s], s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:i, "
                          "s:s}]}",
                          "code", "test.inuse", "name", "在用", "unit_types", "community",
                          "counters", "code", "n", "name", "数量", "type", "integer", "unit", "个",
                          "code", "x", "name", "长度", "type", "decimal", "scale", 1, "unit", "米"),
                &r);
    assert_status(&r, 201);
    create_entry(&clerka, entry_body("test.inuse", srv.ca_id, "2023-03-01", "在用",
                                     json_pack("{s:i}", "n", 3)));

    /* Dropping n, which an entry holds: refused. */
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/test.inuse",
                json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s, s:i, s:s}]}", "name", "在用",
                          "unit_types", "community", "counters", "code", "x", "name", "长度",
                          "type", "decimal", "scale", 1, "unit", "米"),
                &r);
    assert_error(&r, 409, "conflict", "counters");
    /* Changing n to a decimal: refused. */
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/test.inuse",
                json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s, s:i, s:s}]}", "name", "在用",
                          "unit_types", "community", "counters", "code", "n", "name", "数量",
                          "type", "decimal", "scale", 2, "unit", "个"),
                &r);
    assert_error(&r, 409, "conflict", "counters");
    /* Dropping x, which no entry holds, and deactivating the kind: fine. */
    client_send(&admin, "PUT", "/api/v1/ledger/kinds/test.inuse",
                json_pack("{s:s, s:[s], s:[{s:s, s:s, s:s, s:s}], s:b}", "name", "在用",
                          "unit_types", "community", "counters", "code", "n", "name", "数量",
                          "type", "integer", "unit", "个", "active", 0),
                &r);
    assert_status(&r, 200);
    counters = json_object_get(r.json, "counters");
    assert_int_equal(json_array_size(counters), 1);
    /* An inactive kind takes no new entries. */
    client_send(
        &clerka, "POST", "/api/v1/ledger/entries",
        entry_body("test.inuse", srv.ca_id, "2023-03-02", "停用后", json_pack("{s:i}", "n", 1)),
        &r);
    assert_error(&r, 422, "invalid", "kind");
    response_release(&r);
}

/* ================================================================
 * Entries
 * ================================================================ */

static void test_entries__scope_of_a_community_clerk(void **state)
{
    struct response r = {0};
    char path[128];
    int64_t id;

    (void)state;
    client_send(&clerka, "POST", "/api/v1/ledger/entries",
                entry_body("study.lecture", srv.ca_id, "2023-04-01", "甲社区宪法讲座",
                           json_pack("{s:i, s:f}", "attendance", 56, "hours", 1.5)),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    assert_non_null(response_header(&r, "Location"));
    assert_int_equal(json_int_member(json_object_get(r.json, "counters"), "attendance"), 56);
    assert_true(json_number_value(json_object_get(json_object_get(r.json, "counters"), "hours")) ==
                1.5);
    assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 0);
    assert_int_equal(json_int_member(r.json, "version"), 1);
    assert_string_equal(json_str_member(json_object_get(r.json, "unit"), "code"), "ca");

    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "");
    client_get(&clerka, &r, "%s", path);
    assert_status(&r, 200);
    client_get(&leader, &r, "%s", path);
    assert_status(&r, 200);

    /* Another community's clerk sees nothing of it and changes nothing. */
    client_get(&clerkb, &r, "%s", path);
    assert_error(&r, 404, "not_found", "id");
    assert_null(strstr(r.body, "宪法"));
    client_send(&clerkb, "PATCH", path, json_pack("{s:s}", "title", "改"), &r);
    assert_error(&r, 404, "not_found", "id");
    client_request(&clerkb, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    client_get(&clerkb, &r, "%s/history", path);
    assert_error(&r, 404, "not_found", "id");
    client_get(&clerkb, &r, "/api/v1/ledger/entries?year=2023");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "宪法"));
    client_get(&clerkb, &r, "/api/v1/ledger/totals?unit=%lld", (long long)srv.ca_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerkb, &r, "/api/v1/ledger/entries?unit=%lld", (long long)srv.ca_id);
    assert_error(&r, 404, "not_found", "unit");
    client_send(&clerkb, "POST", "/api/v1/ledger/entries",
                entry_body("study.lecture", srv.ca_id, "2023-04-01", "越权",
                           json_pack("{s:i}", "attendance", 1)),
                &r);
    assert_error(&r, 403, "forbidden", "unit_id");
    /* The clerk's own entry moved into another community: refused. */
    client_send(&clerka, "PATCH", path, json_pack("{s:I}", "unit_id", (json_int_t)srv.cb_id), &r);
    assert_error(&r, 403, "forbidden", "unit_id");

    /* A leader reads but does not record. */
    client_send(&leader, "POST", "/api/v1/ledger/entries",
                entry_body("study.lecture", srv.root_id, "2023-04-01", "领导",
                           json_pack("{s:i}", "attendance", 1)),
                &r);
    assert_error(&r, 403, "forbidden", NULL);
    client_get(&clerka, &r, "%s", path);
    assert_string_equal(json_str_member(r.json, "title"), "甲社区宪法讲座");
    response_release(&r);
}

/* One bad request and the field its error must name. */
struct bad_case {
    const char *name;
    const char *json; /* the body */
    long status;
    const char *code, *field;
};

static void test_entries__bad_input_names_the_field_and_changes_nothing(void **state)
{
    int64_t young = create_unit("young", "community", srv.root_id);
    char body[1024], ca[32], cb[32], yu[32];
    struct response r = {0};
    size_t before;
    json_t *t0, *t1;

    (void)state;
    client_send(&admin, "PATCH", path_of(body, sizeof(body), "/api/v1/units/", young, ""),
                json_pack("{s:s}", "established_on", "2023-06-01"), &r);
    assert_status(&r, 200);
    snprintf(ca, sizeof(ca), "%lld", (long long)srv.ca_id);
    snprintf(cb, sizeof(cb), "%lld", (long long)srv.cb_id);
    snprintf(yu, sizeof(yu), "%lld", (long long)young);

#define LECTURE(unit, date, title, counters)                                                       \
    "{\"kind\":\"study.lecture\",\"unit_id\":" unit ",\"date\":\"" date "\",\"title\":" title      \
    ",\"counters\":" counters "}"
    const struct bad_case cases[] = {
        {"no kind", "{\"unit_id\":1,\"date\":\"2023-01-01\",\"title\":\"x\"}", 422, "invalid",
         "kind"},
        {"unknown kind",
         "{\"kind\":\"no.such\",\"unit_id\":1,\"date\":\"2023-01-01\",\"title\":\"x\"}", 422,
         "invalid", "kind"},
        {"no unit",
         "{\"kind\":\"study.lecture\",\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1}}",
         422, "invalid", "unit_id"},
        {"unknown unit", LECTURE("999999", "2023-01-01", "\"x\"", "{\"attendance\":1}"), 422,
         "invalid", "unit_id"},
        {"unit not an integer", LECTURE("\"ca\"", "2023-01-01", "\"x\"", "{\"attendance\":1}"), 422,
         "invalid", "unit_id"},
        {"no date",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"title\":\"x\","
         "\"counters\":{\"attendance\":1}}",
         422, "invalid", "date"},
        {"no such day", LECTURE("%s", "2023-02-30", "\"x\"", "{\"attendance\":1}"), 422, "invalid",
         "date"},
        {"slashes", LECTURE("%s", "2023/01/01", "\"x\"", "{\"attendance\":1}"), 422, "invalid",
         "date"},
        {"future", LECTURE("%s", "2999-01-01", "\"x\"", "{\"attendance\":1}"), 422, "invalid",
         "date"},
        {"no title",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\","
         "\"counters\":{\"attendance\":1}}",
         422, "invalid", "title"},
        {"empty title", LECTURE("%s", "2023-01-01", "\"\"", "{\"attendance\":1}"), 422, "invalid",
         "title"},
        {"title a number", LECTURE("%s", "2023-01-01", "5", "{\"attendance\":1}"), 422, "invalid",
         "title"},
        {"counters a list", LECTURE("%s", "2023-01-01", "\"x\"", "[1]"), 422, "invalid",
         "counters"},
        {"unknown counter", LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":1,\"bogus\":2}"),
         422, "invalid", "counters.bogus"},
        {"counter as text", LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":\"12\"}"), 422,
         "invalid", "counters.attendance"},
        {"counter true", LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":true}"), 422,
         "invalid", "counters.attendance"},
        {"negative", LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":-1}"), 422, "invalid",
         "counters.attendance"},
        {"fraction of a person", LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":12.5}"), 422,
         "invalid", "counters.attendance"},
        {"too many decimals",
         LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":1,\"hours\":1.25}"), 422, "invalid",
         "counters.hours"},
        {"too many digits",
         LECTURE("%s", "2023-01-01", "\"x\"", "{\"attendance\":1,\"hours\":0.30000000000000004}"),
         422, "invalid", "counters.hours"},
        {"required counter missing", LECTURE("%s", "2023-01-01", "\"x\"", "{\"hours\":1}"), 422,
         "invalid", "counters.attendance"},
        {"participants not a list",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1},\"participants\":5}",
         422, "invalid", "participants"},
        {"participant not an id",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1},\"participants\":[\"张三\"]}",
         422, "invalid", "participants[0]"},
        {"unknown participant",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1},\"participants\":[999999]}",
         422, "invalid", "participants[0]"},
        {"unknown member",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1},\"colour\":\"red\"}",
         422, "invalid", "colour"},
        {"not JSON", "{\"kind\":", 400, "bad_request", NULL},
    };
#undef LECTURE
    const struct bad_case scoped[] = {
        /* Units: outside the scope, of a type that does not record the kind,
         * and a date before the unit existed. */
        {"other community",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-01-01\","
         "\"title\":\"x\",\"counters\":{\"attendance\":1}}",
         403, "forbidden", "unit_id"},
        {"station kind in a community",
         "{\"kind\":\"traffic.persuasion\",\"unit_id\":%s,\"date\":\"2023-01-01\",\"title\":\"x\","
         "\"counters\":{\"vehicles_checked\":1,\"persuaded\":1}}",
         422, "invalid", "unit_id"},
        {"before the unit existed",
         "{\"kind\":\"study.lecture\",\"unit_id\":%s,\"date\":\"2023-05-31\",\"title\":\"x\","
         "\"counters\":{\"attendance\":1}}",
         422, "invalid", "date"},
    };
    const char *scoped_unit[] = {cb, ca, yu};

    before = audit_count();
    t0 = totals(&admin, "source=detail");
    for (size_t i = 0; i < ARRAY_SIZE(cases) + ARRAY_SIZE(scoped); i++) {
        bool s = i >= ARRAY_SIZE(cases);
        const struct bad_case *c = s ? &scoped[i - ARRAY_SIZE(cases)] : &cases[i];
        struct client *who = s && i - ARRAY_SIZE(cases) == 2 ? &admin : &clerka;
        subst(body, sizeof(body), c->json, s ? scoped_unit[i - ARRAY_SIZE(cases)] : ca);
        client_request(who, "POST", "/api/v1/ledger/entries", "application/json", body,
                       strlen(body), NULL, &r);
        if (r.status != c->status)
            harness_note("case \"%s\"\n", c->name);
        assert_error(&r, c->status, c->code, c->field);
    }
    client_request(&clerka, "POST", "/api/v1/ledger/entries", "text/plain", "{}", 2, NULL, &r);
    assert_error(&r, 415, "unsupported_media_type", NULL);

    /* Nothing was written: no audit entry, no change in the totals. */
    assert_int_equal(audit_count(), before);
    t1 = totals(&admin, "source=detail");
    assert_true(json_equal(t0, t1));
    json_decref(t0);
    json_decref(t1);
    response_release(&r);
}

static void test_entries__patch_versions_and_history(void **state)
{
    struct response r = {0};
    char path[128];
    json_t *items, *audit, *it;
    int64_t id;
    size_t i, found = 0;

    (void)state;
    id = create_entry(&clerka, entry_body("study.lecture", srv.ca_id, "2023-05-10", "初稿",
                                          json_pack("{s:i, s:f}", "attendance", 20, "hours", 2.0)));
    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "");
    client_send(&clerka, "PATCH", path,
                json_pack("{s:i, s:s, s:{s:i}}", "version", 1, "title", "定稿", "counters",
                          "attendance", 25),
                &r);
    assert_status(&r, 200);
    assert_int_equal(json_int_member(r.json, "version"), 2);
    assert_string_equal(json_str_member(r.json, "title"), "定稿");
    /* The other counter is kept. */
    assert_true(json_number_value(json_object_get(json_object_get(r.json, "counters"), "hours")) ==
                2.0);

    client_send(&clerka, "PATCH", path, json_pack("{s:i, s:s}", "version", 1, "title", "旧"), &r);
    assert_error(&r, 409, "conflict", "version");
    client_send(&clerka, "PATCH", path, json_pack("{s:s}", "kind", "study.central_group"), &r);
    assert_error(&r, 422, "invalid", "kind");
    client_send(&clerka, "PATCH", path, json_pack("{s:{s:n}}", "counters", "attendance"), &r);
    assert_error(&r, 422, "invalid", "counters.attendance");
    client_send(&clerka, "PATCH", path,
                json_pack("{s:{s:n}, s:s}", "counters", "hours", "place", "会议室"), &r);
    assert_status(&r, 200);
    assert_null(json_object_get(json_object_get(r.json, "counters"), "hours"));
    assert_string_equal(json_str_member(r.json, "place"), "会议室");

    client_get(&clerka, &r, "%s/history", path);
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 3);
    assert_string_equal(json_str_member(json_array_get(items, 0), "action"), "create");
    assert_string_equal(
        json_str_member(json_object_get(json_array_get(items, 0), "entry"), "title"), "初稿");
    assert_string_equal(json_str_member(json_array_get(items, 1), "action"), "update");
    assert_int_equal(json_int_member(json_array_get(items, 2), "version"), 3);

    /* Audited with before and after. */
    audit = audit_all(&admin);
    json_array_foreach(audit, i, it)
    {
        char eid[32];
        snprintf(eid, sizeof(eid), "%lld", (long long)id);
        if (strcmp(json_str_member(it, "entity"), "ledger_entry") != 0 ||
            strcmp(json_str_member(it, "entity_id"), eid) != 0)
            continue;
        found++;
        if (strcmp(json_str_member(it, "action"), "update") == 0) {
            assert_true(json_is_object(json_object_get(it, "before")));
            assert_true(json_is_object(json_object_get(it, "after")));
        }
    }
    assert_int_equal(found, 3);
    json_decref(audit);
    response_release(&r);
}

static void test_entries__delete_is_soft_and_audited(void **state)
{
    struct response r = {0};
    char path[160];
    json_t *t0, *t1, *items;
    int64_t id;

    (void)state;
    t0 = totals(&clerka, "kind=river.remediation&year=2023");
    id = create_entry(&clerka, entry_body("river.remediation", srv.ca_id, "2023-06-01", "清淤",
                                          json_pack("{s:i}", "sites", 2)));
    t1 = totals(&clerka, "kind=river.remediation&year=2023");
    assert_int_equal(json_int_member(t1, "entries"), json_int_member(t0, "entries") + 1);
    json_decref(t1);

    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "?version=9");
    client_request(&clerka, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_error(&r, 409, "conflict", "version");
    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "?version=1");
    client_request(&clerka, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);
    client_request(&clerka, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_error(&r, 404, "not_found", "id");
    client_get(&clerka, &r, "/api/v1/ledger/entries/%lld", (long long)id);
    assert_error(&r, 404, "not_found", "id");

    t1 = totals(&clerka, "kind=river.remediation&year=2023");
    assert_true(json_equal(json_object_get(t0, "counters"), json_object_get(t1, "counters")));
    assert_int_equal(json_int_member(t1, "entries"), json_int_member(t0, "entries"));
    json_decref(t1);
    t1 = totals(&clerka, "kind=river.remediation&year=2023&source=detail");
    assert_int_equal(json_int_member(t1, "entries"), json_int_member(t0, "entries"));
    json_decref(t1);
    json_decref(t0);

    /* The history keeps every version, the deletion last. */
    client_get(&clerka, &r, "/api/v1/ledger/entries/%lld/history", (long long)id);
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_str_member(json_array_get(items, 1), "action"), "delete");
    assert_non_null(
        json_object_get(json_object_get(json_array_get(items, 1), "entry"), "deleted_at"));
    response_release(&r);
}

static void test_entries__implausible_values_warn(void **state)
{
    struct response r = {0};
    char path[128];
    json_t *w;
    int64_t id;
    size_t i;
    bool listed = false;

    (void)state;
    client_send(&admin, "POST", "/api/v1/ledger/entries",
                entry_body("traffic.patrol", srv.root_id, "2023-07-01", "长途巡逻",
                           json_pack("{s:f}", "km", 1500.5)),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    w = json_array_get(json_object_get(r.json, "warnings"), 0);
    assert_non_null(w);
    assert_string_equal(json_str_member(w, "field"), "counters.km");
    assert_true(json_number_value(json_object_get(w, "value")) == 1500.5);
    assert_int_equal(json_int_member(w, "max"), 200);
    assert_non_null(strstr(json_str_member(w, "message"), "请核实"));
    assert_non_null(strstr(r.body, "\"km\":1500.5"));

    client_get(&admin, &r, "/api/v1/ledger/warnings?year=2023");
    assert_status(&r, 200);
    json_array_foreach(response_items(&r), i, w)
    {
        if (json_int_member(json_object_get(w, "entry"), "id") == id)
            listed = true;
    }
    assert_true(listed);
    /* Outside a clerk's scope. */
    client_get(&clerka, &r, "/api/v1/ledger/warnings?year=2023");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "长途巡逻"));

    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "");
    client_send(&admin, "PATCH", path, json_pack("{s:{s:f}}", "counters", "km", 15.05), &r);
    assert_status(&r, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 0);
    assert_non_null(strstr(r.body, "\"km\":15.05"));
    client_get(&admin, &r, "/api/v1/ledger/warnings?year=2023");
    assert_null(strstr(r.body, "长途巡逻"));
    response_release(&r);
}

static void test_entries__participants_from_the_registers(void **state)
{
    struct response r = {0};
    int64_t pa, pb;

    (void)state;
    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "张三", "unit_id", (json_int_t)srv.ca_id), &r);
    assert_status(&r, 201);
    pa = json_int_member(r.json, "id");
    client_send(&admin, "POST", "/api/v1/people",
                json_pack("{s:s, s:I}", "name", "李四", "unit_id", (json_int_t)srv.cb_id), &r);
    assert_status(&r, 201);
    pb = json_int_member(r.json, "id");

    {
        json_t *b = entry_body("publicity.meeting", srv.ca_id, "2023-08-01", "院坝会",
                               json_pack("{s:i}", "attendance", 40));
        json_object_set_new(b, "participants", json_pack("[I]", (json_int_t)pa));
        client_send(&clerka, "POST", "/api/v1/ledger/entries", b, &r);
        assert_status(&r, 201);
        assert_string_equal(
            json_str_member(json_array_get(json_object_get(r.json, "participants"), 0), "name"),
            "张三");
    }
    {
        json_t *b = entry_body("publicity.meeting", srv.ca_id, "2023-08-01", "院坝会",
                               json_pack("{s:i}", "attendance", 40));
        json_object_set_new(b, "participants", json_pack("[I, I]", (json_int_t)pa, (json_int_t)pb));
        client_send(&clerka, "POST", "/api/v1/ledger/entries", b, &r);
        assert_error(&r, 422, "invalid", "participants[1]");
    }
    {
        json_t *b = entry_body("publicity.meeting", srv.ca_id, "2023-08-01", "院坝会",
                               json_pack("{s:i}", "attendance", 40));
        json_object_set_new(b, "participants", json_pack("[I, I]", (json_int_t)pa, (json_int_t)pa));
        client_send(&clerka, "POST", "/api/v1/ledger/entries", b, &r);
        assert_error(&r, 422, "invalid", "participants[1]");
    }
    response_release(&r);
}

/* ================================================================
 * Lists and totals
 * ================================================================ */

static void test_entries__list_filters_and_pages(void **state)
{
    int64_t unit = create_unit("cc", "community", srv.root_id);
    static const struct {
        const char *kind, *date, *title;
        int n;
    } rows[] = {
        {"river.remediation", "2023-01-31", "河道清理一", 1},
        {"river.remediation", "2023-02-01", "河道清理二", 2},
        {"sanitation.campaign", "2023-02-28", "整治一", 3},
        {"sanitation.campaign", "2023-03-01", "整治二", 4},
        {"river.remediation", "2023-03-15", "河道清理三", 5},
        {"sanitation.campaign", "2023-03-31", "整治三", 6},
        {"sanitation.campaign", "2023-04-01", "整治四", 7},
    };
    struct response r = {0};
    char cursor[64] = "";
    size_t pages = 0, seen = 0;
    const char *prev_date = "9999";

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        create_entry(&admin,
                     entry_body(rows[i].kind, unit, rows[i].date, rows[i].title,
                                strcmp(rows[i].kind, "river.remediation") == 0
                                    ? json_pack("{s:i}", "sites", rows[i].n)
                                    : json_pack("{s:i, s:i}", "ads", rows[i].n, "vendors", 1)));
    /* Pages of 3 by date, newest first, until next_cursor is null. */
    for (;;) {
        json_t *items, *it;
        size_t i;
        client_get(&admin, &r, "/api/v1/ledger/entries?unit=%lld&limit=3%s%s", (long long)unit,
                   cursor[0] ? "&cursor=" : "", cursor);
        assert_status(&r, 200);
        items = response_items(&r);
        json_array_foreach(items, i, it)
        {
            assert_true(strcmp(json_str_member(it, "date"), prev_date) <= 0);
            prev_date = json_str_member(it, "date");
            seen++;
        }
        pages++;
        if (json_is_null(json_object_get(r.json, "next_cursor")))
            break;
        snprintf(cursor, sizeof(cursor), "%s", json_str_member(r.json, "next_cursor"));
        prev_date = "9999"; /* the strings die with the response */
        assert_true(pages < 10);
    }
    assert_int_equal(seen, 7);
    assert_int_equal(pages, 3);

    client_get(&admin, &r, "/api/v1/ledger/entries?unit=%lld&kind=river.remediation",
               (long long)unit);
    assert_int_equal(json_array_size(response_items(&r)), 3);
    client_get(&admin, &r, "/api/v1/ledger/entries?unit=%lld&from=2023-02-01&to=2023-03-01",
               (long long)unit);
    assert_int_equal(json_array_size(response_items(&r)), 3);
    client_get(&admin, &r, "/api/v1/ledger/entries?unit=%lld&q=%%E6%%B2%%B3%%E9%%81%%93",
               (long long)unit); /* q=河道 */
    assert_int_equal(json_array_size(response_items(&r)), 3);
    client_get(&admin, &r, "/api/v1/ledger/entries?unit=%lld&year=2022", (long long)unit);
    assert_int_equal(json_array_size(response_items(&r)), 0);

    client_get(&admin, &r, "/api/v1/ledger/entries?cursor=garbage");
    assert_error(&r, 400, "bad_request", "cursor");
    client_get(&admin, &r, "/api/v1/ledger/entries?from=2023-13-01");
    assert_error(&r, 422, "invalid", "from");
    client_get(&admin, &r, "/api/v1/ledger/entries?from=2023-03-01&to=2023-02-01");
    assert_error(&r, 422, "invalid", "to");
    client_get(&admin, &r, "/api/v1/ledger/entries?year=2023&from=2023-01-01");
    assert_error(&r, 400, "bad_request", "year");
    client_get(&admin, &r, "/api/v1/ledger/entries?year=23");
    assert_error(&r, 400, "bad_request", "year");
    client_get(&admin, &r, "/api/v1/ledger/entries?kind=no.such");
    assert_error(&r, 422, "invalid", "kind");
    client_get(&admin, &r, "/api/v1/ledger/entries?limit=501");
    assert_error(&r, 400, "bad_request", "limit");
    client_get(&admin, &r, "/api/v1/ledger/entries?unit=999999");
    assert_error(&r, 404, "not_found", "unit");

    /* Totals of the same unit: per kind, per period, roll-up = detail. */
    {
        json_t *t = totals(&admin, "unit=%lld&year=2023", (long long)unit), *d, *one;
        assert_int_equal(json_int_member(t, "entries"), 7);
        assert_string_equal(json_str_member(t, "source"), "rollup");
        assert_int_equal(kind_entries(t, "river.remediation"), 3);
        assert_true(counter_total(t, "river.remediation", "sites") == 8);
        assert_true(counter_total(t, "sanitation.campaign", "ads") == 20);
        assert_true(counter_total(t, "sanitation.campaign", "vendors") == 4);
        /* A counter nobody filled still shows, at 0. */
        assert_true(counter_total(t, "sanitation.campaign", "piles") == 0);
        assert_non_null(json_object_get(
            json_object_get(totals_kind(t, "sanitation.campaign"), "counters"), "piles"));
        d = totals(&admin, "unit=%lld&year=2023&source=detail", (long long)unit);
        assert_true(json_equal(json_object_get(t, "kinds"), json_object_get(d, "kinds")));
        json_decref(d);
        json_decref(t);

        /* Month ends and partial months. */
        t = totals(&admin, "unit=%lld&from=2023-01-31&to=2023-03-01&kind=sanitation.campaign",
                   (long long)unit);
        assert_int_equal(json_int_member(t, "entries"), 2);
        assert_string_equal(json_str_member(t, "kind"), "sanitation.campaign");
        one = json_object_get(json_object_get(t, "counters"), "ads");
        assert_true(json_number_value(json_object_get(one, "total")) == 7);
        assert_string_equal(json_str_member(one, "unit"), "处");
        json_decref(t);
        t = totals(&admin, "unit=%lld&from=2023-03-02&to=2023-03-31", (long long)unit);
        assert_int_equal(json_int_member(t, "entries"), 2);
        json_decref(t);
        t = totals(&admin, "unit=%lld&from=2023-02-01&to=2023-02-01", (long long)unit);
        assert_int_equal(json_int_member(t, "entries"), 1);
        json_decref(t);
        /* A text filter sums the detail. */
        t = totals(&admin, "unit=%lld&q=%%E6%%B2%%B3%%E9%%81%%93", (long long)unit);
        assert_string_equal(json_str_member(t, "source"), "detail");
        assert_int_equal(json_int_member(t, "entries"), 3);
        json_decref(t);
        /* The subdistrict's totals include its community's. */
        t = totals(&admin, "year=2023&kind=river.remediation");
        assert_true(json_int_member(t, "entries") >= 3);
        json_decref(t);
    }
    client_get(&admin, &r, "/api/v1/ledger/totals?kind=no.such");
    assert_error(&r, 422, "invalid", "kind");
    client_get(&admin, &r, "/api/v1/ledger/totals?source=cache");
    assert_error(&r, 400, "bad_request", "source");
    response_release(&r);
}

/* ================================================================
 * Events and tracks
 * ================================================================ */

static void test_events__scoped_to_the_unit(void **state)
{
    struct sse_reader *a = sse_open(&clerka, NULL), *b = sse_open(&clerkb, NULL);
    struct response r = {0};
    char path[128], *text;
    int64_t id;

    (void)state;
    /* A stream sends ": connected" only once it is registered: before that
       an event would pass it by (there is no Last-Event-ID to replay from). */
    assert_true(sse_wait_for(a, ": connected", 10000));
    assert_true(sse_wait_for(b, ": connected", 10000));
    id = create_entry(&clerkb,
                      entry_body("publicity.wechat", srv.cb_id, "2023-09-01", "乙社区推送", NULL));
    assert_true(sse_wait_for(b, "乙社区推送", 5000));
    id = create_entry(&clerka, entry_body("publicity.wechat", srv.ca_id, "2023-09-01", "甲社区推送",
                                          json_pack("{s:i}", "reads", 120)));
    assert_true(sse_wait_for(a, "ledger.entry.created", 5000));
    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "");
    client_send(&clerka, "PATCH", path, json_pack("{s:s}", "title", "甲社区推送（改）"), &r);
    assert_status(&r, 200);
    assert_true(sse_wait_for(a, "ledger.entry.updated", 5000));
    client_request(&clerka, "DELETE", path, NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);
    assert_true(sse_wait_for(a, "ledger.entry.deleted", 5000));
    /* The other community's stream never saw them. */
    create_entry(&clerkb,
                 entry_body("publicity.wechat", srv.cb_id, "2023-09-02", "乙社区推送二", NULL));
    assert_true(sse_wait_for(b, "乙社区推送二", 5000));
    text = sse_text(b);
    assert_null(strstr(text, "甲社区推送"));
    free(text);
    sse_close(a);
    sse_close(b);
    response_release(&r);
}

static const char gpx_track[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
    "<trk><name>巡逻</name><trkseg>\n"
    "<trkpt lat=\"30.000000\" lon=\"104.000000\"><time>2023-10-01T01:00:00Z</time></trkpt>\n"
    "<trkpt lat=\"30.050000\" lon=\"104.000000\"><time>2023-10-01T01:30:00Z</time></trkpt>\n"
    "<trkpt lat=\"30.100000\" lon=\"104.000000\"><time>2023-10-01T02:00:00Z</time></trkpt>\n"
    "</trkseg></trk></gpx>\n";

static void test_track__gpx_sets_the_distance(void **state)
{
    struct response r = {0};
    char path[128];
    json_t *track;
    int64_t id, lecture;
    double km;

    (void)state;
    id = create_entry(&admin, entry_body("traffic.patrol", srv.root_id, "2023-10-01", "轨迹巡逻",
                                         json_pack("{s:i}", "km", 1)));
    path_of(path, sizeof(path), "/api/v1/ledger/entries/", id, "/track");
    client_request(&admin, "POST", path, "application/gpx+xml", gpx_track, strlen(gpx_track), NULL,
                   &r);
    assert_status(&r, 200);
    km = json_number_value(json_object_get(json_object_get(r.json, "counters"), "km"));
    /* 0.1 degree of latitude: 11.119 km on the mean Earth radius. */
    assert_true(km > 11.11 && km < 11.13);
    track = json_object_get(r.json, "track");
    assert_int_equal(json_int_member(track, "points"), 3);
    assert_non_null(json_object_get(track, "started_at"));
    assert_int_equal(json_int_member(r.json, "version"), 2);
    assert_int_equal(json_array_size(json_object_get(r.json, "warnings")), 0);

    client_request(&admin, "POST", path, "application/json", "{}", 2, NULL, &r);
    assert_error(&r, 415, "unsupported_media_type", NULL);
    client_request(&admin, "POST", path, "application/gpx+xml", "<gpx", 4, NULL, &r);
    assert_error(&r, 400, "bad_request", "file");
    {
        static const char doctype[] = "<?xml version=\"1.0\"?><!DOCTYPE gpx [<!ENTITY a \"b\">]>"
                                      "<gpx version=\"1.1\"></gpx>";
        client_request(&admin, "POST", path, "application/gpx+xml", doctype, strlen(doctype), NULL,
                       &r);
        assert_error(&r, 400, "bad_request", "file");
    }
    {
        static const char empty[] = "<?xml version=\"1.0\"?><gpx version=\"1.1\"></gpx>";
        client_request(&admin, "POST", path, "application/gpx+xml", empty, strlen(empty), NULL, &r);
        assert_error(&r, 422, "invalid", "file");
    }
    lecture = create_entry(&admin, entry_body("study.lecture", srv.root_id, "2023-10-01", "讲座",
                                              json_pack("{s:i}", "attendance", 9)));
    path_of(path, sizeof(path), "/api/v1/ledger/entries/", lecture, "/track");
    client_request(&admin, "POST", path, "application/gpx+xml", gpx_track, strlen(gpx_track), NULL,
                   &r);
    assert_error(&r, 422, "invalid", "kind");
    response_release(&r);
}

/* ================================================================
 * The report's figures
 * ================================================================ */

/*
 * Each ledger-shaped figure of conf/figures-2022.tsv, as a count of entries
 * of a kind (counter NULL) or the sum of a counter (docs/ledger.md). 'unit'
 * says where the entries are recorded: the subdistrict, or its stations.
 */
static const struct figure {
    const char *metric, *kind, *counter;
    bool at_stations;
} figures[] = {
    {"study.central_group.sessions", "study.central_group", NULL, false},
    {"study.lecture.sessions", "study.lecture", NULL, false},
    {"study.lecture.attendance", "study.lecture", "attendance", false},
    {"study.staff_training.attendance", "study.staff_training", "attendance", false},
    {"study.staff_training.sessions", "study.staff_training", NULL, false},
    {"publicity.campaign.count", "publicity.campaign", NULL, false},
    {"publicity.meeting.count", "publicity.meeting", NULL, false},
    {"publicity.materials.copies", "publicity.materials", "copies", false},
    {"publicity.led.count", "publicity.led", NULL, false},
    {"publicity.wechat.count", "publicity.wechat", NULL, false},
    {"traffic.joint_operations.count", "traffic.joint_operation", NULL, false},
    {"traffic.joint_operations.vehicles_checked", "traffic.joint_operation", "vehicles_checked",
     false},
    {"traffic.joint_operations.violations", "traffic.joint_operation", "violations", false},
    {"traffic.station_duty.count", "traffic.station_duty", NULL, false},
    {"traffic.persuasion.vehicles_checked", "traffic.persuasion", "vehicles_checked", true},
    {"traffic.persuasion.persuaded", "traffic.persuasion", "persuaded", true},
    {"traffic.checkins.count", "traffic.checkin", NULL, true},
    {"traffic.patrols.count", "traffic.patrol", NULL, true},
    {"traffic.patrols.km", "traffic.patrol", "km", true},
    {"safety.joint_operations.count", "safety.joint_operation", NULL, false},
    {"safety.places.inspected", "safety.joint_operation", "places_inspected", false},
    {"sanitation.campaigns.count", "sanitation.campaign", NULL, false},
    {"sanitation.parking.count", "sanitation.campaign", "parking", false},
    {"sanitation.door_stalls.count", "sanitation.campaign", "door_stalls", false},
    {"sanitation.piles.count", "sanitation.campaign", "piles", false},
    {"sanitation.ads.count", "sanitation.campaign", "ads", false},
    {"sanitation.vendors.count", "sanitation.campaign", "vendors", false},
    {"river.sites.remediated", "river.remediation", "sites", false},
};

/* The value of 'metric' in the embedded figures-2022.tsv. */
static int64_t figure_value(const char *metric)
{
    const struct embedded_file *f = embedded_file_find("figures-2022.tsv");
    size_t n = strlen(metric);

    assert_non_null(f);
    for (const char *l = f->data; l; l = strchr(l, '\n')) {
        if (*l == '\n')
            l++;
        if (strncmp(l, metric, n) == 0 && l[n] == '\t')
            return strtoll(l + n + 1, NULL, 10);
    }
    fail_msg("figure %s not in figures-2022.tsv", metric);
    return 0;
}

/* The i-th of n parts of 'total', as even as integers allow. */
static int64_t part(int64_t total, int64_t n, int64_t i)
{
    return total / n + (i < total % n ? 1 : 0);
}

/* The sessions of a kind: the count figure, or 'fallback' entries. */
static int64_t sessions_of(const char *kind, int64_t fallback)
{
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++)
        if (strcmp(figures[i].kind, kind) == 0 && !figures[i].counter)
            return figure_value(figures[i].metric);
    return fallback;
}

/* Records every figure of kind 'kind': N entries (the count figure, or
 * 'fallback'), each counter figure split evenly over them. Kinds with many
 * entries go through a CSV import, the others one POST each. */
static void record_kind(const char *kind, int64_t fallback, const int64_t *stations,
                        size_t nstations)
{
    int64_t n = sessions_of(kind, fallback);
    const struct figure *counters[8];
    size_t nc = 0;
    bool at_stations = false;

    for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
        if (strcmp(figures[i].kind, kind) != 0)
            continue;
        at_stations |= figures[i].at_stations;
        if (figures[i].counter)
            counters[nc++] = &figures[i];
    }
    if (n > 60) {
        struct strbuf csv = STRBUF_INIT;
        struct response r = {0};
        char unit_code[64];

        strbuf_adds(&csv, "\xEF\xBB\xBF日期,标题,单位代码");
        for (size_t c = 0; c < nc; c++)
            strbuf_addf(&csv, ",%s", counters[c]->counter);
        strbuf_adds(&csv, "\r\n");
        for (int64_t i = 0; i < n; i++) {
            struct date d = {2022, 1 + (int)(i % 12), 1 + (int)(i / 12 % 28)};
            char date[16];
            date_format(&d, date, sizeof(date));
            if (at_stations)
                snprintf(unit_code, sizeof(unit_code), "fig-st-%lld",
                         (long long)(i % (int64_t)nstations));
            else
                snprintf(unit_code, sizeof(unit_code), "root");
            strbuf_addf(&csv, "%s,%s 第%lld次,%s", date, kind, (long long)i + 1, unit_code);
            for (size_t c = 0; c < nc; c++)
                strbuf_addf(&csv, ",%lld",
                            (long long)part(figure_value(counters[c]->metric), n, i));
            strbuf_adds(&csv, "\r\n");
        }
        {
            char path[128];
            snprintf(path, sizeof(path), "/api/v1/ledger/import?kind=%s", kind);
            client_request(&admin, "POST", path, "text/csv", csv.buf, csv.len, NULL, &r);
        }
        if (r.status != 201)
            harness_note("import of %s: %ld %.2000s\n", kind, r.status, r.body);
        assert_status(&r, 201);
        assert_int_equal(json_int_member(r.json, "created"), n);
        response_release(&r);
        strbuf_release(&csv);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        struct date d = {2022, 1 + (int)(i % 12), 1 + (int)(i / 12 % 28)};
        char date[16], title[96];
        json_t *values = json_object();
        date_format(&d, date, sizeof(date));
        snprintf(title, sizeof(title), "%s 第%lld次", kind, (long long)i + 1);
        for (size_t c = 0; c < nc; c++)
            json_object_set_new(values, counters[c]->counter,
                                json_integer(part(figure_value(counters[c]->metric), n, i)));
        create_entry(&admin,
                     entry_body(kind, at_stations ? stations[i % (int64_t)nstations] : srv.root_id,
                                date, title, values));
    }
}

static void test_figures__every_ledger_figure_reads_back(void **state)
{
    static const struct {
        const char *kind;
        int64_t entries; /* for kinds whose count is not a figure */
    } kinds[] = {
        {"study.central_group", 0},  {"study.lecture", 0},          {"study.staff_training", 0},
        {"publicity.campaign", 0},   {"publicity.meeting", 0},      {"publicity.materials", 8},
        {"publicity.led", 0},        {"publicity.wechat", 0},       {"traffic.joint_operation", 0},
        {"traffic.station_duty", 0}, {"traffic.persuasion", 20},    {"traffic.checkin", 0},
        {"traffic.patrol", 0},       {"safety.joint_operation", 0}, {"sanitation.campaign", 0},
        {"river.remediation", 5},
    };
    int64_t stations[7];
    struct response r = {0};
    json_t *t;

    (void)state;
    /* The seven persuasion stations of the report (traffic.stations.count). */
    for (int i = 0; i < 7; i++) {
        char code[32], name[32];
        snprintf(code, sizeof(code), "fig-st-%d", i);
        snprintf(name, sizeof(name), "劝导站%d", i + 1);
        client_send(&admin, "POST", "/api/v1/units",
                    json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", name, "type", "station",
                              "parent_id", (json_int_t)srv.root_id),
                    &r);
        assert_status(&r, 201);
        stations[i] = json_int_member(r.json, "id");
    }
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
        record_kind(kinds[k].kind, kinds[k].entries, stations, 7);

    /* Read back: the subdistrict's totals for 2022, from the roll-up. */
    t = totals(&leader, "unit=%lld&year=2022", (long long)srv.root_id);
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
        const struct figure *f = &figures[i];
        int64_t want = figure_value(f->metric);
        double got =
            f->counter ? counter_total(t, f->kind, f->counter) : (double)kind_entries(t, f->kind);
        if (got != (double)want)
            fail_msg("%s: recorded %lld, totals say %.3f", f->metric, (long long)want, got);
    }
    json_decref(t);
    /* And the same from the detail tables, and per kind. */
    t = totals(&leader, "unit=%lld&year=2022&source=detail", (long long)srv.root_id);
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
        const struct figure *f = &figures[i];
        double got =
            f->counter ? counter_total(t, f->kind, f->counter) : (double)kind_entries(t, f->kind);
        assert_true(got == (double)figure_value(f->metric));
    }
    json_decref(t);
    t = totals(&leader, "year=2022&kind=traffic.patrol");
    assert_true(json_number_value(json_object_get(
                    json_object_get(json_object_get(t, "counters"), "km"), "total")) == 1050500);
    json_decref(t);

    /* `fazhi ledger rebuild` beside the live server recomputes the same. */
    {
        struct cli_result cr = {0};
        json_t *before = totals(&leader, "unit=%lld&year=2022", (long long)srv.root_id), *after;
        cli(&srv, &cr, NULL, "ledger", "rebuild", "--db", srv.db);
        if (cr.status != 0)
            harness_note("ledger rebuild: %s%s\n", cr.out, cr.err);
        assert_int_equal(cr.status, 0);
        cli_result_release(&cr);
        after = totals(&leader, "unit=%lld&year=2022", (long long)srv.root_id);
        assert_true(json_equal(before, after));
        json_decref(before);
        json_decref(after);
    }

    /* 1,050,500 km in 700 patrols is 1,500 km a patrol: every one is flagged. */
    client_get(&leader, &r, "/api/v1/ledger/warnings?year=2022&kind=traffic.patrol&limit=500");
    assert_status(&r, 200);
    assert_int_equal(json_array_size(response_items(&r)), 500);
    assert_false(json_is_null(json_object_get(r.json, "next_cursor")));
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds__listed_with_counters),
        cmocka_unit_test(test_kinds__admin_edits_with_checks),
        cmocka_unit_test(test_kinds__counter_in_use_is_kept),
        cmocka_unit_test(test_entries__scope_of_a_community_clerk),
        cmocka_unit_test(test_entries__bad_input_names_the_field_and_changes_nothing),
        cmocka_unit_test(test_entries__patch_versions_and_history),
        cmocka_unit_test(test_entries__delete_is_soft_and_audited),
        cmocka_unit_test(test_entries__implausible_values_warn),
        cmocka_unit_test(test_entries__participants_from_the_registers),
        cmocka_unit_test(test_entries__list_filters_and_pages),
        cmocka_unit_test(test_events__scoped_to_the_unit),
        cmocka_unit_test(test_track__gpx_sets_the_distance),
        cmocka_unit_test(test_figures__every_ledger_figure_reads_back),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
