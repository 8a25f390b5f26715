/*
 * registers.c - the registers kept on people: enforcement certificates
 * (执法证), legal-literate residents (法律明白人), mediators (人民调解员),
 * legal advisers (法律顾问), and groups (领导小组) with their members.
 *
 * The six registers share one shape - a row that names a person and a unit,
 * a period, a few texts - so one set of functions serves them, driven by a
 * table of what differs (struct reg_kind): the SQL that reads a row into the
 * common columns, the names of its JSON members, its checks. Each SELECT
 * returns the same column list (REG_* below), with NULL where a register
 * has no such column, so one row reader and one JSON writer serve all.
 *
 * Scope: a row belongs to a unit - the person's unit for a certificate (it
 * follows the person), the community, committee or served unit for the
 * others, the group's unit for a member. Reading needs that unit in scope;
 * writing needs it and the person in scope, and a writing role.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

/* The common columns of every register SELECT, in this order. */
enum {
    REG_ID,
    REG_PERSON_ID,
    REG_UNIT_ID,
    REG_OFFICE_ID,
    REG_NUMBER,
    REG_AUTHORITY,
    REG_FIELD,
    REG_FROM,
    REG_TO,
    REG_FIRM,
    REG_NAME,
    REG_POSITION,
    REG_ESTABLISHED,
    REG_UNIT_PATH,
    REG_UNIT_CODE,
    REG_UNIT_NAME,
    REG_OFFICE_NAME,
    REG_CREATED,
    REG_UPDATED,
    REG_GROUP_ID,
    REG_PERSON, /* PEOPLE_NCOLUMNS columns from here */
};

#define NO_PERSON   "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
#define WITH_PERSON " JOIN people pe ON pe.id = r.person_id JOIN units pu ON pu.id = pe.unit_id "

struct reg_kind {
    const char *entity; /* audit entity */
    const char *label;  /* for messages: "执法证" */
    const char *table;
    const char *select; /* the common columns FROM r and its joins; un is the row's unit */
    const char *person_col, *from_col, *to_col, *group_col, *order;
    const char *unit_field, *from_field, *to_field; /* JSON member names, or NULL */
    const char *from_label, *to_label;
    const char *const *create_fields, *const *update_fields;
};

static const char *const cert_create[] = {"number",     "authority", "field",
                                          "valid_from", "valid_to",  NULL};
static const char *const literate_create[] = {"person_id", "community_unit_id", "trained_on", NULL};
static const char *const literate_update[] = {"community_unit_id", "trained_on", NULL};
static const char *const mediator_create[] = {"person_id", "committee_unit_id", "from", "to", NULL};
static const char *const mediator_update[] = {"committee_unit_id", "from", "to", NULL};
static const char *const adviser_create[] = {"person_id",     "unit_id",     "firm",
                                             "contract_from", "contract_to", NULL};
static const char *const adviser_update[] = {"unit_id", "firm", "contract_from", "contract_to",
                                             NULL};
static const char *const group_fields[] = {"name", "unit_id", "office_unit_id", "established_on",
                                           NULL};
static const char *const member_create[] = {"person_id", "position", "from", "to", NULL};
static const char *const member_update[] = {"position", "from", "to", NULL};

static const struct reg_kind kinds[] = {
    [REG_CERTIFICATE] =
        {"certificate", "执法证", "certificates",
         "SELECT r.id, r.person_id, pe.unit_id, NULL, r.number, r.authority, r.field, "
         "r.valid_from, r.valid_to, NULL, NULL, NULL, NULL, un.path, un.code, un.name, NULL, "
         "r.created_at_ms, r.updated_at_ms, NULL, " PEOPLE_COLUMNS
         " FROM certificates r" WITH_PERSON "JOIN units un ON un.id = pe.unit_id ",
         "r.person_id", "r.valid_from", "r.valid_to", "NULL", "r.id", NULL, "valid_from",
         "valid_to", "有效期起", "有效期止", cert_create, cert_create},
    [REG_LEGAL_LITERATE] =
        {"legal_literate", "法律明白人登记", "legal_literates",
         "SELECT r.id, r.person_id, r.community_unit_id, NULL, NULL, NULL, NULL, r.trained_on, "
         "NULL, NULL, NULL, NULL, NULL, un.path, un.code, un.name, NULL, r.created_at_ms, "
         "r.updated_at_ms, NULL, " PEOPLE_COLUMNS " FROM legal_literates r" WITH_PERSON
         "JOIN units un ON un.id = r.community_unit_id ",
         "r.person_id", "r.trained_on", "NULL", "NULL", "r.id", "community_unit_id", "trained_on",
         NULL, "培训日期", NULL, literate_create, literate_update},
    [REG_MEDIATOR] =
        {"mediator", "调解员登记", "mediators",
         "SELECT r.id, r.person_id, r.committee_unit_id, NULL, NULL, NULL, NULL, r.from_on, "
         "r.to_on, NULL, NULL, NULL, NULL, un.path, un.code, un.name, NULL, r.created_at_ms, "
         "r.updated_at_ms, NULL, " PEOPLE_COLUMNS " FROM mediators r" WITH_PERSON
         "JOIN units un ON un.id = r.committee_unit_id ",
         "r.person_id", "r.from_on", "r.to_on", "NULL", "r.id", "committee_unit_id", "from", "to",
         "任职起始日期", "任职截止日期", mediator_create, mediator_update},
    [REG_ADVISER] =
        {"adviser", "法律顾问登记", "advisers",
         "SELECT r.id, r.person_id, r.unit_id, NULL, NULL, NULL, NULL, r.contract_from, "
         "r.contract_to, r.firm, NULL, NULL, NULL, un.path, un.code, un.name, NULL, "
         "r.created_at_ms, r.updated_at_ms, NULL, " PEOPLE_COLUMNS " FROM advisers r" WITH_PERSON
         "JOIN units un ON un.id = r.unit_id ",
         "r.person_id", "r.contract_from", "r.contract_to", "NULL", "r.id", "unit_id",
         "contract_from", "contract_to", "合同起始日期", "合同截止日期", adviser_create,
         adviser_update},
    [REG_GROUP] =
        {"group", "小组", "org_groups",
         "SELECT r.id, NULL, r.unit_id, r.office_unit_id, NULL, NULL, NULL, NULL, NULL, NULL, "
         "r.name, NULL, r.established_on, un.path, un.code, un.name, ou.name, r.created_at_ms, "
         "r.updated_at_ms, NULL, " NO_PERSON " FROM org_groups r "
         "JOIN units un ON un.id = r.unit_id LEFT JOIN units ou ON ou.id = r.office_unit_id ",
         "NULL", "r.established_on", "NULL", "NULL", "r.id", "unit_id", NULL, NULL, NULL, NULL,
         group_fields, group_fields},
    [REG_MEMBER] =
        {"group_member", "小组成员", "group_members",
         "SELECT r.id, r.person_id, g.unit_id, NULL, NULL, NULL, NULL, r.from_on, r.to_on, NULL, "
         "g.name, r.position, NULL, un.path, un.code, un.name, NULL, r.created_at_ms, "
         "r.updated_at_ms, r.group_id, " PEOPLE_COLUMNS " FROM group_members r "
         "JOIN org_groups g ON g.id = r.group_id" WITH_PERSON "JOIN units un ON un.id = g.unit_id ",
         "r.person_id", "r.from_on", "r.to_on", "r.group_id",
         "CASE r.position WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, r.from_on, r.id",
         NULL, "from", "to", "任职起始日期", "任职截止日期", member_create, member_update},
};

/* A row of any register, read from the common columns. */
struct reg_row {
    int64_t id, person_id, unit_id, office_unit_id, group_id;
    const char *number, *authority, *field, *from, *to, *firm, *name, *position, *established_on;
    const char *unit_path, *unit_code, *unit_name, *office_name;
    int64_t created_at_ms, updated_at_ms;
    struct person person;
};

static const char *col_text(struct store_stmt *st, int col, struct arena *a)
{
    return arena_strdup(a, store_col_text(st, col));
}

static void row_read(struct store_stmt *st, struct arena *a, struct reg_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = store_col_int(st, REG_ID);
    r->person_id = store_col_int(st, REG_PERSON_ID);
    r->unit_id = store_col_int(st, REG_UNIT_ID);
    r->office_unit_id = store_col_int(st, REG_OFFICE_ID);
    r->number = col_text(st, REG_NUMBER, a);
    r->authority = col_text(st, REG_AUTHORITY, a);
    r->field = col_text(st, REG_FIELD, a);
    r->from = col_text(st, REG_FROM, a);
    r->to = col_text(st, REG_TO, a);
    r->firm = col_text(st, REG_FIRM, a);
    r->name = col_text(st, REG_NAME, a);
    r->position = col_text(st, REG_POSITION, a);
    r->established_on = col_text(st, REG_ESTABLISHED, a);
    r->unit_path = col_text(st, REG_UNIT_PATH, a);
    r->unit_code = col_text(st, REG_UNIT_CODE, a);
    r->unit_name = col_text(st, REG_UNIT_NAME, a);
    r->office_name = col_text(st, REG_OFFICE_NAME, a);
    r->created_at_ms = store_col_int(st, REG_CREATED);
    r->updated_at_ms = store_col_int(st, REG_UPDATED);
    r->group_id = store_col_int(st, REG_GROUP_ID);
    if (!store_col_is_null(st, REG_PERSON))
        people_from_row(st, REG_PERSON, a, &r->person);
}

/* ================================================================
 * JSON
 * ================================================================ */

static const struct {
    const char *code, *label;
} positions[] = {{"leader", "组长"}, {"deputy", "副组长"}, {"member", "成员"}};

const char *org_group_position_label(const char *position)
{
    for (size_t i = 0; i < ARRAY_SIZE(positions); i++)
        if (position && strcmp(positions[i].code, position) == 0)
            return positions[i].label;
    return "";
}

static json_t *unit_ref(int64_t id, const char *code, const char *name)
{
    return json_pack("{s:I, s:o, s:o}", "id", (json_int_t)id, "code", json_text_or_null(code),
                     "name", json_text_or_null(name));
}

/* A certificate is "expiring soon" on 'ref' when valid that day and ending
 * within ORG_EXPIRING_DAYS after it. */
static bool expiring_soon(const struct reg_row *r, const char *ref)
{
    char limit[TIME_DATE_LEN];

    org_date_add(ref, ORG_EXPIRING_DAYS, limit);
    return strcmp(r->from, ref) <= 0 && strcmp(r->to, ref) >= 0 && strcmp(r->to, limit) <= 0;
}

/* The row as JSON for 'viewer' (NULL: the audit log; numbers masked);
 * certificate flags are relative to local date 'ref'. */
static json_t *row_json(enum register_kind kind, const struct reg_row *r,
                        const struct principal *viewer, const char *ref)
{
    json_t *o = json_object();
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];

    json_object_set_new(o, "id", json_integer(r->id));
    if (kind != REG_GROUP)
        json_object_set_new(o, "person", org_person_json(&r->person, viewer));
    switch (kind) {
    case REG_CERTIFICATE:
        json_object_set_new(o, "number", json_text_or_null(r->number));
        json_object_set_new(o, "authority", json_text_or_null(r->authority));
        json_object_set_new(o, "field", json_text_or_null(r->field));
        json_object_set_new(o, "valid_from", json_text_or_null(r->from));
        json_object_set_new(o, "valid_to", json_text_or_null(r->to));
        json_object_set_new(o, "expired", json_boolean(strcmp(r->to, ref) < 0));
        json_object_set_new(o, "expiring_soon", json_boolean(expiring_soon(r, ref)));
        break;
    case REG_LEGAL_LITERATE:
        json_object_set_new(o, "community", unit_ref(r->unit_id, r->unit_code, r->unit_name));
        json_object_set_new(o, "trained_on", json_text_or_null(r->from));
        break;
    case REG_MEDIATOR:
        json_object_set_new(o, "committee", unit_ref(r->unit_id, r->unit_code, r->unit_name));
        json_object_set_new(o, "from", json_text_or_null(r->from));
        json_object_set_new(o, "to", json_text_or_null(r->to));
        break;
    case REG_ADVISER:
        json_object_set_new(o, "unit", unit_ref(r->unit_id, r->unit_code, r->unit_name));
        json_object_set_new(o, "firm", json_text_or_null(r->firm));
        json_object_set_new(o, "contract_from", json_text_or_null(r->from));
        json_object_set_new(o, "contract_to", json_text_or_null(r->to));
        break;
    case REG_GROUP:
        json_object_set_new(o, "name", json_text_or_null(r->name));
        json_object_set_new(o, "unit", unit_ref(r->unit_id, r->unit_code, r->unit_name));
        json_object_set_new(o, "office",
                            r->office_unit_id
                                ? json_pack("{s:I, s:o}", "id", (json_int_t)r->office_unit_id,
                                            "name", json_text_or_null(r->office_name))
                                : json_null());
        json_object_set_new(o, "established_on", json_text_or_null(r->established_on));
        break;
    case REG_MEMBER:
        json_object_set_new(o, "group",
                            json_pack("{s:I, s:o}", "id", (json_int_t)r->group_id, "name",
                                      json_text_or_null(r->name)));
        json_object_set_new(o, "position", json_text_or_null(r->position));
        json_object_set_new(o, "position_label",
                            json_string(org_group_position_label(r->position)));
        json_object_set_new(o, "from", json_text_or_null(r->from));
        json_object_set_new(o, "to", json_text_or_null(r->to));
        break;
    }
    time_format_instant(r->created_at_ms, created, sizeof(created));
    time_format_instant(r->updated_at_ms, updated, sizeof(updated));
    json_object_set_new(o, "created_at", json_string(created));
    json_object_set_new(o, "updated_at", json_string(updated));
    return o;
}

/* ================================================================
 * Parsing a request body
 * ================================================================ */

static bool has(json_t *body, const char *key)
{
    return key && json_object_get(body, key) != NULL;
}

/* A text member: set when present; null reads as NULL (clears). */
static int text_member(json_t *body, const char *key, size_t max, bool *set, const char **out,
                       struct err_ctx *ec)
{
    if (!has(body, key))
        return 0;
    *set = true;
    return json_field_text(body, key, false, max, out, ec);
}

static int id_member(json_t *body, const char *key, bool *set, int64_t *out, struct err_ctx *ec)
{
    if (!has(body, key))
        return 0;
    *set = true;
    *out = 0;
    return json_field_int(body, key, false, 1, INT64_MAX, out, NULL, ec);
}

int registers_parse(enum register_kind kind, json_t *body, bool create, struct register_input *in,
                    struct err_ctx *ec)
{
    const struct reg_kind *k = &kinds[kind];
    int rc;

    memset(in, 0, sizeof(*in));
    if ((rc = json_fields_allowed(body, create ? k->create_fields : k->update_fields, ec)) < 0 ||
        (rc = id_member(body, "person_id", &in->set_person, &in->person_id, ec)) < 0 ||
        (rc = id_member(body, k->unit_field, &in->set_unit, &in->unit_id, ec)) < 0 ||
        (rc = id_member(body, "office_unit_id", &in->set_office, &in->office_unit_id, ec)) < 0 ||
        (rc = text_member(body, "number", 50, &in->set_number, &in->number, ec)) < 0 ||
        (rc = text_member(body, "authority", 100, &in->set_authority, &in->authority, ec)) < 0 ||
        (rc = text_member(body, "field", 50, &in->set_field, &in->field, ec)) < 0 ||
        (rc = text_member(body, k->from_field, 32, &in->set_from, &in->from, ec)) < 0 ||
        (rc = text_member(body, k->to_field, 32, &in->set_to, &in->to, ec)) < 0 ||
        (rc = text_member(body, "firm", 100, &in->set_firm, &in->firm, ec)) < 0 ||
        (rc = text_member(body, "name", 100, &in->set_name, &in->name, ec)) < 0 ||
        (rc = text_member(body, "position", 16, &in->set_position, &in->position, ec)) < 0 ||
        (rc = text_member(body, "established_on", 32, &in->set_established, &in->established_on,
                          ec)) < 0)
        return rc;
    return 0;
}

/* ================================================================
 * Reading rows
 * ================================================================ */

/* Row 'id' of 'kind' whatever the scope; ERR_NOT_FOUND naming "id". */
static int row_get(struct store_conn *c, struct arena *a, enum register_kind kind, int64_t id,
                   struct reg_row *out, struct err_ctx *ec)
{
    const struct reg_kind *k = &kinds[kind];
    struct store_stmt *st;
    int rc;

    rc = store_query(c, &st, ec,
                     arena_printf(a, "%sWHERE r.id = $1 AND r.deleted_at_ms IS NULL", k->select),
                     "i", id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        row_read(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "id", "%s不存在", k->label);
    }
    store_done(st);
    return rc;
}

/* Row 'id' for p: out of scope reads as absent. */
static int row_in_scope(struct store_conn *c, struct arena *a, const struct principal *p,
                        enum register_kind kind, int64_t id, struct reg_row *out,
                        struct err_ctx *ec)
{
    int rc = row_get(c, a, kind, id, out, ec);

    if (rc == 0 && !access_in_scope(p, out->unit_path))
        return err_set(ec, ERR_NOT_FOUND, "id", "%s不存在", kinds[kind].label);
    return rc;
}

/* The path of the filter's unit, or p's own: a filter unit outside scope is
 * ERR_INVALID naming "unit". */
static int filter_path(struct store_conn *c, struct arena *a, const struct principal *p,
                       int64_t unit_id, const char **path, struct err_ctx *ec)
{
    struct unit u;
    int rc;

    *path = p->unit_path;
    if (!unit_id)
        return 0;
    rc = org_unit_get(c, a, unit_id, &u, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, u.path))) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "unit", "单位不存在或不在您的管辖范围内");
    }
    if (rc == 0)
        *path = u.path;
    return rc;
}

int registers_get(struct store_conn *c, struct arena *a, const struct principal *p,
                  enum register_kind kind, int64_t id, json_t **out, struct err_ctx *ec)
{
    struct reg_row r;
    char today[TIME_DATE_LEN];
    int rc;

    if ((rc = row_in_scope(c, a, p, kind, id, &r, ec)) < 0)
        return rc;
    org_today(today);
    *out = row_json(kind, &r, p, today);
    if (kind == REG_GROUP) {
        json_t *members;
        rc = registers_list(c, a, p, REG_MEMBER, &(struct register_filter){.group_id = id},
                            &members, NULL, ec);
        if (rc < 0) {
            json_decref(*out);
            *out = NULL;
            return rc;
        }
        json_object_set_new(*out, "members", members);
    }
    return 0;
}

int registers_list(struct store_conn *c, struct arena *a, const struct principal *p,
                   enum register_kind kind, const struct register_filter *f, json_t **out,
                   bool *more, struct err_ctx *ec)
{
    const struct reg_kind *k = &kinds[kind];
    struct store_stmt *st;
    struct reg_row r;
    const char *path, *sql;
    char upper[UNIT_PATH_MAX + 2], today[TIME_DATE_LEN], year_from[24] = "", year_to[24] = "";
    int64_t limit;
    int rc;

    if ((rc = filter_path(c, a, p, f->unit_id, &path, ec)) < 0)
        return rc;
    org_path_upper(path, upper, sizeof(upper));
    if (f->year) {
        snprintf(year_from, sizeof(year_from), "%04d-01-01", f->year);
        snprintf(year_to, sizeof(year_to), "%04d-01-01", f->year + 1);
    }
    /* One text per register (the statement cache keys on it); the filters
     * not in use bind 0 or ''. */
    sql = arena_printf(a,
                       "%sWHERE r.deleted_at_ms IS NULL AND un.path >= $1 AND un.path < $2 "
                       "AND ($3 = 0 OR %s = $3) AND ($4 = 0 OR %s = $4) "
                       "AND ($5 = '' OR (%s <= $5 AND (%s IS NULL OR %s >= $5))) "
                       "AND ($6 = '' OR (%s >= $6 AND %s < $7)) AND r.id > $8 "
                       "ORDER BY %s LIMIT $9",
                       k->select, k->person_col, k->group_col, k->from_col, k->to_col, k->to_col,
                       k->from_col, k->from_col, k->order);
    /* One row more than asked tells whether there is a next page. */
    limit = f->limit > 0 ? f->limit + 1 : INT64_MAX;
    rc = store_query(c, &st, ec, sql,
                     "ttiittt"
                     "ii",
                     path, upper, f->person_id, f->group_id, f->active_on ? f->active_on : "",
                     year_from, year_to, f->after_id, limit);
    if (rc < 0)
        return rc;
    org_today(today);
    *out = json_array();
    if (more)
        *more = false;
    while ((rc = store_step(st, ec)) == 1) {
        if (f->limit > 0 && (int64_t)json_array_size(*out) == f->limit) {
            if (more)
                *more = true;
            continue;
        }
        row_read(st, a, &r);
        json_array_append_new(*out, row_json(kind, &r, p, f->active_on ? f->active_on : today));
    }
    store_done(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

int registers_officers(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct register_filter *f, json_t **out, struct err_ctx *ec)
{
    struct store_stmt *st;
    struct reg_row r;
    const char *path;
    char upper[UNIT_PATH_MAX + 2];
    json_t *officer = NULL, *certs = NULL;
    int64_t last = 0;
    int rc;

    if ((rc = filter_path(c, a, p, f->unit_id, &path, ec)) < 0)
        return rc;
    org_path_upper(path, upper, sizeof(upper));
    rc = store_query(c, &st, ec,
                     arena_printf(a,
                                  "%sWHERE r.deleted_at_ms IS NULL AND pu.path >= $1 "
                                  "AND pu.path < $2 AND r.valid_from <= $3 AND r.valid_to >= $3 "
                                  "ORDER BY pe.id, r.valid_to, r.id",
                                  kinds[REG_CERTIFICATE].select),
                     "ttt", path, upper, f->active_on);
    if (rc < 0)
        return rc;
    *out = json_array();
    while ((rc = store_step(st, ec)) == 1) {
        json_t *cert;
        row_read(st, a, &r);
        if (r.person_id != last) {
            officer = org_person_json(&r.person, p);
            certs = json_array();
            json_object_set_new(officer, "certificates", certs);
            json_object_set_new(officer, "expiring_soon", json_false());
            json_array_append_new(*out, officer);
            last = r.person_id;
        }
        cert = row_json(REG_CERTIFICATE, &r, p, f->active_on);
        json_object_del(cert, "person"); /* it is the item itself */
        /* The person is flagged when any certificate is: each is a renewal
         * to prepare. */
        if (json_is_true(json_object_get(cert, "expiring_soon")))
            json_object_set_new(officer, "expiring_soon", json_true());
        json_array_append_new(certs, cert);
    }
    store_done(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ================================================================
 * Writing rows
 * ================================================================ */

/* The person a row names: it must exist and be in p's scope (422 naming
 * person_id otherwise). */
static int row_person(struct store_conn *c, struct arena *a, const struct principal *p,
                      int64_t person_id, struct person *out, struct err_ctx *ec)
{
    int rc = org_person_get(c, a, person_id, out, ec);

    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, out->unit_path))) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "person_id", "人员不存在或不在您的管辖范围内");
    }
    return rc;
}

static int require_date(const char *s, const char *field, const char *label, struct err_ctx *ec)
{
    if (!s)
        return err_set(ec, ERR_INVALID, field, "缺少%s", label);
    return org_check_date(s, field, ec);
}

/*
 * Applies 'in' to the merged row 'm' (empty for a create) and checks the
 * result: every member the register requires is present and valid, the
 * units and the person named anew are in p's scope. Units and people
 * already on the row are not checked again, so a row of a unit closed
 * since stays editable.
 */
static int row_apply(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, const struct register_input *in, struct reg_row *m,
                     struct err_ctx *ec)
{
    const struct reg_kind *k = &kinds[kind];
    char today[TIME_DATE_LEN];
    struct unit u;
    int rc;

    if (in->set_group) {
        struct group g;
        rc = org_group_get(c, a, in->group_id, &g, ec);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, g.unit_path))) {
            err_clear(ec);
            return err_set(ec, ERR_NOT_FOUND, "id", "小组不存在");
        }
        if (rc < 0)
            return rc;
        m->group_id = g.id;
        m->unit_id = g.unit_id;
        m->unit_path = g.unit_path;
    }
    if (in->set_person) {
        if ((rc = row_person(c, a, p, in->person_id, &m->person, ec)) < 0)
            return rc;
        m->person_id = m->person.id;
        if (kind == REG_CERTIFICATE) {
            m->unit_id = m->person.unit_id;
            m->unit_path = m->person.unit_path;
        }
    }
    if (kind != REG_GROUP && !m->person_id)
        return err_set(ec, ERR_INVALID, "person_id", "缺少必填项");
    if (k->unit_field) {
        if (in->set_unit) {
            if ((rc = org_placement_unit(c, a, p, in->unit_id, k->unit_field, &u, ec)) < 0)
                return rc;
            if (kind == REG_LEGAL_LITERATE && strcmp(u.type, "community") != 0 &&
                strcmp(u.type, "village") != 0)
                return err_set(ec, ERR_INVALID, k->unit_field, "应为社区或村");
            m->unit_id = u.id;
            m->unit_path = u.path;
        } else if (!m->unit_id && kind == REG_ADVISER) {
            /* An adviser serves the person's own unit unless told otherwise. */
            m->unit_id = m->person.unit_id;
            m->unit_path = m->person.unit_path;
        }
        if (!m->unit_id)
            return err_set(ec, ERR_INVALID, k->unit_field, "缺少必填项");
    }
    if (in->set_office) {
        if ((rc = org_placement_unit(c, a, p, in->office_unit_id, "office_unit_id", &u, ec)) < 0)
            return rc;
        m->office_unit_id = u.id;
    }

    if (in->set_number)
        m->number = in->number;
    if (in->set_authority)
        m->authority = in->authority;
    if (in->set_field)
        m->field = in->field;
    if (in->set_firm)
        m->firm = in->firm;
    if (in->set_name)
        m->name = in->name;
    if (in->set_position)
        m->position = in->position;
    if (in->set_from)
        m->from = in->from;
    if (in->set_to)
        m->to = in->to;
    if (in->set_established)
        m->established_on = in->established_on;

    switch (kind) {
    case REG_CERTIFICATE:
        if ((rc = org_check_text(m->number, 50, "number", "证件编号", ec)) < 0 ||
            (rc = org_check_text(m->authority, 100, "authority", "发证机关", ec)) < 0 ||
            (rc = org_check_text(m->field, 50, "field", "执法领域", ec)) < 0)
            return rc;
        break;
    case REG_ADVISER:
        if ((rc = org_check_text(m->firm, 100, "firm", "律师事务所", ec)) < 0)
            return rc;
        break;
    case REG_GROUP:
        if ((rc = org_check_text(m->name, 100, "name", "小组名称", ec)) < 0)
            return rc;
        if (m->established_on && (rc = org_check_date(m->established_on, "established_on", ec)) < 0)
            return rc;
        break;
    case REG_MEMBER:
        if (!m->position || !*org_group_position_label(m->position))
            return err_set(ec, ERR_INVALID, "position",
                           "职务应为 leader（组长）、deputy（副组长）或 member（成员）");
        break;
    case REG_LEGAL_LITERATE:
    case REG_MEDIATOR:
        break;
    }
    if (k->from_field && (rc = require_date(m->from, k->from_field, k->from_label, ec)) < 0)
        return rc;
    if (kind == REG_LEGAL_LITERATE) {
        org_today(today);
        if (strcmp(m->from, today) > 0)
            return err_set(ec, ERR_INVALID, "trained_on", "培训日期不能晚于今天");
    }
    if (k->to_field) {
        /* A mediator or a member serves until further notice; a
         * certificate and a contract always end. */
        bool required = kind == REG_CERTIFICATE || kind == REG_ADVISER;
        if (required || m->to) {
            if ((rc = require_date(m->to, k->to_field, k->to_label, ec)) < 0)
                return rc;
            if (strcmp(m->from, m->to) > 0)
                return err_set(ec, ERR_INVALID, k->to_field, "%s不能早于%s", k->to_label,
                               k->from_label);
        }
    }
    return 0;
}

/* The unique indexes' conflicts, named by the member at fault. */
static int row_conflict(enum register_kind kind, struct err_ctx *ec)
{
    err_clear(ec);
    switch (kind) {
    case REG_CERTIFICATE:
        return err_set(ec, ERR_CONFLICT, "number", "该发证机关的此证件编号已登记");
    case REG_LEGAL_LITERATE:
        return err_set(ec, ERR_CONFLICT, "person_id", "该人员已登记为法律明白人");
    case REG_GROUP:
        return err_set(ec, ERR_CONFLICT, "name", "该单位已有同名小组");
    case REG_MEDIATOR:
    case REG_ADVISER:
    case REG_MEMBER:
        break;
    }
    return err_set(ec, ERR_CONFLICT, NULL, "记录已存在");
}

static int row_insert(struct store_conn *c, enum register_kind kind, const struct reg_row *m,
                      int64_t now, int64_t *id, struct err_ctx *ec)
{
    switch (kind) {
    case REG_CERTIFICATE:
        return store_query_int(c, id, ec,
                               "INSERT INTO certificates (person_id, number, authority, field, "
                               "valid_from, valid_to, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                               "ittttti", m->person_id, m->number, m->authority, m->field, m->from,
                               m->to, now);
    case REG_LEGAL_LITERATE:
        return store_query_int(c, id, ec,
                               "INSERT INTO legal_literates (person_id, community_unit_id, "
                               "trained_on, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $4) RETURNING id",
                               "iiti", m->person_id, m->unit_id, m->from, now);
    case REG_MEDIATOR:
        return store_query_int(c, id, ec,
                               "INSERT INTO mediators (person_id, committee_unit_id, from_on, "
                               "to_on, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                               "iitti", m->person_id, m->unit_id, m->from, m->to, now);
    case REG_ADVISER:
        return store_query_int(c, id, ec,
                               "INSERT INTO advisers (person_id, unit_id, firm, contract_from, "
                               "contract_to, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                               "iittti", m->person_id, m->unit_id, m->firm, m->from, m->to, now);
    case REG_GROUP:
        if (m->office_unit_id)
            return store_query_int(c, id, ec,
                                   "INSERT INTO org_groups (unit_id, office_unit_id, name, "
                                   "established_on, created_at_ms, updated_at_ms) "
                                   "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                                   "iitti", m->unit_id, m->office_unit_id, m->name,
                                   m->established_on, now);
        return store_query_int(c, id, ec,
                               "INSERT INTO org_groups (unit_id, office_unit_id, name, "
                               "established_on, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                               "intti", m->unit_id, m->name, m->established_on, now);
    case REG_MEMBER:
        return store_query_int(c, id, ec,
                               "INSERT INTO group_members (group_id, person_id, position, "
                               "from_on, to_on, created_at_ms, updated_at_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                               "iittti", m->group_id, m->person_id, m->position, m->from, m->to,
                               now);
    }
    return err_set(ec, ERR_INTERNAL, NULL, "未知登记类型");
}

static int row_update(struct store_conn *c, enum register_kind kind, const struct reg_row *m,
                      int64_t now, struct err_ctx *ec)
{
    switch (kind) {
    case REG_CERTIFICATE:
        return store_exec(c, ec,
                          "UPDATE certificates SET number = $1, authority = $2, field = $3, "
                          "valid_from = $4, valid_to = $5, updated_at_ms = $6 WHERE id = $7",
                          "tttttii", m->number, m->authority, m->field, m->from, m->to, now, m->id);
    case REG_LEGAL_LITERATE:
        return store_exec(c, ec,
                          "UPDATE legal_literates SET community_unit_id = $1, trained_on = $2, "
                          "updated_at_ms = $3 WHERE id = $4",
                          "itii", m->unit_id, m->from, now, m->id);
    case REG_MEDIATOR:
        return store_exec(c, ec,
                          "UPDATE mediators SET committee_unit_id = $1, from_on = $2, to_on = $3, "
                          "updated_at_ms = $4 WHERE id = $5",
                          "ittii", m->unit_id, m->from, m->to, now, m->id);
    case REG_ADVISER:
        return store_exec(c, ec,
                          "UPDATE advisers SET unit_id = $1, firm = $2, contract_from = $3, "
                          "contract_to = $4, updated_at_ms = $5 WHERE id = $6",
                          "itttii", m->unit_id, m->firm, m->from, m->to, now, m->id);
    case REG_GROUP:
        if (m->office_unit_id)
            return store_exec(c, ec,
                              "UPDATE org_groups SET unit_id = $1, office_unit_id = $2, name = $3, "
                              "established_on = $4, updated_at_ms = $5 WHERE id = $6",
                              "iittii", m->unit_id, m->office_unit_id, m->name, m->established_on,
                              now, m->id);
        return store_exec(c, ec,
                          "UPDATE org_groups SET unit_id = $1, office_unit_id = $2, name = $3, "
                          "established_on = $4, updated_at_ms = $5 WHERE id = $6",
                          "inttii", m->unit_id, m->name, m->established_on, now, m->id);
    case REG_MEMBER:
        return store_exec(c, ec,
                          "UPDATE group_members SET position = $1, from_on = $2, to_on = $3, "
                          "updated_at_ms = $4 WHERE id = $5",
                          "tttii", m->position, m->from, m->to, now, m->id);
    }
    return err_set(ec, ERR_INTERNAL, NULL, "未知登记类型");
}

int registers_create(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, const struct register_input *in, int64_t *id,
                     struct err_ctx *ec)
{
    struct reg_row m = {0}, created;
    char today[TIME_DATE_LEN];
    int64_t now = time_now_ms();
    int rc;

    if ((rc = access_require(p, ORG_WRITE_ROLES, NULL, ec)) < 0)
        return rc;
    if ((rc = row_apply(c, a, p, kind, in, &m, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ORG_WRITE_ROLES, m.unit_path, ec)) < 0)
        return rc;
    rc = row_insert(c, kind, &m, now, id, ec);
    if (rc == ERR_CONFLICT)
        return row_conflict(kind, ec);
    if (rc < 0)
        return rc;
    if ((rc = row_get(c, a, kind, *id, &created, ec)) < 0)
        return rc;
    org_today(today);
    return org_audit(c, a, p, "create", kinds[kind].entity, *id, created.unit_id, NULL,
                     row_json(kind, &created, NULL, today), ec);
}

int registers_update(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, int64_t id, const struct register_input *in,
                     struct err_ctx *ec)
{
    struct reg_row before, m, after;
    char today[TIME_DATE_LEN];
    int rc;

    if ((rc = row_in_scope(c, a, p, kind, id, &before, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ORG_WRITE_ROLES, before.unit_path, ec)) < 0)
        return rc;
    m = before;
    if ((rc = row_apply(c, a, p, kind, in, &m, ec)) < 0)
        return rc;
    rc = row_update(c, kind, &m, time_now_ms(), ec);
    if (rc == ERR_CONFLICT)
        return row_conflict(kind, ec);
    if (rc < 0)
        return rc;
    if ((rc = row_get(c, a, kind, id, &after, ec)) < 0)
        return rc;
    org_today(today);
    return org_audit(c, a, p, "update", kinds[kind].entity, id, after.unit_id,
                     row_json(kind, &before, NULL, today), row_json(kind, &after, NULL, today), ec);
}

int registers_delete(struct store_conn *c, struct arena *a, const struct principal *p,
                     enum register_kind kind, int64_t id, struct err_ctx *ec)
{
    struct reg_row before;
    char today[TIME_DATE_LEN];
    int64_t members, now = time_now_ms();
    int rc;

    if ((rc = row_in_scope(c, a, p, kind, id, &before, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ORG_WRITE_ROLES, before.unit_path, ec)) < 0)
        return rc;
    if (kind == REG_GROUP) {
        rc = store_query_int(c, &members, ec,
                             "SELECT COUNT(*) FROM group_members "
                             "WHERE group_id = $1 AND deleted_at_ms IS NULL",
                             "i", id);
        if (rc < 0)
            return rc;
        if (members > 0)
            return err_set(ec, ERR_CONFLICT, "id", "该小组还有 %lld 名成员，请先删除成员",
                           (long long)members);
    }
    rc = store_exec(c, ec,
                    arena_printf(a,
                                 "UPDATE %s SET deleted_at_ms = $1, updated_at_ms = $1 "
                                 "WHERE id = $2",
                                 kinds[kind].table),
                    "ii", now, id);
    if (rc < 0)
        return rc;
    org_today(today);
    return org_audit(c, a, p, "delete", kinds[kind].entity, id, before.unit_id,
                     row_json(kind, &before, NULL, today), NULL, ec);
}

/* ================================================================
 * For other modules (org.h)
 * ================================================================ */

int org_person_certified_on(struct store_conn *c, int64_t person_id, const char *date, bool *out,
                            struct err_ctx *ec)
{
    int64_t n;
    int rc = store_query_int(c, &n, ec,
                             "SELECT COUNT(*) FROM certificates WHERE person_id = $1 "
                             "AND deleted_at_ms IS NULL AND valid_from <= $2 AND valid_to >= $2",
                             "it", person_id, date);
    if (rc == 0)
        *out = n > 0;
    return rc;
}

int org_group_get(struct store_conn *c, struct arena *a, int64_t id, struct group *out,
                  struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    rc = store_query(c, &st, ec,
                     "SELECT g.id, g.unit_id, un.path, g.office_unit_id, g.name, g.established_on, "
                     "g.created_at_ms, g.updated_at_ms FROM org_groups g "
                     "JOIN units un ON un.id = g.unit_id "
                     "WHERE g.id = $1 AND g.deleted_at_ms IS NULL",
                     "i", id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        out->id = store_col_int(st, 0);
        out->unit_id = store_col_int(st, 1);
        out->unit_path = arena_strdup(a, store_col_text(st, 2));
        out->office_unit_id = store_col_int(st, 3);
        out->name = arena_strdup(a, store_col_text(st, 4));
        out->established_on = arena_strdup(a, store_col_text(st, 5));
        out->created_at_ms = store_col_int(st, 6);
        out->updated_at_ms = store_col_int(st, 7);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "group_id", "小组不存在");
    }
    store_done(st);
    return rc;
}

int org_group_members_on(struct store_conn *c, struct arena *a, int64_t group_id, const char *date,
                         struct group_member **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    struct group_member *list;
    size_t cap = 16, count = 0;
    int rc;

    rc = store_query(c, &st, ec,
                     "SELECT r.id, r.group_id, r.person_id, pe.name, r.position, r.from_on, "
                     "r.to_on FROM group_members r JOIN people pe ON pe.id = r.person_id "
                     "WHERE r.group_id = $1 AND r.deleted_at_ms IS NULL AND r.from_on <= $2 "
                     "AND (r.to_on IS NULL OR r.to_on >= $2) ORDER BY "
                     "CASE r.position WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, "
                     "r.from_on, r.id",
                     "it", group_id, date);
    if (rc < 0)
        return rc;
    list = arena_calloc(a, cap, sizeof(*list));
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            struct group_member *bigger = arena_calloc(a, 2 * cap, sizeof(*list));
            memcpy(bigger, list, cap * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        list[count++] = (struct group_member){
            store_col_int(st, 0),
            store_col_int(st, 1),
            store_col_int(st, 2),
            arena_strdup(a, store_col_text(st, 3)),
            arena_strdup(a, store_col_text(st, 4)),
            arena_strdup(a, store_col_text(st, 5)),
            arena_strdup(a, store_col_text(st, 6)),
        };
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

int org_group_leading(struct store_conn *c, struct arena *a, int64_t unit_id, const char *date,
                      struct group *g, struct group_member **items, size_t *n, struct err_ctx *ec)
{
    int64_t id;
    int rc;

    rc = store_query_int(c, &id, ec,
                         "SELECT id FROM org_groups WHERE unit_id = $1 AND deleted_at_ms IS NULL"
                         " AND name LIKE '%领导小组' ORDER BY id LIMIT 1",
                         "i", unit_id);
    if (rc < 0 || (rc = org_group_get(c, a, id, g, ec)) < 0)
        return rc;
    return org_group_members_on(c, a, id, date, items, n, ec);
}
