/*
 * matter.h - resident matters ("Smart Chengxi", 智慧城西): what residents and
 * enterprises submit online, handled through a workflow with a deadline, and
 * followed live on a tracking page.
 *
 * A matter is a case of the workflow engine (case/case.h, type "matter")
 * plus a row of its own (matters: tracking code, type, description, place,
 * contact, photos). The workflow:
 *
 *   submit   -            -> submitted   anyone (a resident needs no account)
 *   accept   submitted    -> accepted    staff, leader
 *   reject   submitted    -> rejected    staff, leader; "reason" (terminal)
 *   assign   accepted     -> assigned    staff, leader; "unit_id": moves the
 *            assigned     -> assigned      case to that unit (in scope)
 *   start    assigned     -> in_progress staff, leader
 *   resolve  in_progress  -> resolved    staff, leader; "reply" to the resident
 *   rate     resolved     -> closed      the resident; "rating" 1..5 (terminal)
 *   reopen   resolved     -> in_progress the resident, within 7 days of the
 *                                          reply; "reason"
 *
 * The deadline runs from submission (and again from a reopening) for the
 * matter type's number of working days, fixed when the matter is submitted;
 * it stops when the matter is resolved or rejected. Overdue matters appear
 * in the engine's lists like every case type.
 *
 * Matter types are a catalog (conf/matter-types.json, loaded into the
 * matter_types table on first start; see docs/matters.md): code, name,
 * description, handling unit (a unit code; the root unit when no unit has
 * it), deadline in working days, and the fields a resident is asked for
 * (Open311 attributes: code, datatype, required, description, values).
 *
 * Tracking codes: "CX-" and 8 characters of Crockford's base32 (40 random
 * bits from libsodium), e.g. CX-7KQ2-9MWD. The code is the resident's key to
 * the matter: whoever holds it may read the matter's public view and rate or
 * reopen it. Staff never see it (not in their views, not in the audit log,
 * whose actor for a resident is MATTER_RESIDENT_ACTOR), so that nobody but
 * the resident can rate the office's work; it goes to the resident alone,
 * on the page after submitting and through the notification webhook.
 *
 * Events, each in the unit of work of the change:
 *   "case.matter.<transition>"  in the matter unit's scope (staff consoles),
 *                               from the engine;
 *   "matter.changed"            topic "track:<code>", no unit: the public
 *                               tracking stream (no personal data);
 *   "matter.notify"             topic MATTER_NOTIFY_TOPIC, no unit: for the
 *                               outbound webhook (an SMS or WeChat gateway),
 *                               with the resident's phone.
 */
#ifndef FAZHI_MODULES_MATTER_MATTER_H
#define FAZHI_MODULES_MATTER_MATTER_H

#include <jansson.h>

#include "case/case.h"
#include "core/access.h"
#include "core/err.h"

struct arena;
struct store;
struct store_conn;

#define MATTER_CATALOG_FILE    "matter-types.json"
#define MATTER_CODE_PREFIX     "CX"
#define MATTER_CODE_LEN        14 /* "CX-7KQ2-9MWD" and its NUL */
#define MATTER_TYPE_CODE_MAX   32
#define MATTER_DESCRIPTION_MAX 2000 /* characters */
#define MATTER_ADDRESS_MAX     200
#define MATTER_NAME_MAX        50
#define MATTER_REPLY_MAX       2000
#define MATTER_PHOTOS_MAX      5
#define MATTER_PHOTO_BYTES     (5u * 1024 * 1024)
#define MATTER_REOPEN_DAYS     7
#define MATTER_NOTIFY_TOPIC    "internal:notify"
#define MATTER_RESIDENT_ACTOR  "resident" /* the audit actor of a resident's steps */
#define MATTER_LIST_MAX        200        /* rows of one page */

/* Who handles matters in the console. */
#define MATTER_STAFF_ROLES (ROLE_STAFF | ROLE_LEADER)
/* Who may read them. */
#define MATTER_READ_ROLES (ROLE_STAFF | ROLE_LEADER | ROLE_OFFICER | ROLE_MEDIATOR | ROLE_ADVISER)

/* The workflow, registered with the cases module at start. */
extern const struct case_type matter_case_type;

/* ---- types ---- */

struct matter_type {
    const char *code;        /* "complaint" */
    const char *name;        /* "问题反映" */
    const char *description; /* for the form and Open311's description */
    const char *group;       /* Open311 group: "城市管理" */
    const char *keywords;    /* comma-separated, Open311 keywords */
    const char *unit_code;   /* the handling unit's code */
    int deadline_days;       /* working days */
    const char *fields;      /* JSON array text: [{"code","datatype","required",
                                "description","order","values":[{"key","name"}]}] */
    bool active;
    bool listed; /* its matters may be listed publicly (Open311); false for
                    private affairs: disputes, certificates, questions */
    int position;
};

/* The types in catalog order; only active ones when 'active_only'. */
int matter_types_list(struct store_conn *c, struct arena *a, bool active_only,
                      struct matter_type **out, size_t *n, struct err_ctx *ec);

/* The type of that code (active or not); ERR_NOT_FOUND naming "type". */
int matter_type_get(struct store_conn *c, struct arena *a, const char *code,
                    struct matter_type *out, struct err_ctx *ec);

/*
 * Changes a type, as an administrator of the whole deployment
 * (access_require_root_admin): {"unit_id"} the unit that receives it (an
 * open unit; stored by its code), {"deadline_days"} 1..60 working days (for
 * matters submitted from now on), {"active"} whether residents may choose
 * it. Audited. ERR_INVALID naming the field; ERR_NOT_FOUND for no such type.
 */
int matter_type_update(struct store_conn *c, struct arena *a, const struct principal *p,
                       const char *code, json_t *changes, struct matter_type *out,
                       struct err_ctx *ec);

/* ---- tracking codes ---- */

/* A new random code "CX-XXXX-XXXX" into out[MATTER_CODE_LEN]. */
void matter_code_new(char *out);

/*
 * Normalises what a resident typed: case, spaces and hyphens do not matter,
 * O reads as 0 and I, L as 1; the "CX" prefix may be left out. Returns
 * false when it cannot be a code.
 */
bool matter_code_normalize(const char *in, char *out);

/* ---- matters ---- */

struct matter_photo {
    int seq;                  /* 1.. */
    char sha256[65];          /* the file's name in the blob store */
    const char *content_type; /* "image/jpeg" or "image/png" */
    int64_t bytes;
};

/* What a submission gives. Text is validated by matter_submit(). */
struct matter_new {
    const char *type;        /* type code */
    const char *description; /* required */
    const char *address;     /* may be NULL */
    bool has_location;
    double lat, lon;                   /* WGS 84, when has_location */
    const char *phone;                 /* required: mobile or landline */
    const char *name;                  /* may be NULL */
    json_t *attributes;                /* the type's fields: an object, or NULL */
    const char *source;                /* "portal", "api", "open311" */
    const struct matter_photo *photos; /* already in the blob store */
    size_t nphotos;
    int64_t at_ms; /* when it was received; 0: now (the demo data set sets it) */
};

/* One matter as stored, with its case. Text lives in the arena. */
struct matter {
    int64_t id; /* the case id; Open311's service_request_id */
    char code[MATTER_CODE_LEN];
    const char *type, *type_name;
    const char *state, *state_label;
    int64_t unit_id;
    const char *unit_name, *unit_path;
    const char *description, *address;
    bool has_location;
    double lat, lon;
    const char *phone;      /* in full: mask it for who may not see it */
    const char *name;       /* "" when not given */
    const char *attributes; /* JSON object text */
    const char *source;
    const char *submitted_by; /* the audit actor of the submission
                                 (MATTER_RESIDENT_ACTOR for an anonymous one) */
    int64_t submitted_at_ms, updated_at_ms;
    const char *due_on;     /* NULL when no deadline runs */
    bool overdue;           /* open, and due before today */
    int64_t resolved_at_ms; /* 0 when not resolved */
    bool on_time;           /* resolved on or before the due date */
    int64_t closed_at_ms;   /* 0 while open */
    const char *reply;      /* the office's reply, or NULL */
    const char *reject_reason;
    int rating; /* 1..5, 0 when not rated */
    const char *rating_comment;
    int64_t version;
    bool type_listed; /* its type may be listed publicly (matter_type.listed) */
    struct matter_photo *photos;
    size_t nphotos;
};

/*
 * Submits a matter inside a unit of work: validates every field (the type
 * active, description 1..2000 characters, phone a mainland number, location
 * in range, attributes of the type's fields with the required ones given),
 * opens the case in the type's handling unit with a new tracking code, and
 * records the matter, its photos and the events. 'p' is the signed-in
 * caller or API token, NULL for an anonymous resident. *out gets the matter.
 * Errors are ERR_INVALID naming the field, nothing written.
 */
int matter_submit(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct matter_new *in, struct matter *out, struct err_ctx *ec);

/* matter_submit()'s checks alone, writing nothing: for a caller that must
 * store files (photos) only for a submission that will be accepted. Inside a
 * read. */
int matter_submit_check(struct store_conn *c, struct arena *a, const struct matter_new *in,
                        struct err_ctx *ec);

/* Matter 'id' if its unit is in p's scope (p NULL: any); ERR_NOT_FOUND. */
int matter_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
               struct matter *out, struct err_ctx *ec);

/* The matter of a tracking code (normalised first); ERR_NOT_FOUND. */
int matter_by_code(struct store_conn *c, struct arena *a, const char *code, struct matter *out,
                   struct err_ctx *ec);

struct matter_filter {
    const char *scope_path; /* the subtree: a principal's path, "" for all */
    int64_t unit_id;        /* 0: the whole scope; else that unit's subtree */
    const char *type;       /* NULL: every type */
    const char *state;      /* NULL: every state */
    int open;               /* 1: not concluded (submitted .. in progress), 0: concluded
                               (resolved, closed, rejected), -1: both */
    bool overdue;           /* only open matters due before today */
    int64_t from_ms, to_ms; /* submitted in [from, to); 0: unbounded */
    const int64_t *ids;     /* only these ids, when nids > 0 */
    size_t nids;
    const char *q;     /* words in the description or address, or NULL */
    bool listed_only;  /* only matters of types that may be listed publicly */
    int64_t before_id; /* cursor: ids below it (newest first); 0: from the newest */
    bool oldest_first; /* ascending submission order instead */
    size_t limit;      /* 1..MATTER_LIST_MAX */
};

/*
 * Matters matching f, newest first (or oldest first), at most f->limit;
 * *more tells whether there are others after the last one.
 * Photos are not loaded in lists (nphotos is their count).
 */
int matter_list(struct store_conn *c, struct arena *a, const struct matter_filter *f,
                struct matter **out, size_t *n, bool *more, struct err_ctx *ec);

/* One step of a matter's history, labelled. */
struct matter_step {
    int64_t at_ms;
    const char *transition, *label; /* "accept", "受理" */
    const char *state, *state_label;
    const char *actor; /* audit actor, for staff views */
    const char *text;  /* what the resident reads of it: the reply, the
                          reason, the unit assigned, or "" */
};

int matter_history(struct store_conn *c, struct arena *a, const struct matter *m,
                   struct matter_step **out, size_t *n, struct err_ctx *ec);

/*
 * A staff action (accept, reject, assign, start, resolve) on matter 'id'
 * by p, with the transition's fields ("reason", "unit_id", "reply") and an
 * expected_version > 0 guards against a concurrent change; at_ms is the
 * instant of the action (0: now). Resident transitions are refused here.
 * Inside a unit of work.
 */
int matter_act(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
               const char *transition, json_t *fields, int64_t expected_version, int64_t at_ms,
               struct matter *out, struct err_ctx *ec);

/*
 * The resident's action by tracking code: "rate" ({"rating":1..5,
 * "comment"?}) or "reopen" ({"reason"}, within MATTER_REOPEN_DAYS days of
 * the reply). Inside a unit of work.
 */
int matter_resident_act(struct store_conn *c, struct arena *a, const char *code,
                        const char *transition, json_t *fields, int64_t at_ms, struct matter *out,
                        struct err_ctx *ec);

/* The first 'max_chars' characters of a description, with "…" when cut:
 * what lists show of it. */
const char *matter_summary(struct arena *a, const char *description, size_t max_chars);

/* Whether the resident may still ask to reopen it at 'now': resolved, and
 * within MATTER_REOPEN_DAYS days of the reply. *until_ms (may be NULL) gets
 * the end of that window. */
bool matter_can_reopen(const struct matter *m, int64_t now, int64_t *until_ms);

/* The label of a transition or state code ("accept" -> "受理"). */
const char *matter_transition_label(const char *transition);
const char *matter_state_label(const char *state);

/* The staff transitions allowed from 'state', NULL-terminated (static). */
const char *const *matter_actions(const char *state);

/*
 * JSON of a matter for staff: every field but the tracking code, the phone
 * masked unless access_sees_personal_ids(viewer); photos as /media/ URLs.
 */
json_t *matter_json(const struct matter *m, const struct principal *viewer);

/*
 * JSON of the public tracking view: code, type, state, the place, dates,
 * the reply and history texts, the phone masked; no actors, no name.
 * 'steps' may be NULL.
 */
json_t *matter_track_json(const struct matter *m, const struct matter_step *steps, size_t n);

/* Loads the catalog into matter_types (first start, or types missing). */
int matter_start(struct store *s, struct err_ctx *ec);

/* ================================================================
 * Counts (matter_stats.c), added with the pages: the dashboard section
 * and the figures above the console's queue.
 * ================================================================ */

/* Matters of a scope per state; 'overdue' counts the open ones due before today. */
/* The work at hand of a scope: its open matters by state, and how many of
 * them are overdue. */
struct matter_counts {
    int64_t submitted, accepted, assigned, in_progress;
    int64_t overdue;
};

/*
 * Counts the open matters (submitted .. in progress) whose unit is in the
 * subtree 'scope_path' ("" for all) in one grouped query that reads the
 * index of open cases (case/ migration 0041), never the concluded ones: their
 * number grows with the years, and the dashboard and the queue's header,
 * which every staff member opens, need only the work at hand. 'today' the
 * local date. Inside a read.
 */
int matter_count(struct store_conn *c, const char *scope_path, struct date today,
                 struct matter_counts *out, struct err_ctx *ec);

#endif
