/*
 * case.h - the case workflow engine, shared by every case module
 * (disclosure requests, mediation, enforcement, petitions, ...).
 *
 * A case type is a static table: its states, its transitions (name, from,
 * to, the roles allowed, the fields required, whether the actor must be a
 * certified officer) and its deadline rules (N working or calendar days
 * from a transition, with at most one extension). Each case module declares
 * its type beside the article of LEGAL.md it implements and calls this
 * engine; the engine keeps every type's cases in one table (cases, with
 * case_history), so that overdue and due-soon lists run across types.
 *
 * Taking a transition is one function, case_take(), inside the caller's
 * unit of work: it checks scope, legality, role, certification and the
 * required fields, then writes the new state, a history row, an audit entry
 * and an event "case.<type>.<transition>", all or nothing with the unit.
 *
 * Layer: case/ sits above store/ and below modules/. It does not include
 * modules/org: the certified-officer test is a callback of the caller, and
 * a case's unit path comes from the units table in SQL.
 *
 * Deadlines count whole days from the local date of the transition that
 * starts them, the first day not counted (Civil Code art. 201), with
 * core/calendar.h: working days skip rest days and holidays; a calendar-day
 * period ending on a rest day moves to the next working day (art. 203).
 */
#ifndef FAZHI_CASE_CASE_H
#define FAZHI_CASE_CASE_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"
#include "core/time.h"

struct arena;
struct store_conn;

#define CASE_TYPE_MAX  32 /* longest type code */
#define CASE_STATE_MAX 32 /* longest state code */

struct case_state {
    const char *code;  /* "accepted"; NULL ends the list */
    const char *label; /* "已受理" */
    bool terminal;     /* the case is closed in this state */
};

struct case_transition {
    const char *name;            /* "accept"; NULL ends the list */
    const char *label;           /* "受理" */
    const char *from;            /* state code; NULL: opens a case */
    const char *to;              /* state code */
    unsigned roles;              /* enum role bits allowed; 0: any caller */
    const char *const *required; /* NULL-terminated field names, or NULL */
    bool certified_officer;      /* the actor must hold an enforcement certificate */
    /* When set, the field (a unit id) moves the case to that unit, which must
     * be in the actor's scope: assigning a matter to a community, handing a
     * dispute to another committee. Not on an opening transition. */
    const char *unit_field;
};

enum case_days {
    CASE_WORKING_DAYS,  /* N working days (calendar_add_working_days) */
    CASE_CALENDAR_DAYS, /* N days, moved off a rest day (calendar_add_days) */
};

struct case_deadline {
    const char *start; /* transition that starts the clock; NULL ends the list */
    int days;          /* > 0 */
    enum case_days kind;
    const char *extension;    /* transition that grants the one extension, or NULL */
    int extension_days;       /* added to the due date by it, same kind; 0: none */
    const char *const *stops; /* NULL-terminated states where the clock stops;
                                 NULL: the terminal states */
    /* When set, the case's own number of days: the integer field of its data
     * of that name (1..366), 'days' when absent. For types whose period
     * depends on the case (a matter's type), fixed when the case is opened. */
    const char *days_field;
};

struct case_type {
    const char *code; /* "disclosure"; events are "case.<code>.<transition>" */
    const char *name; /* "政府信息公开申请" */
    const struct case_state *states;
    const struct case_transition *transitions;
    const struct case_deadline *deadlines; /* may be NULL */
};

/* Who acts, and when. */
struct case_actor {
    const struct principal *p;
    /* Whether p is a certified enforcement officer today; needed by
     * transitions with certified_officer (NULL: nobody is). */
    bool (*certified)(void *arg, const struct principal *p);
    void *certified_arg;
    int64_t now_ms; /* the instant of the change; 0: time_now_ms() */
};

/* One case as stored. Text points into the arena. */
struct case_rec {
    int64_t id;
    const char *type;
    int64_t unit_id;
    const char *unit_path;
    const char *state;
    int64_t opened_at_ms;
    const char *due_on; /* "YYYY-MM-DD", or NULL */
    bool extended;
    int64_t closed_at_ms; /* 0 while open */
    const char *data;     /* JSON object text */
    int64_t version;
};

/* Checks a type's tables (unique codes, known states, deadline transitions
 * that exist); ERR_INTERNAL naming the fault. For a module's start-up and tests. */
int case_type_check(const struct case_type *t, struct err_ctx *ec);

/* The state or transition of t with that code, or NULL. */
const struct case_state *case_state_find(const struct case_type *t, const char *code);
const struct case_transition *case_transition_find(const struct case_type *t, const char *name);

/*
 * Opens a case of type t in unit (unit_id, unit_path) by the opening
 * transition 'transition' (from == NULL; NULL: the type's first one), with
 * 'fields' (a JSON object or NULL) as its first data. Checks scope
 * (ERR_FORBIDDEN), role, certification and required fields as case_take().
 * Inside a unit of work. *id gets the new case's id.
 */
int case_open(struct store_conn *c, struct arena *a, const struct case_actor *who,
              const struct case_type *t, int64_t unit_id, const char *unit_path,
              const char *transition, json_t *fields, const char *note, int64_t *id,
              struct err_ctx *ec);

/*
 * Takes transition 'transition' on case 'id' of type t. Fails with
 * ERR_NOT_FOUND when there is no such case of that type in p's scope;
 * ERR_INVALID (field "transition") for a name the type does not know;
 * ERR_CONFLICT when the case's state does not allow it ("当前状态为「已受理」，
 * 可执行：答复、延期"), when expected_version (> 0) is not the case's version,
 * or when a second extension is asked for; ERR_FORBIDDEN for a role not
 * allowed or an uncertified actor; ERR_INVALID naming the first required
 * field missing. Then merges 'fields' into the case's data, moves its
 * state and due date, and writes a history row, an audit entry and the
 * event "case.<type>.<transition>" in the caller's unit of work.
 * 'out' (may be NULL) gets the case as it is after.
 */
int case_take(struct store_conn *c, struct arena *a, const struct case_actor *who,
              const struct case_type *t, int64_t id, const char *transition, json_t *fields,
              int64_t expected_version, const char *note, struct case_rec *out, struct err_ctx *ec);

/* Reads case 'id' (any type) if it is in p's scope; ERR_NOT_FOUND if not. */
int case_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
             struct case_rec *out, struct err_ctx *ec);

/* One history row. */
struct case_step {
    int64_t seq;
    const char *transition, *from_state, *to_state, *actor, *fields, *note;
    int64_t at_ms;
};

/* The history of case 'id' in order (no scope check: call case_get first). */
int case_history(struct store_conn *c, struct arena *a, int64_t id, struct case_step **out,
                 size_t *n, struct err_ctx *ec);

/*
 * Open cases of every type whose unit is in the subtree 'scope_path':
 * case_overdue() those due before 'today'; case_due_soon() those due from
 * 'today' to 'today' + days (calendar days) inclusive. Ordered by due date,
 * then id.
 */
int case_overdue(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
                 struct case_rec **out, size_t *n, struct err_ctx *ec);
int case_due_soon(struct store_conn *c, struct arena *a, const char *scope_path, struct date today,
                  int days, struct case_rec **out, size_t *n, struct err_ctx *ec);

/* How many cases case_overdue() and case_due_soon() would list, in one
 * counting query (the dashboard's summary, not its lists). */
int case_count_due(struct store_conn *c, const char *scope_path, struct date today, int days,
                   int64_t *overdue, int64_t *due_soon, struct err_ctx *ec);

/*
 * Publishes "case.<type>.overdue" once for every open case due before
 * 'today' not yet announced for its current due date (an extension
 * announces again when the new date passes). Inside a unit of work;
 * *count (may be NULL) gets how many.
 */
int case_mark_overdue(struct store_conn *c, struct date today, int *count, struct err_ctx *ec);

#endif
