/*
 * cases.h - the cases module: deadlines across every case type.
 *
 * Case modules register their types here (cases_type_register(), in their
 * start hook or before threads start), so that the lists can label a case's
 * type and state; a case of a type not registered keeps its raw codes.
 * The lists themselves come from the engine (case_overdue, case_due_soon)
 * over a unit's subtree; "today" is the local (UTC+8) date.
 *
 * cases_watch runs case_mark_overdue() in a thread of `fazhi serve`: once at
 * start, then every period, so that "case.<type>.overdue" reaches the live
 * hub through the store's event hook as any event.
 */
#ifndef FAZHI_MODULES_CASES_CASES_H
#define FAZHI_MODULES_CASES_CASES_H

#include <jansson.h>

#include "case/case.h"
#include "core/err.h"
#include "core/time.h"

struct arena;
struct store;
struct store_conn;

#define CASES_TYPES_MAX       32
#define CASES_DUE_SOON_DAYS   3                  /* default days of due-soon, and the dashboard's */
#define CASES_DAYS_MAX        60                 /* most days due-soon looks ahead */
#define CASES_WATCH_PERIOD_MS (10 * 60 * 1000LL) /* the overdue check of serve */

/* Who may read the deadline lists: every signed-in staff role. */
#define CASES_READ_ROLES (ROLE_STAFF | ROLE_OFFICER | ROLE_MEDIATOR | ROLE_ADVISER | ROLE_LEADER)

/* Registers a case type (checked with case_type_check); ERR_CONFLICT for a
 * code given twice, ERR_INTERNAL when the registry is full. Not thread-safe:
 * before the server's threads start. */
int cases_type_register(const struct case_type *t, struct err_ctx *ec);

/* The registered type of that code, or NULL. */
const struct case_type *cases_type_find(const char *code);

/* Forgets every registered type (tests). */
void cases_types_reset(void);

/* The local (UTC+8) date now. */
struct date cases_today(void);

/* Whole days from 'today' to the due date "YYYY-MM-DD" (negative: past);
 * 0 when due_on is not a date. */
int64_t cases_days_until(const char *due_on, struct date today);

/* One row of a deadline list. Text points into the arena. */
struct cases_item {
    struct case_rec rec;
    const char *type_name;   /* the type's name, or its code */
    const char *state_label; /* the state's label, or its code */
    const char *unit_name;
    int64_t days; /* days left (due-soon), or days over (overdue, > 0) */
};

/*
 * The open cases of the subtree 'scope_path': overdue (days < 0) or due
 * from today to today + days (days >= 0), labelled. Inside a read.
 */
int cases_list(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
               int days, struct cases_item **out, size_t *n, struct err_ctx *ec);

/* {"id","type","type_name","state","state_label","unit":{"id","name"},
 *  "due_on","days_left"|"days_over"} */
json_t *cases_item_json(const struct cases_item *it, bool overdue);

/* The overdue watcher. */
struct cases_watch;

/* Starts the thread: case_mark_overdue() now, then every period_ms. */
int cases_watch_start(struct store *s, int64_t period_ms, struct cases_watch **out,
                      struct err_ctx *ec);

/* Wakes the thread, waits for it to end and frees it. NULL is a no-op. */
void cases_watch_stop(struct cases_watch *w);

#endif
