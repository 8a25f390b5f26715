/*
 * test_ledger.c - the ledger rules without HTTP: exact counter values, the
 * catalog file and its loading, and the roll-up against the detail tables.
 *
 * The database tests run on a fresh SQLite file under /tmp, migrated to the
 * built-in schema, acting as the CLI principal (every role, the whole tree).
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/embedded.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/ledger/ledger.h"
#include "modules/org/org.h"
#include "store/store.h"

/* ================================================================
 * Counter values
 * ================================================================ */

static const struct ledger_counter integer_counter = {
    "attendance", "受训人次", "人次", LEDGER_INTEGER, 0, true, 300};
static const struct ledger_counter km_counter = {"km", "巡逻里程", "公里", LEDGER_DECIMAL,
                                                 3,    true,       200000};
static const struct ledger_counter yuan_counter = {"cost", "经费", "元", LEDGER_DECIMAL,
                                                   2,      false,  -1};

/* One case: a counter, text, and either a value or a message fragment. */
struct value_case {
    const struct ledger_counter *def;
    const char *text;
    int64_t value;       /* when 'message' is NULL */
    const char *message; /* the fault expected */
};

static const struct value_case text_cases[] = {
    {&integer_counter, "12", 12, NULL},
    {&integer_counter, "0", 0, NULL},
    {&integer_counter, "-0", 0, NULL},
    {&integer_counter, "+5", 5, NULL},
    {&integer_counter, " 7 ", 7, NULL},
    {&integer_counter, "1.0", 1, NULL},
    {&integer_counter, "1e2", 100, NULL},
    {&integer_counter, "100e-2", 1, NULL},
    {&integer_counter, "007", 7, NULL},
    {&integer_counter, "999999999999999", 999999999999999LL, NULL},
    {&integer_counter, "1000000000000000", 0, "数值过大"},
    {&integer_counter, "-1", 0, "不能为负数"},
    {&integer_counter, "-0.5", 0, "不能为负数"},
    {&integer_counter, "1.5", 0, "应为整数"},
    {&integer_counter, "1e-1", 0, "应为整数"},
    {&integer_counter, "abc", 0, "应为数字"},
    {&integer_counter, "", 0, "应为数字"},
    {&integer_counter, "1.2.3", 0, "应为数字"},
    {&integer_counter, "1e", 0, "应为数字"},
    {&integer_counter, "12 3", 0, "应为数字"},
    {&integer_counter, "1,000", 0, "应为数字"},
    {&km_counter, "1050.5", 1050500, NULL},
    {&km_counter, "1050.500", 1050500, NULL},
    {&km_counter, "1050.5000000", 1050500, NULL},
    {&km_counter, "0.001", 1, NULL},
    {&km_counter, ".5", 500, NULL},
    {&km_counter, "12.", 12000, NULL},
    {&km_counter, "1e-3", 1, NULL},
    {&km_counter, "1.5e1", 15000, NULL},
    {&km_counter, "999999999999.999", 999999999999999LL, NULL},
    {&km_counter, "0.0001", 0, "最多保留 3 位小数"},
    {&km_counter, "0.00010", 0, "最多保留 3 位小数"},
    {&km_counter, "1000000000000", 0, "数值过大"},
    {&km_counter, "1e400", 0, "数值过大"},
    {&yuan_counter, "8000000", 800000000, NULL},
    {&yuan_counter, "0.05", 5, NULL},
    {&yuan_counter, "12.345", 0, "最多保留 2 位小数"},
};

static void test_ledger_value_parse__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(text_cases); i++) {
        const struct value_case *t = &text_cases[i];
        struct err_ctx ec;
        int64_t v = -1;
        int rc;

        err_clear(&ec);
        rc = ledger_value_parse(t->def, t->text, "counters.x", &v, &ec);
        if (t->message) {
            if (rc != ERR_INVALID || !strstr(ec.message, t->message) ||
                strcmp(ec.field, "counters.x") != 0)
                fail_msg("case %zu \"%s\": want \"%s\", got rc %d \"%s\" field %s", i, t->text,
                         t->message, rc, ec.message, ec.field);
        } else if (rc != 0 || v != t->value) {
            fail_msg("case %zu \"%s\": want %lld, got rc %d value %lld (%s)", i, t->text,
                     (long long)t->value, rc, (long long)v, ec.message);
        }
    }
}

/* JSON numbers as a client sends them: text parsed by jansson. */
static const struct value_case json_cases[] = {
    {&integer_counter, "12", 12, NULL},
    {&integer_counter, "5.0", 5, NULL},
    {&integer_counter, "-3", 0, "不能为负数"},
    {&integer_counter, "-0.0", 0, NULL},
    {&integer_counter, "5.5", 0, "应为整数"},
    {&integer_counter, "\"12\"", 0, "应为数字"},
    {&integer_counter, "true", 0, "应为数字"},
    {&integer_counter, "[1]", 0, "应为数字"},
    {&integer_counter, "{}", 0, "应为数字"},
    {&integer_counter, "1e300", 0, "数值过大"},
    {&km_counter, "1050.1", 1050100, NULL},
    {&km_counter, "0.1", 100, NULL},
    {&km_counter, "1050500", 1050500000, NULL},
    {&km_counter, "9223372036854775807", 0, "数值过大"},
    {&km_counter, "1.0005", 0, "最多保留 3 位小数"},
    {&km_counter, "0.30000000000000004", 0, "有效数字不能超过 15 位"},
    {&km_counter, "-1.5", 0, "不能为负数"},
    {&yuan_counter, "8000000.01", 800000001, NULL},
    {&yuan_counter, "19.99", 1999, NULL},
    {&yuan_counter, "0.07", 7, NULL},
};

static void test_ledger_value_from_json__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(json_cases); i++) {
        const struct value_case *t = &json_cases[i];
        json_t *j = json_loads(t->text, JSON_DECODE_ANY, NULL);
        struct err_ctx ec;
        int64_t v = -1;
        int rc;

        assert_non_null(j);
        err_clear(&ec);
        rc = ledger_value_from_json(t->def, j, "counters.x", &v, &ec);
        json_decref(j);
        if (t->message) {
            if (rc != ERR_INVALID || !strstr(ec.message, t->message))
                fail_msg("case %zu %s: want \"%s\", got rc %d \"%s\"", i, t->text, t->message, rc,
                         ec.message);
        } else if (rc != 0 || v != t->value) {
            fail_msg("case %zu %s: want %lld, got rc %d value %lld (%s)", i, t->text,
                     (long long)t->value, rc, (long long)v, ec.message);
        }
    }
}

static void test_ledger_value_format__table(void **state)
{
    static const struct {
        int64_t v;
        int scale;
        const char *text;
    } cases[] = {
        {1050500, 3, "1050.5"},
        {12000, 3, "12"},
        {1, 3, "0.001"},
        {800000000, 2, "8000000"},
        {5, 0, "5"},
        {-5, 2, "-0.05"},
        {0, 3, "0"},
        {1050100, 3, "1050.1"},
        {999999999999999LL, 3, "999999999999.999"},
    };
    char buf[40];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        ledger_value_format(cases[i].v, cases[i].scale, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
}

/* Values go out as the decimal that came in, not as a 17-digit double. */
static void test_ledger_value_json__prints_exactly(void **state)
{
    static const struct {
        int64_t v;
        int scale;
        const char *json;
    } cases[] = {
        {1050100, 3, "1050.1"},
        {100, 3, "0.1"},
        {1050500000, 3, "1050500"},
        {1999, 2, "19.99"},
        {999999999999999LL, 3, "999999999999.999"},
        {7, 2, "0.07"},
        {42, 0, "42"},
    };
    struct arena *a = arena_new();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *j = ledger_value_json(cases[i].v, cases[i].scale);
        const char *text = ledger_json_dump(a, j);
        json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
        struct ledger_counter def = {"x", "x", "", LEDGER_DECIMAL, cases[i].scale, false, -1};
        struct err_ctx ec;
        int64_t v;

        assert_string_equal(text, cases[i].json);
        /* And what goes out reads back as the same value. */
        err_clear(&ec);
        assert_int_equal(ledger_value_from_json(&def, back, "x", &v, &ec), 0);
        assert_int_equal(v, cases[i].v);
        json_decref(j);
        json_decref(back);
    }
    arena_free(a);
}

/* ================================================================
 * The catalog
 * ================================================================ */

static void test_ledger_catalog__shipped_file_parses(void **state)
{
    const struct embedded_file *f = embedded_file_find(LEDGER_CATALOG_FILE);
    struct arena *a = arena_new();
    struct ledger_kind *kinds;
    struct err_ctx ec;
    size_t n;

    (void)state;
    assert_non_null(f);
    err_clear(&ec);
    if (ledger_catalog_parse(a, f->data, f->len, &kinds, &n, &ec) != 0)
        fail_msg("%s: %s (%s)", LEDGER_CATALOG_FILE, ec.message, ec.field);
    assert_int_equal(n, 16);
    for (size_t i = 0; i < n; i++) {
        assert_true(kinds[i].nunit_types > 0);
        assert_true(kinds[i].active);
        for (size_t j = 0; j < kinds[i].ncounters; j++) {
            const struct ledger_counter *c = &kinds[i].counters[j];
            assert_true(c->type == LEDGER_INTEGER ? c->scale == 0 : c->scale > 0);
            /* Every shipped counter has a plausibility bound. */
            assert_true(c->max > 0);
        }
    }
    {
        const struct ledger_kind *patrol = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(kinds[i].code, "traffic.patrol") == 0)
                patrol = &kinds[i];
        assert_non_null(patrol);
        assert_string_equal(patrol->track_counter, "km");
        assert_int_equal(ledger_kind_counter(patrol, "km")->scale, 3);
        assert_int_equal(ledger_kind_counter(patrol, "km")->max, 200000);
        assert_true(ledger_kind_allows(patrol, "station"));
        assert_false(ledger_kind_allows(patrol, "community"));
    }
    arena_free(a);
}

/*
 * Where each figure of the 2022 report comes from. Ledger-shaped figures
 * are "entries of kind K" (counter NULL) or "sum of counter C of kind K";
 * the others come from registers, units or case workflows. Every metric of
 * conf/figures-2022.tsv must be in exactly one list, so that a new figure
 * forces a decision (docs/ledger.md shows the same table).
 */
static const struct {
    const char *metric, *kind, *counter;
} ledger_figures[] = {
    {"study.central_group.sessions", "study.central_group", NULL},
    {"study.lecture.sessions", "study.lecture", NULL},
    {"study.lecture.attendance", "study.lecture", "attendance"},
    {"study.staff_training.attendance", "study.staff_training", "attendance"},
    {"study.staff_training.sessions", "study.staff_training", NULL},
    {"publicity.campaign.count", "publicity.campaign", NULL},
    {"publicity.meeting.count", "publicity.meeting", NULL},
    {"publicity.materials.copies", "publicity.materials", "copies"},
    {"publicity.led.count", "publicity.led", NULL},
    {"publicity.wechat.count", "publicity.wechat", NULL},
    {"traffic.joint_operations.count", "traffic.joint_operation", NULL},
    {"traffic.joint_operations.vehicles_checked", "traffic.joint_operation", "vehicles_checked"},
    {"traffic.joint_operations.violations", "traffic.joint_operation", "violations"},
    {"traffic.station_duty.count", "traffic.station_duty", NULL},
    {"traffic.persuasion.vehicles_checked", "traffic.persuasion", "vehicles_checked"},
    {"traffic.persuasion.persuaded", "traffic.persuasion", "persuaded"},
    {"traffic.checkins.count", "traffic.checkin", NULL},
    {"traffic.patrols.count", "traffic.patrol", NULL},
    {"traffic.patrols.km", "traffic.patrol", "km"},
    {"safety.joint_operations.count", "safety.joint_operation", NULL},
    {"safety.places.inspected", "safety.joint_operation", "places_inspected"},
    {"sanitation.campaigns.count", "sanitation.campaign", NULL},
    {"sanitation.parking.count", "sanitation.campaign", "parking"},
    {"sanitation.door_stalls.count", "sanitation.campaign", "door_stalls"},
    {"sanitation.piles.count", "sanitation.campaign", "piles"},
    {"sanitation.ads.count", "sanitation.campaign", "ads"},
    {"sanitation.vendors.count", "sanitation.campaign", "vendors"},
    {"river.sites.remediated", "river.remediation", "sites"},
};

static const char *const other_figures[] = {
    "people.legal_literate.trained",               /* register of 法律明白人 */
    "disclosure.subdistrict.items",                /* disclosure items */
    "disclosure.community.items",                  /* disclosure items */
    "advisor.major_matters.count",                 /* adviser consultations (cases) */
    "advisor.decision_services.count",             /* legality reviews (cases) */
    "business.disputes.mediated",                  /* enterprise disputes (cases) */
    "business.issues.resolved",                    /* enterprise requests (cases) */
    "traffic.stations.count",                      /* units of type station */
    "safety.rectification_orders.count",           /* hazard register (cases) */
    "safety.review_opinions.count",                /* hazard register (cases) */
    "safety.hazards.found",                        /* hazard register (cases) */
    "safety.hazards.ordered",                      /* hazard register (cases) */
    "legal.litigation.count",                      /* lawsuits (cases) */
    "legal.reconsideration.count",                 /* reconsideration (cases) */
    "mediation.disputes.count",                    /* disputes (cases) */
    "mediation.mediated.rate",                     /* disputes (cases) */
    "mediation.success.rate",                      /* disputes (cases) */
    "mediation.subdistrict_committee.count",       /* disputes (cases) */
    "mediation.subdistrict_committee.amount_yuan", /* disputes (cases) */
    "mediation.judicial_confirmations.count",      /* disputes (cases) */
    "matters.app.handled",                         /* resident matters (cases) */
};

static void test_ledger_catalog__covers_every_ledger_figure(void **state)
{
    const struct embedded_file *cat = embedded_file_find(LEDGER_CATALOG_FILE);
    const struct embedded_file *fig = embedded_file_find("figures-2022.tsv");
    struct arena *a = arena_new();
    struct ledger_kind *kinds;
    struct err_ctx ec;
    size_t n, metrics = 0;

    (void)state;
    assert_non_null(cat);
    assert_non_null(fig);
    err_clear(&ec);
    assert_int_equal(ledger_catalog_parse(a, cat->data, cat->len, &kinds, &n, &ec), 0);
    for (size_t i = 0; i < ARRAY_SIZE(ledger_figures); i++) {
        const struct ledger_kind *k = NULL;
        for (size_t j = 0; j < n; j++)
            if (strcmp(kinds[j].code, ledger_figures[i].kind) == 0)
                k = &kinds[j];
        if (!k)
            fail_msg("%s: no kind %s", ledger_figures[i].metric, ledger_figures[i].kind);
        if (ledger_figures[i].counter && !ledger_kind_counter(k, ledger_figures[i].counter))
            fail_msg("%s: kind %s has no counter %s", ledger_figures[i].metric, k->code,
                     ledger_figures[i].counter);
    }
    /* Each line of the figures file after the heading: metric<TAB>... */
    for (const char *line = strchr(fig->data, '\n'); line && line[1]; line = strchr(line, '\n')) {
        const char *metric = ++line;
        size_t len = strcspn(metric, "\t\n");
        int found = 0;
        for (size_t i = 0; i < ARRAY_SIZE(ledger_figures); i++)
            found += strlen(ledger_figures[i].metric) == len &&
                     strncmp(ledger_figures[i].metric, metric, len) == 0;
        for (size_t i = 0; i < ARRAY_SIZE(other_figures); i++)
            found += strlen(other_figures[i]) == len && strncmp(other_figures[i], metric, len) == 0;
        if (found != 1)
            fail_msg("figure %.*s is in %d of the lists (want 1)", (int)len, metric, found);
        metrics++;
    }
    assert_int_equal(metrics, ARRAY_SIZE(ledger_figures) + ARRAY_SIZE(other_figures));
    arena_free(a);
}

/* A bad catalog is refused naming the member at fault. */
static void test_ledger_catalog__bad_definitions(void **state)
{
#define KIND(body) "{\"format\":\"fazhi.ledger-kinds.v1\",\"kinds\":[" body "]}"
#define C1         "\"code\":\"a.b\",\"name\":\"甲\",\"unit_types\":[\"community\"]"
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"kinds\":[]}", "format"},
        {"not json", ""},
        {KIND("{" C1 "},{" C1 "}"), "kinds[1].code"},
        {KIND("{\"code\":\"Study\",\"name\":\"甲\",\"unit_types\":[\"community\"]}"),
         "kinds[0].code"},
        {KIND("{\"code\":\"a..b\",\"name\":\"甲\",\"unit_types\":[\"community\"]}"),
         "kinds[0].code"},
        {KIND("{\"code\":\"a.b\",\"unit_types\":[\"community\"]}"), "kinds[0].name"},
        {KIND("{\"code\":\"a.b\",\"name\":\"甲\",\"unit_types\":[]}"), "kinds[0].unit_types"},
        {KIND("{\"code\":\"a.b\",\"name\":\"甲\",\"unit_types\":[\"town\"]}"),
         "kinds[0].unit_types[0]"},
        {KIND("{" C1 ",\"colour\":1}"), "kinds[0].colour"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"float\","
              "\"unit\":\"次\"}]}"),
         "kinds[0].counters[0].type"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"decimal\","
              "\"unit\":\"次\"}]}"),
         "kinds[0].counters[0].scale"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"integer\","
              "\"scale\":2,\"unit\":\"次\"}]}"),
         "kinds[0].counters[0].scale"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"integer\","
              "\"unit\":\"次\",\"max\":-1}]}"),
         "kinds[0].counters[0].max"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"integer\","
              "\"unit\":\"次\",\"max\":1.5}]}"),
         "kinds[0].counters[0].max"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"x\",\"name\":\"x\",\"type\":\"integer\","
              "\"unit\":\"次\"},{\"code\":\"x\",\"name\":\"y\",\"type\":\"integer\","
              "\"unit\":\"次\"}]}"),
         "kinds[0].counters[1].code"},
        {KIND("{" C1 ",\"counters\":[{\"code\":\"X-1\",\"name\":\"x\",\"type\":\"integer\","
              "\"unit\":\"次\"}]}"),
         "kinds[0].counters[0].code"},
        {KIND("{" C1 ",\"track_counter\":\"n\",\"counters\":[{\"code\":\"n\",\"name\":\"x\","
              "\"type\":\"integer\",\"unit\":\"次\"}]}"),
         "kinds[0].track_counter"},
        {KIND("{" C1 ",\"active\":\"yes\"}"), "kinds[0].active"},
    };
#undef C1
#undef KIND

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct arena *a = arena_new();
        struct ledger_kind *kinds;
        struct err_ctx ec;
        size_t n;
        int rc;

        err_clear(&ec);
        rc = ledger_catalog_parse(a, cases[i].json, strlen(cases[i].json), &kinds, &n, &ec);
        if (rc != ERR_INVALID || strcmp(ec.field, cases[i].field) != 0 || !ec.message[0])
            fail_msg("case %zu: want field %s, got rc %d field %s (%s)", i, cases[i].field, rc,
                     ec.field, ec.message);
        arena_free(a);
    }
}

/* ================================================================
 * The database: loading the catalog, kinds in use, the roll-up
 * ================================================================ */

struct db {
    char dir[64];
    char path[128];
    struct store *s;
    struct principal p;
};

static int db_setup(void **state)
{
    struct db *d = calloc(1, sizeof(*d));
    struct err_ctx ec;

    assert_non_null(d);
    snprintf(d->dir, sizeof(d->dir), "/tmp/fazhi-ledger-XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->path, sizeof(d->path), "%s/t.db", d->dir);
    err_clear(&ec);
    assert_int_equal(store_open(d->path, NULL, &d->s, &ec), 0);
    assert_int_equal(store_migrate(d->s, NULL, &ec), 0);
    d->p.roles = ROLE_ALL;
    snprintf(d->p.unit_path, sizeof(d->p.unit_path), "/");
    snprintf(d->p.actor, sizeof(d->p.actor), "cli:test");
    *state = d;
    return 0;
}

static int db_teardown(void **state)
{
    struct db *d = *state;
    char path[160];

    store_free(d->s);
    unlink(d->path);
    snprintf(path, sizeof(path), "%s-wal", d->path);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", d->path);
    unlink(path);
    rmdir(d->dir);
    free(d);
    return 0;
}

struct q {
    const char *sql;
    int64_t v;
};

static int q_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct q *q = arg;
    return store_query_int(c, &q->v, ec, q->sql, "");
}

static int64_t scalar(struct db *d, const char *sql)
{
    struct q q = {sql, -1};
    struct err_ctx ec;

    err_clear(&ec);
    if (store_read(d->s, q_fn, &q, &ec) != 0)
        fail_msg("%s: %s %s", sql, ec.message, ec.detail);
    return q.v;
}

static int exec_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return store_exec_script(c, arg, ec);
}

static void exec_sql(struct db *d, const char *sql)
{
    struct err_ctx ec;
    err_clear(&ec);
    if (store_write(d->s, exec_fn, (void *)sql, &ec) != 0)
        fail_msg("%s: %s %s", sql, ec.message, ec.detail);
}

/* A unit of work that runs a callback with the test's arena and principal. */
struct job {
    struct db *d;
    struct arena *a;
    int (*fn)(struct store_conn *c, struct job *j, struct err_ctx *ec);
    const char *code;
    struct ledger_kind kind;
    int64_t id, expected;
    struct ledger_input in;
    struct ledger_entry entry;
    struct ledger_filter filter;
    struct ledger_totals totals;
};

static int job_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct job *j = arg;
    return j->fn(c, j, ec);
}

static int run(struct db *d, bool write, struct job *j, struct err_ctx *ec)
{
    j->d = d;
    err_clear(ec);
    return write ? store_write(d->s, job_fn, j, ec) : store_read(d->s, job_fn, j, ec);
}

static int get_kind(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_kind_get(c, j->a, j->code, "kind", &j->kind, ec);
}

static int update_kind(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_kind_update(c, j->a, &j->d->p, &j->kind, j->expected, ec);
}

static void test_ledger_start__loads_missing_kinds_only(void **state)
{
    struct db *d = *state;
    struct job j = {.a = arena_new(), .code = "study.lecture", .fn = get_kind};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(ledger_start(d->s, &ec), 0);
    assert_int_equal(scalar(d, "SELECT COUNT(*) FROM ledger_kinds"), 16);
    assert_int_equal(scalar(d, "SELECT COUNT(*) FROM ledger_kinds WHERE origin = 'catalog'"), 16);
    assert_int_equal(scalar(d, "SELECT COUNT(*) FROM audit_log WHERE entity = 'ledger_kind'"), 16);

    /* A second start writes nothing. */
    assert_int_equal(ledger_start(d->s, &ec), 0);
    assert_int_equal(scalar(d, "SELECT COUNT(*) FROM audit_log"), 16);

    /* An administrator's edit survives a start (an upgrade). */
    assert_int_equal(run(d, false, &j, &ec), 0);
    j.kind.name = "法治讲座（改）";
    j.kind.counters[0].max = 999;
    j.fn = update_kind;
    assert_int_equal(run(d, true, &j, &ec), 0);
    assert_int_equal(ledger_start(d->s, &ec), 0);
    j.fn = get_kind;
    assert_int_equal(run(d, false, &j, &ec), 0);
    assert_string_equal(j.kind.name, "法治讲座（改）");
    assert_int_equal(j.kind.counters[0].max, 999);
    assert_int_equal(j.kind.version, 2);

    /* A kind missing from the table comes back. */
    exec_sql(d, "DELETE FROM ledger_kinds WHERE code = 'publicity.led'");
    assert_int_equal(ledger_start(d->s, &ec), 0);
    assert_int_equal(scalar(d, "SELECT COUNT(*) FROM ledger_kinds"), 16);
    arena_free(j.a);
}

static int make_unit(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    struct unit_new in = {.code = j->code, .name = j->code, .type = "subdistrict"};
    return org_unit_create(c, j->a, &j->d->p, &in, &j->id, ec);
}

static int create_entry(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_entry_create(c, j->a, &j->d->p, &j->in, 0, NULL, &j->entry, ec);
}

static void reload_kind(struct db *d, struct job *j)
{
    struct err_ctx ec;
    j->fn = get_kind;
    assert_int_equal(run(d, false, j, &ec), 0);
}

static void test_ledger_kind_update__counter_in_use_is_kept(void **state)
{
    struct db *d = *state;
    struct job j = {.a = arena_new(), .code = "root", .fn = make_unit};
    struct ledger_input_value v = {"km", NULL, "12.5", false};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(ledger_start(d->s, &ec), 0);
    assert_int_equal(run(d, true, &j, &ec), 0);
    j.in = (struct ledger_input){.kind = "traffic.patrol",
                                 .set_unit = true,
                                 .unit_id = j.id,
                                 .date = "2023-05-01",
                                 .title = "巡逻",
                                 .place = "",
                                 .notes = "",
                                 .values = &v,
                                 .nvalues = 1};
    j.fn = create_entry;
    assert_int_equal(run(d, true, &j, &ec), 0);
    assert_int_equal(j.entry.nvalues, 1);
    assert_int_equal(j.entry.values[0].value, 12500);

    j.code = "traffic.patrol";

    /* Changing the scale of a counter with values: refused. */
    reload_kind(d, &j);
    j.kind.counters[0].scale = 2;
    j.fn = update_kind;
    assert_int_equal(run(d, true, &j, &ec), ERR_CONFLICT);
    assert_string_equal(ec.field, "counters");

    /* Removing it: refused too. */
    reload_kind(d, &j);
    j.kind.ncounters = 0;
    j.kind.track_counter = "";
    j.fn = update_kind;
    assert_int_equal(run(d, true, &j, &ec), ERR_CONFLICT);
    assert_string_equal(ec.field, "counters");

    /* A stale version: refused. */
    reload_kind(d, &j);
    j.expected = j.kind.version + 7;
    j.fn = update_kind;
    assert_int_equal(run(d, true, &j, &ec), ERR_CONFLICT);
    assert_string_equal(ec.field, "version");

    /* Its bound and name may change. */
    reload_kind(d, &j);
    j.expected = j.kind.version;
    j.kind.counters[0].max = 1000;
    j.kind.counters[0].name = "里程";
    j.fn = update_kind;
    assert_int_equal(run(d, true, &j, &ec), 0);
    reload_kind(d, &j);
    assert_int_equal(j.kind.counters[0].max, 1000);
    assert_int_equal(j.kind.version, 2);
    arena_free(j.a);
}

static int totals_fn(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_totals(c, j->a, &j->d->p, &j->filter, &j->totals, ec);
}

static int rebuild_fn(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_rebuild(c, "cli:test", &j->id, ec);
}

static int update_entry(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_entry_update(c, j->a, &j->d->p, j->id, &j->in, &j->entry, ec);
}

static int delete_entry(struct store_conn *c, struct job *j, struct err_ctx *ec)
{
    return ledger_entry_delete(c, j->a, &j->d->p, j->id, 0, ec);
}

/* A deterministic pseudo-random sequence (the test must not depend on luck). */
static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Compares the roll-up and the detail totals of one filter. */
static void assert_totals_agree(struct db *d, struct arena *a, const char *from, const char *to,
                                const char *kind)
{
    struct job r = {.a = a, .fn = totals_fn}, t = {.a = a, .fn = totals_fn};
    struct err_ctx ec;

    r.filter = (struct ledger_filter){.from = from, .to = to, .kind = kind};
    t.filter = r.filter;
    t.filter.detail = true;
    assert_int_equal(run(d, false, &r, &ec), 0);
    assert_int_equal(run(d, false, &t, &ec), 0);
    assert_true(r.totals.from_rollup);
    assert_false(t.totals.from_rollup);
    if (r.totals.entries != t.totals.entries || r.totals.nkinds != t.totals.nkinds)
        fail_msg("%s..%s %s: roll-up %lld entries in %zu kinds, detail %lld in %zu",
                 from ? from : "-", to ? to : "-", kind ? kind : "*", (long long)r.totals.entries,
                 r.totals.nkinds, (long long)t.totals.entries, t.totals.nkinds);
    for (size_t i = 0; i < r.totals.nkinds; i++) {
        assert_string_equal(r.totals.kinds[i].kind->code, t.totals.kinds[i].kind->code);
        assert_int_equal(r.totals.kinds[i].entries, t.totals.kinds[i].entries);
        for (size_t k = 0; k < r.totals.kinds[i].ncounters; k++) {
            assert_int_equal(r.totals.kinds[i].counters[k].total,
                             t.totals.kinds[i].counters[k].total);
            assert_int_equal(r.totals.kinds[i].counters[k].entries,
                             t.totals.kinds[i].counters[k].entries);
        }
    }
}

static void test_ledger_totals__rollup_matches_detail(void **state)
{
    struct db *d = *state;
    struct job j = {.a = arena_new(), .code = "root", .fn = make_unit};
    struct err_ctx ec;
    uint32_t seed = 2022;
    char dates[300][TIME_DATE_LEN];
    int64_t ids[300];

    err_clear(&ec);
    assert_int_equal(ledger_start(d->s, &ec), 0);
    assert_int_equal(run(d, true, &j, &ec), 0);
    /* 300 entries of three kinds over 2021-2022, then a third of them
     * changed and a tenth deleted, so the roll-up sees every kind of write. */
    for (int i = 0; i < 300; i++) {
        static const char *const kinds[] = {"study.lecture", "sanitation.campaign",
                                            "traffic.patrol"};
        struct ledger_input_value v[2];
        struct date dt = {2021 + (int)(next_rand(&seed) % 2), 1 + (int)(next_rand(&seed) % 12),
                          1 + (int)(next_rand(&seed) % 28)};
        const char *kind = kinds[i % 3];
        char a1[24], a2[24];

        if (i % 7 == 0)
            dt.day = dt.month == 2 ? 28 : 30; /* month ends matter */
        if (i % 11 == 0)
            dt.day = 1;
        date_format(&dt, dates[i], sizeof(dates[i]));
        snprintf(a1, sizeof(a1), "%u", next_rand(&seed) % 400);
        snprintf(a2, sizeof(a2), "%u.%03u", next_rand(&seed) % 300, next_rand(&seed) % 1000);
        v[0] = (struct ledger_input_value){i % 3 == 0   ? "attendance"
                                           : i % 3 == 1 ? "ads"
                                                        : "km",
                                           NULL, i % 3 == 2 ? a2 : a1, false};
        v[1] = (struct ledger_input_value){"vendors", NULL, a1, false};
        j.in = (struct ledger_input){.kind = kind,
                                     .set_unit = true,
                                     .unit_id = j.id,
                                     .date = dates[i],
                                     .title = "记录",
                                     .place = "",
                                     .notes = "",
                                     .values = v,
                                     .nvalues = i % 3 == 1 ? 2 : 1};
        j.fn = create_entry;
        assert_int_equal(run(d, true, &j, &ec), 0);
        ids[i] = j.entry.id;
    }
    /* Changes: lectures move to a month end and get a new attendance;
     * campaigns lose a counter; every tenth entry is deleted. */
    for (int i = 0; i < 300; i++) {
        struct ledger_input_value v = {i % 3 == 0 ? "attendance" : "vendors", NULL, "7",
                                       i % 3 == 1};
        j.id = ids[i];
        if (i % 10 == 5) {
            j.fn = delete_entry;
            assert_int_equal(run(d, true, &j, &ec), 0);
            continue;
        }
        if (i % 3 == 2)
            continue;
        j.in = (struct ledger_input){
            .date = i % 2 ? "2022-06-30" : "2021-12-31", .values = &v, .nvalues = 1};
        j.fn = update_entry;
        assert_int_equal(run(d, true, &j, &ec), 0);
    }
    {
        static const char *const ranges[][2] = {
            {NULL, NULL},
            {"2022-01-01", "2022-12-31"},
            {"2021-01-01", "2021-12-31"},
            {"2022-01-01", "2022-06-30"},
            {"2021-12-31", "2022-01-01"},
            {"2022-02-28", "2022-02-28"},
            {"2022-03-05", "2022-03-20"},
            {"2022-03-01", "2022-03-31"},
            {"2022-03-01", "2022-03-15"},
            {"2022-03-15", "2022-03-31"},
            {"2021-07-15", "2022-02-14"},
            {"2022-05-17", NULL},
            {NULL, "2021-03-31"},
            {NULL, "2021-03-30"},
            {"2021-02-01", NULL},
        };
        static const char *const kinds[] = {NULL, "study.lecture", "sanitation.campaign",
                                            "traffic.patrol", "river.remediation"};
        for (size_t r = 0; r < ARRAY_SIZE(ranges); r++)
            for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
                assert_totals_agree(d, j.a, ranges[r][0], ranges[r][1], kinds[k]);
        for (int r = 0; r < 60; r++) {
            struct date a1 = {2021 + (int)(next_rand(&seed) % 2), 1 + (int)(next_rand(&seed) % 12),
                              1 + (int)(next_rand(&seed) % 28)};
            struct date a2 = date_from_days(date_to_days(&a1) + next_rand(&seed) % 400);
            char f[TIME_DATE_LEN], t[TIME_DATE_LEN];
            date_format(&a1, f, sizeof(f));
            date_format(&a2, t, sizeof(t));
            assert_totals_agree(d, j.a, f, t, r % 2 ? NULL : "traffic.patrol");
        }
    }
    /* A rebuild computes the same roll-up that the writes maintained. */
    {
        int64_t rows = scalar(d, "SELECT COUNT(*) FROM ledger_daily");
        int64_t sum = scalar(d, "SELECT SUM(total) + SUM(n) FROM ledger_monthly");
        j.fn = rebuild_fn;
        assert_int_equal(run(d, true, &j, &ec), 0);
        assert_int_equal(j.id, 270);
        assert_int_equal(scalar(d, "SELECT COUNT(*) FROM ledger_daily"), rows);
        assert_int_equal(scalar(d, "SELECT SUM(total) + SUM(n) FROM ledger_monthly"), sum);
        assert_int_equal(scalar(d, "SELECT COUNT(*) FROM ledger_daily WHERE n <= 0"), 0);
        assert_totals_agree(d, j.a, "2022-01-01", "2022-12-31", NULL);
    }
    arena_free(j.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_value_parse__table),
        cmocka_unit_test(test_ledger_value_from_json__table),
        cmocka_unit_test(test_ledger_value_format__table),
        cmocka_unit_test(test_ledger_value_json__prints_exactly),
        cmocka_unit_test(test_ledger_catalog__shipped_file_parses),
        cmocka_unit_test(test_ledger_catalog__covers_every_ledger_figure),
        cmocka_unit_test(test_ledger_catalog__bad_definitions),
        cmocka_unit_test_setup_teardown(test_ledger_start__loads_missing_kinds_only, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_ledger_kind_update__counter_in_use_is_kept, db_setup,
                                        db_teardown),
        cmocka_unit_test_setup_teardown(test_ledger_totals__rollup_matches_detail, db_setup,
                                        db_teardown),
    };
    log_set_level(LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
