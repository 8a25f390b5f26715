/*
 * sqlite.c - the SQLite backend of store.h.
 *
 * One writer thread owns the only read-write connection. It takes every unit
 * of work waiting at that moment, runs each inside its own savepoint of one
 * BEGIN IMMEDIATE transaction and commits them together (group commit):
 * synchronous=FULL makes a commit cost one fsync of the WAL, so durable
 * throughput grows with the batch. Readers borrow connections from a pool
 * that grows when every one is busy, so a read never waits for another read,
 * and in WAL mode never for the writer. Every connection keeps a bounded LRU
 * cache of prepared statements keyed by SQL text; placeholders $1, $2, ...
 * are bound by name, so one may appear several times.
 *
 * Every sqlite3_* call of the program lives in this file.
 */
#include "core/compat.h"
#include "store/store_internal.h"
#include "core/log.h"
#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define STMT_CACHE_MAX 128 /* prepared statements kept per connection */
#define STMT_BUCKETS   256 /* hash buckets: a power of two, about 2x the cache */

struct sqlite_conn;

struct sqlite_stmt {
    struct store_stmt base;
    struct sqlite_conn *conn;
    sqlite3_stmt *h;
    char *sql;
    uint32_t hash;
    int nparams;                     /* distinct placeholders */
    int *param_idx;                  /* param_idx[i] is SQLite's index of "$(i+1)" */
    int params_bad;                  /* the first $n missing from 1..nparams, or 0 */
    bool busy;                       /* checked out by a caller */
    bool cached;                     /* in the cache; otherwise finalized by store_done() */
    struct sqlite_stmt *prev, *next; /* idle: the LRU list; busy: the in-use list */
    struct sqlite_stmt *hnext;       /* hash chain */
};

struct stmt_list {
    struct sqlite_stmt *head, *tail;
};

/* Statements every connection runs around callbacks, prepared once. */
enum ctl {
    CTL_BEGIN,
    CTL_BEGIN_IMMEDIATE,
    CTL_COMMIT,
    CTL_ROLLBACK,
    CTL_SAVEPOINT,
    CTL_RELEASE,
    CTL_ROLLBACK_TO,
    CTL_COUNT
};

static const char *const ctl_sql[CTL_COUNT] = {
    "BEGIN",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT fazhi_unit",
    "RELEASE fazhi_unit",
    "ROLLBACK TO fazhi_unit",
};

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
    struct sqlite_stmt *buckets[STMT_BUCKETS];
    struct stmt_list lru;   /* idle cached statements, most recently used first */
    struct stmt_list inuse; /* checked-out statements, to reclaim leaks */
    int ncached;
    sqlite3_stmt *ctl[CTL_COUNT];
    struct sqlite_conn *all_next;  /* every reader, for store_free() */
    struct sqlite_conn *free_next; /* idle readers */
};

/* A unit of work waiting for the writer; it lives on the caller's stack. */
struct sqlite_job {
    store_fn fn;
    void *arg;
    struct err_ctx *ec;
    int rc;
    bool done;
    pthread_cond_t cond;
    struct store_unit unit;
    struct sqlite_job *next;
};

struct sqlite_store {
    struct store base;
    char *path;
    char name[48];
    struct store_options opt;

    pthread_mutex_t pool_mu; /* guards the reader lists */
    struct sqlite_conn *all_readers;
    struct sqlite_conn *free_readers;
    int nreaders;

    struct sqlite_conn *writer; /* NULL when read-only */
    pthread_t writer_thread;
    bool writer_started;
    pthread_mutex_t mu; /* guards the queue, the jobs' done flags and stats */
    pthread_cond_t work_cond;
    pthread_cond_t idle_cond; /* signalled when the last caller leaves store_write */
    struct sqlite_job *queue_head, *queue_tail;
    int callers; /* threads inside sqlite_write: store_free waits for them */
    bool stopping;
    struct store_stats stats;
};

static atomic_uint backup_seq;

/* ---- errors ---- */

/*
 * Turns an SQLite result code into an enum err: a UNIQUE or PRIMARY KEY
 * violation is the caller's conflict, other constraints (NOT NULL, CHECK,
 * FOREIGN KEY, a trigger's RAISE) are invalid data, the rest is the
 * database's fault. The SQLite message goes to the detail, for the log.
 */
static int map_error(sqlite3 *db, int rc, struct err_ctx *ec)
{
    bool fresh = ec && ec->code == ERR_OK;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int ret;

    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        ret = err_set(ec, ERR_CONFLICT, NULL, "数据已存在");
    else if ((rc & 0xff) == SQLITE_CONSTRAINT)
        ret = err_set(ec, ERR_INVALID, NULL, "数据不符合约束");
    else
        ret = err_set(ec, ERR_DB, NULL, "数据库操作失败");
    if (fresh)
        err_detail(ec, "%s", msg);
    return ret;
}

/* ---- statement cache ---- */

static void list_remove(struct stmt_list *l, struct sqlite_stmt *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(struct stmt_list *l, struct sqlite_stmt *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    else
        l->tail = e;
    l->head = e;
}

static uint32_t sql_hash(const char *s, size_t *len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    const char *p = s;

    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    *len = (size_t)(p - s);
    return h;
}

static void stmt_destroy(struct sqlite_stmt *e)
{
    sqlite3_finalize(e->h);
    free(e->param_idx);
    free(e->sql);
    free(e);
}

static void cache_unlink(struct sqlite_conn *c, struct sqlite_stmt *e)
{
    struct sqlite_stmt **pp = &c->buckets[e->hash & (STMT_BUCKETS - 1)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    c->ncached--;
}

/*
 * Prepares a new entry. Only a statement that will be kept gets
 * SQLITE_PREPARE_PERSISTENT, which tells SQLite it is worth the memory.
 */
static int stmt_prepare(struct sqlite_conn *c, const char *sql, size_t len, uint32_t hash,
                        bool cached, struct sqlite_stmt **out, struct err_ctx *ec)
{
    struct sqlite_stmt *e = calloc(1, sizeof(*e));
    const char *tail = NULL;
    int rc;

    if (!e)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    e->base.be = &sqlite_store_backend;
    e->conn = c;
    e->hash = hash;
    e->cached = cached;
    rc = sqlite3_prepare_v3(c->db, sql, (int)len + 1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &e->h,
                            &tail);
    if (rc != SQLITE_OK) {
        rc = map_error(c->db, rc, ec);
        goto out;
    }
    if (!e->h) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "SQL 语句为空");
        goto out;
    }
    /* One statement per call: a second one would be silently ignored. */
    while (tail &&
           (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "一次只能执行一条 SQL 语句");
        err_detail(ec, "trailing SQL: %.120s", tail);
        goto out;
    }
    e->sql = malloc(len + 1);
    e->nparams = sqlite3_bind_parameter_count(e->h);
    if (e->nparams > 0)
        e->param_idx = malloc(sizeof(int) * (size_t)e->nparams);
    if (!e->sql || (e->nparams > 0 && !e->param_idx)) {
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    memcpy(e->sql, sql, len + 1);
    /* SQLite numbers distinct parameters; if each of $1..$n names one of
     * them, every parameter is a $n and none is skipped. */
    for (int i = 0; i < e->nparams; i++) {
        char name[16];
        snprintf(name, sizeof(name), "$%d", i + 1);
        e->param_idx[i] = sqlite3_bind_parameter_index(e->h, name);
        if (e->param_idx[i] == 0 && !e->params_bad)
            e->params_bad = i + 1;
    }
    *out = e;
    e = NULL;
    rc = 0;
out:
    if (e) {
        sqlite3_finalize(e->h);
        free(e->param_idx);
        free(e->sql);
        free(e);
    }
    return rc;
}

/* Lends the statement for 'sql' out of the cache, preparing it if needed. */
static int stmt_checkout(struct sqlite_conn *c, const char *sql, struct sqlite_stmt **out,
                         struct err_ctx *ec)
{
    size_t len;
    uint32_t h = sql_hash(sql, &len);
    struct sqlite_stmt *e;
    bool cache = true;
    int rc;

    for (e = c->buckets[h & (STMT_BUCKETS - 1)]; e; e = e->hnext) {
        if (e->hash != h || strcmp(e->sql, sql) != 0)
            continue;
        if (e->busy) {
            cache = false; /* the same SQL is running nested: use a one-off copy */
            break;
        }
        list_remove(&c->lru, e);
        goto lend;
    }
    if (cache && c->ncached >= STMT_CACHE_MAX) {
        struct sqlite_stmt *victim = c->lru.tail;
        if (victim) {
            list_remove(&c->lru, victim);
            cache_unlink(c, victim);
            stmt_destroy(victim);
        } else {
            cache = false; /* every cached statement is in use */
        }
    }
    rc = stmt_prepare(c, sql, len, h, cache, &e, ec);
    if (rc < 0)
        return rc;
    if (cache) {
        e->hnext = c->buckets[h & (STMT_BUCKETS - 1)];
        c->buckets[h & (STMT_BUCKETS - 1)] = e;
        c->ncached++;
    }
lend:
    e->busy = true;
    list_push_front(&c->inuse, e);
    *out = e;
    return 0;
}

static void stmt_return(struct sqlite_stmt *e)
{
    struct sqlite_conn *c = e->conn;

    list_remove(&c->inuse, e);
    e->busy = false;
    if (!e->cached) {
        stmt_destroy(e);
        return;
    }
    /* Reset ends the statement's read of the database; clearing the
     * bindings drops copies of the caller's strings. */
    sqlite3_reset(e->h);
    sqlite3_clear_bindings(e->h);
    list_push_front(&c->lru, e);
}

/* Gives back statements a callback forgot to release, so that none keeps
 * its transaction open or its SQL checked out past the callback. */
static void reclaim_leaked(struct sqlite_conn *c)
{
    while (c->inuse.head) {
        struct sqlite_stmt *e = c->inuse.head;
        log_warn("store: statement not released by its callback: %.100s", e->sql);
        stmt_return(e);
    }
}

static int bind_args(struct sqlite_stmt *e, const char *types, va_list ap, bool copy,
                     struct err_ctx *ec)
{
    sqlite3_destructor_type how = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
    size_t n = strlen(types);
    int rc = SQLITE_OK;

    if (e->params_bad) {
        err_set(ec, ERR_INTERNAL, NULL, "SQL 参数占位符有误");
        return err_detail(ec, "placeholders must be $1..$%d; $%d is missing: %.120s", e->nparams,
                          e->params_bad, e->sql);
    }
    if (n != (size_t)e->nparams) {
        err_set(ec, ERR_INTERNAL, NULL, "SQL 参数个数与占位符不符");
        return err_detail(ec, "%zu arguments for %d placeholders: %.120s", n, e->nparams, e->sql);
    }
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        int idx = e->param_idx[i];
        switch (types[i]) {
        case 'i':
            rc = sqlite3_bind_int64(e->h, idx, va_arg(ap, int64_t));
            break;
        case 'd':
            rc = sqlite3_bind_double(e->h, idx, va_arg(ap, double));
            break;
        case 't': {
            const char *t = va_arg(ap, const char *);
            rc = t ? sqlite3_bind_text(e->h, idx, t, -1, how) : sqlite3_bind_null(e->h, idx);
            break;
        }
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            if (len > INT32_MAX) {
                err_set(ec, ERR_TOO_LARGE, NULL, NULL);
                return err_detail(ec, "blob of %zu bytes for $%zu", len, i + 1);
            }
            /* NULL binds SQL NULL, as for text; an empty blob stays a blob
             * (sqlite3_bind_blob would turn a NULL pointer into NULL). */
            if (!p)
                rc = sqlite3_bind_null(e->h, idx);
            else if (len == 0)
                rc = sqlite3_bind_zeroblob(e->h, idx, 0);
            else
                rc = sqlite3_bind_blob(e->h, idx, p, (int)len, how);
            break;
        }
        case 'n':
            rc = sqlite3_bind_null(e->h, idx);
            break;
        default:
            err_set(ec, ERR_INTERNAL, NULL, "SQL 参数类型有误");
            return err_detail(ec, "unknown type '%c' for $%zu: %.120s", types[i], i + 1, e->sql);
        }
    }
    if (rc != SQLITE_OK)
        return map_error(e->conn->db, rc, ec);
    return 0;
}

/* ---- statements: the vtable half ---- */

static int sqlite_query(struct store_conn *base, struct store_stmt **out, struct err_ctx *ec,
                        const char *sql, const char *types, va_list ap, bool copy)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    struct sqlite_stmt *e = NULL;
    int rc;

    *out = NULL;
    rc = stmt_checkout(c, sql, &e, ec);
    if (rc < 0)
        return rc;
    rc = bind_args(e, types ? types : "", ap, copy, ec);
    if (rc < 0) {
        stmt_return(e);
        return rc;
    }
    *out = &e->base;
    return 0;
}

static int sqlite_step(struct store_stmt *st, struct err_ctx *ec)
{
    struct sqlite_stmt *e = (struct sqlite_stmt *)st;
    int rc = sqlite3_step(e->h);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return map_error(e->conn->db, rc, ec);
}

static int64_t sqlite_col_int(struct store_stmt *st, int col)
{
    return sqlite3_column_int64(((struct sqlite_stmt *)st)->h, col);
}

static double sqlite_col_double(struct store_stmt *st, int col)
{
    return sqlite3_column_double(((struct sqlite_stmt *)st)->h, col);
}

static const char *sqlite_col_text(struct store_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(((struct sqlite_stmt *)st)->h, col);
}

static const void *sqlite_col_blob(struct store_stmt *st, int col, size_t *len)
{
    sqlite3_stmt *h = ((struct sqlite_stmt *)st)->h;
    const void *p = sqlite3_column_blob(h, col); /* before _bytes, as SQLite asks */
    int n = sqlite3_column_bytes(h, col);

    if (len)
        *len = n > 0 ? (size_t)n : 0;
    return p;
}

static bool sqlite_col_is_null(struct store_stmt *st, int col)
{
    return sqlite3_column_type(((struct sqlite_stmt *)st)->h, col) == SQLITE_NULL;
}

static int sqlite_col_count(struct store_stmt *st)
{
    return sqlite3_column_count(((struct sqlite_stmt *)st)->h);
}

static int64_t sqlite_changes(struct store_stmt *st)
{
    return sqlite3_changes64(((struct sqlite_stmt *)st)->conn->db);
}

static void sqlite_done(struct store_stmt *st)
{
    stmt_return((struct sqlite_stmt *)st);
}

static int sqlite_exec_script(struct store_conn *base, const char *sql, struct err_ctx *ec)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        bool fresh = ec && ec->code == ERR_OK;
        rc = map_error(c->db, rc, ec);
        if (fresh && msg)
            err_detail(ec, "%s", msg);
    }
    sqlite3_free(msg);
    return rc;
}

/* ---- connections ---- */

static int ctl_run(struct sqlite_conn *c, enum ctl which)
{
    int rc = sqlite3_step(c->ctl[which]);

    sqlite3_reset(c->ctl[which]);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void conn_close(struct sqlite_conn *c)
{
    int rc;

    if (!c)
        return;
    reclaim_leaked(c);
    while (c->lru.head) {
        struct sqlite_stmt *e = c->lru.head;
        list_remove(&c->lru, e);
        stmt_destroy(e);
    }
    for (int i = 0; i < CTL_COUNT; i++)
        sqlite3_finalize(c->ctl[i]);
    rc = sqlite3_close(c->db);
    if (rc != SQLITE_OK)
        log_error("store: closing the database failed: %s", sqlite3_errstr(rc));
    free(c);
}

static int conn_pragmas(struct sqlite3 *db, const char *sql, struct err_ctx *ec)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        err_set(ec, ERR_DB, NULL, "无法打开数据库");
        err_detail(ec, "%s", msg ? msg : sqlite3_errstr(rc));
        rc = ERR_DB;
    }
    sqlite3_free(msg);
    return rc;
}

/* Checks that the file really is an SQLite database in WAL mode, which is
 * what lets readers run beside the writer. */
static int conn_wal(struct sqlite3 *db, struct err_ctx *ec)
{
    sqlite3_stmt *h = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &h, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(h);
    if (rc != SQLITE_ROW) {
        err_set(ec, ERR_DB, NULL, "无法打开数据库");
        err_detail(ec, "journal_mode=WAL: %s", sqlite3_errmsg(db));
        rc = ERR_DB;
    } else if (strcmp((const char *)sqlite3_column_text(h, 0), "wal") != 0) {
        err_set(ec, ERR_DB, NULL, "数据库无法使用 WAL 模式");
        err_detail(ec, "journal_mode is %s", (const char *)sqlite3_column_text(h, 0));
        rc = ERR_DB;
    } else {
        rc = 0;
    }
    sqlite3_finalize(h);
    return rc;
}

/*
 * Opens one connection: the writer (creates the file), a reader (query_only,
 * so a write by mistake in store_read fails at once), or, for a read-only
 * store, a read-only connection.
 */
static int conn_open(struct sqlite_store *s, bool writer, struct sqlite_conn **out,
                     struct err_ctx *ec)
{
    struct sqlite_conn *c = calloc(1, sizeof(*c));
    int flags = SQLITE_OPEN_NOMUTEX; /* one thread uses a connection at a time */
    char sql[160];
    int rc;

    *out = NULL;
    if (!c)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    c->base.be = &sqlite_store_backend;
    c->base.store = &s->base;
    if (s->opt.read_only)
        flags |= SQLITE_OPEN_READONLY;
    else
        flags |= SQLITE_OPEN_READWRITE | (writer ? SQLITE_OPEN_CREATE : 0);
    rc = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(ec, ERR_DB, "database", "无法打开数据库 %s", s->path);
        err_detail(ec, "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        rc = ERR_DB;
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->opt.busy_timeout_ms);
    if (!s->opt.read_only && (rc = conn_wal(c->db, ec)) < 0)
        goto out;
    snprintf(sql, sizeof(sql),
             "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; %s"
             "SELECT count(*) FROM sqlite_master;",
             !writer && !s->opt.read_only ? "PRAGMA query_only=ON; " : "");
    if ((rc = conn_pragmas(c->db, sql, ec)) < 0)
        goto out;
    for (int i = 0; i < CTL_COUNT; i++) {
        rc = sqlite3_prepare_v3(c->db, ctl_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->ctl[i], NULL);
        if (rc != SQLITE_OK) {
            rc = map_error(c->db, rc, ec);
            goto out;
        }
    }
    *out = c;
    c = NULL;
    rc = 0;
out:
    if (c) {
        for (int i = 0; i < CTL_COUNT; i++)
            sqlite3_finalize(c->ctl[i]);
        sqlite3_close(c->db);
        free(c);
    }
    return rc;
}

/* ---- reads ---- */

static int reader_get(struct sqlite_store *s, struct sqlite_conn **out, struct err_ctx *ec)
{
    struct sqlite_conn *c;
    int rc;

    pthread_mutex_lock(&s->pool_mu);
    c = s->free_readers;
    if (c)
        s->free_readers = c->free_next;
    pthread_mutex_unlock(&s->pool_mu);
    if (c) {
        *out = c;
        return 0;
    }
    /* Every reader is busy: open one more rather than wait, so that a read
     * nested in a read, or in a unit of work, can never deadlock. The pool
     * thus settles at the peak number of concurrent reads. */
    rc = conn_open(s, false, &c, ec);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->pool_mu);
    c->all_next = s->all_readers;
    s->all_readers = c;
    s->nreaders++;
    pthread_mutex_unlock(&s->pool_mu);
    *out = c;
    return 0;
}

static void reader_put(struct sqlite_store *s, struct sqlite_conn *c)
{
    pthread_mutex_lock(&s->pool_mu);
    c->free_next = s->free_readers; /* LIFO: the warmest connection goes out next */
    s->free_readers = c;
    pthread_mutex_unlock(&s->pool_mu);
}

static int sqlite_read(struct store *base, store_fn fn, void *arg, struct err_ctx *ec)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct sqlite_conn *c;
    int rc;

    rc = reader_get(s, &c, ec);
    if (rc < 0)
        return rc;
    rc = ctl_run(c, CTL_BEGIN);
    if (rc != SQLITE_OK) {
        rc = map_error(c->db, rc, ec);
        goto out;
    }
    rc = fn(&c->base, arg, ec);
    reclaim_leaked(c);
    if (rc < 0 && ec && ec->code == ERR_OK)
        err_set(ec, rc, NULL, NULL);
    if (rc > 0)
        rc = 0;
    if (!sqlite3_get_autocommit(c->db)) {
        int crc = ctl_run(c, CTL_COMMIT);
        if (crc != SQLITE_OK) {
            crc = map_error(c->db, crc, ec);
            if (rc == 0)
                rc = crc;
            if (!sqlite3_get_autocommit(c->db))
                ctl_run(c, CTL_ROLLBACK);
        }
    }
out:
    reader_put(s, c);
    return rc;
}

/* ---- writes ---- */

/* Marks a unit that had succeeded as failed: its transaction did not commit.
 * 'why' is SQLite's message, taken before a ROLLBACK could replace it. */
static void job_fail(struct sqlite_job *j, const char *why)
{
    if (j->rc < 0)
        return; /* failed on its own already, with its own message */
    j->rc = err_set(j->ec, ERR_DB, NULL, "数据写入失败，请稍后重试");
    if (j->ec)
        err_detail(j->ec, "%s", why);
    store_unit_discard(&j->unit);
}

/*
 * Runs one unit of work inside a savepoint. When its callback fails, the
 * savepoint is rolled back so that only this unit's changes (and events) are
 * undone. If the transaction itself ends under the unit (an error SQLite
 * answers with a full rollback, or a unit that committed on its own),
 * sqlite3_get_autocommit() turns true and run_batch() deals with it.
 */
static void run_unit(struct sqlite_conn *c, struct sqlite_job *j)
{
    int rc = ctl_run(c, CTL_SAVEPOINT);

    if (rc != SQLITE_OK) {
        j->rc = map_error(c->db, rc, j->ec);
        return;
    }
    c->base.unit = &j->unit;
    rc = j->fn(&c->base, j->arg, j->ec);
    c->base.unit = NULL;
    reclaim_leaked(c);
    if (rc >= 0) {
        j->rc = 0;
        if (sqlite3_get_autocommit(c->db))
            return;
        rc = ctl_run(c, CTL_RELEASE);
        if (rc != SQLITE_OK) {
            j->rc = map_error(c->db, rc, j->ec);
            store_unit_discard(&j->unit);
            ctl_run(c, CTL_ROLLBACK);
        }
        return;
    }
    j->rc = rc;
    if (j->ec && j->ec->code == ERR_OK)
        err_set(j->ec, rc, NULL, NULL);
    store_unit_discard(&j->unit);
    if (sqlite3_get_autocommit(c->db))
        return;
    if (ctl_run(c, CTL_ROLLBACK_TO) != SQLITE_OK || ctl_run(c, CTL_RELEASE) != SQLITE_OK) {
        log_error("store: rolling back a unit of work failed: %s", sqlite3_errmsg(c->db));
        ctl_run(c, CTL_ROLLBACK); /* cannot undo the unit alone: undo the batch */
    }
}

/*
 * One group commit. Units run in queue order; their transaction commits
 * once. If the commit fails every unit of the transaction gets the error:
 * with synchronous=FULL a failing commit means the disk (full, I/O error),
 * where running the units again one by one would only fail more slowly.
 * The events of the committed units are moved to 'events', for the hook
 * once their waiters are released.
 */
static void run_batch(struct sqlite_store *s, struct sqlite_job *batch, int64_t *commits,
                      struct store_unit *events)
{
    struct sqlite_conn *c = s->writer;
    struct sqlite_job *txn = NULL; /* first unit of the open transaction */
    char why[ERR_DETAIL_MAX];
    int rc;

    for (struct sqlite_job *j = batch; j; j = j->next) {
        if (!txn) {
            rc = ctl_run(c, CTL_BEGIN_IMMEDIATE);
            if (rc != SQLITE_OK) {
                /* Waited busy_timeout already (another process writes): give
                 * the rest of the batch the error rather than wait again. */
                snprintf(why, sizeof(why), "BEGIN IMMEDIATE: %s", sqlite3_errmsg(c->db));
                log_error("store: %s", why);
                for (struct sqlite_job *k = j; k; k = k->next)
                    job_fail(k, why);
                break;
            }
            txn = j;
        }
        run_unit(c, j);
        if (sqlite3_get_autocommit(c->db)) {
            snprintf(why, sizeof(why), "transaction ended inside a unit of work: %s",
                     sqlite3_errmsg(c->db));
            log_error("store: %s", why);
            for (struct sqlite_job *k = txn; k != j->next; k = k->next)
                job_fail(k, why);
            txn = NULL;
        }
    }
    if (txn) {
        rc = ctl_run(c, CTL_COMMIT);
        if (rc != SQLITE_OK) {
            snprintf(why, sizeof(why), "COMMIT: %s", sqlite3_errmsg(c->db));
            log_error("store: %s", why);
            if (!sqlite3_get_autocommit(c->db))
                ctl_run(c, CTL_ROLLBACK);
            for (struct sqlite_job *k = txn; k; k = k->next)
                job_fail(k, why);
        } else {
            (*commits)++;
        }
    }
    for (struct sqlite_job *j = batch; j; j = j->next)
        if (j->rc == 0)
            store_unit_take(events, &j->unit);
}

static void *writer_main(void *arg)
{
    struct sqlite_store *s = arg;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        struct sqlite_job *batch, *last, *next;
        struct store_unit events;
        int64_t n = 1, failed = 0, commits = 0;

        while (!s->queue_head && !s->stopping)
            pthread_cond_wait(&s->work_cond, &s->mu);
        if (!s->queue_head)
            break; /* stopping, and the queue is drained */
        batch = last = s->queue_head;
        while (last->next && n < s->opt.max_batch) {
            last = last->next;
            n++;
        }
        s->queue_head = last->next;
        if (!s->queue_head)
            s->queue_tail = NULL;
        last->next = NULL;
        s->stats.queued -= n;
        pthread_mutex_unlock(&s->mu);

        store_unit_init(&events);
        run_batch(s, batch, &commits, &events);

        pthread_mutex_lock(&s->mu);
        for (struct sqlite_job *j = batch; j; j = next) {
            next = j->next; /* j lives on a stack that unwinds once done is seen */
            if (j->rc < 0)
                failed++;
            j->done = true;
            pthread_cond_signal(&j->cond);
        }
        s->stats.commits += commits;
        s->stats.units += n;
        s->stats.units_failed += failed;
        if (n > s->stats.max_batch)
            s->stats.max_batch = n;
        /* The writers are released before the hook runs: a commit's
         * acknowledgement does not wait for the fan-out to live streams
         * (with 1,000 subscribers of one topic, a few milliseconds), and the
         * next batch only for it. Events still go out in commit order. */
        pthread_mutex_unlock(&s->mu);
        store_unit_publish(&s->base, &events);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int sqlite_write(struct store *base, store_fn fn, void *arg, struct err_ctx *ec)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct sqlite_job job = {.fn = fn, .arg = arg, .ec = ec};

    if (!s->writer)
        return err_set(ec, ERR_UNAVAILABLE, NULL, "数据库以只读方式打开，不能写入");
    if (pthread_equal(pthread_self(), s->writer_thread)) {
        /* The writer would wait for itself. */
        err_set(ec, ERR_INTERNAL, NULL, "服务器内部错误");
        return err_detail(ec, "store_write called from inside a unit of work or the event hook");
    }
    store_unit_init(&job.unit);
    pthread_cond_init(&job.cond, NULL);
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        pthread_cond_destroy(&job.cond);
        return err_set(ec, ERR_UNAVAILABLE, NULL, "数据库正在关闭");
    }
    if (s->queue_tail)
        s->queue_tail->next = &job;
    else
        s->queue_head = &job;
    s->queue_tail = &job;
    s->stats.queued++;
    s->callers++;
    pthread_cond_signal(&s->work_cond);
    while (!job.done)
        pthread_cond_wait(&job.cond, &s->mu);
    if (--s->callers == 0 && s->stopping)
        pthread_cond_signal(&s->idle_cond);
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&job.cond);
    return job.rc;
}

/* ---- lifecycle ---- */

static void sqlite_free(struct store *base)
{
    struct sqlite_store *s = (struct sqlite_store *)base;

    if (s->writer_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->work_cond);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer_thread, NULL);
        /* A caller woken by the writer still has to take mu once more to
         * leave store_write: wait for the last one before mu goes away. */
        pthread_mutex_lock(&s->mu);
        while (s->callers > 0)
            pthread_cond_wait(&s->idle_cond, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    /* Readers first: the last connection to close checkpoints the WAL into
     * the main file and removes it, and only the writer may do that. */
    while (s->all_readers) {
        struct sqlite_conn *c = s->all_readers;
        s->all_readers = c->all_next;
        conn_close(c);
    }
    conn_close(s->writer);
    pthread_cond_destroy(&s->work_cond);
    pthread_cond_destroy(&s->idle_cond);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->pool_mu);
    store_base_release(&s->base);
    free(s->path);
    free(s);
}

/*
 * Process-wide settings, before SQLite initialises itself: no memory
 * statistics, whose global mutex every allocation of every connection would
 * otherwise take (measurable at tens of thousands of reads a second).
 */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static int sqlite_open(const char *target, const struct store_options *opt, struct store **out,
                       struct err_ctx *ec)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    struct sqlite_store *s;
    int rc;

    pthread_once(&configured, sqlite_configure);
    s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    store_base_init(&s->base, &sqlite_store_backend);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work_cond, NULL);
    pthread_cond_init(&s->idle_cond, NULL);
    s->opt = *opt;
    snprintf(s->name, sizeof(s->name), "sqlite %s", sqlite3_libversion());
    s->path = strdup(target);
    if (!s->path) {
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    if (!sqlite3_threadsafe()) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "SQLite 库未启用线程支持");
        goto out;
    }
    /* The writer first: it creates the file and switches it to WAL. */
    if (!opt->read_only && (rc = conn_open(s, true, &s->writer, ec)) < 0)
        goto out;
    for (int i = 0; i < opt->readers; i++) {
        struct sqlite_conn *c;
        if ((rc = conn_open(s, false, &c, ec)) < 0)
            goto out;
        c->all_next = s->all_readers;
        s->all_readers = c;
        c->free_next = s->free_readers;
        s->free_readers = c;
        s->nreaders++;
    }
    if (s->writer) {
        rc = pthread_create(&s->writer_thread, NULL, writer_main, s);
        if (rc != 0) {
            rc = err_set(ec, ERR_INTERNAL, NULL, "无法启动数据库写线程");
            goto out;
        }
        s->writer_started = true;
    }
    *out = &s->base;
    s = NULL;
    rc = 0;
out:
    if (s)
        sqlite_free(&s->base);
    return rc;
}

static const char *sqlite_name(struct store *base)
{
    return ((struct sqlite_store *)base)->name;
}

static void sqlite_stats(struct store *base, struct store_stats *out)
{
    struct sqlite_store *s = (struct sqlite_store *)base;

    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->pool_mu);
    out->readers = s->nreaders;
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- schema ---- */

static int sqlite_table_exists(struct store_conn *c, const char *name, bool *out,
                               struct err_ctx *ec)
{
    int64_t one;
    int rc = store_query_int(
        c, &one, ec, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", "t", name);

    *out = rc == 0;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* SQLite has no privileges to revoke, so triggers keep audit_log append-only.
 * IF NOT EXISTS puts back a trigger someone dropped, at the next start. */
static int sqlite_after_migrate(struct store_conn *c, struct err_ctx *ec)
{
    bool exists = false;
    int rc = sqlite_table_exists(c, "audit_log", &exists, ec);

    if (rc < 0 || !exists)
        return rc;
    return store_exec_script(
        c,
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
        ec);
}

/* ---- backup ---- */

static int fsync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/*
 * Copies the database with SQLite's online backup from a fresh read-only
 * connection: one step copies every page from one read snapshot, which in
 * WAL mode does not stop the writer. The copy is written beside the target
 * and renamed into place only once it is complete and on disk, so 'path'
 * holds either the old file or a whole new one.
 */
/* True if 'path' names the same file as 'other' (both exist). */
static bool same_file(const char *path, const char *other)
{
    struct stat a, b;
    return stat(path, &a) == 0 && stat(other, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/*
 * True if writing a backup to 'path' would replace the live database or
 * its -wal or -shm file: the backup is renamed into place, and a server
 * would go on writing to the unlinked old file, losing every later write.
 * Compared by device and inode, so another spelling of the path is caught.
 */
static bool backup_target_is_live(const char *db, const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[4096];

    if (strcmp(path, db) == 0)
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
        snprintf(name, sizeof(name), "%s%s", db, suffixes[i]);
        if (same_file(path, name))
            return true;
    }
    return false;
}

static int sqlite_backup(struct store *base, const char *path, struct err_ctx *ec)
{
    struct sqlite_store *s = (struct sqlite_store *)base;
    struct strbuf tmp = STRBUF_INIT;
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b;
    char *dir = NULL, *slash;
    int rc, tries = 0;

    if (backup_target_is_live(s->path, path))
        return err_set(ec, ERR_INVALID, "path", "备份文件不能是数据库文件本身或其日志文件");
    strbuf_addf(&tmp, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&backup_seq, 1));
    unlink(tmp.buf);
    rc = sqlite3_open_v2(s->path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = map_error(src, rc, ec);
        goto out;
    }
    sqlite3_busy_timeout(src, s->opt.busy_timeout_ms);
    rc = sqlite3_open_v2(tmp.buf, &dst,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err_set(ec, ERR_IO, "path", "无法创建备份文件 %s", path);
        err_detail(ec, "%s", dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        rc = ERR_IO;
        goto out;
    }
    /* The copy is thrown away if anything fails, so it needs no journal;
     * durability comes from the fsync before the rename. */
    sqlite3_exec(dst, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL, NULL);
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        rc = map_error(dst, sqlite3_errcode(dst), ec);
        goto out;
    }
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        if (++tries * 10 > s->opt.busy_timeout_ms)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    if (rc != SQLITE_DONE) {
        sqlite3_backup_finish(b);
        rc = map_error(NULL, rc, ec);
        goto out;
    }
    rc = sqlite3_backup_finish(b);
    if (rc != SQLITE_OK) {
        rc = map_error(dst, rc, ec);
        goto out;
    }
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        rc = map_error(NULL, rc, ec);
        goto out;
    }
    dir = strdup(path);
    if (!dir) {
        rc = err_set(ec, ERR_NOMEM, NULL, NULL);
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    if (fsync_path(tmp.buf, false) != 0 || rename(tmp.buf, path) != 0 ||
        fsync_path(slash ? dir : ".", true) != 0) {
        err_set(ec, ERR_IO, "path", "无法写入备份文件 %s", path);
        err_detail(ec, "%s", strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    rc = 0;
out:
    if (dst)
        sqlite3_close(dst);
    sqlite3_close(src);
    if (rc < 0)
        unlink(tmp.buf);
    free(dir);
    strbuf_release(&tmp);
    return rc;
}

const struct store_backend sqlite_store_backend = {
    .scheme = "sqlite",
    .sql_id = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .sql_blob = "BLOB",
    .open = sqlite_open,
    .free = sqlite_free,
    .name = sqlite_name,
    .stats = sqlite_stats,
    .read = sqlite_read,
    .write = sqlite_write,
    .backup = sqlite_backup,
    .table_exists = sqlite_table_exists,
    .after_migrate = sqlite_after_migrate,
    .query = sqlite_query,
    .step = sqlite_step,
    .col_int = sqlite_col_int,
    .col_double = sqlite_col_double,
    .col_text = sqlite_col_text,
    .col_blob = sqlite_col_blob,
    .col_is_null = sqlite_col_is_null,
    .col_count = sqlite_col_count,
    .changes = sqlite_changes,
    .done = sqlite_done,
    .exec_script = sqlite_exec_script,
};
