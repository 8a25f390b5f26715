/*
 * test_case.c - the case workflow engine (src/case/) with a made-up case
 * type shaped like a disclosure request (政府信息公开条例 art. 33):
 * submitted -> accepted -> answered, 20 working days from acceptance, one
 * extension of 20 working days.
 */
#include "core/compat.h"

#include <dirent.h>
#include <stdarg.h>
#include <setjmp.h>
#include <unistd.h>

#include <cmocka.h>

#include "case/case.h"
#include "core/arena.h"
#include "core/str.h"
#include "modules/cases/cases.h"
#include "store/store.h"

static const char *const accept_required[] = {"received_on", NULL};
static const char *const answer_required[] = {"reply", NULL};

static const struct case_state req_states[] = {
    {"submitted", "已提交", false},
    {"accepted", "已受理", false},
    {"answered", "已答复", true},
    {NULL, NULL, false},
};

static const struct case_transition req_transitions[] = {
    {"submit", "提交", NULL, "submitted", ROLE_STAFF, NULL, false, NULL},
    {"accept", "受理", "submitted", "accepted", ROLE_STAFF, accept_required, false, NULL},
    {"extend", "延期", "accepted", "accepted", ROLE_LEADER, NULL, false, NULL},
    {"answer", "答复", "accepted", "answered", ROLE_STAFF, answer_required, false, NULL},
    {"penalise", "处罚", "accepted", "answered", ROLE_OFFICER, NULL, true, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, false, NULL},
};

static const struct case_deadline req_deadlines[] = {
    {"accept", 20, CASE_WORKING_DAYS, "extend", 20, NULL, NULL},
    {NULL, 0, CASE_WORKING_DAYS, NULL, 0, NULL, NULL},
};

static const struct case_type req_type = {"testreq", "测试申请", req_states, req_transitions,
                                          req_deadlines};

/* A type whose period is the case's own ("days"), restarted by "restart",
 * and which "move" hands to another unit. */
static const struct case_state days_states[] = {
    {"open", "办理中", false},
    {NULL, NULL, false},
};
static const struct case_transition days_transitions[] = {
    {"open", "立案", NULL, "open", ROLE_STAFF, NULL, false, NULL},
    {"restart", "重新计时", "open", "open", ROLE_STAFF, NULL, false, NULL},
    {"move", "移交", "open", "open", ROLE_STAFF | ROLE_LEADER, NULL, false, "unit_id"},
    {NULL, NULL, NULL, NULL, 0, NULL, false, NULL},
};
static const struct case_deadline days_deadlines[] = {
    {"open", 10, CASE_WORKING_DAYS, NULL, 0, NULL, "days"},
    {"restart", 10, CASE_WORKING_DAYS, NULL, 0, NULL, "days"},
    {NULL, 0, CASE_WORKING_DAYS, NULL, 0, NULL, NULL},
};
static const struct case_type days_type = {"testdays", "测试期限", days_states, days_transitions,
                                           days_deadlines};

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
    struct arena *a;
    struct principal staff, leader, other;
    struct case_actor who;
};

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int units_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_exec_script(
        c,
        "INSERT INTO units (id, parent_id, type, code, name, path, created_at_ms) VALUES "
        "(1, NULL, 'district', 'd', '区', '/1/', 0),"
        "(2, 1, 'subdistrict', 's1', '甲街道', '/1/2/', 0),"
        "(3, 1, 'subdistrict', 's2', '乙街道', '/1/3/', 0)",
        ec);
}

static void set_principal(struct principal *p, int64_t uid, unsigned roles, int64_t unit,
                          const char *path)
{
    memset(p, 0, sizeof(*p));
    p->user_id = uid;
    p->roles = roles;
    p->unit_id = unit;
    snprintf(p->unit_path, sizeof(p->unit_path), "%s", path);
    snprintf(p->actor, sizeof(p->actor), "user:%lld", (long long)uid);
}

/* 10:00 Beijing time on the date. */
static int64_t at(const char *day)
{
    struct date d;
    assert_int_equal(date_parse(day, &d), 0);
    return date_to_days(&d) * 86400000LL + 2 * 3600 * 1000LL;
}

static bool certified_none(void *arg, const struct principal *p)
{
    (void)arg;
    (void)p;
    return false;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err_ctx ec;

    err_clear(&ec);
    snprintf(f->dir, sizeof(f->dir), "/tmp/fazhi-case-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
    if (store_open(f->path, NULL, &f->s, &ec) != 0 || store_migrate(f->s, NULL, &ec) != 0 ||
        store_write(f->s, units_unit, NULL, &ec) != 0) {
        fprintf(stderr, "setup: %s / %s\n", ec.message, ec.detail);
        return -1;
    }
    f->a = arena_new();
    set_principal(&f->staff, 1, ROLE_STAFF, 2, "/1/2/");
    set_principal(&f->leader, 2, ROLE_LEADER, 1, "/1/");
    set_principal(&f->other, 3, ROLE_STAFF, 3, "/1/3/");
    f->who = (struct case_actor){&f->staff, certified_none, NULL, at("2023-01-16")};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    arena_free(f->a);
    store_free(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ---- units of work ---- */

struct op {
    struct fixture *f;
    const struct principal *p;
    const char *transition;
    const char *fields; /* JSON text or NULL */
    int64_t id;
    int64_t version;
    int64_t now_ms;
    bool fail_after; /* the unit fails after the engine succeeded */
    struct case_rec rec;
};

static int op_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct op *o = arg;
    struct case_actor who = o->f->who;
    json_t *fields = o->fields ? json_loads(o->fields, 0, NULL) : NULL;
    int rc;

    who.p = o->p ? o->p : who.p;
    if (o->now_ms)
        who.now_ms = o->now_ms;
    if (o->id == 0)
        rc = case_open(c, o->f->a, &who, &req_type, 2, "/1/2/", o->transition, fields, NULL, &o->id,
                       ec);
    else
        rc = case_take(c, o->f->a, &who, &req_type, o->id, o->transition, fields, o->version,
                       "备注", &o->rec, ec);
    json_decref(fields);
    if (rc == 0 && o->fail_after)
        return err_set(ec, ERR_INVALID, NULL, "故意失败");
    return rc;
}

static int run(struct fixture *f, struct op *o, struct err_ctx *ec)
{
    o->f = f;
    err_clear(ec);
    return store_write(f->s, op_unit, o, ec);
}

/* Opens a case and accepts it on 2023-01-16; returns its id. */
static int64_t open_accepted(struct fixture *f)
{
    struct err_ctx ec;
    struct op o = {.transition = "submit", .fields = "{\"subject\":\"预算\"}"};

    assert_int_equal(run(f, &o, &ec), 0);
    int64_t id = o.id;
    o = (struct op){.id = id, .transition = "accept", .fields = "{\"received_on\":\"2023-01-16\"}"};
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.rec.state, "accepted");
    return id;
}

struct count_q {
    const char *sql;
    int64_t id;
    int64_t value;
};

static int count_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct count_q *q = arg;
    return store_query_int(c, &q->value, ec, q->sql, "i", q->id);
}

static int64_t count(struct fixture *f, const char *sql, int64_t id)
{
    struct count_q q = {sql, id, -1};
    struct err_ctx ec;
    err_clear(&ec);
    assert_int_equal(store_read(f->s, count_fn, &q, &ec), 0);
    return q.value;
}

/* ---- tests ---- */

static void test_case_type__check(void **state)
{
    struct err_ctx ec;
    (void)state;
    err_clear(&ec);
    assert_int_equal(case_type_check(&req_type, &ec), 0);
}

static void test_case_take__due_over_spring_festival(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f);
    struct err_ctx ec;
    struct op o = {.id = id, .transition = "extend", .p = &f->leader};

    /* 2023-01-16 + 20 working days: 21-27 Jan off, 28-29 Jan worked. */
    assert_int_equal(count(f, "SELECT due_on = '2023-02-16' FROM cases WHERE id = $1", id), 1);
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.rec.due_on, "2023-03-16");
    assert_true(o.rec.extended);
    /* Only once. */
    o = (struct op){.id = id, .transition = "extend", .p = &f->leader};
    assert_int_equal(run(f, &o, &ec), ERR_CONFLICT);
    assert_non_null(strstr(ec.message, "延长过一次"));
    /* Answering stops the clock and closes the case. */
    o = (struct op){.id = id, .transition = "answer", .fields = "{\"reply\":\"予以公开\"}"};
    assert_int_equal(run(f, &o, &ec), 0);
    assert_null(o.rec.due_on);
    assert_true(o.rec.closed_at_ms > 0);
    assert_int_equal(o.rec.version, 4);
}

static void test_case_take__illegal_names_states(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f);
    struct err_ctx ec;
    struct op o = {.id = id, .transition = "accept", .fields = "{\"received_on\":\"x\"}"};

    assert_int_equal(run(f, &o, &ec), ERR_CONFLICT);
    assert_string_equal(ec.message, "当前状态为「已受理」，可执行：延期、答复、处罚");
    o = (struct op){.id = id, .transition = "fly"};
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "transition");
    o = (struct op){.id = id, .transition = "answer", .fields = "{\"reply\":\"已答复\"}"};
    assert_int_equal(run(f, &o, &ec), 0);
    o = (struct op){.id = id, .transition = "answer", .fields = "{\"reply\":\"再次\"}"};
    assert_int_equal(run(f, &o, &ec), ERR_CONFLICT);
    assert_string_equal(ec.message, "当前状态为「已答复」，不能再办理");
}

static void test_case_take__role_scope_certified_fields(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f);
    struct err_ctx ec;
    struct op o = {.id = id, .transition = "extend"}; /* staff may not extend */

    assert_int_equal(run(f, &o, &ec), ERR_FORBIDDEN);
    assert_non_null(strstr(ec.message, "延期"));
    o = (struct op){
        .id = id, .transition = "answer", .fields = "{\"reply\":\"x\"}", .p = &f->other};
    assert_int_equal(run(f, &o, &ec), ERR_NOT_FOUND);
    o = (struct op){.transition = "submit", .p = &f->other}; /* opening in unit 2 from unit 3 */
    assert_int_equal(run(f, &o, &ec), ERR_FORBIDDEN);
    o = (struct op){.id = id, .transition = "answer", .fields = "{\"reply\":\"\"}"};
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "reply");
    assert_non_null(strstr(ec.message, "reply"));
    f->staff.roles |= ROLE_OFFICER;
    o = (struct op){.id = id, .transition = "penalise"};
    assert_int_equal(run(f, &o, &ec), ERR_FORBIDDEN);
    assert_non_null(strstr(ec.message, "执法证件"));
    o = (struct op){.id = id, .transition = "answer", .fields = "{\"reply\":\"x\"}", .version = 1};
    assert_int_equal(run(f, &o, &ec), ERR_CONFLICT);
    assert_string_equal(ec.field, "version");
    /* Nothing of the refused attempts was written. */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM case_history WHERE case_id = $1", id), 2);
    assert_int_equal(count(f, "SELECT version FROM cases WHERE id = $1", id), 2);
}

static void test_case_take__history_audit_event_one_unit(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f);
    struct err_ctx ec;
    int64_t audits = count(f, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1", id);
    int64_t events = count(f, "SELECT COUNT(*) FROM events WHERE id > $1", 0);
    struct op o = {
        .id = id, .transition = "answer", .fields = "{\"reply\":\"x\"}", .fail_after = true};

    assert_int_equal(audits, 2);
    assert_int_equal(count(f,
                           "SELECT COUNT(*) FROM events WHERE type = 'case.testreq.accept' "
                           "AND unit_path = '/1/2/' AND id > $1",
                           0),
                     1);
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM case_history WHERE case_id = $1", id), 2);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1", id), 2);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM events WHERE id > $1", 0), events);
    assert_int_equal(count(f, "SELECT state = 'accepted' FROM cases WHERE id = $1", id), 1);
}

struct hist_q {
    struct fixture *f;
    int64_t id;
    struct case_step *steps;
    size_t n;
};

static int hist_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hist_q *q = arg;
    return case_history(c, q->f->a, q->id, &q->steps, &q->n, ec);
}

static void test_case_history__rows(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f);
    struct hist_q q = {f, id, NULL, 0};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, hist_fn, &q, &ec), 0);
    assert_int_equal(q.n, 2);
    assert_null(q.steps[0].from_state);
    assert_string_equal(q.steps[0].to_state, "submitted");
    assert_string_equal(q.steps[1].transition, "accept");
    assert_string_equal(q.steps[1].from_state, "submitted");
    assert_string_equal(q.steps[1].actor, "user:1");
    assert_string_equal(q.steps[1].note, "备注");
    assert_non_null(strstr(q.steps[1].fields, "received_on"));
}

struct list_q {
    struct fixture *f;
    const char *scope;
    const char *today;
    int days; /* < 0: overdue */
    struct case_rec *out;
    size_t n;
    int marked;
    int64_t counted; /* what case_count_due() says of the same list */
};

static int list_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_q *q = arg;
    int64_t overdue, soon;
    struct date d;
    int rc;

    date_parse(q->today, &d);
    if (q->days < 0)
        rc = case_overdue(c, q->f->a, q->scope, d, &q->out, &q->n, ec);
    else
        rc = case_due_soon(c, q->f->a, q->scope, d, q->days, &q->out, &q->n, ec);
    if (rc == 0)
        rc = case_count_due(c, q->scope, d, q->days < 0 ? 0 : q->days, &overdue, &soon, ec);
    q->counted = q->days < 0 ? overdue : soon;
    return rc;
}

static int mark_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_q *q = arg;
    struct date d;
    date_parse(q->today, &d);
    return case_mark_overdue(c, d, &q->marked, ec);
}

static size_t list_n(struct fixture *f, const char *scope, const char *today, int days)
{
    struct list_q q = {f, scope, today, days, NULL, 0, 0, -1};
    struct err_ctx ec;
    err_clear(&ec);
    assert_int_equal(store_read(f->s, list_fn, &q, &ec), 0);
    /* The dashboard's count agrees with the list it summarises. */
    assert_int_equal(q.counted, (int64_t)q.n);
    return q.n;
}

static void test_case_overdue__lists_and_event(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f); /* due 2023-02-16 */
    struct list_q q = {f, "/1/", "2023-02-17", 0, NULL, 0, 0, 0};
    struct err_ctx ec;
    struct op o = {.id = id, .transition = "extend", .p = &f->leader};

    assert_int_equal(list_n(f, "/1/", "2023-02-16", -1), 0);
    assert_int_equal(list_n(f, "/1/", "2023-02-17", -1), 1);
    assert_int_equal(list_n(f, "/1/3/", "2023-02-17", -1), 0); /* out of scope */
    assert_int_equal(list_n(f, "/1/", "2023-02-13", 3), 1);
    assert_int_equal(list_n(f, "/1/", "2023-02-12", 3), 0);
    assert_int_equal(list_n(f, "/1/2/", "2023-02-16", 0), 1);

    err_clear(&ec);
    assert_int_equal(store_write(f->s, mark_fn, &q, &ec), 0);
    assert_int_equal(q.marked, 1);
    assert_int_equal(store_write(f->s, mark_fn, &q, &ec), 0);
    assert_int_equal(q.marked, 0); /* once */
    assert_int_equal(
        count(f, "SELECT COUNT(*) FROM events WHERE type = 'case.testreq.overdue' AND id > $1", 0),
        1);
    /* An extension moves the date and re-arms the notice. */
    assert_int_equal(run(f, &o, &ec), 0);
    assert_int_equal(list_n(f, "/1/", "2023-02-17", -1), 0);
    assert_int_equal(count(f, "SELECT overdue_notified FROM cases WHERE id = $1", id), 0);
}

/* ---- the cases module: labelled lists across types, the watcher ---- */

static void test_cases_days_until(void **state)
{
    struct date today;

    (void)state;
    assert_int_equal(date_parse("2023-02-27", &today), 0);
    assert_int_equal(cases_days_until("2023-02-27", today), 0);
    assert_int_equal(cases_days_until("2023-03-02", today), 3); /* across the month's end */
    assert_int_equal(cases_days_until("2023-02-16", today), -11);
    assert_int_equal(cases_days_until("2024-02-27", today), 365);
    assert_int_equal(cases_days_until("2023-02-30", today), 0);
    assert_int_equal(cases_days_until(NULL, today), 0);
}

static void test_cases_type_register(void **state)
{
    static const struct case_state bad_states[] = {{NULL, NULL, false}};
    static const struct case_type bad = {"bad", "坏类型", bad_states, req_transitions, NULL};
    struct err_ctx ec;

    (void)state;
    cases_types_reset();
    assert_null(cases_type_find("testreq"));
    err_clear(&ec);
    assert_int_equal(cases_type_register(&req_type, &ec), 0);
    assert_ptr_equal(cases_type_find("testreq"), &req_type);
    assert_int_equal(cases_type_register(&req_type, &ec), ERR_CONFLICT);
    err_clear(&ec);
    assert_true(cases_type_register(&bad, &ec) < 0);
    assert_null(cases_type_find("bad"));
    assert_null(cases_type_find(NULL));
    cases_types_reset();
    assert_null(cases_type_find("testreq"));
}

struct clist_q {
    struct fixture *f;
    const char *scope, *today;
    int days;
    struct cases_item *items;
    size_t n;
};

static int clist_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct clist_q *q = arg;
    struct date d;

    date_parse(q->today, &d);
    return cases_list(c, q->f->a, q->scope, d, q->days, &q->items, &q->n, ec);
}

static struct clist_q clist(struct fixture *f, const char *scope, const char *today, int days)
{
    struct clist_q q = {f, scope, today, days, NULL, 0};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, clist_fn, &q, &ec), 0);
    return q;
}

static void test_cases_list__labels_days_json(void **state)
{
    struct fixture *f = *state;
    int64_t id = open_accepted(f); /* due 2023-02-16 */
    struct clist_q q;
    struct err_ctx ec;
    json_t *j;

    /* No type registered: the raw codes. */
    cases_types_reset();
    q = clist(f, "/1/", "2023-02-17", -1);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.items[0].rec.id, id);
    assert_string_equal(q.items[0].type_name, "testreq");
    assert_string_equal(q.items[0].state_label, "accepted");
    assert_string_equal(q.items[0].unit_name, "甲街道");
    assert_int_equal(q.items[0].days, 1);

    err_clear(&ec);
    assert_int_equal(cases_type_register(&req_type, &ec), 0);
    q = clist(f, "/1/", "2023-02-20", -1);
    assert_int_equal(q.n, 1);
    assert_string_equal(q.items[0].type_name, "测试申请");
    assert_string_equal(q.items[0].state_label, "已受理");
    assert_int_equal(q.items[0].days, 4);
    j = cases_item_json(&q.items[0], true);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), id);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "testreq");
    assert_string_equal(json_string_value(json_object_get(j, "state_label")), "已受理");
    assert_string_equal(json_string_value(json_object_get(j, "due_on")), "2023-02-16");
    assert_int_equal(json_integer_value(json_object_get(j, "days_over")), 4);
    assert_null(json_object_get(j, "days_left"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "unit"), "id")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "unit"), "name")),
                        "甲街道");
    json_decref(j);

    q = clist(f, "/1/2/", "2023-02-13", 3);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.items[0].days, 3);
    j = cases_item_json(&q.items[0], false);
    assert_int_equal(json_integer_value(json_object_get(j, "days_left")), 3);
    assert_null(json_object_get(j, "days_over"));
    json_decref(j);

    assert_int_equal(clist(f, "/1/3/", "2023-02-20", -1).n, 0); /* out of scope */
    assert_int_equal(clist(f, "/1/", "2023-02-12", 3).n, 0);
    assert_int_equal(clist(f, "/1/", "2023-02-16", -1).n, 0);
    cases_types_reset();
}

/* The watcher announces at start and stops at once, not after its period. */
struct days_op {
    struct fixture *f;
    const struct principal *p;
    const char *transition;
    const char *fields;
    int64_t id, now_ms;
    struct case_rec rec;
};

static int days_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct days_op *o = arg;
    struct case_actor who = {o->p, certified_none, NULL, o->now_ms};
    json_t *fields = o->fields ? json_loads(o->fields, 0, NULL) : NULL;
    int rc = o->id ? case_take(c, o->f->a, &who, &days_type, o->id, o->transition, fields, 0, NULL,
                               &o->rec, ec)
                   : case_open(c, o->f->a, &who, &days_type, 2, "/1/2/", "open", fields, NULL,
                               &o->id, ec);
    json_decref(fields);
    return rc;
}

/* days_field: the case's own number of days, fixed when it is opened. */
static void test_case_days_field__fixed_at_opening(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    struct days_op o = {
        .f = f, .p = &f->staff, .fields = "{\"days\":3}", .now_ms = at("2023-01-16")};

    err_clear(&ec);
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    o.transition = "restart";
    o.fields = "{\"days\":30}"; /* a transition's field cannot change the period */
    o.now_ms = at("2023-01-17");
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    assert_string_equal(o.rec.due_on, "2023-01-20"); /* 3 working days from 01-17 */
    /* Without the field, the rule's own days. */
    o = (struct days_op){.f = f, .p = &f->staff, .now_ms = at("2023-01-16")};
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    o.transition = "restart";
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    /* 10 working days from 01-16, over the 2023 Spring Festival (01-21..27 off,
     * 01-28 and 01-29 worked) */
    assert_string_equal(o.rec.due_on, "2023-02-02");
}

/* unit_field: a transition hands the case to a unit in the actor's scope. */
static void test_case_unit_field__moves_within_scope(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    struct days_op o = {.f = f, .p = &f->staff, .now_ms = at("2023-01-16")};

    err_clear(&ec);
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    o.transition = "move";
    o.fields = "{\"unit_id\":3}"; /* outside the clerk's subtree */
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "unit_id");
    o.fields = "{\"unit_id\":\"3\"}";
    err_clear(&ec);
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), ERR_INVALID);
    o.p = &f->leader; /* the district's leader sees both */
    o.fields = "{\"unit_id\":3}";
    err_clear(&ec);
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), 0);
    assert_int_equal(o.rec.unit_id, 3);
    assert_string_equal(o.rec.unit_path, "/1/3/");
    /* Now the first clerk no longer sees it. */
    o.p = &f->staff;
    o.transition = "restart";
    o.fields = NULL;
    assert_int_equal(store_write(f->s, days_unit, &o, &ec), ERR_NOT_FOUND);
}

static void test_cases_watch__marks_at_start_and_stops(void **state)
{
    struct fixture *f = *state;
    struct cases_watch *w = NULL;
    struct err_ctx ec;
    int64_t n = 0;

    open_accepted(f); /* due 2023-02-16, long past */
    err_clear(&ec);
    assert_int_equal(cases_watch_start(f->s, 3600 * 1000LL, &w, &ec), 0);
    for (int i = 0; i < 500 && n == 0; i++) {
        usleep(10 * 1000);
        n = count(f, "SELECT COUNT(*) FROM events WHERE type = 'case.testreq.overdue' AND id > $1",
                  0);
    }
    assert_int_equal(n, 1);
    cases_watch_stop(w);
    cases_watch_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_type__check),
        cmocka_unit_test_setup_teardown(test_case_take__due_over_spring_festival, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_take__illegal_names_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_take__role_scope_certified_fields, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_case_take__history_audit_event_one_unit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_case_history__rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_days_field__fixed_at_opening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_unit_field__moves_within_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_overdue__lists_and_event, setup, teardown),
        cmocka_unit_test(test_cases_days_until),
        cmocka_unit_test(test_cases_type_register),
        cmocka_unit_test_setup_teardown(test_cases_list__labels_days_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cases_watch__marks_at_start_and_stops, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
