/*
 * test_audit.c - the hash-chained audit log: appending, verifying, and
 * catching each way of tampering with it.
 *
 * Tampering goes around the store on purpose: the test opens the database
 * file with its own sqlite3 connection, drops the append-only triggers and
 * edits rows, as someone with the file in hand could.
 */
#include "core/compat.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

#define ENTRIES 20

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
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

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err_ctx ec;

    snprintf(f->dir, sizeof(f->dir), "/tmp/fazhi-audit-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "sqlite:%s/audit.db", f->dir);
    err_clear(&ec);
    if (store_open(f->path, NULL, &f->s, &ec) != 0 || store_migrate(f->s, NULL, &ec) != 0) {
        fprintf(stderr, "setup: %s / %s\n", ec.message, ec.detail);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_free(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

struct audit_job {
    const struct audit_rec *recs;
    int n;
    bool fail; /* the unit fails after auditing: its entries must vanish */
};

static int audit_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct audit_job *j = arg;

    for (int i = 0; i < j->n; i++) {
        int rc = store_audit(c, &j->recs[i], ec);
        if (rc < 0)
            return rc;
    }
    return j->fail ? err_set(ec, ERR_INVALID, NULL, "故意失败") : 0;
}

/* Appends ENTRIES entries, a few per unit, with every kind of field value:
 * NULL and "" before/after, unit 0 (stored NULL) and real units, CJK text. */
static void append_entries(struct store *s)
{
    static const struct audit_rec recs[] = {
        {"user:1", "create", "unit", "1", 0, NULL, "{\"name\":\"城西街道\"}"},
        {"user:1", "update", "unit", "1", 1, "{\"name\":\"城西街道\"}", "{\"name\":\"城西\"}"},
        {"system", "login", "session", "7", 0, NULL, NULL},
        {"token:3", "delete", "user", "12", 4, "{}", ""},
        {"cli:root", "create", "user", "13", 4, "", "{\"login\":\"li\"}"},
    };
    struct err_ctx ec;
    int done = 0;

    while (done < ENTRIES) {
        int n = ENTRIES - done < 3 ? ENTRIES - done : 3;
        struct audit_rec batch[3];
        struct audit_job j = {batch, n, false};

        for (int i = 0; i < n; i++)
            batch[i] = recs[(done + i) % ARRAY_SIZE(recs)];
        err_clear(&ec);
        assert_int_equal(store_write(s, audit_unit, &j, &ec), 0);
        done += n;
    }
}

static void tamper(const struct fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    const char *file = f->path + strlen("sqlite:");

    assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "tamper: %s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* ---- cases ---- */

static void test_store_audit__append_and_verify(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    int64_t count = -1, bad = -1;

    err_clear(&ec);
    assert_int_equal(store_audit_verify(f->s, &count, &bad, &ec), 0);
    assert_int_equal(count, 0);
    append_entries(f->s);
    assert_int_equal(store_audit_verify(f->s, &count, &bad, &ec), 0);
    assert_int_equal(count, ENTRIES);
    assert_int_equal(bad, 0);
}

static void test_store_audit__failed_unit_leaves_no_entry(void **state)
{
    struct fixture *f = *state;
    static const struct audit_rec rec = {"user:1", "update", "unit", "1", 1, "{}", "{}"};
    struct audit_job j = {&rec, 1, true};
    struct err_ctx ec;
    int64_t count = -1, bad = -1;

    append_entries(f->s);
    err_clear(&ec);
    assert_int_equal(store_write(f->s, audit_unit, &j, &ec), ERR_INVALID);
    j.fail = false;
    err_clear(&ec);
    assert_int_equal(store_write(f->s, audit_unit, &j, &ec), 0);
    assert_int_equal(store_audit_verify(f->s, &count, &bad, &ec), 0);
    assert_int_equal(count, ENTRIES + 1);
}

struct audit_thread {
    struct store *s;
    atomic_int *wrong;
};

static void *audit_thread(void *p)
{
    struct audit_thread *a = p;
    static const struct audit_rec rec = {"user:2", "update", "matter", "9", 3, "{}", "{}"};

    for (int i = 0; i < 40; i++) {
        struct audit_job j = {&rec, 1, i % 5 == 0};
        struct err_ctx ec;
        err_clear(&ec);
        if (store_write(a->s, audit_unit, &j, &ec) != (j.fail ? ERR_INVALID : 0))
            atomic_fetch_add(a->wrong, 1);
    }
    return NULL;
}

/* Units from many threads share group commits; failing ones roll back their
 * entries in the middle of a batch and the chain must still be whole. */
static void test_store_audit__concurrent_units_keep_chain(void **state)
{
    struct fixture *f = *state;
    struct audit_thread a[8];
    pthread_t th[8];
    atomic_int wrong = 0;
    struct err_ctx ec;
    int64_t count = -1, bad = -1;

    for (int i = 0; i < 8; i++) {
        a[i] = (struct audit_thread){f->s, &wrong};
        pthread_create(&th[i], NULL, audit_thread, &a[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(wrong, 0);
    err_clear(&ec);
    assert_int_equal(store_audit_verify(f->s, &count, &bad, &ec), 0);
    assert_int_equal(count, 8 * 32);
}

static void test_store_audit_verify__detects_tampering(void **state)
{
    static const char drop[] = "DROP TRIGGER IF EXISTS audit_log_no_update;"
                               "DROP TRIGGER IF EXISTS audit_log_no_delete;";
    static const struct {
        const char *what, *sql;
        int64_t bad_id;
        const char *message;
    } cases[] = {
        {"edited after_json", "UPDATE audit_log SET after_json = '{\"x\":1}' WHERE id = 7", 7,
         "审计记录 7 已被篡改"},
        {"NULL before made empty", "UPDATE audit_log SET before_json = '' WHERE id = 3", 3,
         "审计记录 3 已被篡改"},
        {"empty after made NULL", "UPDATE audit_log SET after_json = NULL WHERE id = 4", 4,
         "审计记录 4 已被篡改"},
        {"NULL unit made 0", "UPDATE audit_log SET unit_id = 0 WHERE id = 1", 1,
         "审计记录 1 已被篡改"},
        {"changed time", "UPDATE audit_log SET at_ms = at_ms + 1 WHERE id = 12", 12,
         "审计记录 12 已被篡改"},
        {"middle entry deleted", "DELETE FROM audit_log WHERE id = 5", 5, "审计记录 5 缺失"},
        {"last entry deleted", "DELETE FROM audit_log WHERE id = 20", 20, "审计记录 20 缺失"},
        {"last two deleted", "DELETE FROM audit_log WHERE id >= 19", 19, "审计记录 19 缺失"},
        {"prev link rewritten",
         "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log "
         "WHERE id = 2) WHERE id = 9",
         9, "审计记录 9 与前一条记录的链接不符"},
        {"entries swapped",
         "UPDATE audit_log SET id = -1 WHERE id = 10; UPDATE audit_log SET id = 10 WHERE id = 11;"
         "UPDATE audit_log SET id = 11 WHERE id = -1",
         10, "审计记录 10 与前一条记录的链接不符"},
        {"head hash changed",
         "UPDATE audit_head SET last_hash = (SELECT hash FROM audit_log "
         "WHERE id = 19)",
         20, "审计日志头记录与审计记录 20 不符"},
        {"head moved back", "UPDATE audit_head SET last_id = 19", 20, "审计记录 20 不在"},
        {"head removed", "DELETE FROM audit_head", 20, "审计日志头记录缺失"},
    };

    (void)state; /* each case gets a database of its own */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        void *fx = NULL;
        struct fixture *f;
        struct err_ctx ec;
        int64_t count = -1, bad = -1;
        char sql[512];

        assert_int_equal(setup(&fx), 0);
        f = fx;
        append_entries(f->s);
        snprintf(sql, sizeof(sql), "%s%s", drop, cases[i].sql);
        tamper(f, sql);
        err_clear(&ec);
        int rc = store_audit_verify(f->s, &count, &bad, &ec);
        if (rc != ERR_CONFLICT || bad != cases[i].bad_id)
            fprintf(stderr, "case '%s': rc %d, bad %lld, %s\n", cases[i].what, rc, (long long)bad,
                    ec.message);
        assert_int_equal(rc, ERR_CONFLICT);
        assert_int_equal(bad, cases[i].bad_id);
        assert_non_null(strstr(ec.message, cases[i].message));
        teardown(&fx);
    }
}

static int alter_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return store_exec(c, ec, arg, "");
}

static void test_store_audit__triggers_refuse_update_and_delete(void **state)
{
    struct fixture *f = *state;
    static const char *const sqls[] = {
        "UPDATE audit_log SET after_json = '{}' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 20",
        "DELETE FROM audit_log",
    };
    struct err_ctx ec;
    int64_t count = -1, bad = -1;

    append_entries(f->s);
    for (size_t i = 0; i < ARRAY_SIZE(sqls); i++) {
        err_clear(&ec);
        assert_int_equal(store_write(f->s, alter_unit, (void *)sqls[i], &ec), ERR_INVALID);
        assert_non_null(strstr(ec.detail, "audit_log is append-only"));
    }
    /* A dropped trigger comes back at the next migration. */
    tamper(f, "DROP TRIGGER audit_log_no_delete");
    err_clear(&ec);
    assert_int_equal(store_migrate(f->s, NULL, &ec), 0);
    assert_int_equal(store_write(f->s, alter_unit, (void *)sqls[1], &ec), ERR_INVALID);
    err_clear(&ec);
    assert_int_equal(store_audit_verify(f->s, &count, &bad, &ec), 0);
    assert_int_equal(count, ENTRIES);
}

static int audit_on_reader(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    static const struct audit_rec rec = {"system", "x", "y", "1", 0, NULL, NULL};

    (void)arg;
    return store_audit(c, &rec, ec);
}

static void test_store_audit__outside_unit_refused(void **state)
{
    struct fixture *f = *state;
    static const struct audit_rec missing = {NULL, "x", "y", "1", 0, NULL, NULL};
    struct audit_job j = {&missing, 1, false};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, audit_on_reader, NULL, &ec), ERR_INTERNAL);
    err_clear(&ec);
    assert_int_equal(store_write(f->s, audit_unit, &j, &ec), ERR_INTERNAL);
}

static void test_store_audit_verify__read_only_store(void **state)
{
    struct fixture *f = *state;
    struct store_options opt = {.read_only = true};
    struct store *ro = NULL;
    struct err_ctx ec;
    int64_t count = -1, bad = -1;

    append_entries(f->s);
    err_clear(&ec);
    assert_int_equal(store_open(f->path, &opt, &ro, &ec), 0);
    assert_int_equal(store_audit_verify(ro, &count, &bad, &ec), 0);
    assert_int_equal(count, ENTRIES);
    store_free(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_audit__append_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_audit__failed_unit_leaves_no_entry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_audit__concurrent_units_keep_chain, setup,
                                        teardown),
        cmocka_unit_test(test_store_audit_verify__detects_tampering),
        cmocka_unit_test_setup_teardown(test_store_audit__triggers_refuse_update_and_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_audit__outside_unit_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_audit_verify__read_only_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
