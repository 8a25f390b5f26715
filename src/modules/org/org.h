/*
 * org.h - the organisation: the unit tree (city, district, subdistrict,
 * department, station, community, village) and the people of the registers
 * (enforcement certificates, legal-literate residents, mediators, legal
 * advisers, groups such as the leading group for law-based administration).
 *
 * Every record of fazhi belongs to a unit, and every user sees the subtree of
 * its unit. A unit's materialised path ("/1/4/12/") is set when it is created
 * and rewritten, for the whole subtree in one unit of work, when it moves.
 * Other modules must therefore never copy a unit's path into their own
 * tables: they keep unit_id and filter with
 * "unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2)".
 * A closed unit keeps its records and stays listed, with closed_on.
 *
 * This module is the one every other module may include. The functions
 * taking a struct store_conn run inside a caller's store_read or store_write
 * callback, so other modules can check units and people in the same
 * transaction as their own work. Units are in org.c, people in people.c,
 * the registers in registers.c.
 */
#ifndef FAZHI_MODULES_ORG_H
#define FAZHI_MODULES_ORG_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"

struct arena;
struct store_conn;

struct unit {
    int64_t id;
    int64_t parent_id; /* 0 for the root */
    const char *type;  /* "subdistrict", ... */
    const char *code;  /* short stable code, e.g. "chengxi" */
    const char *name;  /* 城西街道 */
    const char *path;  /* "/1/4/" */
    int64_t created_at_ms;
    int64_t closed_at_ms;       /* 0 while open */
    const char *established_on; /* "YYYY-MM-DD", or NULL: before any record */
    const char *closed_on;      /* "YYYY-MM-DD", or NULL while open */
};

struct unit_new {
    const char *code;
    const char *name;
    const char *type;
    int64_t parent_id; /* 0: the root, only when the tree is empty */
};

/* A change to a unit's description; members not set are left as they are.
 * Closing and moving are their own operations. */
struct unit_change {
    const char *name;           /* NULL: unchanged */
    bool set_established_on;    /* established_on below applies (NULL clears) */
    const char *established_on; /* "YYYY-MM-DD" or NULL */
};

/* True for one of the seven unit types. */
bool org_unit_type_valid(const char *type);

/* The Chinese name of a unit type ("社区"), or "" for an unknown one. */
const char *org_unit_type_label(const char *type);

/*
 * True when local date 'date' ("YYYY-MM-DD") falls within the unit's life:
 * on or after established_on and before closed_on (a unit closed on a day
 * records nothing that day).
 */
bool org_unit_active_on(const struct unit *u, const char *date);

/* Reads a unit by id or code; strings are copied into 'a'. ERR_NOT_FOUND if none. */
int org_unit_get(struct store_conn *c, struct arena *a, int64_t id, struct unit *out,
                 struct err_ctx *ec);
int org_unit_by_code(struct store_conn *c, struct arena *a, const char *code, struct unit *out,
                     struct err_ctx *ec);

/* The units in p's scope, in path order; *items is an arena array. */
int org_unit_list(struct store_conn *c, struct arena *a, const struct principal *p,
                  struct unit **items, size_t *n, struct err_ctx *ec);

/*
 * Creates a unit inside a unit of work, with its audit entry and a
 * "unit.created" event. Checks: code, name and type well-formed; code unused;
 * the parent exists, is open, is in p's scope and ranks above the new unit's
 * type. A root (parent_id 0) only when the tree is empty.
 */
int org_unit_create(struct store_conn *c, struct arena *a, const struct principal *p,
                    const struct unit_new *in, int64_t *id, struct err_ctx *ec);

/* org_unit_create() of a unit established on local date 'established_on'
 * ("YYYY-MM-DD", ERR_INVALID naming it otherwise; NULL: not known). */
int org_unit_create_on(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct unit_new *in, const char *established_on, int64_t *id,
                       struct err_ctx *ec);

/*
 * Renames a unit and/or sets its established_on, with its audit entry
 * (before and after) and a "unit.updated" event. p must be an admin whose
 * scope holds the unit (ERR_NOT_FOUND when it does not). established_on must
 * not fall after closed_on.
 */
int org_unit_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                    const struct unit_change *ch, struct err_ctx *ec);

/*
 * Moves unit 'id' under 'parent_id' and rewrites the paths of its whole
 * subtree, with the audit entry and a "unit.moved" event (payload: the unit
 * and its old_path). Refused: the root; a closed unit; a parent that is the
 * unit itself or below it, is closed, or ranks no higher than the unit's
 * type; either the old or the new parent outside p's scope. Moving under the
 * current parent changes nothing.
 */
int org_unit_move(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  int64_t parent_id, struct err_ctx *ec);

/*
 * Closes unit 'id' on local date 'closed_on', with the audit entry and a
 * "unit.closed" event. Refused (ERR_CONFLICT) when it is closed already or
 * has open child units; closed_on must not precede established_on nor a
 * child's closed_on. Its records stay, and it stays listed.
 */
int org_unit_close(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                   const char *closed_on, struct err_ctx *ec);

/* A unit as a new JSON object. */
json_t *org_unit_json(const struct unit *u);

/* ================================================================
 * People (people.c)
 * ================================================================ */

/* A person of the registers (not necessarily a user). The identity numbers
 * are held in full: every JSON that carries a person must come from
 * org_person_json(), which masks them for the viewer. */
struct person {
    int64_t id;
    int64_t unit_id;
    const char *unit_path;
    const char *name;
    const char *unit_code, *unit_name;
    const char *gender;    /* "male", "female", or NULL */
    const char *phone;     /* or NULL */
    const char *id_number; /* resident ID, normalised (upper-case X), or NULL */
    const char *tags;      /* normalised "a,b", "" for none */
    const char *notes;     /* or NULL */
    int64_t created_at_ms, updated_at_ms;
};

/* Reads a person by id (strings copied into 'a'); ERR_NOT_FOUND if none or
 * deleted. Callers check scope with access_in_scope(p, out->unit_path). */
int org_person_get(struct store_conn *c, struct arena *a, int64_t id, struct person *out,
                   struct err_ctx *ec);

/*
 * A person as a new JSON object for 'viewer': id, name, unit {id, code,
 * name}, gender, phone, id_number, tags [...], notes, created_at,
 * updated_at, and "masked" (true when the numbers are masked). Phone and
 * resident ID number are in full only when access_sees_personal_ids(viewer);
 * NULL viewer (audit entries, events) always masks. The one place where that
 * rule is applied to people.
 */
json_t *org_person_json(const struct person *p, const struct principal *viewer);

/* ================================================================
 * Registers (registers.c)
 * ================================================================ */

#define ORG_EXPIRING_DAYS 60 /* a certificate within this many days of its end is flagged */

/*
 * *out = true when person 'person_id' holds a live enforcement certificate
 * valid on local date 'date' ("YYYY-MM-DD"), whatever its field; for the
 * "two certified officers" rule of enforcement records.
 */
int org_person_certified_on(struct store_conn *c, int64_t person_id, const char *date, bool *out,
                            struct err_ctx *ec);

/* A group of a unit, e.g. its 法治政府建设领导小组. */
struct group {
    int64_t id;
    int64_t unit_id;
    const char *unit_path;
    int64_t office_unit_id; /* the office that runs it, or 0 */
    const char *name;
    const char *established_on; /* or NULL */
    int64_t created_at_ms, updated_at_ms;
};

struct group_member {
    int64_t id;
    int64_t group_id;
    int64_t person_id;
    const char *person_name;
    const char *position; /* "leader" (组长), "deputy" (副组长), "member" (成员) */
    const char *from_on;
    const char *to_on; /* or NULL: still serving */
};

/* Reads a live group by id; ERR_NOT_FOUND if none or deleted. Callers check
 * scope with access_in_scope(p, out->unit_path). */
int org_group_get(struct store_conn *c, struct arena *a, int64_t id, struct group *out,
                  struct err_ctx *ec);

/*
 * The members of group 'group_id' serving on local date 'date' (from_on <=
 * date, and to_on NULL or >= date), in the order a report prints them:
 * 组长, then 副组长, then 成员; within a position by from_on, then id.
 * *items is an arena array of *n.
 */
int org_group_members_on(struct store_conn *c, struct arena *a, int64_t group_id, const char *date,
                         struct group_member **items, size_t *n, struct err_ctx *ec);

/*
 * The leading group for law-based administration of unit 'unit_id' (its
 * live group whose name ends in 领导小组, the first made) and its members on
 * 'date', in report order. ERR_NOT_FOUND, with 'ec' untouched, when the
 * unit has none.
 */
int org_group_leading(struct store_conn *c, struct arena *a, int64_t unit_id, const char *date,
                      struct group *g, struct group_member **items, size_t *n, struct err_ctx *ec);

/* ================================================================
 * Demo (org_demo.c)
 * ================================================================ */

struct demo_params;
struct store;

/* The module's demo hook (modules/demo.h): the tree 江州市 > 西城区 > the
 * subdistricts with their units, people, registers and leading group. */
int org_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec);

struct metric_query;
struct metric_period;

/*
 * Places a metric query (report/metric.h) over the subtree of unit
 * 'unit_id' (0: p's own unit) and 'period' for p, inside the caller's read:
 * the unit must exist and be in p's scope, else ERR_NOT_FOUND naming "unit"
 * (a unit outside scope reads as one that does not exist). *unit gets the
 * unit; *q is ready for metric_evaluate() and metric_evaluate_all(). It is
 * org's because a query starts from a unit: every module that evaluates
 * metrics or findings calls it.
 */
int org_metric_query(struct store_conn *c, struct arena *a, const struct principal *p,
                     int64_t unit_id, const struct metric_period *period, struct unit *unit,
                     struct metric_query *q, struct err_ctx *ec);
struct finding_list;

/* The module's findings hook (org_findings.c, report/finding.h): officers
 * without a valid enforcement certificate, and certificates about to end. */
int org_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec);

/* The Chinese title of a position ("组长"), or "" for an unknown one. */
const char *org_group_position_label(const char *position);

#endif
