/*
 * store.h - the one storage interface of fazhi.
 *
 * Everything above store/ reads and writes through these functions; no other
 * directory calls a database library. Two backends implement it: SQLite (the
 * default, one file, "sqlite:PATH" or a plain path) and, later, PostgreSQL
 * ("postgres://..."). Module SQL is written once for both:
 *
 *   - placeholders are $1, $2, ... (PostgreSQL's style; the SQLite backend
 *     binds them by name), and a placeholder may be used more than once;
 *   - integers are 64-bit, text is UTF-8, instants are INTEGER milliseconds
 *     since the epoch (UTC), booleans are INTEGER 0/1, money is INTEGER fen;
 *   - new ids come back through "INSERT ... RETURNING id";
 *   - no engine-specific functions in module SQL.
 *
 * Reads: store_read() runs a callback on a reader connection inside one read
 * transaction, so it sees one consistent snapshot, and never waits for the
 * writer.
 *
 * Writes: store_write() hands a unit of work (a callback) to the single
 * writer. The writer commits all units waiting at that moment in one
 * transaction (group commit), each in its own savepoint: a unit whose
 * callback fails is rolled back alone and the others commit. store_write()
 * returns only after the transaction holding the unit is durable on disk
 * (SQLite WAL with synchronous=FULL). A unit must not assume it runs alone
 * in its transaction, and must not keep pointers into rows after it returns.
 *
 * The audit log and the event table live here too, because both must be
 * written inside the unit of work whose change they record: store_audit()
 * appends a hash-chained audit entry, store_event() records an event that is
 * handed to the event hook after the commit is durable.
 */
#ifndef FAZHI_STORE_H
#define FAZHI_STORE_H

#include "core/err.h"

struct store;      /* an open database: one writer, a pool of readers */
struct store_conn; /* a connection lent to one callback */
struct store_stmt; /* a prepared statement in use, from the connection's cache */

struct store_options {
    int readers;         /* reader connections in the pool (default 4) */
    int busy_timeout_ms; /* how long to wait on a lock held by another process (5000) */
    int max_batch;       /* most units of work in one group commit (256) */
    bool read_only;      /* open for reading only (backup, audit verify) */
};

/* A unit of work or a read: returns 0 or a negative enum err with ec set. */
typedef int (*store_fn)(struct store_conn *c, void *arg, struct err_ctx *ec);

/* Called by the writer, after a group commit is durable, for each event that
 * the committed units recorded (in id order). Must not block. */
struct store_event_rec {
    int64_t id;
    int64_t at_ms;
    const char *type;      /* "matter.created", ... */
    const char *unit_path; /* scope of the event: who may see it */
    const char *topic;     /* extra routing key ("track:CX-..."), or "" */
    const char *payload;   /* JSON text */
};
typedef void (*store_event_hook)(const struct store_event_rec *ev, void *arg);

/* ---- lifecycle ---- */

/*
 * Opens the database named by 'url' ("sqlite:PATH", "PATH", or later
 * "postgres://..."), creating an SQLite file if missing. 'opt' may be NULL
 * for defaults. Does not migrate: call store_migrate().
 * On success *out is the store; the caller frees it with store_free().
 */
int store_open(const char *url, const struct store_options *opt, struct store **out,
               struct err_ctx *ec);

/* Waits for queued writes to commit, stops the writer, closes every connection. */
void store_free(struct store *s);

/* Sets the hook that receives committed events; NULL to remove. */
void store_set_event_hook(struct store *s, store_event_hook fn, void *arg);

/*
 * Applies every migration not yet applied, in number order, all in one
 * transaction: if one fails, the database is left as it was and the error
 * names the migration. *applied (may be NULL) gets how many were applied.
 */
int store_migrate(struct store *s, int *applied, struct err_ctx *ec);

/* One numbered schema change. Its SQL is the common subset of both engines,
 * with two tokens the backend expands: {{ID}} for an auto-assigned 64-bit
 * integer primary key and {{BLOB}} for a byte-string column type. */
struct store_migration {
    int version;      /* 1, 2, ...: applied in this order, each once */
    const char *name; /* "0001_foundation" */
    const char *sql;
};

/* The migrations built into the program (from every migrations/ folder of the
 * source tree), in version order. */
extern const struct store_migration store_builtin_migrations[];
extern const size_t store_builtin_migrations_count;

/* store_migrate() with an explicit list, for tests. */
int store_migrate_with(struct store *s, const struct store_migration *list, size_t n, int *applied,
                       struct err_ctx *ec);

/* The highest migration applied, and the highest this program knows. */
int store_schema_version(struct store *s, int *current, int *latest, struct err_ctx *ec);

/* A short description of the backend for /healthz and logs: "sqlite 3.40.1". */
const char *store_backend_name(struct store *s);

/* Checks the database answers a trivial query. */
int store_ping(struct store *s, struct err_ctx *ec);

/* Writes a consistent copy of the database to 'path' while it is in use. */
int store_backup(struct store *s, const char *path, struct err_ctx *ec);

/* Counters since store_open(), for tests, logs and /healthz. */
struct store_stats {
    int64_t commits;      /* group commits that succeeded */
    int64_t units;        /* units of work run */
    int64_t units_failed; /* units rolled back (their callback failed, or the commit did) */
    int64_t max_batch;    /* most units of work seen in one transaction */
    int64_t queued;       /* units of work waiting for the writer right now */
    int readers;          /* reader connections open */
};

/* Fills *out with the counters of 's'. */
void store_stats(struct store *s, struct store_stats *out);

/* ---- reads and writes ---- */

/* Runs fn on a reader connection in one read transaction. */
int store_read(struct store *s, store_fn fn, void *arg, struct err_ctx *ec);

/* Runs fn as a unit of work of the next group commit; returns when durable. */
int store_write(struct store *s, store_fn fn, void *arg, struct err_ctx *ec);

/* ---- statements ---- */

/*
 * Prepares 'sql' (from the connection's statement cache) and binds the
 * arguments described by 'types', one character each, to $1, $2, ...:
 *   'i'  int64_t
 *   'd'  double
 *   't'  const char *  (NULL binds SQL NULL)
 *   'b'  const void *, size_t  (a blob: pointer then length; NULL binds SQL NULL)
 *   'n'  nothing: binds SQL NULL
 * On success *out is ready for store_step(); release it with store_done().
 */
int store_query(struct store_conn *c, struct store_stmt **out, struct err_ctx *ec, const char *sql,
                const char *types, ...);

/* Returns 1 when a row is ready, 0 when done, or a negative enum err. */
int store_step(struct store_stmt *st, struct err_ctx *ec);

/* Columns of the current row, counted from 0. Text stays valid until the
 * next store_step() or store_done(); NULL text comes back as NULL. */
int64_t store_col_int(struct store_stmt *st, int col);
double store_col_double(struct store_stmt *st, int col);
const char *store_col_text(struct store_stmt *st, int col);
const void *store_col_blob(struct store_stmt *st, int col, size_t *len);
bool store_col_is_null(struct store_stmt *st, int col);
int store_col_count(struct store_stmt *st);

/* Resets the statement and gives it back to the cache. NULL is a no-op. */
void store_done(struct store_stmt *st);

/*
 * Prepares, binds, runs to completion and releases. Returns the number of
 * rows changed (>= 0) or a negative enum err. A UNIQUE violation comes back
 * as ERR_CONFLICT, other constraint failures as ERR_INVALID, so the caller
 * can add the field and a message.
 */
int store_exec(struct store_conn *c, struct err_ctx *ec, const char *sql, const char *types, ...);

/*
 * Runs a query expected to return one integer in its first column (a count,
 * a RETURNING id). Returns 0 and sets *out, ERR_NOT_FOUND when there is no
 * row (leaving 'ec' untouched, so the caller can set a precise message), or
 * another negative enum err.
 */
int store_query_int(struct store_conn *c, int64_t *out, struct err_ctx *ec, const char *sql,
                    const char *types, ...);

/* Runs several statements separated by ';' with no parameters (DDL). */
int store_exec_script(struct store_conn *c, const char *sql, struct err_ctx *ec);

/* ---- audit log and events (inside a unit of work) ---- */

struct audit_rec {
    const char *actor;     /* "user:12", "token:3", "cli:root", "system" */
    const char *action;    /* "create", "update", "delete", "login", ... */
    const char *entity;    /* "user", "unit", "session", ... */
    const char *entity_id; /* the record's id as text */
    int64_t unit_id;       /* the unit the record belongs to, or 0 */
    const char *before;    /* JSON of the record before, or NULL */
    const char *after;     /* JSON of the record after, or NULL */
};

/* Appends one hash-chained entry to the audit log within the unit of work. */
int store_audit(struct store_conn *c, const struct audit_rec *rec, struct err_ctx *ec);

/*
 * Records an event within the unit of work; after the commit it is handed to
 * the event hook. 'topic' may be NULL. 'payload' is JSON text.
 */
int store_event(struct store_conn *c, const char *type, const char *unit_path, const char *topic,
                const char *payload, struct err_ctx *ec);

/*
 * Walks the audit log from the first entry and recomputes the chain.
 * Returns 0 when intact; ERR_CONFLICT when an entry was altered, removed or
 * reordered, with *bad_id the first entry that fails (and a message saying
 * how); another negative enum err when the log could not be read.
 * *count gets how many entries were checked.
 */
int store_audit_verify(struct store *s, int64_t *count, int64_t *bad_id, struct err_ctx *ec);

#endif
