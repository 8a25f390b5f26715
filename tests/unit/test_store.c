/*
 * test_store.c - the storage layer against a real SQLite file.
 *
 * Each test gets a fresh directory under /tmp with a database migrated to the
 * built-in schema plus two tables of its own (items, children). Threads in
 * the concurrency tests only count; every assertion runs on the main thread,
 * as cmocka requires.
 */
#include "core/compat.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
};

static const char test_schema[] = "CREATE TABLE items ("
                                  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                  " name TEXT NOT NULL UNIQUE,"
                                  " n INTEGER CHECK (n IS NULL OR n >= 0),"
                                  " score REAL,"
                                  " data BLOB,"
                                  " note TEXT);"
                                  "CREATE TABLE children ("
                                  " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                  " item_id INTEGER NOT NULL REFERENCES items (id));";

/* ---- helpers ---- */

static int script_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return store_exec_script(c, arg, ec);
}

static int write_script(struct store *s, const char *sql, struct err_ctx *ec)
{
    return store_write(s, script_unit, (void *)sql, ec);
}

struct scalar_q {
    const char *sql;
    int64_t value;
};

static int scalar_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct scalar_q *q = arg;
    return store_query_int(c, &q->value, ec, q->sql, "");
}

/* The integer a one-row query returns, read on a reader. */
static int64_t scalar(struct store *s, const char *sql)
{
    struct scalar_q q = {sql, -1};
    struct err_ctx ec;

    err_clear(&ec);
    int rc = store_read(s, scalar_fn, &q, &ec);
    if (rc != 0)
        fprintf(stderr, "scalar(%s): %s / %s\n", sql, ec.message, ec.detail);
    assert_int_equal(rc, 0);
    return q.value;
}

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

static int open_store(struct fixture *f, const struct store_options *opt)
{
    struct err_ctx ec;

    err_clear(&ec);
    int rc = store_open(f->path, opt, &f->s, &ec);
    if (rc != 0)
        fprintf(stderr, "store_open: %s / %s\n", ec.message, ec.detail);
    return rc;
}

/* A fresh, unmigrated database. */
static int setup_empty(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/fazhi-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
    if (open_store(f, NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

/* A database with the built-in migrations and the test tables. */
static int setup(void **state)
{
    struct err_ctx ec;
    struct fixture *f;
    int applied = -1;

    if (setup_empty(state) != 0)
        return -1;
    f = *state;
    err_clear(&ec);
    if (store_migrate(f->s, &applied, &ec) != 0 || applied != (int)store_builtin_migrations_count) {
        fprintf(stderr, "store_migrate: %s / %s\n", ec.message, ec.detail);
        return -1;
    }
    if (write_script(f->s, test_schema, &ec) != 0)
        return -1;
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

struct item {
    const char *name;
    int64_t n;
    bool n_null;
    double score;
    const void *data;
    size_t data_len;
    const char *note;
    int fail_with; /* the unit returns this after inserting (0 = succeed) */
};

static int insert_item(struct store_conn *c, const struct item *it, struct err_ctx *ec)
{
    if (it->n_null)
        return store_exec(c, ec,
                          "INSERT INTO items (name, n, score, data, note) "
                          "VALUES ($1, $2, $3, $4, $5)",
                          "tndbt", it->name, it->score, it->data, it->data_len, it->note);
    return store_exec(c, ec,
                      "INSERT INTO items (name, n, score, data, note) VALUES ($1, $2, $3, $4, $5)",
                      "tidbt", it->name, it->n, it->score, it->data, it->data_len, it->note);
}

static int insert_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    const struct item *it = arg;
    int rc = insert_item(c, it, ec);

    if (rc < 0)
        return rc;
    if (it->fail_with)
        return err_set(ec, it->fail_with, "name", "故意失败");
    return 0;
}

/* ---- open, name, ping ---- */

static void test_store_open__defaults(void **state)
{
    struct fixture *f = *state;
    struct store_stats st;
    struct err_ctx ec;
    int current = -1, latest = -1;

    err_clear(&ec);
    assert_true(str_starts_with(store_backend_name(f->s), "sqlite 3."));
    assert_int_equal(store_ping(f->s, &ec), 0);
    assert_int_equal(store_schema_version(f->s, &current, &latest, &ec), 0);
    assert_int_equal(latest, store_builtin_migrations[store_builtin_migrations_count - 1].version);
    assert_int_equal(current, latest);
    store_stats(f->s, &st);
    assert_int_equal(st.readers, 4);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM pragma_journal_mode WHERE "
                                  "journal_mode = 'wal'"),
                     1);
    assert_int_equal(scalar(f->s, "SELECT foreign_keys FROM pragma_foreign_keys"), 1);
    assert_int_equal(scalar(f->s, "SELECT synchronous FROM pragma_synchronous"), 2);
}

static void test_store_open__bad_targets(void **state)
{
    struct fixture *f = *state;
    char junk[160];
    FILE *fp;
    static const struct {
        const char *url;
        int code;
    } cases[] = {
        {"", ERR_INVALID},
        {"sqlite:", ERR_INVALID},
        {"postgres://localhost/fazhi", ERR_UNAVAILABLE},
        {"/nonexistent-dir-fazhi/x.db", ERR_DB},
        {NULL, ERR_DB}, /* a file that is not a database: filled in below */
    };

    snprintf(junk, sizeof(junk), "%s/junk.db", f->dir);
    fp = fopen(junk, "w");
    assert_non_null(fp);
    for (int i = 0; i < 300; i++)
        fputs("this is not an sqlite database\n", fp);
    fclose(fp);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct store *s = (struct store *)&s;
        struct err_ctx ec;
        err_clear(&ec);
        int rc = store_open(cases[i].url ? cases[i].url : junk, NULL, &s, &ec);
        assert_int_equal(rc, cases[i].code);
        assert_null(s);
        assert_true(ec.message[0] != '\0');
    }
}

static void test_store_open__read_only(void **state)
{
    struct fixture *f = *state;
    struct store_options opt = {.read_only = true, .readers = 1};
    struct store *ro = NULL;
    struct err_ctx ec;
    struct item it = {.name = "a", .n = 1};

    err_clear(&ec);
    assert_int_equal(store_write(f->s, insert_unit, &it, &ec), 0);
    assert_int_equal(store_open(f->path, &opt, &ro, &ec), 0);
    assert_int_equal(scalar(ro, "SELECT count(*) FROM items"), 1);
    assert_int_equal(store_write(ro, insert_unit, &it, &ec), ERR_UNAVAILABLE);
    err_clear(&ec);
    assert_int_equal(store_migrate(ro, NULL, &ec), ERR_UNAVAILABLE);
    store_free(ro);
}

/* ---- statements ---- */

struct read_back {
    int64_t id, n;
    bool n_null, note_null;
    double score;
    char name[32], note[32];
    unsigned char data[16];
    size_t data_len;
    bool data_null;
    int cols;
};

static int read_back_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct read_back *r = arg;
    struct store_stmt *st;
    const void *blob;
    int rc =
        store_query(c, &st, ec, "SELECT id, name, n, score, data, note FROM items WHERE name = $1",
                    "t", r->name);

    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        r->cols = store_col_count(st);
        r->id = store_col_int(st, 0);
        r->n = store_col_int(st, 2);
        r->n_null = store_col_is_null(st, 2);
        r->score = store_col_double(st, 3);
        blob = store_col_blob(st, 4, &r->data_len);
        r->data_null = store_col_is_null(st, 4);
        if (blob && r->data_len <= sizeof(r->data))
            memcpy(r->data, blob, r->data_len);
        r->note_null = store_col_text(st, 5) == NULL;
        snprintf(r->note, sizeof(r->note), "%s", r->note_null ? "" : store_col_text(st, 5));
        rc = store_step(st, ec); /* exactly one row */
        if (rc == 1)
            rc = ERR_INTERNAL;
    } else if (rc == 0) {
        rc = ERR_NOT_FOUND;
    }
    store_done(st);
    return rc;
}

static void test_store_write__round_trip(void **state)
{
    struct fixture *f = *state;
    static const unsigned char bytes[] = {0, 1, 2, 0xff, 0, 7};
    static const struct {
        struct item it;
        bool data_null;
    } cases[] = {
        {{"全部", 42, false, 2.5, bytes, sizeof(bytes), "备注", 0}, false},
        {{"nulls", 0, true, 0, NULL, 0, NULL, 0}, true},
        {{"empty-blob", -0, false, -1.25, "", 0, "", 0}, false},
        {{"big", INT64_MAX, false, 1e300, bytes, 1, "x", 0}, false},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct item *it = &cases[i].it;
        struct read_back r = {0};
        struct err_ctx ec;

        err_clear(&ec);
        assert_int_equal(store_write(f->s, insert_unit, (void *)it, &ec), 0);
        snprintf(r.name, sizeof(r.name), "%s", it->name);
        assert_int_equal(store_read(f->s, read_back_fn, &r, &ec), 0);
        assert_int_equal(r.cols, 6);
        assert_int_equal(r.id, (int64_t)i + 1);
        assert_int_equal(r.n_null, it->n_null);
        if (!it->n_null)
            assert_int_equal(r.n, it->n);
        assert_true(r.score == it->score);
        assert_int_equal(r.data_null, cases[i].data_null);
        assert_int_equal(r.data_len, it->data_len);
        if (it->data_len)
            assert_memory_equal(r.data, it->data, it->data_len);
        assert_int_equal(r.note_null, it->note == NULL);
        if (it->note)
            assert_string_equal(r.note, it->note);
    }
}

struct twice {
    int64_t sum;
    char text[32];
};

static int twice_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct twice *t = arg;
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT $1 + $1 * $2, $3 || '-' || $3", "iit", (int64_t)20,
                         (int64_t)2, "ab");

    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1) {
        t->sum = store_col_int(st, 0);
        snprintf(t->text, sizeof(t->text), "%s", store_col_text(st, 1));
        rc = 0;
    }
    store_done(st);
    return rc;
}

static void test_store_query__placeholder_used_twice(void **state)
{
    struct fixture *f = *state;
    struct twice t = {0};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, twice_fn, &t, &ec), 0);
    assert_int_equal(t.sum, 60);
    assert_string_equal(t.text, "ab-ab");
}

struct bad_bind {
    const char *sql, *types;
    int rc;
    struct err_ctx ec;
};

static int bad_bind_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct bad_bind *b = arg;
    struct store_stmt *st = (struct store_stmt *)&st;

    (void)ec;
    err_clear(&b->ec);
    b->rc = store_query(c, &st, &b->ec, b->sql, b->types, (int64_t)1, (int64_t)2, (int64_t)3);
    if (b->rc == 0)
        store_done(st);
    else if (st != NULL)
        b->rc = 1; /* *out must be NULL on failure */
    return 0;
}

static void test_store_query__bad_bindings(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *sql, *types;
        int rc;
        const char *detail;
    } cases[] = {
        {"SELECT $1, $2", "iii", ERR_INTERNAL, "3 arguments for 2 placeholders"},
        {"SELECT $1, $2", "i", ERR_INTERNAL, "1 arguments for 2 placeholders"},
        {"SELECT $1, $2", "", ERR_INTERNAL, "0 arguments"},
        {"SELECT 1", "i", ERR_INTERNAL, "1 arguments for 0"},
        {"SELECT ?, ?", "ii", ERR_INTERNAL, "$1 is missing"},
        {"SELECT $1, $3", "ii", ERR_INTERNAL, "$2 is missing"},
        {"SELECT $1", "x", ERR_INTERNAL, "unknown type 'x'"},
        {"SELECT 1; SELECT 2", "", ERR_INTERNAL, "trailing SQL"},
        {"SELEC 1", "", ERR_DB, "syntax error"},
        {"SELECT $2, $1", "ii", 0, NULL},
        {"SELECT $1, $2, $1", "ii", 0, NULL},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct bad_bind b = {cases[i].sql, cases[i].types, 99, {0}};
        struct err_ctx ec;

        err_clear(&ec);
        assert_int_equal(store_read(f->s, bad_bind_fn, &b, &ec), 0);
        if (b.rc != cases[i].rc)
            fprintf(stderr, "case %zu: %s: %d %s\n", i, cases[i].sql, b.rc, b.ec.detail);
        assert_int_equal(b.rc, cases[i].rc);
        if (cases[i].detail)
            assert_non_null(strstr(b.ec.detail, cases[i].detail));
    }
}

struct nested {
    int64_t rows, inner_sum;
};

static int nested_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    static const char sql[] = "SELECT id FROM items WHERE id >= $1 ORDER BY id";
    struct nested *n = arg;
    struct store_stmt *outer;
    int rc = store_query(c, &outer, ec, sql, "i", (int64_t)1);

    if (rc < 0)
        return rc;
    while ((rc = store_step(outer, ec)) == 1) {
        int64_t first = 0;
        /* The same SQL text while the outer statement is checked out. */
        rc = store_query_int(c, &first, ec, sql, "i", store_col_int(outer, 0));
        if (rc < 0)
            break;
        n->rows++;
        n->inner_sum += first;
    }
    store_done(outer);
    return rc;
}

static void test_store_query__nested_same_sql(void **state)
{
    struct fixture *f = *state;
    struct nested n = {0, 0};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(
        write_script(f->s, "INSERT INTO items (name) VALUES ('a'), ('b'), ('c'), ('d')", &ec), 0);
    for (int round = 0; round < 3; round++) {
        n.rows = n.inner_sum = 0;
        assert_int_equal(store_read(f->s, nested_fn, &n, &ec), 0);
        assert_int_equal(n.rows, 4);
        assert_int_equal(n.inner_sum, 1 + 2 + 3 + 4);
    }
}

static int many_sql_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int64_t *sum = arg;

    /* More distinct statements than the cache holds, twice over. */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 300; i++) {
            char sql[64];
            int64_t v = 0;
            snprintf(sql, sizeof(sql), "SELECT %d + $1", i);
            int rc = store_query_int(c, &v, ec, sql, "i", (int64_t)1);
            if (rc < 0)
                return rc;
            *sum += v;
        }
    }
    return 0;
}

static void test_store_query__cache_eviction(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    int64_t sum = 0;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, many_sql_fn, &sum, &ec), 0);
    assert_int_equal(sum, 2 * (299 * 300 / 2 + 300));
}

static int not_found_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int64_t v = 7;
    int *rc = arg;

    *rc = store_query_int(c, &v, ec, "SELECT id FROM items WHERE name = $1", "t", "nobody");
    return 0;
}

static void test_store_query_int__not_found_leaves_ec_clean(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    int rc = 0;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, not_found_fn, &rc, &ec), 0);
    assert_int_equal(rc, ERR_NOT_FOUND);
    assert_int_equal(ec.code, ERR_OK);
    assert_string_equal(ec.message, "");
}

static int leak_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT id FROM items", "");

    (void)arg;
    if (rc == 0)
        rc = store_step(st, ec) < 0 ? -1 : 0;
    return rc; /* st deliberately not released: the store reclaims it */
}

static void test_store_read__leaked_statement_reclaimed(void **state)
{
    struct fixture *f = *state;
    struct item it = {.name = "x"};
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_write(f->s, insert_unit, &it, &ec), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(store_read(f->s, leak_fn, NULL, &ec), 0);
    /* Had the read transaction stayed open, the write would still commit
     * (WAL), but the reclaimed reader must see it afterwards. */
    it.name = "y";
    assert_int_equal(store_write(f->s, insert_unit, &it, &ec), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 2);
}

static int write_in_read_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_exec(c, ec, "INSERT INTO items (name) VALUES ('r')", "");
}

static void test_store_read__writes_refused(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, write_in_read_fn, NULL, &ec), ERR_DB);
    assert_non_null(strstr(ec.detail, "readonly"));
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 0);
}

/* ---- error mapping ---- */

static void test_store_exec__error_mapping(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *sql;
        int code;
        const char *message, *detail;
    } cases[] = {
        {"INSERT INTO items (name) VALUES ('dup')", ERR_CONFLICT, "数据已存在",
         "UNIQUE constraint failed: items.name"},
        {"INSERT INTO items (id, name) VALUES (1, 'other')", ERR_CONFLICT, "数据已存在",
         "UNIQUE constraint failed: items.id"},
        {"INSERT INTO items (name) VALUES (NULL)", ERR_INVALID, "数据不符合约束",
         "NOT NULL constraint failed: items.name"},
        {"INSERT INTO items (name, n) VALUES ('neg', -1)", ERR_INVALID, "数据不符合约束",
         "CHECK constraint failed"},
        {"INSERT INTO children (item_id) VALUES (999)", ERR_INVALID, "数据不符合约束",
         "FOREIGN KEY constraint failed"},
        {"INSERT INTO nowhere VALUES (1)", ERR_DB, "数据库操作失败", "no such table: nowhere"},
    };
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(write_script(f->s, "INSERT INTO items (name) VALUES ('dup')", &ec), 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        err_clear(&ec);
        int rc = write_script(f->s, cases[i].sql, &ec);
        assert_int_equal(rc, cases[i].code);
        assert_int_equal(ec.code, cases[i].code);
        assert_string_equal(ec.message, cases[i].message);
        assert_non_null(strstr(ec.detail, cases[i].detail));
    }
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM children"), 0);
}

static int precise_first_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    err_set(ec, ERR_CONFLICT, "name", "该名称已被使用");
    return store_exec(c, ec, "INSERT INTO items (name) VALUES ('dup')", "");
}

static void test_store_exec__precise_message_kept(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(write_script(f->s, "INSERT INTO items (name) VALUES ('dup')", &ec), 0);
    assert_int_equal(store_write(f->s, precise_first_unit, NULL, &ec), ERR_CONFLICT);
    assert_string_equal(ec.message, "该名称已被使用");
    assert_string_equal(ec.field, "name");
}

static int two_inserts_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int rc;

    (void)arg;
    rc = store_exec(c, ec, "INSERT INTO items (name) VALUES ($1)", "t", "first");
    if (rc < 0)
        return rc;
    return store_exec(c, ec, "INSERT INTO items (name) VALUES ($1)", "t", "taken");
}

static void test_store_write__unique_violation_writes_nothing(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(write_script(f->s, "INSERT INTO items (name) VALUES ('taken')", &ec), 0);
    assert_int_equal(store_write(f->s, two_inserts_unit, NULL, &ec), ERR_CONFLICT);
    assert_string_equal(ec.message, "数据已存在");
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items WHERE name = 'first'"), 0);
}

/* arg is the store. The nested store_write's result is recorded as a row. */
static int nested_write_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct err_ctx inner;
    int rc;

    err_clear(&inner);
    rc = store_write(arg, script_unit, "INSERT INTO items (name) VALUES ('never')", &inner);
    return store_exec(c, ec, "INSERT INTO items (name, n) VALUES ('nested', $1)", "i",
                      (int64_t)-rc);
}

static void test_store_write__nested_write_refused(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_write(f->s, nested_write_unit, f->s, &ec), 0);
    assert_int_equal(scalar(f->s, "SELECT n FROM items WHERE name = 'nested'"), -ERR_INTERNAL);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items WHERE name = 'never'"), 0);
}

/* ---- group commit under concurrency ---- */

#define WRITERS     16
#define WRITES_EACH 200
#define FAIL_EVERY  7

struct writer_arg {
    struct store *s;
    int thread;
    atomic_int *ok, *failed, *wrong;
};

static void *writer_thread(void *p)
{
    struct writer_arg *w = p;

    for (int i = 0; i < WRITES_EACH; i++) {
        char name[32];
        struct item it = {.name = name, .n = i};
        struct err_ctx ec;
        bool fail = (w->thread * WRITES_EACH + i) % FAIL_EVERY == 0;

        snprintf(name, sizeof(name), "t%d-%d", w->thread, i);
        it.fail_with = fail ? ERR_INVALID : 0;
        err_clear(&ec);
        int rc = store_write(w->s, insert_unit, &it, &ec);
        if (rc == 0 && !fail)
            atomic_fetch_add(w->ok, 1);
        else if (rc == ERR_INVALID && fail && strcmp(ec.message, "故意失败") == 0)
            atomic_fetch_add(w->failed, 1);
        else
            atomic_fetch_add(w->wrong, 1);
    }
    return NULL;
}

static void test_store_write__group_commit_isolates_failures(void **state)
{
    struct fixture *f = *state;
    pthread_t th[WRITERS];
    struct writer_arg args[WRITERS];
    atomic_int ok = 0, failed = 0, wrong = 0;
    struct store_stats before, after;
    int expect_fail = 0;

    for (int i = 0; i < WRITERS * WRITES_EACH; i++)
        expect_fail += i % FAIL_EVERY == 0;
    store_stats(f->s, &before);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){f->s, i, &ok, &failed, &wrong};
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    store_stats(f->s, &after);

    assert_int_equal(wrong, 0);
    assert_int_equal(failed, expect_fail);
    assert_int_equal(ok, WRITERS * WRITES_EACH - expect_fail);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), ok);
    assert_int_equal(scalar(f->s, "SELECT count(DISTINCT name) FROM items"), ok);
    assert_int_equal(after.units - before.units, WRITERS * WRITES_EACH);
    assert_int_equal(after.units_failed - before.units_failed, expect_fail);
    /* Group commit happened: fewer transactions than units, some batch > 1. */
    assert_true(after.commits - before.commits < WRITERS * WRITES_EACH);
    assert_true(after.max_batch > 1);
    printf("# %d units in %lld commits, largest batch %lld\n", WRITERS * WRITES_EACH,
           (long long)(after.commits - before.commits), (long long)after.max_batch);
}

/*
 * A trigger that answers with RAISE(ROLLBACK) ends the whole transaction
 * under the other units of its batch. Whatever happens, a unit is
 * acknowledged exactly when its row is in the table.
 */
struct acked {
    struct store *s;
    int thread;
    bool acked[WRITES_EACH];
    int rcs_other; /* results that are neither 0 nor the expected errors */
};

static int boom_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_exec(c, ec, "INSERT INTO boom (x) VALUES (1)", "");
}

static void *acked_thread(void *p)
{
    struct acked *a = p;

    for (int i = 0; i < WRITES_EACH / 2; i++) {
        char name[32];
        struct item it = {.name = name, .n = i};
        struct err_ctx ec;
        int rc;

        snprintf(name, sizeof(name), "a%d-%d", a->thread, i);
        err_clear(&ec);
        if (a->thread == 0 && i % 4 == 0) {
            rc = store_write(a->s, boom_unit, NULL, &ec);
            if (rc != ERR_INVALID)
                a->rcs_other++;
            continue;
        }
        rc = store_write(a->s, insert_unit, &it, &ec);
        a->acked[i] = rc == 0;
        if (rc != 0 && rc != ERR_DB)
            a->rcs_other++;
    }
    return NULL;
}

struct acked_check {
    struct acked *a;
    int mismatches;
    int64_t acked;
};

static int acked_check_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct acked_check *k = arg;

    for (int t = 0; t < 8; t++) {
        for (int i = 0; i < WRITES_EACH / 2; i++) {
            char name[32];
            int64_t one;
            snprintf(name, sizeof(name), "a%d-%d", t, i);
            int rc = store_query_int(c, &one, ec, "SELECT 1 FROM items WHERE name = $1", "t", name);
            if (rc < 0 && rc != ERR_NOT_FOUND)
                return rc;
            if ((rc == 0) != k->a[t].acked[i])
                k->mismatches++;
            k->acked += k->a[t].acked[i];
        }
    }
    return 0;
}

static void test_store_write__lost_transaction_fails_its_units(void **state)
{
    struct fixture *f = *state;
    struct acked *a = calloc(8, sizeof(*a));
    pthread_t th[8];
    struct acked_check k = {a, 0, 0};
    struct err_ctx ec;
    int other = 0;

    err_clear(&ec);
    assert_int_equal(write_script(f->s,
                                  "CREATE TABLE boom (x INTEGER);"
                                  "CREATE TRIGGER boom_rollback BEFORE INSERT ON boom "
                                  "BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;",
                                  &ec),
                     0);
    for (int t = 0; t < 8; t++) {
        a[t].s = f->s;
        a[t].thread = t;
        pthread_create(&th[t], NULL, acked_thread, &a[t]);
    }
    for (int t = 0; t < 8; t++) {
        pthread_join(th[t], NULL);
        other += a[t].rcs_other;
    }
    assert_int_equal(other, 0);
    assert_int_equal(store_read(f->s, acked_check_fn, &k, &ec), 0);
    assert_int_equal(k.mismatches, 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), k.acked);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM boom"), 0);
    free(a);
}

/* ---- migrations ---- */

static int table_count_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int64_t *n = arg;
    return store_query_int(c, n, ec,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                           "name IN ('mig_a', 'mig_b', 'schema_migrations')",
                           "");
}

static void test_store_migrate_with__failure_leaves_schema(void **state)
{
    struct fixture *f = *state;
    static const struct store_migration bad[] = {
        {1, "0001_a",
         "CREATE TABLE mig_a (id {{ID}}, x {{BLOB}});\nINSERT INTO mig_a (x) VALUES "
         "(x'00');"},
        {2, "0002_b", "CREATE TABLE mig_b (id {{ID}});\nCREATE TABLEE oops (x);"},
    };
    static const struct store_migration good[] = {
        {1, "0001_a",
         "CREATE TABLE mig_a (id {{ID}}, x {{BLOB}});\nINSERT INTO mig_a (x) VALUES "
         "(x'00');"},
        {2, "0002_b", "CREATE TABLE mig_b (id {{ID}});"},
    };
    struct err_ctx ec;
    int64_t tables = -1;
    int applied = -1, current = -1;

    err_clear(&ec);
    assert_int_equal(store_migrate_with(f->s, bad, ARRAY_SIZE(bad), &applied, &ec), ERR_DB);
    assert_int_equal(applied, 0);
    assert_string_equal(ec.message, "迁移 0002_b 失败");
    assert_non_null(strstr(ec.detail, "syntax error"));
    assert_int_equal(store_read(f->s, table_count_fn, &tables, &ec), 0);
    assert_int_equal(tables, 0);
    err_clear(&ec);
    assert_int_equal(store_schema_version(f->s, &current, NULL, &ec), 0);
    assert_int_equal(current, 0);

    assert_int_equal(store_migrate_with(f->s, good, ARRAY_SIZE(good), &applied, &ec), 0);
    assert_int_equal(applied, 2);
    assert_int_equal(store_read(f->s, table_count_fn, &tables, &ec), 0);
    assert_int_equal(tables, 3);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM schema_migrations"), 2);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM sqlite_master WHERE name = 'mig_a' AND "
                                  "sql LIKE '%id INTEGER PRIMARY KEY AUTOINCREMENT, x BLOB%'"),
                     1);
    assert_int_equal(store_migrate_with(f->s, good, ARRAY_SIZE(good), &applied, &ec), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM mig_a"), 1);
}

static void test_store_migrate_with__bad_list(void **state)
{
    struct fixture *f = *state;
    static const struct store_migration unordered[] = {
        {2, "0002_b", "SELECT 1"},
        {1, "0001_a", "SELECT 1"},
    };
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_migrate_with(f->s, unordered, 2, NULL, &ec), ERR_INTERNAL);
}

static void test_store_migrate__idempotent_and_triggers(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    int applied = -1;

    err_clear(&ec);
    assert_int_equal(store_migrate(f->s, &applied, &ec), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                  "AND tbl_name = 'audit_log'"),
                     2);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_builtin_migrations_count);
}

static void test_store_migrate__refuses_newer_database(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;
    int applied = -1, current = -1, latest = -1;

    err_clear(&ec);
    assert_int_equal(
        write_script(f->s, "INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)", &ec),
        0);
    assert_int_equal(store_migrate(f->s, &applied, &ec), ERR_CONFLICT);
    assert_non_null(strstr(ec.message, "9999"));
    assert_int_equal(applied, 0);
    err_clear(&ec);
    assert_int_equal(store_schema_version(f->s, &current, &latest, &ec), 0);
    assert_int_equal(current, 9999);
    assert_true(latest < current);
}

/* ---- backup ---- */

struct churn {
    struct store *s;
    int thread;
    atomic_bool *stop;
    atomic_int *written;
};

static void *churn_thread(void *p)
{
    struct churn *c = p;

    for (int i = 0; !atomic_load(c->stop); i++) {
        char name[32];
        struct item it = {.name = name, .n = i};
        struct err_ctx ec;

        snprintf(name, sizeof(name), "c%d-%d", c->thread, i);
        err_clear(&ec);
        if (store_write(c->s, insert_unit, &it, &ec) == 0)
            atomic_fetch_add(c->written, 1);
    }
    return NULL;
}

static int integrity_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct store_stmt *st;
    bool *ok = arg;
    int rc = store_query(c, &st, ec, "PRAGMA integrity_check", "");

    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1) {
        *ok = strcmp(store_col_text(st, 0), "ok") == 0;
        rc = 0;
    }
    store_done(st);
    return rc;
}

static void test_store_backup__while_writing(void **state)
{
    struct fixture *f = *state;
    struct store_options ro = {.read_only = true, .readers = 1};
    struct churn args[4];
    pthread_t th[4];
    atomic_bool stop = false;
    atomic_int written = 0;
    struct store *copy = NULL;
    struct err_ctx ec;
    char path[192];
    int64_t before, after, in_copy;
    bool ok = false;

    snprintf(path, sizeof(path), "%s/backup.db", f->dir);
    for (int i = 0; i < 4; i++) {
        args[i] = (struct churn){f->s, i, &stop, &written};
        pthread_create(&th[i], NULL, churn_thread, &args[i]);
    }
    while (atomic_load(&written) < 200)
        usleep(1000);
    err_clear(&ec);
    before = scalar(f->s, "SELECT count(*) FROM items");
    assert_int_equal(store_backup(f->s, path, &ec), 0);
    /* A second backup over the first replaces it whole. */
    assert_int_equal(store_backup(f->s, path, &ec), 0);
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    after = scalar(f->s, "SELECT count(*) FROM items");

    assert_int_equal(store_open(path, &ro, &copy, &ec), 0);
    in_copy = scalar(copy, "SELECT count(*) FROM items");
    assert_true(in_copy >= before && in_copy <= after);
    assert_int_equal(scalar(copy, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_builtin_migrations_count);
    assert_int_equal(store_read(copy, integrity_fn, &ok, &ec), 0);
    assert_true(ok);
    store_free(copy);

    assert_int_equal(store_backup(f->s, f->path, &ec), ERR_INVALID);
    err_clear(&ec);
    assert_int_equal(store_backup(f->s, "/nonexistent-dir-fazhi/b.db", &ec), ERR_IO);
}

/* ---- readers beside the writer ---- */

struct slow {
    atomic_int stage; /* 1: inserted and waiting; 2: released */
};

static int slow_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct slow *sl = arg;
    int rc = store_exec(c, ec, "INSERT INTO items (name) VALUES ('slow')", "");

    atomic_store(&sl->stage, 1);
    while (atomic_load(&sl->stage) != 2)
        usleep(1000);
    return rc;
}

struct slow_writer {
    struct store *s;
    struct slow *sl;
    int rc;
};

static void *slow_thread(void *p)
{
    struct slow_writer *w = p;
    struct err_ctx ec;

    err_clear(&ec);
    w->rc = store_write(w->s, slow_unit, w->sl, &ec);
    return NULL;
}

static void test_store_read__not_blocked_by_writer(void **state)
{
    struct fixture *f = *state;
    struct slow sl = {0};
    struct slow_writer w = {f->s, &sl, -1};
    pthread_t th;
    int64_t t0, took;

    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 0);
    pthread_create(&th, NULL, slow_thread, &w);
    while (atomic_load(&sl.stage) != 1)
        usleep(1000);
    /* The writer holds an open write transaction; reads answer at once,
     * from the last commit. */
    t0 = time_mono_us();
    for (int i = 0; i < 50; i++)
        assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 0);
    took = time_mono_us() - t0;
    atomic_store(&sl.stage, 2);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_true(took < 2 * 1000 * 1000);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 1);
}

struct nest_read {
    struct store *s;
    int depth;
    int64_t seen;
};

static int nest_read_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct nest_read *n = arg;

    (void)c;
    if (++n->depth < 10)
        return store_read(n->s, nest_read_fn, n, ec); /* more than the pool: it grows */
    return store_query_int(c, &n->seen, ec, "SELECT 5", "");
}

static void test_store_read__nested_reads_grow_pool(void **state)
{
    struct fixture *f = *state;
    struct nest_read n = {f->s, 0, 0};
    struct store_stats st;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, nest_read_fn, &n, &ec), 0);
    assert_int_equal(n.seen, 5);
    store_stats(f->s, &st);
    assert_int_equal(st.readers, 10);
}

/* ---- events ---- */

#define EVENT_THREADS 8
#define EVENTS_EACH   60

struct hook_log {
    pthread_mutex_t mu;
    int64_t ids[EVENT_THREADS * EVENTS_EACH * 2];
    char payloads[EVENT_THREADS * EVENTS_EACH * 2][48];
    int n;
    bool bad;
};

static void record_hook(const struct store_event_rec *ev, void *arg)
{
    struct hook_log *log = arg;

    pthread_mutex_lock(&log->mu);
    if (log->n < (int)ARRAY_SIZE(log->ids)) {
        log->ids[log->n] = ev->id;
        snprintf(log->payloads[log->n], sizeof(log->payloads[0]), "%s", ev->payload);
        log->n++;
    }
    if (strcmp(ev->type, "test.event") != 0 || strcmp(ev->unit_path, "/1/") != 0 || ev->at_ms <= 0)
        log->bad = true;
    pthread_mutex_unlock(&log->mu);
}

struct event_job {
    int thread, i;
    bool fail;
};

static int event_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct event_job *j = arg;
    char payload[48], topic[16];
    int rc;

    for (int k = 0; k < 2; k++) {
        snprintf(payload, sizeof(payload), "{\"t\":%d,\"i\":%d,\"k\":%d,\"fail\":%d}", j->thread,
                 j->i, k, j->fail);
        snprintf(topic, sizeof(topic), "t%d", j->thread);
        rc = store_event(c, "test.event", "/1/", k ? topic : NULL, payload, ec);
        if (rc < 0)
            return rc;
    }
    return j->fail ? err_set(ec, ERR_CONFLICT, NULL, "故意失败") : 0;
}

struct event_thread_arg {
    struct store *s;
    int thread;
    atomic_int *wrong;
};

static void *event_thread(void *p)
{
    struct event_thread_arg *a = p;

    for (int i = 0; i < EVENTS_EACH; i++) {
        struct event_job j = {a->thread, i, i % 3 == 1};
        struct err_ctx ec;
        err_clear(&ec);
        int rc = store_write(a->s, event_unit, &j, &ec);
        if (rc != (j.fail ? ERR_CONFLICT : 0))
            atomic_fetch_add(a->wrong, 1);
    }
    return NULL;
}

struct event_rows {
    struct hook_log *log;
    int n;
    bool match;
};

static int event_rows_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct event_rows *r = arg;
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT id, payload, topic FROM events ORDER BY id", "");

    if (rc < 0)
        return rc;
    r->match = true;
    while ((rc = store_step(st, ec)) == 1) {
        if (r->n >= r->log->n || store_col_int(st, 0) != r->log->ids[r->n] ||
            strcmp(store_col_text(st, 1), r->log->payloads[r->n]) != 0)
            r->match = false;
        r->n++;
    }
    store_done(st);
    return rc;
}

static void test_store_event__hook_gets_committed_only(void **state)
{
    struct fixture *f = *state;
    struct hook_log log = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct event_thread_arg args[EVENT_THREADS];
    pthread_t th[EVENT_THREADS];
    atomic_int wrong = 0;
    struct event_rows rows = {&log, 0, false};
    struct err_ctx ec;
    int committed_units = 0;

    store_set_event_hook(f->s, record_hook, &log);
    for (int i = 0; i < EVENT_THREADS; i++) {
        args[i] = (struct event_thread_arg){f->s, i, &wrong};
        pthread_create(&th[i], NULL, event_thread, &args[i]);
    }
    for (int i = 0; i < EVENT_THREADS; i++)
        pthread_join(th[i], NULL);
    store_set_event_hook(f->s, NULL, NULL);
    for (int i = 0; i < EVENTS_EACH; i++)
        committed_units += i % 3 != 1;

    assert_int_equal(wrong, 0);
    assert_false(log.bad);
    assert_int_equal(log.n, EVENT_THREADS * committed_units * 2);
    for (int i = 1; i < log.n; i++)
        assert_true(log.ids[i] > log.ids[i - 1]);
    for (int i = 0; i < log.n; i++)
        assert_null(strstr(log.payloads[i], "\"fail\":1"));
    /* The table holds exactly what the hook saw: ids, order and payloads. */
    err_clear(&ec);
    assert_int_equal(store_read(f->s, event_rows_fn, &rows, &ec), 0);
    assert_int_equal(rows.n, log.n);
    assert_true(rows.match);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM events WHERE topic = ''"), log.n / 2);

    /* With the hook removed, events still commit but nobody is called. */
    struct event_job j = {0, 0, false};
    int before = log.n;
    assert_int_equal(store_write(f->s, event_unit, &j, &ec), 0);
    assert_int_equal(log.n, before);
}

static int event_on_reader_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_event(c, "x", "/1/", NULL, "{}", ec);
}

static void test_store_event__outside_unit_refused(void **state)
{
    struct fixture *f = *state;
    struct err_ctx ec;

    err_clear(&ec);
    assert_int_equal(store_read(f->s, event_on_reader_fn, NULL, &ec), ERR_INTERNAL);
}

/* ---- durability ---- */

static void test_store_free__reopen_keeps_data(void **state)
{
    struct fixture *f = *state;
    static const unsigned char blob[] = {9, 8, 7};
    struct item it = {"durable", 5, false, 1.5, blob, sizeof(blob), "n", 0};
    struct read_back r = {0};
    struct err_ctx ec;
    int applied = -1;

    err_clear(&ec);
    assert_int_equal(store_write(f->s, insert_unit, &it, &ec), 0);
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(open_store(f, NULL), 0);
    assert_int_equal(store_migrate(f->s, &applied, &ec), 0);
    assert_int_equal(applied, 0);
    snprintf(r.name, sizeof(r.name), "durable");
    assert_int_equal(store_read(f->s, read_back_fn, &r, &ec), 0);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.data_len, 3);
    assert_memory_equal(r.data, blob, 3);
}

/* store_free while units are queued: every queued unit still commits. */
struct drain_arg {
    struct store *s;
    void *unit_arg;
    int rc;
};

static int drain_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    (void)arg;
    return store_exec(c, ec, "INSERT INTO items (name) VALUES (hex(randomblob(8)))", "");
}

static void *drain_thread(void *p)
{
    struct drain_arg *d = p;
    struct err_ctx ec;

    err_clear(&ec);
    d->rc = store_write(d->s, d->unit_arg ? slow_unit : drain_unit, d->unit_arg, &ec);
    return NULL;
}

static void test_store_free__drains_queue(void **state)
{
    struct fixture *f = *state;
    struct slow sl = {0};
    struct drain_arg d[8];
    pthread_t th[8];
    struct store_stats st;

    /* The first unit holds the writer until the seven others are queued. */
    d[0] = (struct drain_arg){f->s, &sl, 99};
    pthread_create(&th[0], NULL, drain_thread, &d[0]);
    while (atomic_load(&sl.stage) != 1)
        usleep(1000);
    for (int i = 1; i < 8; i++) {
        d[i] = (struct drain_arg){f->s, NULL, 99};
        pthread_create(&th[i], NULL, drain_thread, &d[i]);
    }
    do {
        usleep(1000);
        store_stats(f->s, &st);
    } while (st.queued < 7);
    atomic_store(&sl.stage, 2);
    store_free(f->s);
    f->s = NULL;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(d[i].rc, 0);
    }
    assert_int_equal(open_store(f, NULL), 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM items"), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open__defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__bad_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write__round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query__placeholder_used_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query__bad_bindings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query__nested_same_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query__cache_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_int__not_found_leaves_ec_clean, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_read__leaked_statement_reclaimed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_read__writes_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_exec__error_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_exec__precise_message_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write__unique_violation_writes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_write__nested_write_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write__group_commit_isolates_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_write__lost_transaction_fails_its_units, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_migrate_with__failure_leaves_schema, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_migrate_with__bad_list, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_store_migrate__idempotent_and_triggers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_migrate__refuses_newer_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_backup__while_writing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_read__not_blocked_by_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_read__nested_reads_grow_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_event__hook_gets_committed_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_event__outside_unit_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_free__reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_free__drains_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
