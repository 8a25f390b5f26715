/*
 * org.h - the organisation tree: units (city, district, subdistrict,
 * department, station, community, village).
 *
 * Every record of fazhi belongs to a unit, and every user sees the subtree of
 * its unit. A unit's materialised path ("/1/4/12/") is fixed when it is
 * created; moving units (a later issue) rewrites the paths of the subtree in
 * one unit of work. This module is the one every other module may include.
 *
 * The functions taking a struct store_conn run inside a caller's store_read
 * or store_write callback, so other modules can check units in the same
 * transaction as their own work.
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

/* A person of the registers (not necessarily a user). */
struct person {
    int64_t id;
    int64_t unit_id;
    const char *unit_path;
    const char *name;
};

/* Reads a person by id (strings copied into 'a'); ERR_NOT_FOUND if none or
 * deleted. Callers check scope with access_in_scope(p, out->unit_path). */
int org_person_get(struct store_conn *c, struct arena *a, int64_t id, struct person *out,
                   struct err_ctx *ec);

/* A unit as a new JSON object. */
json_t *org_unit_json(const struct unit *u);

#endif
