/*
 * org_internal.h - what the files of the org module share and nobody else
 * sees: checks used by units, people and registers alike, and the rules of
 * people (people.c) and the registers (registers.c) that only the module's
 * own HTTP handlers call.
 *
 * Every write function here runs inside a store_write unit of work, checks
 * role and scope itself, validates every field before it writes anything,
 * and appends its audit entry (before/after, identity numbers masked) in
 * the same unit; a failure therefore changes nothing.
 */
#ifndef FAZHI_MODULES_ORG_INTERNAL_H
#define FAZHI_MODULES_ORG_INTERNAL_H

#include "core/time.h"
#include "modules/org/org.h"

struct store_stmt;

/* Who may write people and registers: staff and those above them. */
#define ORG_WRITE_ROLES (ROLE_STAFF | ROLE_LEADER | ROLE_ADMIN)

/* ---- shared checks (org.c) ---- */

/* ERR_INVALID naming 'field' unless s is a valid "YYYY-MM-DD". */
int org_check_date(const char *s, const char *field, struct err_ctx *ec);

/* ERR_INVALID naming 'field' unless s is 1..max characters of clean text
 * without line breaks (a name, a number, a firm). */
int org_check_text(const char *s, size_t max, const char *field, const char *what,
                   struct err_ctx *ec);

/*
 * The unit a record is placed in: it must exist, be in p's scope and be open;
 * otherwise ERR_INVALID naming 'field' (a unit outside scope reads as one
 * that does not exist).
 */
int org_placement_unit(struct store_conn *c, struct arena *a, const struct principal *p,
                       int64_t unit_id, const char *field, struct unit *out, struct err_ctx *ec);

/* The upper bound of the path range of a subtree: path + "~" into buf. */
void org_path_upper(const char *path, char *buf, size_t size);

/* A LIKE pattern (ESCAPE '\') matching 'prefix' s 'suffix' literally. */
char *org_like_pattern(struct arena *a, const char *prefix, const char *s, const char *suffix);

/* Today in China Standard Time, as "YYYY-MM-DD" into buf[TIME_DATE_LEN]. */
void org_today(char *buf);

/* 'date' plus 'days', as "YYYY-MM-DD" into buf[TIME_DATE_LEN]; date valid. */
void org_date_add(const char *date, int days, char *buf);

/* Appends an audit entry; takes ownership of 'before' and 'after' (either NULL). */
int org_audit(struct store_conn *c, struct arena *a, const struct principal *p, const char *action,
              const char *entity, int64_t id, int64_t unit_id, json_t *before, json_t *after,
              struct err_ctx *ec);

/* ---- people (people.c) ---- */

#define PEOPLE_MAX_TAGS 20

/* The columns people_from_row() reads, for a query joining people AS pe
 * and the person's unit AS pu. */
#define PEOPLE_COLUMNS                                                                             \
    "pe.id, pe.unit_id, pu.path, pe.name, pu.code, pu.name, pe.gender, pe.phone, pe.id_number, "   \
    "pe.tags, pe.notes, pe.created_at_ms, pe.updated_at_ms"
#define PEOPLE_NCOLUMNS 13

/* Reads PEOPLE_COLUMNS starting at column 'col' (strings copied into 'a'). */
void people_from_row(struct store_stmt *st, int col, struct arena *a, struct person *out);

struct person_input {
    bool set_name, set_unit, set_gender, set_phone, set_id_number, set_tags, set_notes;
    const char *name;
    int64_t unit_id;
    const char *gender; /* "male", "female"; NULL clears */
    const char *phone;  /* NULL clears */
    const char *id_number;
    const char *const *tags; /* ntags strings */
    size_t ntags;
    const char *notes;
};

struct person_filter {
    int64_t unit_id;       /* a subtree root, 0: the caller's whole scope */
    const char *q;         /* name substring, or NULL */
    const char *tag;       /* exact tag, or NULL */
    const char *id_number; /* exact number (normalised), or NULL */
    int64_t after_id;      /* the cursor: ids above it */
    int64_t limit;
};

/* Creates a person (name and unit_id required), with its audit entry. */
int people_create(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct person_input *in, int64_t *id, struct err_ctx *ec);

/* Applies the members set in 'in' to person 'id' (ERR_NOT_FOUND outside scope). */
int people_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  const struct person_input *in, struct err_ctx *ec);

/* Soft-deletes person 'id'; ERR_CONFLICT while a register still holds them. */
int people_delete(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  struct err_ctx *ec);

/* Up to f->limit people in p's scope matching f, by id; *more when there
 * are further ones. The filter's unit must be in scope (ERR_INVALID "unit"). */
int people_list(struct store_conn *c, struct arena *a, const struct principal *p,
                const struct person_filter *f, struct person **items, size_t *n, bool *more,
                struct err_ctx *ec);

/* Tags "a,b" as a JSON array. */
json_t *people_tags_json(const char *tags);

/* ---- registers (registers.c) ---- */

enum register_kind {
    REG_CERTIFICATE,    /* 执法证 */
    REG_LEGAL_LITERATE, /* 法律明白人 */
    REG_MEDIATOR,       /* 人民调解员 */
    REG_ADVISER,        /* 法律顾问 */
    REG_GROUP,          /* 领导小组 and other groups */
    REG_MEMBER,         /* a member of a group */
};

/* One input shape for every register: a register reads the members it has;
 * set_x says whether x was given (a change applies only those). */
struct register_input {
    bool set_person, set_group, set_unit, set_office, set_number, set_authority, set_field,
        set_from, set_to, set_firm, set_name, set_position, set_established;
    int64_t person_id;
    int64_t group_id;
    int64_t unit_id; /* community, committee, served or owning unit */
    int64_t office_unit_id;
    const char *number, *authority, *field;
    const char *from, *to; /* valid, contract or serving period; trained_on is 'from' */
    const char *firm, *name, *position, *established_on;
};

struct register_filter {
    int64_t unit_id;       /* subtree root, 0: the caller's scope */
    int64_t person_id;     /* 0: any */
    int64_t group_id;      /* members: the group */
    const char *active_on; /* rows whose period holds this date, or NULL */
    int year;              /* rows whose period starts in this year, 0: any */
    int64_t after_id;      /* the cursor: rows with ids above it (not for members) */
    int64_t limit;         /* at most this many rows; 0: all (a group's members) */
};

/*
 * Reads the JSON body of a create ('create') or a change of a row of 'kind'
 * into *in: unknown members are refused, and each member must have its
 * type; the values are checked by registers_create / registers_update.
 * Member names (and so error fields) are those of the API table in README.
 */
int registers_parse(enum register_kind kind, json_t *body, bool create, struct register_input *in,
                    struct err_ctx *ec);

/* Creates a row of 'kind', with its audit entry. */
int registers_create(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, const struct register_input *in, int64_t *id,
                     struct err_ctx *ec);

/* Applies the members set in 'in' to row 'id' of 'kind'. */
int registers_update(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, int64_t id, const struct register_input *in,
                     struct err_ctx *ec);

/* Soft-deletes row 'id' of 'kind' (a group only once it has no live members). */
int registers_delete(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, int64_t id, struct err_ctx *ec);

/* Row 'id' of 'kind' as JSON for p (a group with its live members);
 * ERR_NOT_FOUND naming "id" if none, deleted or out of scope. */
int registers_get(struct store_conn *c, struct arena *a, const struct principal *p,
                  enum register_kind kind, int64_t id, json_t **out, struct err_ctx *ec);

/* The rows of 'kind' in p's scope matching f, as a new JSON array, by id
 * (members: 组长, 副组长, 成员, each by from); *more (may be NULL) tells
 * whether f->limit cut the list. A filter unit outside scope is ERR_INVALID
 * naming "unit". */
int registers_list(struct store_conn *c, struct arena *a, const struct principal *p,
                   enum register_kind kind, const struct register_filter *f, json_t **out,
                   bool *more, struct err_ctx *ec);

/*
 * GET /api/v1/officers: the people in p's scope (below f->unit_id when set)
 * holding a certificate valid on f->active_on, each with those certificates
 * and expiring_soon flags, as a new JSON array.
 */
int registers_officers(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct register_filter *f, json_t **out, struct err_ctx *ec);

#endif
