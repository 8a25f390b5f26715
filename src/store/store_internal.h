/*
 * store_internal.h - what the backends and the generic half of store/ share.
 *
 * store.c, migrate.c and audit.c are written against store.h alone; the
 * engine-specific work sits behind struct store_backend, one table of
 * functions per engine (sqlite.c today, pg.c later). A backend's handles
 * embed the generic ones below as their first member, so a struct store *
 * given out to callers is the backend's own struct and the generic code can
 * reach the table through it without knowing the engine.
 *
 * Nothing outside src/store/ includes this header.
 */
#ifndef FAZHI_STORE_INTERNAL_H
#define FAZHI_STORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>

#include "store/store.h"

struct store_backend;

/* An event recorded by a unit of work, kept until its commit is durable. The
 * strings of rec point into data[], so one free() releases it. */
struct store_event_node {
    struct store_event_node *next;
    struct store_event_rec rec;
    char data[];
};

/* What one unit of work has recorded so far (its events, in id order). */
struct store_unit {
    struct store_event_node *head;
    struct store_event_node **tail;
};

/* The generic part of an open database; first member of the backend's. */
struct store {
    const struct store_backend *be;
    pthread_mutex_t hook_mu; /* held while the hook runs, so removing it is final */
    store_event_hook hook;
    void *hook_arg;
};

/* The generic part of a connection lent to a callback. */
struct store_conn {
    const struct store_backend *be;
    struct store *store;
    struct store_unit *unit; /* the unit of work being run, or NULL on a reader */
};

/* The generic part of a statement in use. */
struct store_stmt {
    const struct store_backend *be;
};

/*
 * One engine. Every function gets the backend's own handles (through the
 * generic first members) and follows store.h's contract for the public
 * function of the same name.
 */
struct store_backend {
    const char *scheme;   /* "sqlite" */
    const char *sql_id;   /* what {{ID}} becomes in migrations */
    const char *sql_blob; /* what {{BLOB}} becomes */

    /* 'target' is the URL without the scheme; 'opt' has every default filled. */
    int (*open)(const char *target, const struct store_options *opt, struct store **out,
                struct err_ctx *ec);
    void (*free)(struct store *s);
    const char *(*name)(struct store *s);
    void (*stats)(struct store *s, struct store_stats *out);
    int (*read)(struct store *s, store_fn fn, void *arg, struct err_ctx *ec);
    int (*write)(struct store *s, store_fn fn, void *arg, struct err_ctx *ec);
    int (*backup)(struct store *s, const char *path, struct err_ctx *ec);

    /* Sets *out to whether a table named 'name' exists. */
    int (*table_exists)(struct store_conn *c, const char *name, bool *out, struct err_ctx *ec);
    /* Runs inside the migration's unit of work after the migrations: the
     * engine's own schema rules (SQLite: audit_log's append-only triggers). */
    int (*after_migrate)(struct store_conn *c, struct err_ctx *ec);

    /* 'copy' is false when the arguments outlive the statement's use
     * (store_exec, store_query_int), so the engine may bind without copying. */
    int (*query)(struct store_conn *c, struct store_stmt **out, struct err_ctx *ec, const char *sql,
                 const char *types, va_list ap, bool copy);
    int (*step)(struct store_stmt *st, struct err_ctx *ec);
    int64_t (*col_int)(struct store_stmt *st, int col);
    double (*col_double)(struct store_stmt *st, int col);
    const char *(*col_text)(struct store_stmt *st, int col);
    const void *(*col_blob)(struct store_stmt *st, int col, size_t *len);
    bool (*col_is_null)(struct store_stmt *st, int col);
    int (*col_count)(struct store_stmt *st);
    /* Rows changed by the statement, once it has run to completion. */
    int64_t (*changes)(struct store_stmt *st);
    void (*done)(struct store_stmt *st);
    int (*exec_script)(struct store_conn *c, const char *sql, struct err_ctx *ec);
};

extern const struct store_backend sqlite_store_backend;

/* ---- in store.c, for the backends ---- */

/* Sets up and tears down the generic part of a backend's struct store. */
void store_base_init(struct store *s, const struct store_backend *be);
void store_base_release(struct store *s);

void store_unit_init(struct store_unit *u);

/* Copies 'rec' (its strings too) to the end of the unit's events. */
int store_unit_add_event(struct store_unit *u, const struct store_event_rec *rec,
                         struct err_ctx *ec);

/* Frees the unit's events unseen: its savepoint was rolled back. */
void store_unit_discard(struct store_unit *u);

/* Moves the events of 'from' to the end of 'to' (from is left empty). */
void store_unit_take(struct store_unit *to, struct store_unit *from);

/* Hands the unit's events to the hook, in order, then frees them. Called by
 * the writer once the transaction holding the unit is durable. */
void store_unit_publish(struct store *s, struct store_unit *u);

#endif
