/*
 * store.c - the backend-independent half of store.h.
 *
 * It picks the engine from the URL, fills in default options, forwards each
 * public call through the engine's struct store_backend, and keeps the events
 * a unit of work records until the writer says its commit is durable. The
 * statement calls are one indirect call each: cheap next to the engine's work.
 */
#include "core/compat.h"
#include "store/store_internal.h"
#include "core/str.h"

#include <stdarg.h>

#define DEFAULT_READERS      4
#define DEFAULT_BUSY_TIMEOUT 5000
#define DEFAULT_MAX_BATCH    256

/* ---- lifecycle ---- */

int store_open(const char *url, const struct store_options *opt, struct store **out,
               struct err_ctx *ec)
{
    struct store_options o = {0};
    const char *target = url;

    *out = NULL;
    if (!url || !*url)
        return err_set(ec, ERR_INVALID, "database", "未指定数据库");
    if (str_starts_with(url, "postgres://") || str_starts_with(url, "postgresql://"))
        return err_set(ec, ERR_UNAVAILABLE, "database", "本程序暂不支持 PostgreSQL 数据库");
    if (str_starts_with(url, "sqlite:"))
        target = url + strlen("sqlite:");
    if (!*target)
        return err_set(ec, ERR_INVALID, "database", "数据库文件路径为空");
    if (opt)
        o = *opt;
    if (o.readers <= 0)
        o.readers = DEFAULT_READERS;
    if (o.busy_timeout_ms <= 0)
        o.busy_timeout_ms = DEFAULT_BUSY_TIMEOUT;
    if (o.max_batch <= 0)
        o.max_batch = DEFAULT_MAX_BATCH;
    return sqlite_store_backend.open(target, &o, out, ec);
}

void store_free(struct store *s)
{
    if (s)
        s->be->free(s);
}

void store_base_init(struct store *s, const struct store_backend *be)
{
    s->be = be;
    s->hook = NULL;
    s->hook_arg = NULL;
    pthread_mutex_init(&s->hook_mu, NULL);
}

void store_base_release(struct store *s)
{
    pthread_mutex_destroy(&s->hook_mu);
}

void store_set_event_hook(struct store *s, store_event_hook fn, void *arg)
{
    /* Taking hook_mu waits for a hook call in progress: once this returns,
     * the old hook is never called again and its argument may be freed. */
    pthread_mutex_lock(&s->hook_mu);
    s->hook = fn;
    s->hook_arg = arg;
    pthread_mutex_unlock(&s->hook_mu);
}

const char *store_backend_name(struct store *s)
{
    return s->be->name(s);
}

void store_stats(struct store *s, struct store_stats *out)
{
    memset(out, 0, sizeof(*out));
    s->be->stats(s, out);
}

static int ping_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int64_t one = 0;
    int rc = store_query_int(c, &one, ec, "SELECT 1", "");

    (void)arg;
    if (rc == ERR_NOT_FOUND || (rc == 0 && one != 1))
        return err_set(ec, ERR_DB, NULL, "数据库没有正确应答");
    return rc;
}

int store_ping(struct store *s, struct err_ctx *ec)
{
    return store_read(s, ping_fn, NULL, ec);
}

int store_backup(struct store *s, const char *path, struct err_ctx *ec)
{
    if (!path || !*path)
        return err_set(ec, ERR_INVALID, "path", "未指定备份文件路径");
    return s->be->backup(s, path, ec);
}

int store_read(struct store *s, store_fn fn, void *arg, struct err_ctx *ec)
{
    return s->be->read(s, fn, arg, ec);
}

int store_write(struct store *s, store_fn fn, void *arg, struct err_ctx *ec)
{
    return s->be->write(s, fn, arg, ec);
}

/* ---- statements ---- */

int store_query(struct store_conn *c, struct store_stmt **out, struct err_ctx *ec, const char *sql,
                const char *types, ...)
{
    va_list ap;
    int rc;

    va_start(ap, types);
    rc = c->be->query(c, out, ec, sql, types, ap, true);
    va_end(ap);
    return rc;
}

int store_step(struct store_stmt *st, struct err_ctx *ec)
{
    return st->be->step(st, ec);
}

int64_t store_col_int(struct store_stmt *st, int col)
{
    return st->be->col_int(st, col);
}

double store_col_double(struct store_stmt *st, int col)
{
    return st->be->col_double(st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
    return st->be->col_text(st, col);
}

const void *store_col_blob(struct store_stmt *st, int col, size_t *len)
{
    return st->be->col_blob(st, col, len);
}

bool store_col_is_null(struct store_stmt *st, int col)
{
    return st->be->col_is_null(st, col);
}

int store_col_count(struct store_stmt *st)
{
    return st->be->col_count(st);
}

void store_done(struct store_stmt *st)
{
    if (st)
        st->be->done(st);
}

int store_exec(struct store_conn *c, struct err_ctx *ec, const char *sql, const char *types, ...)
{
    struct store_stmt *st = NULL;
    va_list ap;
    int64_t changed;
    int rc;

    va_start(ap, types);
    rc = c->be->query(c, &st, ec, sql, types, ap, false);
    va_end(ap);
    if (rc < 0)
        return rc;
    /* Rows of a RETURNING clause are skipped: the caller only wants the count. */
    while ((rc = store_step(st, ec)) > 0)
        ;
    if (rc < 0)
        goto out;
    changed = st->be->changes(st);
    rc = changed > INT32_MAX ? INT32_MAX : (int)changed;
out:
    store_done(st);
    return rc;
}

int store_query_int(struct store_conn *c, int64_t *out, struct err_ctx *ec, const char *sql,
                    const char *types, ...)
{
    struct store_stmt *st = NULL;
    va_list ap;
    int rc;

    va_start(ap, types);
    rc = c->be->query(c, &st, ec, sql, types, ap, false);
    va_end(ap);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 0) {
        rc = ERR_NOT_FOUND; /* ec stays clean: "no row" is an answer, not a failure */
    } else if (rc > 0) {
        *out = store_col_int(st, 0);
        rc = 0;
    }
    store_done(st);
    return rc;
}

int store_exec_script(struct store_conn *c, const char *sql, struct err_ctx *ec)
{
    return c->be->exec_script(c, sql, ec);
}

/* ---- events of a unit of work ---- */

void store_unit_init(struct store_unit *u)
{
    u->head = NULL;
    u->tail = &u->head;
}

int store_unit_add_event(struct store_unit *u, const struct store_event_rec *rec,
                         struct err_ctx *ec)
{
    const char *src[4] = {rec->type, rec->unit_path, rec->topic ? rec->topic : "", rec->payload};
    const char **dst[4];
    size_t len[4], total = 0;
    struct store_event_node *n;
    char *p;

    for (int i = 0; i < 4; i++) {
        len[i] = strlen(src[i]);
        total += len[i] + 1;
    }
    n = malloc(sizeof(*n) + total);
    if (!n)
        return err_set(ec, ERR_NOMEM, NULL, NULL);
    n->next = NULL;
    n->rec.id = rec->id;
    n->rec.at_ms = rec->at_ms;
    dst[0] = &n->rec.type;
    dst[1] = &n->rec.unit_path;
    dst[2] = &n->rec.topic;
    dst[3] = &n->rec.payload;
    p = n->data;
    for (int i = 0; i < 4; i++) {
        memcpy(p, src[i], len[i] + 1);
        *dst[i] = p;
        p += len[i] + 1;
    }
    *u->tail = n;
    u->tail = &n->next;
    return 0;
}

void store_unit_discard(struct store_unit *u)
{
    while (u->head) {
        struct store_event_node *n = u->head;
        u->head = n->next;
        free(n);
    }
    u->tail = &u->head;
}

void store_unit_take(struct store_unit *to, struct store_unit *from)
{
    if (!from->head)
        return;
    *to->tail = from->head;
    to->tail = from->tail;
    store_unit_init(from);
}

void store_unit_publish(struct store *s, struct store_unit *u)
{
    if (!u->head)
        return;
    pthread_mutex_lock(&s->hook_mu);
    if (s->hook)
        for (struct store_event_node *n = u->head; n; n = n->next)
            s->hook(&n->rec, s->hook_arg);
    pthread_mutex_unlock(&s->hook_mu);
    store_unit_discard(u);
}
