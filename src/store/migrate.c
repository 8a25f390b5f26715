/*
 * migrate.c - numbered schema changes, applied once each, all or none.
 *
 * The pending migrations run as one unit of work through the writer, so they
 * share one transaction (SQLite and PostgreSQL both roll back DDL) and a
 * failure leaves the schema exactly as it was. schema_migrations records what
 * was applied; a database that has seen a newer program is refused, since
 * this one does not know its schema. The two tokens of the common SQL subset
 * ({{ID}}, {{BLOB}}) are expanded with the strings the backend provides.
 */
#include "core/compat.h"
#include "store/store_internal.h"
#include "core/str.h"
#include "core/time.h"

struct migrate_job {
    const struct store_migration *list;
    size_t n;
    int applied;
};

/* Returns the migration's SQL with the tokens expanded, in 'out'. */
static void expand_tokens(const struct store_backend *be, const char *sql, struct strbuf *out)
{
    static const char id_tok[] = "{{ID}}", blob_tok[] = "{{BLOB}}";
    const char *p = sql, *q;

    strbuf_reset(out);
    while ((q = strstr(p, "{{")) != NULL) {
        strbuf_add(out, p, (size_t)(q - p));
        if (str_starts_with(q, id_tok)) {
            strbuf_adds(out, be->sql_id);
            p = q + strlen(id_tok);
        } else if (str_starts_with(q, blob_tok)) {
            strbuf_adds(out, be->sql_blob);
            p = q + strlen(blob_tok);
        } else {
            strbuf_add(out, q, 2); /* not a token: left for the engine to reject */
            p = q + 2;
        }
    }
    strbuf_adds(out, p);
}

static int latest_of(const struct store_migration *list, size_t n)
{
    return n ? list[n - 1].version : 0;
}

static int migrate_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct migrate_job *job = arg;
    struct strbuf sql = STRBUF_INIT;
    int64_t current = 0, one;
    int latest = latest_of(job->list, job->n);
    int rc;

    rc = store_exec_script(c,
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                           "applied_at_ms INTEGER NOT NULL)",
                           ec);
    if (rc < 0)
        goto out;
    rc = store_query_int(c, &current, ec, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                         "");
    if (rc < 0)
        goto out;
    if (current > latest) {
        rc = err_set(ec, ERR_CONFLICT, NULL,
                     "数据库的结构版本 %lld 高于本程序支持的版本 %d，请使用更新版本的程序",
                     (long long)current, latest);
        goto out;
    }
    for (size_t i = 0; i < job->n; i++) {
        const struct store_migration *m = &job->list[i];
        struct err_ctx mec;

        rc = store_query_int(c, &one, ec, "SELECT 1 FROM schema_migrations WHERE version = $1", "i",
                             (int64_t)m->version);
        if (rc == 0)
            continue; /* applied before */
        if (rc != ERR_NOT_FOUND)
            goto out;
        expand_tokens(c->be, m->sql, &sql);
        err_clear(&mec);
        rc = store_exec_script(c, sql.buf, &mec);
        if (rc < 0) {
            /* Name the migration; the engine's words go to the detail. */
            rc = err_set(ec, ERR_DB, NULL, "迁移 %s 失败", m->name);
            err_detail(ec, "%s", mec.detail[0] ? mec.detail : mec.message);
            goto out;
        }
        rc = store_exec(c, ec,
                        "INSERT INTO schema_migrations (version, name, applied_at_ms) "
                        "VALUES ($1, $2, $3)",
                        "iti", (int64_t)m->version, m->name, time_now_ms());
        if (rc < 0)
            goto out;
        job->applied++;
    }
    rc = c->be->after_migrate(c, ec);
out:
    strbuf_release(&sql);
    return rc < 0 ? rc : 0;
}

int store_migrate_with(struct store *s, const struct store_migration *list, size_t n, int *applied,
                       struct err_ctx *ec)
{
    struct migrate_job job = {list, n, 0};
    int rc;

    if (applied)
        *applied = 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].version <= 0 || (i > 0 && list[i].version <= list[i - 1].version) ||
            !list[i].name || !list[i].sql) {
            err_set(ec, ERR_INTERNAL, NULL, "迁移列表有误");
            return err_detail(ec, "migration %zu: versions must be positive and ascending", i);
        }
    }
    rc = store_write(s, migrate_unit, &job, ec);
    if (rc == 0 && applied)
        *applied = job.applied;
    return rc;
}

int store_migrate(struct store *s, int *applied, struct err_ctx *ec)
{
    return store_migrate_with(s, store_builtin_migrations, store_builtin_migrations_count, applied,
                              ec);
}

static int version_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    int64_t *current = arg;
    bool exists = false;
    int rc = c->be->table_exists(c, "schema_migrations", &exists, ec);

    *current = 0;
    if (rc < 0 || !exists)
        return rc;
    return store_query_int(c, current, ec,
                           "SELECT coalesce(max(version), 0) FROM schema_migrations", "");
}

int store_schema_version(struct store *s, int *current, int *latest, struct err_ctx *ec)
{
    int64_t cur = 0;
    int rc = store_read(s, version_fn, &cur, ec);

    if (rc < 0)
        return rc;
    if (current)
        *current = (int)cur;
    if (latest)
        *latest = latest_of(store_builtin_migrations, store_builtin_migrations_count);
    return 0;
}
