/*
 * ledger.h - the ledgers (台账): dated activities of a kind, with counters.
 *
 * A kind (a lecture, a publicity day, a sanitation campaign, a patrol) is
 * data, not code: conf/ledger-kinds.json ships the catalog, loaded into
 * ledger_kinds on first start, and an administrator edits it through the API.
 * A kind names the unit types that record it and its typed counters:
 * integers >= 0, or decimals with a fixed number of places (km 3, 元 2), each
 * with a name, a unit, whether it is required and a plausibility bound (a
 * value above it is saved, with a warning listed until someone corrects it).
 *
 * Invariants:
 *   - Counter values are stored as INTEGER scaled by 10^scale and are read
 *     and written exactly: JSON numbers with more decimals than the scale,
 *     negative values, fractions for integer counters and values of more
 *     than 15 significant digits are refused, never rounded.
 *   - Entries are never removed: deleting one sets deleted_at_ms. Every
 *     version of an entry is kept in ledger_history, every write is in the
 *     audit log (before/after) and emits an event with the entry's unit path.
 *   - ledger_daily and ledger_monthly hold, per unit, day (month), kind and
 *     counter, the sum and the number of live entries ('' as the counter
 *     counts entries). They change in the same unit of work as the entries,
 *     so totals are always those of the detail tables; ledger_rebuild()
 *     recomputes them from scratch.
 *   - Unit paths are never copied into ledger tables (units move): scope is
 *     "unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2)".
 *
 * Functions taking a struct store_conn run inside a caller's store_read or
 * store_write callback. Strings and arrays they return live in the arena.
 */
#ifndef FAZHI_MODULES_LEDGER_H
#define FAZHI_MODULES_LEDGER_H

#include <jansson.h>

#include "core/access.h"
#include "core/err.h"
#include "modules/org/org.h"

struct arena;
struct gpx_summary;
struct store;
struct store_conn;

/* Who records ledgers, and who reads them (admin holds every role). */
#define LEDGER_WRITE_ROLES (ROLE_STAFF | ROLE_OFFICER)
#define LEDGER_READ_ROLES  (ROLE_STAFF | ROLE_OFFICER | ROLE_LEADER)

#define LEDGER_CATALOG_FILE     "ledger-kinds.json" /* in conf/, embedded */
#define LEDGER_SCALE_MAX        6
#define LEDGER_COUNTERS_MAX     32
#define LEDGER_UNIT_TYPES_MAX   7
#define LEDGER_VALUE_MAX        999999999999999LL /* 15 digits: exact in a double */
#define LEDGER_PARTICIPANTS_MAX 200
#define LEDGER_TITLE_MAX        100 /* characters */
#define LEDGER_PLACE_MAX        100
#define LEDGER_NOTES_MAX        2000
#define LEDGER_PAGE_MAX         500
#define LEDGER_EXPORT_MAX       100000 /* entries in one export */
#define LEDGER_TRACK_POINTS_MAX 200000

/* ================================================================
 * Kinds and counters
 * ================================================================ */

enum ledger_type { LEDGER_INTEGER, LEDGER_DECIMAL };

struct ledger_counter {
    const char *code; /* "attendance": [a-z][a-z0-9_]*, at most 32 */
    const char *name; /* 受训人次 */
    const char *unit; /* 人次, 公里, 元 */
    enum ledger_type type;
    int scale;     /* decimal places: 0 for integers, 1..LEDGER_SCALE_MAX for decimals */
    bool required; /* every entry of the kind must carry it */
    int64_t max;   /* plausibility bound, scaled; -1 for none */
};

struct ledger_kind {
    const char *code; /* "study.lecture": dot-separated [a-z][a-z0-9_]* parts, at most 64 */
    const char *name; /* 法治讲座 */
    const char *description;
    const char **unit_types; /* the unit types that record it */
    size_t nunit_types;
    struct ledger_counter *counters;
    size_t ncounters;
    const char *track_counter; /* the decimal km counter a GPX track sets, or "" */
    bool active;               /* inactive: kept for old entries, no new ones */
    int64_t version;           /* bumped by every change (optimistic concurrency) */
    const char *origin;        /* "catalog" (shipped) or "admin" */
    int64_t created_at_ms, updated_at_ms;
};

/* The counter 'code' of kind 'k', or NULL. */
const struct ledger_counter *ledger_kind_counter(const struct ledger_kind *k, const char *code);

/* True when a unit of type 'unit_type' may record kind 'k'. */
bool ledger_kind_allows(const struct ledger_kind *k, const char *unit_type);

/*
 * Reads a kind definition as the API and the catalog file write it:
 * {"code","name","description","unit_types":[...],"counters":[{"code",
 * "name","type":"integer"|"decimal","scale","unit","required","max"}],
 * "track_counter","active"}. With 'code' not NULL the object carries no code
 * (PUT /kinds/{code}) and 'code' is used. 'prefix' is put before the field
 * names of errors ("kinds[3]." for the catalog, "" for the API). Checks
 * every member; the first fault is ERR_INVALID naming it
 * ("counters[1].scale").
 */
int ledger_kind_from_json(struct arena *a, json_t *obj, const char *code, const char *prefix,
                          struct ledger_kind *out, struct err_ctx *ec);

/* A kind as a new JSON object, in the form ledger_kind_from_json() reads
 * (plus version, origin and times). */
json_t *ledger_kind_json(const struct ledger_kind *k);

/*
 * Parses a catalog file {"format":"fazhi.ledger-kinds.v1","kinds":[...]}
 * into an arena array. Codes must be unique. ERR_INVALID naming the member
 * ("kinds[2].counters[0].max") for the first fault.
 */
int ledger_catalog_parse(struct arena *a, const char *text, size_t len, struct ledger_kind **kinds,
                         size_t *n, struct err_ctx *ec);

/*
 * Inserts the kinds of 'kinds' that ledger_kinds does not hold yet (by code),
 * each audited as created by "system". Kinds already present are left as
 * they are, so an administrator's edits survive upgrades; *added gets how
 * many were inserted.
 */
int ledger_catalog_load(struct store_conn *c, struct arena *a, const struct ledger_kind *kinds,
                        size_t n, int *added, struct err_ctx *ec);

/* The module's start hook: loads the embedded catalog (ledger_catalog_load). */
int ledger_start(struct store *s, struct err_ctx *ec);

/* Reads kind 'code'; ERR_NOT_FOUND naming 'field' when there is none. */
int ledger_kind_get(struct store_conn *c, struct arena *a, const char *code, const char *field,
                    struct ledger_kind *out, struct err_ctx *ec);

/* Every kind, by code. */
int ledger_kind_list(struct store_conn *c, struct arena *a, struct ledger_kind **items, size_t *n,
                     struct err_ctx *ec);

/*
 * Creates kind 'in' (p must be an administrator placed at a root unit: the
 * catalog serves the whole deployment). ERR_CONFLICT when the code exists.
 */
int ledger_kind_create(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct ledger_kind *in, struct err_ctx *ec);

/*
 * Replaces kind in->code with 'in' (the code cannot change). When
 * expected_version > 0 and differs from the stored version: ERR_CONFLICT
 * naming "version". Refused with ERR_CONFLICT naming "counters": removing a
 * counter, or changing its type or scale, while live entries hold values of
 * it (they would be lost or misread); and naming "track_counter" when it
 * does not name a decimal counter in km.
 */
int ledger_kind_update(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct ledger_kind *in, int64_t expected_version, struct err_ctx *ec);

/* ================================================================
 * Counter values
 * ================================================================ */

/*
 * Reads a JSON number as a value of counter 'def' (scaled). ERR_INVALID
 * naming 'field' for: not a number ("应为数字"), negative, a fraction for an
 * integer counter, more decimals than the scale, more than 15 significant
 * digits, or over LEDGER_VALUE_MAX. Doubles are read through their shortest
 * decimal form, so 1050.1 means 1050.1 and not 1050.09999999999990905.
 */
int ledger_value_from_json(const struct ledger_counter *def, const json_t *v, const char *field,
                           int64_t *out, struct err_ctx *ec);

/*
 * Reads decimal text ("1050.5", " 12 ", "3e2") exactly as a value of
 * counter 'def', with the same checks and messages as ledger_value_from_json.
 */
int ledger_value_parse(const struct ledger_counter *def, const char *text, const char *field,
                       int64_t *out, struct err_ctx *ec);

/* Writes a scaled value as its shortest exact decimal text ("1050.5", "12"). */
void ledger_value_format(int64_t scaled, int scale, char *buf, size_t size);

/* A scaled value as a JSON number: an integer when it has no fraction. */
json_t *ledger_value_json(int64_t scaled, int scale);

/*
 * Serialises JSON for replies and the audit log: compact, and reals with 15
 * significant digits, which (values being at most 15 digits) prints every
 * value exactly. Returns an arena string.
 */
char *ledger_json_dump(struct arena *a, const json_t *v);

/* ================================================================
 * Entries
 * ================================================================ */

struct ledger_value {
    const char *counter;
    int64_t value; /* scaled */
};

struct ledger_warning {
    const char *counter;
    int64_t value, bound; /* scaled */
};

struct ledger_participant {
    int64_t id;
    const char *name; /* NULL when the person has been removed from the registers */
};

struct ledger_track {
    int64_t points;
    int64_t meters;
    int64_t start_ms, end_ms; /* 0 when the file had no times */
    int64_t uploaded_at_ms;
};

struct ledger_entry {
    int64_t id;
    const struct ledger_kind *kind; /* NULL only if the kind vanished */
    const char *kind_code;
    struct unit unit;
    const char *date, *title, *place, *notes;
    struct ledger_participant *participants;
    size_t nparticipants;
    struct ledger_value *values; /* in the kind's counter order */
    size_t nvalues;
    struct ledger_warning *warnings;
    size_t nwarnings;
    bool has_track;
    struct ledger_track track;
    int64_t version;
    const char *created_by, *updated_by;
    int64_t created_at_ms, updated_at_ms, deleted_at_ms;
};

/* One value given for a counter: JSON (API) or text (CSV import). */
struct ledger_input_value {
    const char *code;
    const json_t *json; /* the JSON value, or NULL */
    const char *text;   /* the text, or NULL */
    bool remove;        /* PATCH with null: drop the value */
};

/*
 * What a create, an update or an import row gives. For an update, NULL
 * strings and unset flags leave the entry as it is; counters are merged
 * (a value given replaces, 'remove' drops, others stay).
 */
struct ledger_input {
    const char *kind; /* create only */
    bool set_unit;
    int64_t unit_id;
    const char *date, *title, *place, *notes;
    bool set_participants;
    const int64_t *participants;
    size_t nparticipants;
    const struct ledger_input_value *values;
    size_t nvalues;
    int64_t expected_version; /* update: > 0 checks it */
    const char *import_key;   /* create: the key making a re-import a no-op, or NULL; an
                                 imported entry emits no event of its own (the import
                                 emits one per unit) */
    const char *unit_field;   /* the name faults of the unit carry; NULL: "unit_id" */
};

/* One fault of an input, named by its field ("date", "counters.km"). */
struct ledger_fault {
    size_t line;   /* the CSV line, 0 for the API */
    enum err code; /* ERR_INVALID, or ERR_FORBIDDEN for a unit outside the caller's scope */
    const char *field;
    const char *message;
};

/* Faults collected while checking an input (an import checks every row). */
struct ledger_faults {
    struct ledger_fault *items;
    size_t n, cap;
    size_t limit;        /* stop collecting after this many (0: no limit) */
    bool truncated;      /* some were not collected because of the limit */
    struct arena *arena; /* where faults are kept; NULL: the arena of the call */
};

/* Adds a fault (message printf-style, copied into 'a'). */
void ledger_faults_add(struct ledger_faults *f, struct arena *a, size_t line, const char *field,
                       const char *fmt, ...) FZ_PRINTF(5, 6);

/*
 * Creates an entry, after checking every field: the kind exists and is
 * active; the unit exists ("unit_id", ERR_INVALID), is in p's scope
 * (ERR_FORBIDDEN) and is of a type that records the kind; the date is real,
 * not in the future and within the unit's life (org_unit_active_on); title,
 * place and notes; participants are people in p's scope; every counter is
 * one of the kind's, well-typed, and the required ones are there. Values
 * above their bound are saved with a warning. Audited, with the event
 * "ledger.entry.created". *out gets the entry as saved.
 * When 'faults' is not NULL, faults are collected there (each at 'line')
 * instead of stopping at the first, and ERR_INVALID is returned if any.
 */
int ledger_entry_create(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_input *in, size_t line, struct ledger_faults *faults,
                        struct ledger_entry *out, struct err_ctx *ec);

/*
 * Reads a live entry; ERR_NOT_FOUND naming "id" when there is none, it is
 * deleted, or its unit is outside p's scope.
 */
int ledger_entry_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                     struct ledger_entry *out, struct err_ctx *ec);

/*
 * Applies 'in' to entry 'id' with the checks of ledger_entry_create (the
 * kind cannot change: "kind"). ERR_CONFLICT naming "version" when
 * in->expected_version is set and differs. Keeps the old version in the
 * history; audited (before/after), event "ledger.entry.updated".
 */
int ledger_entry_update(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const struct ledger_input *in, struct ledger_entry *out,
                        struct err_ctx *ec);

/* Soft-deletes entry 'id' (expected_version > 0 is checked); audited, event
 * "ledger.entry.deleted". */
int ledger_entry_delete(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, int64_t expected_version, struct err_ctx *ec);

/* One version of an entry, oldest first. */
struct ledger_version {
    int64_t version;
    const char *action; /* "create", "update", "track", "delete" */
    const char *actor;
    int64_t at_ms;
    const char *snapshot; /* the entry's JSON after the action */
};

/* The history of entry 'id' (scope as ledger_entry_get; also for deleted entries). */
int ledger_entry_history(struct store_conn *c, struct arena *a, const struct principal *p,
                         int64_t id, struct ledger_version **items, size_t *n, struct err_ctx *ec);

/*
 * Stores the GPX file 'gpx' (summarised by gpx_summarise() beforehand, so
 * that the parsing happens outside the unit of work) for entry 'id' and sets
 * the kind's track counter to the track's length, rounded to the counter's
 * scale, with the checks and warnings of an update. ERR_INVALID naming
 * "kind" when the kind has no track counter, naming "file" when the track
 * has no points. Audited, event "ledger.entry.updated".
 */
int ledger_entry_set_track(struct store_conn *c, struct arena *a, const struct principal *p,
                           int64_t id, const char *gpx, size_t len, const struct gpx_summary *sum,
                           int64_t expected_version, struct ledger_entry *out, struct err_ctx *ec);

/*
 * The entry as JSON for 'viewer': id, kind, kind_name, unit {id, code, name},
 * date, title, place, notes, participants [{id, name}], counters {code:
 * number}, warnings [{field, counter, value, max, unit, message}], track,
 * version, created_by/at, updated_by/at.
 */
json_t *ledger_entry_json(const struct ledger_entry *e);

/* The message of a plausibility warning ("巡逻里程 1500 公里超过合理上限 200 公里，请核实"). */
void ledger_warning_message(const struct ledger_kind *k, const struct ledger_warning *w, char *buf,
                            size_t size);

/* ================================================================
 * Lists, totals, warnings
 * ================================================================ */

/* Filters shared by lists, totals, warnings and exports. */
struct ledger_filter {
    int64_t unit_id;       /* the subtree of this unit; 0: the caller's unit */
    const char *kind;      /* NULL: every kind */
    const char *from, *to; /* "YYYY-MM-DD", inclusive; NULL: open */
    const char *q;         /* text in title, place or notes; NULL: none */
    const char *cursor;    /* lists: where the previous page ended; NULL: start */
    int64_t limit;         /* lists: page size (1..LEDGER_PAGE_MAX) */
    bool detail;           /* totals: sum the detail tables, not the roll-up */
};

/*
 * Checks a filter for p and resolves it: the unit must exist and be in p's
 * scope (ERR_NOT_FOUND naming "unit"), the kind must exist ("kind"), dates
 * must be real and from <= to ("from", "to"). *unit gets the unit.
 */
int ledger_filter_check(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_filter *f, struct unit *unit, struct err_ctx *ec);

/*
 * A page of live entries matching 'f', newest date first (then highest id).
 * *next_cursor is the cursor of the next page, or NULL after the last.
 */
int ledger_entry_list(struct store_conn *c, struct arena *a, const struct principal *p,
                      const struct ledger_filter *f, struct ledger_entry **items, size_t *n,
                      const char **next_cursor, struct err_ctx *ec);

/*
 * Every live entry matching 'f' (no paging), by kind, date and id, for
 * exports. ERR_INVALID naming "to" when more than 'max' match.
 */
int ledger_entry_all(struct store_conn *c, struct arena *a, const struct principal *p,
                     const struct ledger_filter *f, size_t max, struct ledger_entry **items,
                     size_t *n, struct err_ctx *ec);

struct ledger_total_counter {
    const struct ledger_counter *def;
    int64_t total;   /* scaled */
    int64_t entries; /* entries holding a value */
};

struct ledger_total_kind {
    const struct ledger_kind *kind;
    int64_t entries;
    struct ledger_total_counter *counters; /* every counter of the kind, in order */
    size_t ncounters;
};

struct ledger_totals {
    struct unit unit;
    int64_t entries;
    struct ledger_total_kind *kinds; /* with a kind filter: that kind; else kinds with entries */
    size_t nkinds;
    bool from_rollup; /* answered from the roll-up tables */
};

/*
 * Totals per kind and counter of the live entries matching 'f' (cursor and
 * limit ignored). From the roll-up tables (whole months from ledger_monthly,
 * the days at either end from ledger_daily), or from the detail tables when
 * f->q or f->detail is set.
 */
int ledger_totals(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct ledger_filter *f, struct ledger_totals *out, struct err_ctx *ec);

/* The totals as JSON (see README: GET /api/v1/ledger/totals). */
json_t *ledger_totals_json(const struct ledger_totals *t, const struct ledger_filter *f);

/* A plausibility warning of a live entry, for the warning list. */
struct ledger_warning_item {
    int64_t id;
    struct ledger_entry entry; /* without participants, values or warnings */
    struct ledger_warning warning;
};

/* A page of warnings of live entries matching 'f', newest date first. */
int ledger_warning_list(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_filter *f, struct ledger_warning_item **items,
                        size_t *n, const char **next_cursor, struct err_ctx *ec);

json_t *ledger_warning_item_json(const struct ledger_warning_item *w);

/*
 * Recomputes ledger_daily and ledger_monthly from the entries, in the
 * caller's unit of work, audited as done by 'actor'; *entries gets the
 * number of live entries.
 */
int ledger_rebuild(struct store_conn *c, const char *actor, int64_t *entries, struct err_ctx *ec);

struct metric_query;
struct finding_list;

/* The module's findings hook (ledger_findings.c, report/finding.h):
 * implausible values and kinds a unit usually records but did not. */
int ledger_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec);

struct demo_params;

/* The module's demo hook (ledger_demo.c, modules/demo.h): the entries of
 * every kind for 2022 (the report's figures, exactly) and 2021. */
int ledger_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec);

#endif
