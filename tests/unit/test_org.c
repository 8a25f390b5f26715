/*
 * test_org.c - the functions of modules/org/org.h other modules call,
 * against a real migrated SQLite database: org_person_get,
 * org_person_certified_on, org_group_members_on (the order a report prints
 * a leading group in), and a move seen through org_unit_get.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "modules/org/org.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

static char dir[64];
static struct store *db;
/* The CLI's principal: every role, the whole tree. */
static const struct principal cli = {.roles = ROLE_ALL, .unit_path = "/", .actor = "cli:test"};

struct ids {
    int64_t root, district, sub, other, ca, group, lead, deputy, m1, m2, past, officer;
};
static struct ids ids;

static int64_t unit(struct store_conn *c, struct arena *a, const char *code, const char *type,
                    int64_t parent, struct err_ctx *ec)
{
    struct unit_new in = {code, code, type, parent};
    int64_t id = 0;
    int rc = org_unit_create(c, a, &cli, &in, &id, ec);
    return rc < 0 ? rc : id;
}

static int64_t person(struct store_conn *c, struct arena *a, const char *name, int64_t unit_id,
                      struct err_ctx *ec)
{
    struct person_input in = {.set_name = true, .set_unit = true, .name = name, .unit_id = unit_id};
    int64_t id = 0;
    int rc = people_create(c, a, &cli, &in, &id, ec);
    return rc < 0 ? rc : id;
}

static int64_t member(struct store_conn *c, struct arena *a, int64_t pid, const char *position,
                      const char *from, const char *to, struct err_ctx *ec)
{
    struct register_input in = {.set_group = true,
                                .set_person = true,
                                .set_position = true,
                                .set_from = true,
                                .set_to = to != NULL,
                                .group_id = ids.group,
                                .person_id = pid,
                                .position = position,
                                .from = from,
                                .to = to};
    int64_t id = 0;
    int rc = registers_create(c, a, &cli, REG_MEMBER, &in, &id, ec);
    return rc < 0 ? rc : id;
}

/* Builds: city root > district > subdistrict > community ca, and another
 * district; a leading group of the subdistrict with five members; an
 * officer with one certificate. Negative returns are enum err. */
static int build(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct arena *a = arg;
    struct register_input g = {.set_unit = true,
                               .set_name = true,
                               .set_established = true,
                               .name = "法治政府建设领导小组",
                               .established_on = "2020-01-01"};
    struct register_input cert = {.set_person = true,
                                  .set_number = true,
                                  .set_authority = true,
                                  .set_field = true,
                                  .set_from = true,
                                  .set_to = true,
                                  .number = "Z-1",
                                  .authority = "区司法局",
                                  .field = "综合行政执法",
                                  .from = "2022-01-01",
                                  .to = "2022-12-31"};
    int64_t id;

    if ((ids.root = unit(c, a, "city", "city", 0, ec)) < 0 ||
        (ids.district = unit(c, a, "d1", "district", ids.root, ec)) < 0 ||
        (ids.other = unit(c, a, "d2", "district", ids.root, ec)) < 0 ||
        (ids.sub = unit(c, a, "s1", "subdistrict", ids.district, ec)) < 0 ||
        (ids.ca = unit(c, a, "ca", "community", ids.sub, ec)) < 0)
        return ERR_INTERNAL;
    g.unit_id = ids.sub;
    if (registers_create(c, a, &cli, REG_GROUP, &g, &ids.group, ec) < 0)
        return ERR_INTERNAL;
    if ((ids.m1 = person(c, a, "成员甲", ids.sub, ec)) < 0 ||
        (ids.lead = person(c, a, "组长乙", ids.sub, ec)) < 0 ||
        (ids.m2 = person(c, a, "成员丙", ids.ca, ec)) < 0 ||
        (ids.deputy = person(c, a, "副组长丁", ids.sub, ec)) < 0 ||
        (ids.past = person(c, a, "前任戊", ids.sub, ec)) < 0 ||
        (ids.officer = person(c, a, "执法己", ids.ca, ec)) < 0)
        return ERR_INTERNAL;
    if ((id = member(c, a, ids.m1, "member", "2021-03-01", NULL, ec)) < 0 ||
        (id = member(c, a, ids.lead, "leader", "2021-06-01", NULL, ec)) < 0 ||
        (id = member(c, a, ids.m2, "member", "2020-05-01", NULL, ec)) < 0 ||
        (id = member(c, a, ids.deputy, "deputy", "2020-01-01", NULL, ec)) < 0 ||
        (id = member(c, a, ids.past, "leader", "2020-01-01", "2021-05-31", ec)) < 0)
        return ERR_INTERNAL;
    cert.person_id = ids.officer;
    return registers_create(c, a, &cli, REG_CERTIFICATE, &cert, &id, ec);
}

static int setup(void **state)
{
    struct arena *a = arena_new();
    struct err_ctx ec;
    char path[128];

    (void)state;
    err_clear(&ec);
    snprintf(dir, sizeof(dir), "/tmp/fazhi-org-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/org.db", dir);
    assert_int_equal(store_open(path, NULL, &db, &ec), 0);
    assert_int_equal(store_migrate(db, NULL, &ec), 0);
    if (store_write(db, build, a, &ec) < 0)
        fail_msg("build: %s (%s) %s", ec.message, ec.field, ec.detail);
    arena_free(a);
    return 0;
}

static int teardown(void **state)
{
    char path[160];

    (void)state;
    store_free(db);
    snprintf(path, sizeof(path), "%s/org.db", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/org.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/org.db-shm", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

struct members_q {
    struct arena *a;
    const char *date;
    struct group_member *items;
    size_t n;
};

static int read_members(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct members_q *q = arg;
    return org_group_members_on(c, q->a, ids.group, q->date, &q->items, &q->n, ec);
}

static void test_org_group_members_on__report_order(void **state)
{
    struct members_q q = {arena_new(), "2022-06-30", NULL, 0};
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    assert_int_equal(store_read(db, read_members, &q, &ec), 0);
    assert_int_equal(q.n, 4);
    assert_int_equal(q.items[0].person_id, ids.lead);
    assert_string_equal(org_group_position_label(q.items[0].position), "组长");
    assert_string_equal(q.items[0].person_name, "组长乙");
    assert_int_equal(q.items[1].person_id, ids.deputy);
    assert_int_equal(q.items[2].person_id, ids.m2); /* members by the date they joined */
    assert_int_equal(q.items[3].person_id, ids.m1);
    assert_null(q.items[3].to_on);

    /* Before the current leader came, the past one led. */
    q.date = "2021-04-01";
    assert_int_equal(store_read(db, read_members, &q, &ec), 0);
    assert_int_equal(q.n, 4);
    assert_int_equal(q.items[0].person_id, ids.past);
    assert_string_equal(q.items[0].to_on, "2021-05-31");
    q.date = "2019-12-31";
    assert_int_equal(store_read(db, read_members, &q, &ec), 0);
    assert_int_equal(q.n, 0);
    assert_string_equal(org_group_position_label("chair"), "");
    arena_free(q.a);
}

struct cert_q {
    const char *date;
    bool certified;
};

static int read_certified(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cert_q *q = arg;
    return org_person_certified_on(c, ids.officer, q->date, &q->certified, ec);
}

static void test_org_person_certified_on__period(void **state)
{
    static const struct cert_q cases[] = {
        {"2021-12-31", false}, {"2022-01-01", true}, {"2022-12-31", true}, {"2023-01-01", false}};
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct cert_q q = {cases[i].date, !cases[i].certified};
        assert_int_equal(store_read(db, read_certified, &q, &ec), 0);
        assert_int_equal(q.certified, cases[i].certified);
    }
}

struct person_q {
    struct arena *a;
    int64_t id;
    struct person p;
    struct unit u;
};

static int read_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_q *q = arg;
    int rc = org_person_get(c, q->a, q->id, &q->p, ec);
    return rc < 0 ? rc : org_unit_get(c, q->a, q->p.unit_id, &q->u, ec);
}

static int move_sub(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return org_unit_move(c, arg, &cli, ids.sub, ids.other, ec);
}

static void test_org_person_get__follows_a_move(void **state)
{
    struct person_q q = {arena_new(), 0, {0}, {0}};
    struct principal clerk = {.roles = ROLE_STAFF};
    struct err_ctx ec;
    char want[64];
    json_t *j;

    (void)state;
    err_clear(&ec);
    q.id = ids.m2;
    assert_int_equal(store_read(db, read_person, &q, &ec), 0);
    assert_string_equal(q.p.name, "成员丙");
    assert_int_equal(q.p.unit_id, ids.ca);
    assert_string_equal(q.p.unit_path, q.u.path);
    snprintf(want, sizeof(want), "/%lld/%lld/%lld/%lld/", (long long)ids.root,
             (long long)ids.district, (long long)ids.sub, (long long)ids.ca);
    assert_string_equal(q.p.unit_path, want);

    /* A clerk of the old district loses it from scope; one of the new gains it. */
    assert_int_equal(store_write(db, move_sub, q.a, &ec), 0);
    assert_int_equal(store_read(db, read_person, &q, &ec), 0);
    snprintf(want, sizeof(want), "/%lld/%lld/%lld/%lld/", (long long)ids.root, (long long)ids.other,
             (long long)ids.sub, (long long)ids.ca);
    assert_string_equal(q.p.unit_path, want);
    snprintf(clerk.unit_path, sizeof(clerk.unit_path), "/%lld/%lld/", (long long)ids.root,
             (long long)ids.district);
    assert_false(access_in_scope(&clerk, q.p.unit_path));
    snprintf(clerk.unit_path, sizeof(clerk.unit_path), "/%lld/%lld/", (long long)ids.root,
             (long long)ids.other);
    assert_true(access_in_scope(&clerk, q.p.unit_path));

    /* The one JSON of a person masks for a clerk and for no viewer. */
    j = org_person_json(&q.p, &clerk);
    assert_true(json_is_true(json_object_get(j, "masked")));
    json_decref(j);
    j = org_person_json(&q.p, &cli);
    assert_true(json_is_false(json_object_get(j, "masked")));
    json_decref(j);

    q.id = 999999;
    assert_int_equal(store_read(db, read_person, &q, &ec), ERR_NOT_FOUND);
    arena_free(q.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_group_members_on__report_order),
        cmocka_unit_test(test_org_person_certified_on__period),
        cmocka_unit_test(test_org_person_get__follows_a_move),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
