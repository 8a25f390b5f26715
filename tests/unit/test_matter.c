/*
 * test_matter.c - resident matters (src/modules/matter/matter.c) on a real
 * SQLite store: tracking codes, the workflow table (every transition from
 * every state, legal or not), deadlines across the 2022 Spring Festival and
 * National Day holidays, scope, reopening, and submissions refused field by
 * field with nothing written.
 */
#include "core/compat.h"

#include <dirent.h>
#include <stdarg.h>
#include <setjmp.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/str.h"
#include "modules/cases/cases.h"
#include "modules/matter/matter.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
    struct arena *a;
    struct principal staff, clerk_elsewhere, officer;
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

/* A subdistrict (2) with the centre that receives complaints (4) and a
 * community (5); another subdistrict (3). */
static int add_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_exec_script(
        c,
        "INSERT INTO units (id, parent_id, type, code, name, path, created_at_ms) VALUES "
        "(1, NULL, 'district', 'd', '区', '/1/', 0),"
        "(2, 1, 'subdistrict', 'cx', '城西街道', '/1/2/', 0),"
        "(3, 1, 'subdistrict', 'cd', '城东街道', '/1/3/', 0),"
        "(4, 2, 'department', 'zzzx', '综治中心', '/1/2/4/', 0),"
        "(5, 2, 'community', 'sq1', '城西社区', '/1/2/5/', 0)",
        ec);
}

static void set_principal(struct principal *p, int64_t uid, unsigned roles, const char *path)
{
    memset(p, 0, sizeof(*p));
    p->user_id = uid;
    p->roles = roles;
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

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err_ctx ec;

    err_clear(&ec);
    cases_types_reset();
    snprintf(f->dir, sizeof(f->dir), "/tmp/fazhi-matter-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
    if (store_open(f->path, NULL, &f->s, &ec) != 0 || store_migrate(f->s, NULL, &ec) != 0 ||
        store_write(f->s, add_units, NULL, &ec) != 0 || matter_start(f->s, &ec) != 0) {
        fprintf(stderr, "setup: %s / %s\n", ec.message, ec.detail);
        return -1;
    }
    f->a = arena_new();
    set_principal(&f->staff, 1, ROLE_STAFF, "/1/2/");
    set_principal(&f->clerk_elsewhere, 2, ROLE_STAFF, "/1/3/");
    set_principal(&f->officer, 3, ROLE_OFFICER, "/1/2/");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    arena_free(f->a);
    store_free(f->s);
    remove_dir(f->dir);
    cases_types_reset();
    free(f);
    return 0;
}

/* ---- units of work ---- */

struct op {
    struct fixture *f;
    const struct principal *p; /* staff actions; NULL: the resident's */
    struct matter_new in;      /* a submission when transition is NULL */
    const char *transition;
    const char *fields; /* JSON text */
    const char *code;   /* the resident's key */
    int64_t id;
    int64_t at_ms;
    struct matter m;
};

static int op_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct op *o = arg;
    json_t *fields = o->fields ? json_loads(o->fields, 0, NULL) : NULL;
    int rc;

    if (!o->transition)
        rc = matter_submit(c, o->f->a, o->p, &o->in, &o->m, ec);
    else if (o->p)
        rc = matter_act(c, o->f->a, o->p, o->id, o->transition, fields, 0, o->at_ms, &o->m, ec);
    else
        rc = matter_resident_act(c, o->f->a, o->code, o->transition, fields, o->at_ms, &o->m, ec);
    json_decref(fields);
    return rc;
}

static int run(struct fixture *f, struct op *o, struct err_ctx *ec)
{
    o->f = f;
    err_clear(ec);
    return store_write(f->s, op_unit, o, ec);
}

static int count_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return store_query_int(
        c, arg, ec, "SELECT (SELECT COUNT(*) FROM matters) + (SELECT COUNT(*) FROM cases)", "");
}

static int64_t rows(struct fixture *f)
{
    int64_t n = -1;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, count_unit, &n, &ec), 0);
    return n;
}

static struct matter_new complaint(int64_t at_ms)
{
    static json_t *attrs;

    if (!attrs)
        attrs = json_pack("{s:s}", "category", "noise");
    return (struct matter_new){.type = "complaint",
                               .description = "夜间施工噪声扰民",
                               .address = "城西社区 3 栋",
                               .phone = "13800138000",
                               .attributes = attrs,
                               .source = "api",
                               .at_ms = at_ms};
}

/* Submits a complaint on 'day' and takes 'path' (staff, then resident
 * steps); returns the matter as it ends. */
static struct matter drive(struct fixture *f, const char *day, const char *const *path)
{
    struct err_ctx ec;
    struct op o = {.in = complaint(at(day))};
    struct matter m;

    assert_int_equal(run(f, &o, &ec), 0);
    m = o.m;
    for (; path && *path; path++) {
        bool resident = strcmp(*path, "rate") == 0 || strcmp(*path, "reopen") == 0;
        const char *fields = strcmp(*path, "assign") == 0    ? "{\"unit_id\":5}"
                             : strcmp(*path, "resolve") == 0 ? "{\"reply\":\"已协调停工\"}"
                             : strcmp(*path, "rate") == 0    ? "{\"rating\":5}"
                                                             : "{\"reason\":\"仍有噪声\"}";
        o = (struct op){.p = resident ? NULL : &f->staff,
                        .transition = *path,
                        .fields = fields,
                        .code = m.code,
                        .id = m.id,
                        .at_ms = at(day) + 3600 * 1000};
        if (run(f, &o, &ec) != 0)
            fail_msg("%s: %s", *path, ec.message);
        m = o.m;
    }
    return m;
}

/* ---- tracking codes ---- */

static int cmp_code(const void *x, const void *y)
{
    return strcmp(x, y);
}

static void test_codes__shape_and_uniqueness(void **state)
{
    enum { N = 20000 };
    char(*codes)[MATTER_CODE_LEN] = calloc(N, MATTER_CODE_LEN);
    (void)state;

    for (int i = 0; i < N; i++) {
        char norm[MATTER_CODE_LEN];
        matter_code_new(codes[i]);
        assert_int_equal(strlen(codes[i]), 12);
        assert_memory_equal(codes[i], "CX-", 3);
        assert_int_equal(codes[i][7], '-');
        for (int k = 3; k < 12; k++)
            if (k != 7)
                assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", codes[i][k]));
        assert_true(matter_code_normalize(codes[i], norm));
        assert_string_equal(norm, codes[i]);
    }
    qsort(codes, N, MATTER_CODE_LEN, cmp_code);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(codes[i - 1], codes[i]);
    free(codes);
}

static void test_codes__normalize_what_people_type(void **state)
{
    char out[MATTER_CODE_LEN];
    (void)state;

    assert_true(matter_code_normalize("cx-7kq2-9mwd", out));
    assert_string_equal(out, "CX-7KQ2-9MWD");
    assert_true(matter_code_normalize(" CX 7KQ2 9MWD", out));
    assert_string_equal(out, "CX-7KQ2-9MWD");
    assert_true(matter_code_normalize("7KQ29MWD", out)); /* prefix left out */
    assert_string_equal(out, "CX-7KQ2-9MWD");
    assert_true(matter_code_normalize("CX-7KQ2-9MWO", out)); /* O is 0, I and L are 1 */
    assert_string_equal(out, "CX-7KQ2-9MW0");
    assert_true(matter_code_normalize("CX-IKQ2-9MWL", out));
    assert_string_equal(out, "CX-1KQ2-9MW1");

    assert_false(matter_code_normalize("CX-7KQ2-9MW", out));   /* short */
    assert_false(matter_code_normalize("CX-7KQ2-9MWDD", out)); /* long */
    assert_false(matter_code_normalize("CX-7KQ2-9MWU", out));  /* U is not a digit */
    assert_false(matter_code_normalize("CX-7KQ2-9MW/", out));
    assert_false(matter_code_normalize("", out));
    assert_false(matter_code_normalize(NULL, out));
}

/* ---- the workflow table ---- */

static void test_table__is_well_formed(void **state)
{
    struct err_ctx ec;
    (void)state;

    err_clear(&ec);
    assert_int_equal(case_type_check(&matter_case_type, &ec), 0);
    assert_non_null(cases_type_find("matter"));
}

/* Every transition from every state: legal exactly when the table has it. */
static void test_table__every_transition_from_every_state(void **state)
{
    struct fixture *f = *state;
    static const char *const to_submitted[] = {NULL};
    static const char *const to_accepted[] = {"accept", NULL};
    static const char *const to_rejected[] = {"reject", NULL};
    static const char *const to_assigned[] = {"accept", "assign", NULL};
    static const char *const to_in_progress[] = {"accept", "assign", "start", NULL};
    static const char *const to_resolved[] = {"accept", "assign", "start", "resolve", NULL};
    static const char *const to_closed[] = {"accept", "assign", "start", "resolve", "rate", NULL};
    static const struct {
        const char *state;
        const char *const *path;
        const char *legal; /* the transitions allowed from it */
    } states[] = {
        {"submitted", to_submitted, "accept reject"},
        {"accepted", to_accepted, "assign"},
        {"rejected", to_rejected, ""},
        {"assigned", to_assigned, "assign start"},
        {"in_progress", to_in_progress, "resolve"},
        {"resolved", to_resolved, "rate reopen"},
        {"closed", to_closed, ""},
    };
    static const char *const all[] = {"accept",  "reject", "assign", "start",
                                      "resolve", "rate",   "reopen"};

    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
            struct matter m = drive(f, "2022-03-01", states[i].path);
            char word[16];
            bool legal, resident = strcmp(all[k], "rate") == 0 || strcmp(all[k], "reopen") == 0;
            struct err_ctx ec;
            struct op o = {.p = resident ? NULL : &f->staff,
                           .transition = all[k],
                           .fields = "{\"unit_id\":5,\"reply\":\"答复\",\"rating\":4,"
                                     "\"reason\":\"理由\"}",
                           .code = m.code,
                           .id = m.id,
                           .at_ms = at("2022-03-02")};
            int rc;

            assert_string_equal(m.state, states[i].state);
            snprintf(word, sizeof(word), " %s ", all[k]);
            legal = strstr(arena_printf(f->a, " %s ", states[i].legal), word) != NULL;
            rc = run(f, &o, &ec);
            if (legal) {
                if (rc != 0)
                    fail_msg("%s from %s: %s", all[k], states[i].state, ec.message);
            } else {
                if (rc != ERR_CONFLICT)
                    fail_msg("%s from %s should be refused, got %d %s", all[k], states[i].state, rc,
                             ec.message);
                assert_string_equal(ec.field, "transition");
                assert_non_null(strstr(ec.message, matter_state_label(states[i].state)));
            }
        }
    }
}

static void test_table__roles(void **state)
{
    struct fixture *f = *state;
    struct matter m = drive(f, "2022-03-01", NULL);
    struct err_ctx ec;
    struct op o = {.p = &f->officer, .transition = "accept", .id = m.id};

    /* An officer does not handle matters; a clerk elsewhere does not see it. */
    assert_int_equal(run(f, &o, &ec), ERR_FORBIDDEN);
    o = (struct op){.p = &f->clerk_elsewhere, .transition = "accept", .id = m.id};
    assert_int_equal(run(f, &o, &ec), ERR_NOT_FOUND);
    /* Staff cannot rate for the resident; the resident cannot accept. */
    o = (struct op){.p = &f->staff, .transition = "rate", .fields = "{\"rating\":5}", .id = m.id};
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "transition");
    o = (struct op){.transition = "accept", .code = m.code};
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    /* Assigning outside the actor's scope names the field. */
    m = drive(f, "2022-03-01", (const char *const[]){"accept", NULL});
    o = (struct op){
        .p = &f->staff, .transition = "assign", .fields = "{\"unit_id\":3}", .id = m.id};
    assert_int_equal(run(f, &o, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "unit_id");
    /* A wrong tracking code is not found. */
    o = (struct op){.transition = "rate", .fields = "{\"rating\":5}", .code = "CX-0000-0000"};
    assert_int_equal(run(f, &o, &ec), ERR_NOT_FOUND);
}

static void test_assign__moves_the_matter_to_the_unit(void **state)
{
    struct fixture *f = *state;
    struct matter m = drive(f, "2022-03-01", (const char *const[]){"accept", "assign", NULL});

    assert_int_equal(m.unit_id, 5);
    assert_string_equal(m.unit_path, "/1/2/5/");
    assert_string_equal(m.unit_name, "城西社区");
}

/* ---- deadlines ---- */

static void test_deadline__national_day_2022(void **state)
{
    struct fixture *f = *state;
    /* Complaints: 5 working days from 2022-09-28. Oct 1-7 are holidays and
     * Oct 8-9 (a weekend) are working days: 9-29, 9-30, 10-8, 10-9, 10-10. */
    struct matter m = drive(f, "2022-09-28", NULL);

    assert_string_equal(m.due_on, "2022-10-10");
}

static void test_deadline__spring_festival_2022(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    /* Consultations: 3 working days from Thursday 2022-01-27. Jan 29-30 (a
     * weekend) are working days, Jan 31 - Feb 6 the holiday: 1-28, 1-29, 1-30. */
    struct op o = {.in = {.type = "consultation",
                          .description = "咨询低保申请条件",
                          .phone = "0571-87654321",
                          .source = "portal",
                          .at_ms = at("2022-01-27")}};

    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.m.due_on, "2022-01-30");
    /* Submitted on the last day before the holiday with 3 days left: the
     * clock skips the whole festival. From Sunday 2022-01-30: 2-7, 2-8, 2-9. */
    o.in.at_ms = at("2022-01-30");
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.m.due_on, "2022-02-09");
}

static void test_deadline__stops_when_resolved_and_restarts_on_reopen(void **state)
{
    struct fixture *f = *state;
    struct matter m =
        drive(f, "2022-03-01", (const char *const[]){"accept", "assign", "start", "resolve", NULL});
    struct err_ctx ec;
    struct op o;

    assert_null(m.due_on);
    assert_true(m.resolved_at_ms > 0);
    assert_true(m.on_time);
    assert_string_equal(m.reply, "已协调停工");
    /* Reopened on 2022-03-04 (Friday): 5 working days again, to 03-11. */
    o = (struct op){.transition = "reopen",
                    .fields = "{\"reason\":\"夜间仍在施工\"}",
                    .code = m.code,
                    .at_ms = at("2022-03-04")};
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.m.state, "in_progress");
    assert_string_equal(o.m.due_on, "2022-03-11");
    assert_int_equal(o.m.resolved_at_ms, 0);
}

static void test_reopen__only_within_seven_days(void **state)
{
    struct fixture *f = *state;
    struct matter m =
        drive(f, "2022-03-01", (const char *const[]){"accept", "assign", "start", "resolve", NULL});
    struct err_ctx ec;
    struct op o = {.transition = "reopen",
                   .fields = "{\"reason\":\"仍未解决\"}",
                   .code = m.code,
                   .at_ms = at("2022-03-09")};

    assert_int_equal(run(f, &o, &ec), ERR_CONFLICT);
    assert_non_null(strstr(ec.message, "7 天"));
    /* Rating is still open to the resident. */
    o = (struct op){.transition = "rate",
                    .fields = "{\"rating\":4,\"comment\":\"处理及时\"}",
                    .code = m.code,
                    .at_ms = at("2022-03-09")};
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.m.state, "closed");
    assert_int_equal(o.m.rating, 4);
    assert_true(o.m.closed_at_ms > 0);
}

struct history_op {
    struct fixture *f;
    struct matter *m;
    struct matter_step *steps;
    size_t n;
};

static int read_history(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct history_op *o = arg;
    return matter_history(c, o->f->a, o->m, &o->steps, &o->n, ec);
}

static void test_history__labels_and_texts(void **state)
{
    struct fixture *f = *state;
    struct matter m =
        drive(f, "2022-03-01",
              (const char *const[]){"accept", "assign", "start", "resolve", "rate", NULL});
    struct history_op o = {.f = f, .m = &m};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, read_history, &o, &ec), 0);
    assert_int_equal(o.n, 6);
    assert_string_equal(o.steps[0].label, "提交");
    assert_string_equal(o.steps[2].text, "交由城西社区办理");
    assert_string_equal(o.steps[4].text, "已协调停工");
    assert_string_equal(o.steps[5].state_label, "已评价");
    assert_string_equal(o.steps[5].text, "评价 5 星");
}

/* ---- submissions refused ---- */

static void test_submit__bad_input_names_the_field_and_writes_nothing(void **state)
{
    struct fixture *f = *state;
    json_t *bad_option = json_pack("{s:s}", "category", "aliens");
    json_t *unknown = json_pack("{s:s, s:s}", "category", "noise", "colour", "red");
    json_t *none = json_object();
    static const struct {
        const char *type, *description, *phone;
        int attrs; /* 0 good, 1 bad option, 2 unknown key, 3 required missing */
        bool location_bad;
        const char *field;
    } cases[] = {
        {"nosuch", "描述", "13800138000", 0, false, "type"},
        {"", "描述", "13800138000", 0, false, "type"},
        {"complaint", "   ", "13800138000", 0, false, "description"},
        {"complaint", "描述", "1380013800", 0, false, "phone"},
        {"complaint", "描述", "", 0, false, "phone"},
        {"complaint", "描述", "23800138000", 0, false, "phone"},
        {"complaint", "描述", "13800138000", 1, false, "attribute[category]"},
        {"complaint", "描述", "13800138000", 2, false, "attribute[colour]"},
        {"complaint", "描述", "13800138000", 3, false, "attribute[category]"},
        {"complaint", "描述", "13800138000", 0, true, "lat"},
    };
    int64_t before = rows(f);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err_ctx ec;
        struct op o = {.in = complaint(at("2022-03-01"))};
        o.in.type = cases[i].type;
        o.in.description = cases[i].description;
        o.in.phone = cases[i].phone;
        if (cases[i].attrs)
            o.in.attributes = cases[i].attrs == 1   ? bad_option
                              : cases[i].attrs == 2 ? unknown
                                                    : none;
        if (cases[i].location_bad) {
            o.in.has_location = true;
            o.in.lat = 91;
            o.in.lon = 120;
        }
        assert_int_equal(run(f, &o, &ec), ERR_INVALID);
        if (strcmp(ec.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, ec.field, cases[i].field,
                     ec.message);
    }
    assert_int_equal(rows(f), before);
    json_decref(bad_option);
    json_decref(unknown);
    json_decref(none);
}

static void test_submit__phone_forms_and_masking(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    struct op o = {.in = complaint(at("2022-03-01"))};
    json_t *staff_view, *public_view;

    o.in.phone = "+86 138 0013 8000";
    assert_int_equal(run(f, &o, &ec), 0);
    assert_string_equal(o.m.phone, "13800138000");
    assert_string_equal(o.m.unit_name, "综治中心"); /* the type's handling unit */
    public_view = matter_track_json(&o.m, NULL, 0);
    staff_view = matter_json(&o.m, &f->staff);
    assert_string_not_equal(json_string_value(json_object_get(public_view, "phone")),
                            "13800138000");
    assert_non_null(strstr(json_string_value(json_object_get(public_view, "phone")), "*"));
    assert_non_null(strstr(json_string_value(json_object_get(staff_view, "phone")), "*"));
    json_decref(public_view);
    json_decref(staff_view);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes__shape_and_uniqueness),
        cmocka_unit_test(test_codes__normalize_what_people_type),
        cmocka_unit_test_setup_teardown(test_table__is_well_formed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table__every_transition_from_every_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_table__roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assign__moves_the_matter_to_the_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline__national_day_2022, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline__spring_festival_2022, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline__stops_when_resolved_and_restarts_on_reopen,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen__only_within_seven_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history__labels_and_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit__bad_input_names_the_field_and_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit__phone_forms_and_masking, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
