/*
 * matter.c - resident matters: the workflow table, the catalog, tracking
 * codes, submission, the staff's and the resident's actions, reading and
 * listing. See matter.h.
 */
#include "core/compat.h"
#include "modules/matter/matter.h"

#include <ctype.h>
#include <math.h>
#include <sodium.h>

#include "core/arena.h"
#include "core/checksum.h"
#include "core/embedded.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/cases/cases.h"
#include "store/store.h"

/* ================================================================
 * The workflow
 * ================================================================ */

static const struct case_state states[] = {
    {"submitted", "已提交", false},   {"accepted", "已受理", false},
    {"rejected", "不予受理", true},   {"assigned", "已分派", false},
    {"in_progress", "办理中", false}, {"resolved", "已办结", false},
    {"closed", "已评价", true},       {NULL, NULL, false},
};

static const char *const need_reason[] = {"reason", NULL};
static const char *const need_unit[] = {"unit_id", NULL};
static const char *const need_reply[] = {"reply", NULL};
static const char *const need_rating[] = {"rating", NULL};

#define STAFF MATTER_STAFF_ROLES

static const struct case_transition transitions[] = {
    {"submit", "提交", NULL, "submitted", 0, NULL, false, NULL},
    {"accept", "受理", "submitted", "accepted", STAFF, NULL, false, NULL},
    {"reject", "不予受理", "submitted", "rejected", STAFF, need_reason, false, NULL},
    {"assign", "分派", "accepted", "assigned", STAFF, need_unit, false, "unit_id"},
    {"assign", "分派", "assigned", "assigned", STAFF, need_unit, false, "unit_id"},
    {"start", "开始办理", "assigned", "in_progress", STAFF, NULL, false, NULL},
    {"resolve", "办结答复", "in_progress", "resolved", STAFF, need_reply, false, NULL},
    {"rate", "评价", "resolved", "closed", 0, need_rating, false, NULL},
    {"reopen", "重新办理", "resolved", "in_progress", 0, need_reason, false, NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, false, NULL},
};

static const char *const deadline_stops[] = {"resolved", "rejected", "closed", NULL};

/* The type's working days, fixed in the case's data when it is submitted. */
static const struct case_deadline deadlines[] = {
    {.start = "submit",
     .days = 5,
     .days_field = "deadline_days",
     .kind = CASE_WORKING_DAYS,
     .stops = deadline_stops},
    {.start = "reopen",
     .days = 5,
     .days_field = "deadline_days",
     .kind = CASE_WORKING_DAYS,
     .stops = deadline_stops},
    {.start = NULL},
};

const struct case_type matter_case_type = {
    .code = "matter",
    .name = "居民反映事项",
    .states = states,
    .transitions = transitions,
    .deadlines = deadlines,
};

const char *matter_state_label(const char *state)
{
    const struct case_state *s = case_state_find(&matter_case_type, state);
    return s ? s->label : state;
}

const char *matter_transition_label(const char *transition)
{
    const struct case_transition *x = case_transition_find(&matter_case_type, transition);
    return x ? x->label : transition;
}

const char *const *matter_actions(const char *state)
{
    static const char *const from_submitted[] = {"accept", "reject", NULL};
    static const char *const from_accepted[] = {"assign", NULL};
    static const char *const from_assigned[] = {"start", "assign", NULL};
    static const char *const from_in_progress[] = {"resolve", NULL};
    static const char *const none[] = {NULL};

    if (!state)
        return none;
    if (strcmp(state, "submitted") == 0)
        return from_submitted;
    if (strcmp(state, "accepted") == 0)
        return from_accepted;
    if (strcmp(state, "assigned") == 0)
        return from_assigned;
    if (strcmp(state, "in_progress") == 0)
        return from_in_progress;
    return none;
}

/* ================================================================
 * Tracking codes
 * ================================================================ */

/* Crockford's base32: no I, L, O, U. */
static const char code_digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void matter_code_new(char *out)
{
    unsigned char raw[5];
    uint64_t bits = 0;
    char d[8];

    randombytes_buf(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++)
        bits = bits << 8 | raw[i];
    for (int i = 7; i >= 0; i--, bits >>= 5)
        d[i] = code_digits[bits & 31];
    snprintf(out, MATTER_CODE_LEN, MATTER_CODE_PREFIX "-%.4s-%.4s", d, d + 4);
}

bool matter_code_normalize(const char *in, char *out)
{
    char d[8];
    size_t n = 0;
    const char *s = in ? in : "";

    while (*s == ' ' || *s == '\t')
        s++;
    if ((s[0] == 'C' || s[0] == 'c') && (s[1] == 'X' || s[1] == 'x'))
        s += 2;
    for (; *s; s++) {
        int ch = toupper((unsigned char)*s);
        const char *at;
        if (ch == '-' || ch == ' ' || ch == '\t')
            continue;
        if (ch == 'O')
            ch = '0';
        else if (ch == 'I' || ch == 'L')
            ch = '1';
        at = strchr(code_digits, ch);
        if (!at || ch == '\0' || n == sizeof(d))
            return false;
        d[n++] = (char)ch;
    }
    if (n != sizeof(d))
        return false;
    snprintf(out, MATTER_CODE_LEN, MATTER_CODE_PREFIX "-%.4s-%.4s", d, d + 4);
    return true;
}

/* ================================================================
 * The catalog
 * ================================================================ */

#define TYPE_COLS                                                                                  \
    "code, name, description, group_name, keywords, unit_code, deadline_days, fields, active, "    \
    "position, listed FROM matter_types "

static void read_type(struct store_stmt *st, struct arena *a, struct matter_type *t)
{
    t->code = arena_strdup(a, store_col_text(st, 0));
    t->name = arena_strdup(a, store_col_text(st, 1));
    t->description = arena_strdup(a, store_col_text(st, 2));
    t->group = arena_strdup(a, store_col_text(st, 3));
    t->keywords = arena_strdup(a, store_col_text(st, 4));
    t->unit_code = arena_strdup(a, store_col_text(st, 5));
    t->deadline_days = (int)store_col_int(st, 6);
    t->fields = arena_strdup(a, store_col_text(st, 7));
    t->active = store_col_int(st, 8) != 0;
    t->position = (int)store_col_int(st, 9);
    t->listed = store_col_int(st, 10) != 0;
}

int matter_types_list(struct store_conn *c, struct arena *a, bool active_only,
                      struct matter_type **out, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 16;
    int rc;

    *n = 0;
    *out = arena_calloc(a, cap, sizeof(**out));
    rc = store_query(c, &st, ec,
                     "SELECT " TYPE_COLS "WHERE active = 1 OR $1 = 0 ORDER BY position, code", "i",
                     (int64_t)active_only);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (*n == cap) {
            struct matter_type *bigger = arena_calloc(a, cap * 2, sizeof(*bigger));
            memcpy(bigger, *out, cap * sizeof(*bigger));
            *out = bigger;
            cap *= 2;
        }
        read_type(st, a, &(*out)[(*n)++]);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int matter_type_get(struct store_conn *c, struct arena *a, const char *code,
                    struct matter_type *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT " TYPE_COLS "WHERE code = $1", "t", code ? code : "");

    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        read_type(st, a, out);
    store_done(st);
    if (rc == 0)
        return err_set(ec, ERR_NOT_FOUND, "type", "事项类型不存在");
    return rc < 0 ? rc : 0;
}

static json_t *type_json(const struct matter_type *t)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:b}", "code", t->code, "name", t->name, "unit_code",
                     t->unit_code, "deadline_days", t->deadline_days, "active", t->active);
}

int matter_type_update(struct store_conn *c, struct arena *a, const struct principal *p,
                       const char *code, json_t *changes, struct matter_type *out,
                       struct err_ctx *ec)
{
    static const char *const allowed[] = {"unit_id", "deadline_days", "active", NULL};
    struct matter_type before;
    const char *unit_code;
    int64_t unit_id = 0, days;
    bool active, has_unit, has_days, has_active;
    json_t *b, *after;
    int rc;

    if ((rc = access_require_root_admin(p, "修改事项类型", ec)) < 0 ||
        (rc = matter_type_get(c, a, code, &before, ec)) < 0)
        return rc;
    if (!json_is_object(changes))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求内容应为 JSON 对象");
    if ((rc = json_fields_allowed(changes, allowed, ec)) < 0 ||
        (rc = json_field_int(changes, "unit_id", false, 1, INT64_MAX, &unit_id, &has_unit, ec)) <
            0 ||
        (rc = json_field_int(changes, "deadline_days", false, 1, 60, &days, &has_days, ec)) < 0 ||
        (rc = json_field_bool(changes, "active", false, &active, &has_active, ec)) < 0)
        return rc;
    unit_code = before.unit_code;
    if (has_unit) {
        struct store_stmt *st;
        unit_code = NULL;
        if ((rc = store_query(c, &st, ec,
                              "SELECT code FROM units WHERE id = $1 AND closed_on IS NULL", "i",
                              unit_id)) < 0)
            return rc;
        if ((rc = store_step(st, ec)) == 1)
            unit_code = arena_strdup(a, store_col_text(st, 0));
        store_done(st);
        if (rc < 0)
            return rc;
        if (!unit_code)
            return err_set(ec, ERR_INVALID, "unit_id", "单位不存在或已撤销");
    }
    *out = before;
    out->unit_code = unit_code;
    if (has_days)
        out->deadline_days = (int)days;
    if (has_active)
        out->active = active;
    rc = store_exec(c, ec,
                    "UPDATE matter_types SET unit_code = $1, deadline_days = $2, active = $3 "
                    "WHERE code = $4",
                    "tiit", out->unit_code, (int64_t)out->deadline_days, (int64_t)out->active,
                    before.code);
    if (rc < 0)
        return rc;
    b = type_json(&before);
    after = type_json(out);
    {
        char actor[ACTOR_MAX];
        access_actor(p, actor, sizeof(actor));
        rc = store_audit(c,
                         &(struct audit_rec){.actor = actor,
                                             .action = "update",
                                             .entity = "matter_type",
                                             .entity_id = before.code,
                                             .before = json_dump_arena(a, b),
                                             .after = json_dump_arena(a, after)},
                         ec);
    }
    json_decref(b);
    json_decref(after);
    return rc;
}

static const char *const field_datatypes[] = {
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* Checks one catalog entry; the message names the type. */
static int check_catalog_type(json_t *t, struct err_ctx *ec)
{
    const char *code = json_string_value(json_object_get(t, "code"));
    json_t *days = json_object_get(t, "deadline_days"), *fields = json_object_get(t, "fields");
    size_t i;
    json_t *f;

    if (!code || !*code || strlen(code) >= MATTER_TYPE_CODE_MAX ||
        !json_is_string(json_object_get(t, "name")))
        return err_set(ec, ERR_INTERNAL, NULL, "事项类型目录：类型缺少 code 或 name");
    if (!json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 60)
        return err_set(ec, ERR_INTERNAL, NULL, "事项类型目录：%s 的 deadline_days 应为 1-60", code);
    if (fields && !json_is_array(fields))
        return err_set(ec, ERR_INTERNAL, NULL, "事项类型目录：%s 的 fields 应为数组", code);
    json_array_foreach(fields, i, f)
    {
        const char *fc = json_string_value(json_object_get(f, "code"));
        const char *dt = json_string_value(json_object_get(f, "datatype"));
        if (!fc || !*fc || !in_list(field_datatypes, dt))
            return err_set(ec, ERR_INTERNAL, NULL, "事项类型目录：%s 的第 %zu 个字段定义有误", code,
                           i + 1);
    }
    return 0;
}

/* A text member, "" when absent. */
static const char *json_text_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

struct catalog_job {
    json_t *types;
    int64_t present; /* of the catalog's types, how many the database holds */
    int added;
};

static int catalog_count(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct catalog_job *j = arg;
    size_t i;
    json_t *t;

    json_array_foreach(j->types, i, t)
    {
        int64_t n;
        int rc = store_query_int(c, &n, ec, "SELECT COUNT(*) FROM matter_types WHERE code = $1",
                                 "t", json_text_of(t, "code"));
        if (rc < 0)
            return rc;
        j->present += n;
    }
    return 0;
}

static int catalog_write(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct catalog_job *j = arg;
    size_t i;
    json_t *t;

    json_array_foreach(j->types, i, t)
    {
        json_t *fields = json_object_get(t, "fields");
        char *fields_text = json_dumps(fields ? fields : json_array(), JSON_COMPACT);
        int rc;

#define TEXT(key) json_text_of(t, key)
        rc = store_exec(c, ec,
                        "INSERT INTO matter_types (code, name, description, group_name, keywords, "
                        "unit_code, deadline_days, fields, active, position, listed) "
                        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10 "
                        "WHERE NOT EXISTS (SELECT 1 FROM matter_types WHERE code = $1)",
                        "ttttttitii", TEXT("code"), TEXT("name"), TEXT("description"),
                        TEXT("group"), TEXT("keywords"), TEXT("unit"),
                        (int64_t)json_integer_value(json_object_get(t, "deadline_days")),
                        fields_text ? fields_text : "[]", (int64_t)(i + 1),
                        (int64_t)!json_is_false(json_object_get(t, "public")));
#undef TEXT
        free(fields_text);
        if (rc < 0)
            return rc;
        j->added += rc;
    }
    return 0;
}

int matter_start(struct store *s, struct err_ctx *ec)
{
    const struct embedded_file *f = embedded_file_find(MATTER_CATALOG_FILE);
    struct catalog_job j = {0};
    json_error_t jerr;
    json_t *root;
    size_t i;
    json_t *t;
    int rc = 0;

    if (!cases_type_find(matter_case_type.code) &&
        (rc = cases_type_register(&matter_case_type, ec)) < 0)
        return rc;
    if (!f)
        return err_set(ec, ERR_INTERNAL, NULL, "程序中缺少事项类型目录 conf/%s",
                       MATTER_CATALOG_FILE);
    root = json_loadb(f->data, f->len, 0, &jerr);
    j.types = json_object_get(root, "types");
    if (!json_is_array(j.types)) {
        json_decref(root);
        return err_set(ec, ERR_INTERNAL, NULL, "conf/%s 第 %d 行：%s", MATTER_CATALOG_FILE,
                       jerr.line, root ? "缺少 types 数组" : jerr.text);
    }
    json_array_foreach(j.types, i, t)
    {
        if ((rc = check_catalog_type(t, ec)) < 0)
            break;
    }
    /* Read first: most starts find every type in place and write nothing. */
    if (rc == 0)
        rc = store_read(s, catalog_count, &j, ec);
    if (rc == 0 && j.present < (int64_t)json_array_size(j.types))
        rc = store_write(s, catalog_write, &j, ec);
    if (rc == 0 && j.added > 0)
        log_info("matter: %d types loaded from the catalog", j.added);
    json_decref(root);
    return rc;
}

/* ================================================================
 * Reading
 * ================================================================ */

#define MATTER_SELECT                                                                              \
    "c.id, m.code, m.type_code, t.name, c.state, c.unit_id, u.name, u.path, m.description, "       \
    "m.address, m.lat, m.lon, m.phone, m.name, m.attributes, m.source, m.submitted_by, "           \
    "m.submitted_at_ms, m.updated_at_ms, c.due_on, m.resolved_at_ms, m.on_time, c.closed_at_ms, "  \
    "m.reply, m.reject_reason, m.rating, m.rating_comment, c.version, m.photos, t.listed "
#define MATTER_COLS                                                                                \
    MATTER_SELECT                                                                                  \
    "FROM matters m JOIN cases c ON c.id = m.case_id JOIN units u ON u.id = c.unit_id "            \
    "JOIN matter_types t ON t.code = m.type_code "

static const char *text_or_null(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

static void today_text(char *buf)
{
    struct date d = date_of_instant(time_now_ms());
    date_format(&d, buf, TIME_DATE_LEN);
}

static void read_matter(struct store_stmt *st, struct arena *a, const char *today, struct matter *m)
{
    memset(m, 0, sizeof(*m));
    m->id = store_col_int(st, 0);
    snprintf(m->code, sizeof(m->code), "%s", store_col_text(st, 1));
    m->type = arena_strdup(a, store_col_text(st, 2));
    m->type_name = arena_strdup(a, store_col_text(st, 3));
    m->state = arena_strdup(a, store_col_text(st, 4));
    m->state_label = matter_state_label(m->state);
    m->unit_id = store_col_int(st, 5);
    m->unit_name = arena_strdup(a, store_col_text(st, 6));
    m->unit_path = arena_strdup(a, store_col_text(st, 7));
    m->description = arena_strdup(a, store_col_text(st, 8));
    m->address = arena_strdup(a, store_col_text(st, 9));
    m->has_location = !store_col_is_null(st, 10) && !store_col_is_null(st, 11);
    m->lat = m->has_location ? store_col_double(st, 10) : 0;
    m->lon = m->has_location ? store_col_double(st, 11) : 0;
    m->phone = arena_strdup(a, store_col_text(st, 12));
    m->name = arena_strdup(a, store_col_text(st, 13));
    m->attributes = arena_strdup(a, store_col_text(st, 14));
    m->source = arena_strdup(a, store_col_text(st, 15));
    m->submitted_by = arena_strdup(a, store_col_text(st, 16));
    m->submitted_at_ms = store_col_int(st, 17);
    m->updated_at_ms = store_col_int(st, 18);
    m->due_on = text_or_null(a, st, 19);
    m->resolved_at_ms = store_col_is_null(st, 20) ? 0 : store_col_int(st, 20);
    m->on_time = store_col_int(st, 21) != 0;
    m->closed_at_ms = store_col_is_null(st, 22) ? 0 : store_col_int(st, 22);
    m->reply = text_or_null(a, st, 23);
    m->reject_reason = text_or_null(a, st, 24);
    m->rating = (int)store_col_int(st, 25);
    m->rating_comment = text_or_null(a, st, 26);
    m->version = store_col_int(st, 27);
    m->nphotos = (size_t)store_col_int(st, 28);
    m->type_listed = store_col_int(st, 29) != 0;
    m->overdue = !m->closed_at_ms && m->due_on && strcmp(m->due_on, today) < 0;
}

static int load_photos(struct store_conn *c, struct arena *a, struct matter *m, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t n = 0;
    int rc;

    m->photos = m->nphotos ? arena_calloc(a, m->nphotos, sizeof(*m->photos)) : NULL;
    if (!m->nphotos)
        return 0;
    rc = store_query(c, &st, ec,
                     "SELECT seq, sha256, content_type, bytes FROM matter_photos "
                     "WHERE case_id = $1 ORDER BY seq",
                     "i", m->id);
    if (rc < 0)
        return rc;
    while (n < m->nphotos && (rc = store_step(st, ec)) == 1) {
        struct matter_photo *ph = &m->photos[n++];
        ph->seq = (int)store_col_int(st, 0);
        snprintf(ph->sha256, sizeof(ph->sha256), "%s", store_col_text(st, 1));
        ph->content_type = arena_strdup(a, store_col_text(st, 2));
        ph->bytes = store_col_int(st, 3);
    }
    store_done(st);
    m->nphotos = n;
    return rc < 0 ? rc : 0;
}

/* One matter by a WHERE clause on one parameter. */
static int get_one(struct store_conn *c, struct arena *a, const char *where, const char *types,
                   int64_t id, const char *text, struct matter *out, struct err_ctx *ec)
{
    char today[TIME_DATE_LEN];
    struct store_stmt *st;
    int rc;

    today_text(today);
    if (types[0] == 'i')
        rc = store_query(c, &st, ec, arena_printf(a, "SELECT " MATTER_COLS "WHERE %s", where), "i",
                         id);
    else
        rc = store_query(c, &st, ec, arena_printf(a, "SELECT " MATTER_COLS "WHERE %s", where), "t",
                         text);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        read_matter(st, a, today, out);
    store_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return err_set(ec, ERR_NOT_FOUND, NULL, "事项不存在");
    return load_photos(c, a, out, ec);
}

int matter_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
               struct matter *out, struct err_ctx *ec)
{
    int rc = get_one(c, a, "c.id = $1", "i", id, NULL, out, ec);

    if (rc == 0 && p && !access_in_scope(p, out->unit_path))
        return err_set(ec, ERR_NOT_FOUND, NULL, "事项不存在");
    return rc;
}

int matter_by_code(struct store_conn *c, struct arena *a, const char *code, struct matter *out,
                   struct err_ctx *ec)
{
    char norm[MATTER_CODE_LEN];

    if (!matter_code_normalize(code, norm))
        return err_set(ec, ERR_NOT_FOUND, "code", "查询码不存在，请核对后重新输入");
    if (get_one(c, a, "m.code = $1", "t", 0, norm, out, ec) < 0) {
        if (ec && ec->code != ERR_NOT_FOUND)
            return ec->code;
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "code", "查询码不存在，请核对后重新输入");
    }
    return 0;
}

/* 'q' as a LIKE pattern matching it anywhere, with % _ \ escaped. */
static const char *like_pattern(struct arena *a, const char *q)
{
    size_t n = strlen(q);
    char *out = arena_alloc(a, 2 * n + 3), *w = out;

    *w++ = '%';
    for (const char *s = q; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *w++ = '\\';
        *w++ = *s;
    }
    *w++ = '%';
    *w = '\0';
    return out;
}

/* The queue's filters ($1..$13, see matter_list), after the FROM of one of
 * the two walks below. */
#define LIST_FILTER                                                                                \
    "u.path >= $1 AND u.path < $2 AND ($3 IS NULL OR m.type_code = $3) "                           \
    "AND ($4 IS NULL OR c.state = $4) "                                                            \
    "AND ($5 < 0 OR ($5 = 1) = (c.state NOT IN ('resolved', 'closed', 'rejected'))) "              \
    "AND ($6 = 0 OR (c.closed_at_ms IS NULL AND c.due_on < $7)) "                                  \
    "AND ($8 = 0 OR m.submitted_at_ms >= $8) AND ($9 = 0 OR m.submitted_at_ms < $9) "              \
    "AND ($10 IS NULL OR m.description LIKE $10 ESCAPE '\\' OR m.address LIKE $10 ESCAPE '\\') "   \
    "AND ($13 = 0 OR t.listed = 1) "
/* Through the scope's units: the planner starts from units_path. */
#define LIST_FROM_UNITS                                                                            \
    "FROM matters m JOIN cases c ON c.id = m.case_id JOIN units u ON u.id = c.unit_id JOIN "       \
    "matter_types t ON t.code = m.type_code WHERE "
/* Through the cases in id order (CROSS JOIN keeps this order; the type is
 * compared as an expression so that no index on it is preferred to the
 * walk), stopping at the page's end. */
#define LIST_FROM_CASES                                                                            \
    "FROM cases c CROSS JOIN matters m CROSS JOIN units u CROSS JOIN matter_types t "              \
    "WHERE c.type || '' = 'matter' AND m.case_id = c.id AND u.id = c.unit_id AND t.code = "        \
    "m.type_code "                                                                                 \
    "AND "
#define LIST_SQL(from, cmp, order)                                                                 \
    "SELECT " MATTER_SELECT from LIST_FILTER "AND ($11 = 0 OR c.id " cmp " $11) "                  \
    "ORDER BY c.id " order " LIMIT $12"
#define LIST_NARROW_SCOPE 8 /* units: at most this many are walked through their units */

int matter_list(struct store_conn *c, struct arena *a, const struct matter_filter *f,
                struct matter **out, size_t *n, bool *more, struct err_ctx *ec)
{
    char today[TIME_DATE_LEN];
    size_t limit = f->limit < 1 ? 1 : f->limit > MATTER_LIST_MAX ? MATTER_LIST_MAX : f->limit;
    const char *scope = f->scope_path ? f->scope_path : "";
    struct store_stmt *st;
    int64_t nunits;
    bool wide;
    int rc;

    *n = 0;
    *more = false;
    *out = arena_calloc(a, limit, sizeof(**out));
    today_text(today);

    if (f->nids > 0) { /* a list of ids: each read alone, in scope */
        for (size_t i = 0; i < f->nids && *n < limit; i++) {
            struct matter m;
            rc = get_one(c, a, "c.id = $1", "i", f->ids[i], NULL, &m, ec);
            if (rc == ERR_NOT_FOUND) {
                err_clear(ec);
                continue;
            }
            if (rc < 0)
                return rc;
            if (str_starts_with(m.unit_path, scope) && (!f->listed_only || m.type_listed))
                (*out)[(*n)++] = m;
        }
        return 0;
    }
    if (f->unit_id) {
        int64_t found = 0;
        rc = store_query(c, &st, ec, "SELECT path FROM units WHERE id = $1", "i", f->unit_id);
        if (rc < 0)
            return rc;
        if ((rc = store_step(st, ec)) == 1 && str_starts_with(store_col_text(st, 0), scope)) {
            scope = arena_strdup(a, store_col_text(st, 0));
            found = 1;
        }
        store_done(st);
        if (rc < 0)
            return rc;
        if (!found)
            return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在或不在您的权限范围内");
    }
    /* Over a wide scope (a subdistrict) the newest matters are found by
     * walking the cases newest first until the page is full; over a narrow
     * one (a community) through its units, whose matters are few. */
    rc =
        store_query_int(c, &nunits, ec, "SELECT COUNT(*) FROM units WHERE path >= $1 AND path < $2",
                        "tt", scope, arena_printf(a, "%s~", scope));
    if (rc < 0)
        return rc;
    wide = nunits > LIST_NARROW_SCOPE;
    rc = store_query(c, &st, ec,
                     wide ? (f->oldest_first ? LIST_SQL(LIST_FROM_CASES, ">", "")
                                             : LIST_SQL(LIST_FROM_CASES, "<", "DESC"))
                          : (f->oldest_first ? LIST_SQL(LIST_FROM_UNITS, ">", "")
                                             : LIST_SQL(LIST_FROM_UNITS, "<", "DESC")),
                     "ttttiitiitiii", scope, arena_printf(a, "%s~", scope), f->type, f->state,
                     (int64_t)f->open, (int64_t)f->overdue, today, f->from_ms, f->to_ms,
                     f->q && *f->q ? like_pattern(a, f->q) : NULL, f->before_id, (int64_t)limit + 1,
                     (int64_t)f->listed_only);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (*n == limit) {
            *more = true;
            break;
        }
        read_matter(st, a, today, &(*out)[(*n)++]);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* ================================================================
 * History
 * ================================================================ */

static const char *unit_name_of(struct store_conn *c, struct arena *a, int64_t id)
{
    struct store_stmt *st;
    const char *name = "";
    struct err_ctx ec = {0};

    if (store_query(c, &st, &ec, "SELECT name FROM units WHERE id = $1", "i", id) < 0)
        return name;
    if (store_step(st, &ec) == 1)
        name = arena_strdup(a, store_col_text(st, 0));
    store_done(st);
    return name;
}

/* What the resident reads of a step, from the fields it was taken with. */
static const char *step_text(struct store_conn *c, struct arena *a, const char *transition,
                             json_t *fields)
{
    const char *s;

    if (strcmp(transition, "resolve") == 0 &&
        (s = json_string_value(json_object_get(fields, "reply"))))
        return arena_strdup(a, s);
    if ((strcmp(transition, "reject") == 0 || strcmp(transition, "reopen") == 0) &&
        (s = json_string_value(json_object_get(fields, "reason"))))
        return arena_strdup(a, s);
    if (strcmp(transition, "assign") == 0 && json_is_integer(json_object_get(fields, "unit_id")))
        return arena_printf(
            a, "交由%s办理",
            unit_name_of(c, a, (int64_t)json_integer_value(json_object_get(fields, "unit_id"))));
    if (strcmp(transition, "rate") == 0 && json_is_integer(json_object_get(fields, "rating"))) {
        const char *comment = json_string_value(json_object_get(fields, "comment"));
        return arena_printf(a, "评价 %d 星%s%s",
                            (int)json_integer_value(json_object_get(fields, "rating")),
                            comment && *comment ? "：" : "", comment && *comment ? comment : "");
    }
    return "";
}

int matter_history(struct store_conn *c, struct arena *a, const struct matter *m,
                   struct matter_step **out, size_t *n, struct err_ctx *ec)
{
    struct case_step *steps;
    size_t count;
    int rc = case_history(c, a, m->id, &steps, &count, ec);

    if (rc < 0)
        return rc;
    *out = arena_calloc(a, count ? count : 1, sizeof(**out));
    *n = count;
    for (size_t i = 0; i < count; i++) {
        json_t *fields = json_loads(steps[i].fields, 0, NULL);
        struct matter_step *s = &(*out)[i];
        s->at_ms = steps[i].at_ms;
        s->transition = steps[i].transition;
        s->label = matter_transition_label(steps[i].transition);
        s->state = steps[i].to_state;
        s->state_label = matter_state_label(steps[i].to_state);
        s->actor = steps[i].actor;
        s->text = step_text(c, a, steps[i].transition, fields);
        json_decref(fields);
    }
    return 0;
}

/* ================================================================
 * JSON
 * ================================================================ */

static json_t *instant_json(int64_t ms)
{
    char buf[TIME_INSTANT_LEN];

    if (!ms)
        return json_null();
    time_format_instant(ms, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *photos_json(const struct matter *m)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < m->nphotos && m->photos; i++) {
        char url[80];
        snprintf(url, sizeof(url), "/media/%s", m->photos[i].sha256);
        json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:I}", "seq", m->photos[i].seq, "url",
                                             url, "content_type", m->photos[i].content_type,
                                             "bytes", (json_int_t)m->photos[i].bytes));
    }
    return arr;
}

static json_t *location_json(const struct matter *m)
{
    if (!m->has_location)
        return json_null();
    return json_pack("{s:f, s:f}", "lat", m->lat, "lon", m->lon);
}

static json_t *attributes_json(const struct matter *m)
{
    json_t *v = json_loads(m->attributes ? m->attributes : "{}", 0, NULL);
    return json_is_object(v) ? v : (json_decref(v), json_object());
}

json_t *matter_json(const struct matter *m, const struct principal *viewer)
{
    char phone[32];
    json_t *o, *actions = json_array();

    if (access_sees_personal_ids(viewer))
        snprintf(phone, sizeof(phone), "%s", m->phone);
    else
        checksum_mask_phone(m->phone, phone, sizeof(phone));
    for (const char *const *x = matter_actions(m->state); *x; x++)
        json_array_append_new(actions, json_pack("{s:s, s:s}", "transition", *x, "label",
                                                 matter_transition_label(*x)));
    o = json_pack("{s:I, s:{s:s, s:s}, s:s, s:s, s:{s:I, s:s}, s:s, s:s, s:o, s:s, s:s, "
                  "s:o, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:b, s:o}",
                  "id", (json_int_t)m->id, "type", "code", m->type, "name", m->type_name, "state",
                  m->state, "state_label", m->state_label, "unit", "id", (json_int_t)m->unit_id,
                  "name", m->unit_name, "description", m->description, "address", m->address,
                  "location", location_json(m), "phone", phone, "name", m->name, "attributes",
                  attributes_json(m), "source", m->source, "submitted_by", m->submitted_by,
                  "submitted_at", instant_json(m->submitted_at_ms), "updated_at",
                  instant_json(m->updated_at_ms), "due_on", json_text_or_null(m->due_on), "overdue",
                  m->overdue, "resolved_at", instant_json(m->resolved_at_ms), "on_time",
                  m->resolved_at_ms && m->on_time, "closed_at", instant_json(m->closed_at_ms));
    json_object_set_new(o, "reply", json_text_or_null(m->reply));
    json_object_set_new(o, "reject_reason", json_text_or_null(m->reject_reason));
    json_object_set_new(o, "rating", m->rating ? json_integer(m->rating) : json_null());
    json_object_set_new(o, "rating_comment", json_text_or_null(m->rating_comment));
    json_object_set_new(o, "version", json_integer(m->version));
    json_object_set_new(o, "photos", photos_json(m));
    json_object_set_new(o, "actions", actions);
    return o;
}

bool matter_can_reopen(const struct matter *m, int64_t now, int64_t *until_ms)
{
    int64_t until = m->resolved_at_ms + (int64_t)MATTER_REOPEN_DAYS * 86400 * 1000;

    if (until_ms)
        *until_ms = until;
    return strcmp(m->state, "resolved") == 0 && m->resolved_at_ms && now <= until;
}

const char *matter_summary(struct arena *a, const char *description, size_t max_chars)
{
    const char *s = description ? description : "";
    size_t n = str_utf8_prefix_len(s, max_chars);

    return s[n] ? arena_printf(a, "%.*s…", (int)n, s) : s;
}

json_t *matter_track_json(const struct matter *m, const struct matter_step *steps, size_t n)
{
    char phone[32];
    json_t *o, *history = json_array();
    int64_t now = time_now_ms();

    checksum_mask_phone(m->phone, phone, sizeof(phone));
    for (size_t i = 0; steps && i < n; i++)
        json_array_append_new(history, json_pack("{s:o, s:s, s:s, s:s, s:s, s:s}", "at",
                                                 instant_json(steps[i].at_ms), "transition",
                                                 steps[i].transition, "label", steps[i].label,
                                                 "state", steps[i].state, "state_label",
                                                 steps[i].state_label, "text", steps[i].text));
    o = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:b}", "code",
                  m->code, "type", "code", m->type, "name", m->type_name, "state", m->state,
                  "state_label", m->state_label, "unit", m->unit_name, "description",
                  m->description, "location", location_json(m), "phone", phone, "submitted_at",
                  instant_json(m->submitted_at_ms), "updated_at", instant_json(m->updated_at_ms),
                  "due_on", json_text_or_null(m->closed_at_ms ? NULL : m->due_on), "overdue",
                  m->overdue);
    json_object_set_new(o, "address", json_string(m->address));
    json_object_set_new(o, "reply", json_text_or_null(m->reply));
    json_object_set_new(o, "reject_reason", json_text_or_null(m->reject_reason));
    json_object_set_new(o, "rating", m->rating ? json_integer(m->rating) : json_null());
    json_object_set_new(o, "resolved_at", instant_json(m->resolved_at_ms));
    json_object_set_new(o, "closed_at", instant_json(m->closed_at_ms));
    json_object_set_new(o, "can_rate", json_boolean(strcmp(m->state, "resolved") == 0));
    json_object_set_new(o, "can_reopen", json_boolean(matter_can_reopen(m, now, NULL)));
    json_object_set_new(o, "photos", photos_json(m));
    json_object_set_new(o, "history", history);
    return o;
}

/* ================================================================
 * Writing
 * ================================================================ */

/* The public and the gateway's events of a change, from the matter as it
 * is now within the unit of work. */
static int publish(struct store_conn *c, struct arena *a, const struct matter *m,
                   const char *transition, struct err_ctx *ec)
{
    struct matter_step *steps;
    size_t n;
    json_t *view, *notify;
    int rc;

    if ((rc = matter_history(c, a, m, &steps, &n, ec)) < 0)
        return rc;
    view = matter_track_json(m, steps, n);
    json_object_set_new(view, "transition", json_string(transition));
    rc = store_event(c, "matter.changed", "", arena_printf(a, "track:%s", m->code),
                     json_dump_arena(a, view), ec);
    json_decref(view);
    if (rc < 0)
        return rc;
    notify = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "code", m->code, "phone",
                       m->phone, "type_name", m->type_name, "transition", transition, "state",
                       m->state, "state_label", m->state_label, "track_path",
                       arena_printf(a, "/track/%s", m->code), "text",
                       json_string(n ? steps[n - 1].text : ""));
    rc = store_event(c, "matter.notify", "", MATTER_NOTIFY_TOPIC, json_dump_arena(a, notify), ec);
    json_decref(notify);
    return rc;
}

/* The unit that receives a type: its unit code, else the first root unit. */
static int handling_unit(struct store_conn *c, struct arena *a, const char *unit_code, int64_t *id,
                         const char **path, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec,
                         "SELECT id, path, CASE WHEN code = $1 THEN 0 ELSE 1 END AS rank "
                         "FROM units WHERE closed_on IS NULL AND (code = $1 OR parent_id IS NULL) "
                         "ORDER BY rank, id LIMIT 1",
                         "t", unit_code ? unit_code : "");
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        *id = store_col_int(st, 0);
        *path = arena_strdup(a, store_col_text(st, 1));
    }
    store_done(st);
    if (rc == 0)
        return err_set(ec, ERR_UNAVAILABLE, NULL, "尚未设置受理单位，暂不能提交事项");
    return rc < 0 ? rc : 0;
}

/* Trims spaces at both ends into the arena. */
static const char *trimmed(struct arena *a, const char *s)
{
    size_t n;

    if (!s)
        return NULL;
    s = str_trim(s, &n);
    return arena_strndup(a, s, n);
}

static int check_text(struct arena *a, const char *in, const char *field, const char *label,
                      bool required, size_t max_chars, const char **out, struct err_ctx *ec)
{
    const char *s = trimmed(a, in);

    if (s && !str_is_clean_utf8(s, strlen(s)))
        return err_set(ec, ERR_INVALID, field, "%s含有无效字符", label);
    if (!s || !*s) {
        if (required)
            return err_set(ec, ERR_INVALID, field, "请填写%s", label);
        *out = "";
        return 0;
    }
    if (str_utf8_len(s) > max_chars)
        return err_set(ec, ERR_INVALID, field, "%s不能超过 %zu 个字", label, max_chars);
    *out = s;
    return 0;
}

/* A phone as typed: spaces and a +86 / 86 prefix of a mobile dropped. */
static int check_phone(struct arena *a, const char *in, const char **out, struct err_ctx *ec)
{
    char buf[32];
    size_t n = 0;
    const char *s = in ? in : "";

    for (; *s && n < sizeof(buf) - 1; s++)
        if (*s != ' ' && *s != '\t')
            buf[n++] = *s;
    buf[n] = '\0';
    if (*s)
        return err_set(ec, ERR_INVALID, "phone", "联系电话格式不正确");
    s = buf;
    if (strncmp(s, "+86", 3) == 0)
        s += 3;
    else if (strncmp(s, "86", 2) == 0 && strlen(s) == 13)
        s += 2;
    if (!*s)
        return err_set(ec, ERR_INVALID, "phone", "请填写联系电话");
    if (!checksum_phone_valid(s))
        return err_set(ec, ERR_INVALID, "phone",
                       "联系电话格式不正确：请填写 11 位手机号或带区号的固定电话");
    *out = arena_strdup(a, s);
    return 0;
}

/* A datetime as Open311 and the form send it: a date, or a date and time
 * with an optional offset. Kept as given. */
static bool datetime_valid(const char *s)
{
    struct date d;
    char day[TIME_DATE_LEN];
    size_t n = strlen(s);

    if (n < 10)
        return false;
    memcpy(day, s, 10);
    day[10] = '\0';
    if (date_parse(day, &d) != 0)
        return false;
    if (n == 10)
        return true;
    if (s[10] != 'T' && s[10] != ' ')
        return false;
    for (size_t i = 11; i < n; i++)
        if (!strchr("0123456789:.+-Z", s[i]))
            return false;
    return n >= 16 && s[13] == ':';
}

/* The value of one catalog field as given, checked, as JSON; NULL when
 * absent. */
static int check_attribute(struct arena *a, json_t *def, json_t *given, json_t **out,
                           struct err_ctx *ec)
{
    const char *code = json_string_value(json_object_get(def, "code"));
    const char *dt = json_string_value(json_object_get(def, "datatype"));
    const char *label = json_string_value(json_object_get(def, "description"));
    const char *field = arena_printf(a, "attribute[%s]", code);
    json_t *values = json_object_get(def, "values");
    const char *s = json_string_value(given);
    size_t i;
    json_t *v;

    *out = NULL;
    if (!label)
        label = code;
    if (!given || json_is_null(given) || (s && !*trimmed(a, s)) ||
        (json_is_array(given) && json_array_size(given) == 0)) {
        if (json_is_true(json_object_get(def, "required")))
            return err_set(ec, ERR_INVALID, field, "请填写%s", label);
        return 0;
    }
    if (strcmp(dt, "number") == 0) {
        double x;
        char *end;
        if (json_is_number(given)) {
            *out = json_real(json_number_value(given));
            return 0;
        }
        if (!s || (x = strtod(s, &end), end == s || *trimmed(a, end) || !isfinite(x)))
            return err_set(ec, ERR_INVALID, field, "%s应为数字", label);
        *out = json_real(x);
        return 0;
    }
    if (strcmp(dt, "multivaluelist") == 0) {
        json_t *arr = json_array();
        if (s) { /* "a,b" */
            const char *p = s;
            while (*p) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                json_array_append_new(arr, json_string(trimmed(a, arena_strndup(a, p, len))));
                p += len + (e ? 1 : 0);
            }
        } else if (json_is_array(given)) {
            json_array_foreach(given, i, v) json_array_append(arr, v);
        }
        json_array_foreach(arr, i, v)
        {
            bool known = false;
            size_t j;
            json_t *opt;
            json_array_foreach(values, j, opt) known |=
                json_is_string(v) && json_string_value(json_object_get(opt, "key")) &&
                strcmp(json_string_value(json_object_get(opt, "key")), json_string_value(v)) == 0;
            if (!known) {
                json_decref(arr);
                return err_set(ec, ERR_INVALID, field, "%s的选项不在列表中", label);
            }
        }
        *out = arr;
        return 0;
    }
    if (!s)
        return err_set(ec, ERR_INVALID, field, "%s应为文字", label);
    s = trimmed(a, s);
    if (strcmp(dt, "singlevaluelist") == 0) {
        json_array_foreach(values, i, v)
        {
            const char *key = json_string_value(json_object_get(v, "key"));
            if (key && strcmp(key, s) == 0) {
                *out = json_string(s);
                return 0;
            }
        }
        return err_set(ec, ERR_INVALID, field, "%s的选项不在列表中", label);
    }
    if (strcmp(dt, "datetime") == 0 && !datetime_valid(s))
        return err_set(ec, ERR_INVALID, field, "%s应为日期时间，如 2022-03-01T09:30", label);
    if (!str_is_clean_utf8(s, strlen(s)) || str_utf8_len(s) > 500)
        return err_set(ec, ERR_INVALID, field, "%s不能超过 500 个字", label);
    *out = json_string(s);
    return 0;
}

/* The attributes given, checked against the type's fields, as JSON text. */
static int check_attributes(struct arena *a, const struct matter_type *t, json_t *given,
                            const char **out, struct err_ctx *ec)
{
    json_t *defs = json_loads(t->fields, 0, NULL), *result = json_object(), *def;
    const char *key;
    json_t *v;
    size_t i;
    int rc = 0;

    if (given && !json_is_object(given))
        rc = err_set(ec, ERR_INVALID, "attributes", "附加信息应为对象（字段代码: 值）");
    json_object_foreach(given, key, v)
    {
        bool known = false;
        if (rc < 0)
            break;
        json_array_foreach(defs, i, def)
        {
            const char *code = json_string_value(json_object_get(def, "code"));
            known |= code && strcmp(code, key) == 0;
        }
        if (!known)
            rc = err_set(ec, ERR_INVALID, arena_printf(a, "attribute[%s]", key),
                         "「%s」没有这一项：%s", t->name, key);
    }
    json_array_foreach(defs, i, def)
    {
        json_t *value;
        if (rc < 0)
            break;
        rc = check_attribute(
            a, def, json_object_get(given, json_string_value(json_object_get(def, "code"))), &value,
            ec);
        if (rc == 0 && value)
            json_object_set_new(result, json_string_value(json_object_get(def, "code")), value);
    }
    if (rc == 0)
        *out = json_dump_arena(a, result);
    json_decref(result);
    json_decref(defs);
    return rc;
}

/* A principal acting on one matter's case: the submitter (who need not
 * have the handling unit in scope) or the resident holding the code. */
static void matter_principal(struct principal *out, const struct principal *p,
                             const char *unit_path, const char *actor)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->unit_path, sizeof(out->unit_path), "%s", unit_path);
    if (p)
        access_actor(p, out->actor, sizeof(out->actor));
    else
        snprintf(out->actor, sizeof(out->actor), "%s", actor);
    snprintf(out->login, sizeof(out->login), "%s", out->actor);
}

/* A submission's values once checked, in the arena. */
struct checked {
    struct matter_type t;
    const char *description, *address, *name, *phone, *attributes;
};

static int check_submission(struct store_conn *c, struct arena *a, const struct matter_new *in,
                            struct checked *k, struct err_ctx *ec)
{
    int rc;

    if (!in->type || !*in->type)
        return err_set(ec, ERR_INVALID, "type", "请选择事项类型");
    rc = matter_type_get(c, a, in->type, &k->t, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !k->t.active)) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "type", "事项类型不存在：%s", in->type);
    }
    if (rc < 0)
        return rc;
    if ((rc = check_text(a, in->description, "description", "事项描述", true,
                         MATTER_DESCRIPTION_MAX, &k->description, ec)) < 0 ||
        (rc = check_text(a, in->address, "address", "地点", false, MATTER_ADDRESS_MAX, &k->address,
                         ec)) < 0 ||
        (rc = check_text(a, in->name, "name", "姓名", false, MATTER_NAME_MAX, &k->name, ec)) < 0 ||
        (rc = check_phone(a, in->phone, &k->phone, ec)) < 0)
        return rc;
    if (in->has_location && !(isfinite(in->lat) && in->lat >= -90 && in->lat <= 90))
        return err_set(ec, ERR_INVALID, "lat", "纬度应在 -90 到 90 之间");
    if (in->has_location && !(isfinite(in->lon) && in->lon >= -180 && in->lon <= 180))
        return err_set(ec, ERR_INVALID, "lon", "经度应在 -180 到 180 之间");
    if (in->nphotos > MATTER_PHOTOS_MAX)
        return err_set(ec, ERR_INVALID, "photo", "照片最多 %d 张", MATTER_PHOTOS_MAX);
    return check_attributes(a, &k->t, in->attributes, &k->attributes, ec);
}

int matter_submit_check(struct store_conn *c, struct arena *a, const struct matter_new *in,
                        struct err_ctx *ec)
{
    struct checked k;
    return check_submission(c, a, in, &k, ec);
}

int matter_submit(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct matter_new *in, struct matter *out, struct err_ctx *ec)
{
    struct checked k;
    const char *unit_path = NULL;
    const char *source = in->source ? in->source : "api";
    char code[MATTER_CODE_LEN];
    struct principal who_p;
    struct case_actor who = {.p = &who_p, .now_ms = in->at_ms};
    int64_t unit_id = 0, id, now = in->at_ms ? in->at_ms : time_now_ms(), taken = 1;
    json_t *fields;
    int rc;

    if ((rc = check_submission(c, a, in, &k, ec)) < 0 ||
        (rc = handling_unit(c, a, k.t.unit_code, &unit_id, &unit_path, ec)) < 0)
        return rc;

    /* 40 random bits: a clash is rare, and checked. */
    for (int tries = 0; taken && tries < 8; tries++) {
        matter_code_new(code);
        rc = store_query_int(c, &taken, ec, "SELECT COUNT(*) FROM matters WHERE code = $1", "t",
                             code);
        if (rc < 0)
            return rc;
    }
    if (taken)
        return err_set(ec, ERR_UNAVAILABLE, NULL, "暂时无法生成查询码，请稍后重试");

    matter_principal(&who_p, p, unit_path, MATTER_RESIDENT_ACTOR);
    fields = json_pack("{s:s, s:i}", "type", k.t.code, "deadline_days", k.t.deadline_days);
    rc = case_open(c, a, &who, &matter_case_type, unit_id, unit_path, "submit", fields, NULL, &id,
                   ec);
    json_decref(fields);
    if (rc < 0)
        return rc;
#define INSERT_MATTER                                                                              \
    "INSERT INTO matters (case_id, code, type_code, description, address, lat, lon, phone, name, " \
    "attributes, source, submitted_by, submitted_at_ms, updated_at_ms, photos) VALUES ($1, $2, "   \
    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)"
    if (in->has_location)
        rc = store_exec(c, ec, INSERT_MATTER, "ittttddtttttii", id, code, k.t.code, k.description,
                        k.address, in->lat, in->lon, k.phone, k.name, k.attributes, source,
                        who_p.actor, now, (int64_t)in->nphotos);
    else
        rc = store_exec(c, ec, INSERT_MATTER, "ittttnntttttii", id, code, k.t.code, k.description,
                        k.address, k.phone, k.name, k.attributes, source, who_p.actor, now,
                        (int64_t)in->nphotos);
#undef INSERT_MATTER
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < in->nphotos; i++) {
        const struct matter_photo *ph = &in->photos[i];
        rc = store_exec(c, ec,
                        "INSERT INTO matter_photos (case_id, seq, sha256, content_type, bytes) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        "iitti", id, (int64_t)(i + 1), ph->sha256, ph->content_type, ph->bytes);
        if (rc < 0)
            return rc;
    }
    if ((rc = matter_get(c, a, NULL, id, out, ec)) < 0)
        return rc;
    return publish(c, a, out, "submit", ec);
}

/* After a transition: the matter's own columns, then the events. */
static int after_take(struct store_conn *c, struct arena *a, const char *transition, json_t *fields,
                      const struct matter *before, int64_t now, struct matter *out,
                      struct err_ctx *ec)
{
    int rc = 0;

    if (strcmp(transition, "resolve") == 0) {
        char today[TIME_DATE_LEN];
        struct date d = date_of_instant(now);
        date_format(&d, today, sizeof(today));
        rc = store_exec(c, ec,
                        "UPDATE matters SET reply = $1, resolved_at_ms = $2, on_time = $3, "
                        "updated_at_ms = $2 WHERE case_id = $4",
                        "tiii", json_string_value(json_object_get(fields, "reply")), now,
                        (int64_t)(!before->due_on || strcmp(today, before->due_on) <= 0),
                        before->id);
    } else if (strcmp(transition, "reject") == 0) {
        rc = store_exec(c, ec,
                        "UPDATE matters SET reject_reason = $1, updated_at_ms = $2 "
                        "WHERE case_id = $3",
                        "tii", json_string_value(json_object_get(fields, "reason")), now,
                        before->id);
    } else if (strcmp(transition, "rate") == 0) {
        rc = store_exec(c, ec,
                        "UPDATE matters SET rating = $1, rating_comment = $2, updated_at_ms = $3 "
                        "WHERE case_id = $4",
                        "itii", (int64_t)json_integer_value(json_object_get(fields, "rating")),
                        json_string_value(json_object_get(fields, "comment")), now, before->id);
    } else if (strcmp(transition, "reopen") == 0) {
        rc = store_exec(c, ec,
                        "UPDATE matters SET resolved_at_ms = NULL, on_time = NULL, "
                        "updated_at_ms = $1 WHERE case_id = $2",
                        "ii", now, before->id);
    } else {
        rc = store_exec(c, ec, "UPDATE matters SET updated_at_ms = $1 WHERE case_id = $2", "ii",
                        now, before->id);
    }
    if (rc < 0)
        return rc;
    if ((rc = matter_get(c, a, NULL, before->id, out, ec)) < 0)
        return rc;
    return publish(c, a, out, transition, ec);
}

/* The fields a transition takes, checked, as a new JSON object. */
static int transition_fields(struct arena *a, const char *transition, json_t *in, json_t **out,
                             struct err_ctx *ec)
{
    const char *text;
    int64_t n;
    int rc;

    *out = json_object();
    if (in && !json_is_object(in))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求内容应为 JSON 对象");
    if (strcmp(transition, "reject") == 0 || strcmp(transition, "reopen") == 0) {
        if ((rc = check_text(a, json_string_value(json_object_get(in, "reason")), "reason", "原因",
                             true, 500, &text, ec)) < 0)
            return rc;
        json_object_set_new(*out, "reason", json_string(text));
    } else if (strcmp(transition, "resolve") == 0) {
        if ((rc = check_text(a, json_string_value(json_object_get(in, "reply")), "reply",
                             "答复内容", true, MATTER_REPLY_MAX, &text, ec)) < 0)
            return rc;
        json_object_set_new(*out, "reply", json_string(text));
    } else if (strcmp(transition, "assign") == 0) {
        if ((rc = json_field_int(in, "unit_id", true, 1, INT64_MAX, &n, NULL, ec)) < 0)
            return rc;
        json_object_set_new(*out, "unit_id", json_integer(n));
    } else if (strcmp(transition, "rate") == 0) {
        if ((rc = json_field_int(in, "rating", true, 1, 5, &n, NULL, ec)) < 0)
            return rc;
        json_object_set_new(*out, "rating", json_integer(n));
        if ((rc = check_text(a, json_string_value(json_object_get(in, "comment")), "comment",
                             "评价意见", false, 500, &text, ec)) < 0)
            return rc;
        if (*text)
            json_object_set_new(*out, "comment", json_string(text));
    }
    return 0;
}

static int take(struct store_conn *c, struct arena *a, struct case_actor *who,
                const struct matter *cur, const char *transition, json_t *given,
                int64_t expected_version, struct matter *out, struct err_ctx *ec)
{
    json_t *fields;
    int64_t now = who->now_ms ? who->now_ms : time_now_ms();
    int rc;

    if ((rc = transition_fields(a, transition, given, &fields, ec)) == 0)
        rc = case_take(c, a, who, &matter_case_type, cur->id, transition, fields, expected_version,
                       NULL, NULL, ec);
    if (rc == 0)
        rc = after_take(c, a, transition, fields, cur, now, out, ec);
    json_decref(fields);
    return rc;
}

int matter_act(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
               const char *transition, json_t *fields, int64_t expected_version, int64_t at_ms,
               struct matter *out, struct err_ctx *ec)
{
    const struct case_transition *x = case_transition_find(&matter_case_type, transition);
    struct case_actor who = {.p = p, .now_ms = at_ms};
    struct matter cur;
    int rc;

    if ((rc = access_require(p, MATTER_STAFF_ROLES, NULL, ec)) < 0)
        return rc;
    if ((rc = matter_get(c, a, p, id, &cur, ec)) < 0)
        return rc;
    if (!x || !x->from || !x->roles)
        return err_set(ec, ERR_INVALID, "transition", "事项没有「%s」这一办理操作",
                       transition ? transition : "");
    return take(c, a, &who, &cur, transition, fields, expected_version, out, ec);
}

int matter_resident_act(struct store_conn *c, struct arena *a, const char *code,
                        const char *transition, json_t *fields, int64_t at_ms, struct matter *out,
                        struct err_ctx *ec)
{
    struct principal res;
    struct case_actor who = {.p = &res, .now_ms = at_ms};
    struct matter cur;
    int64_t now = at_ms ? at_ms : time_now_ms();
    int rc;

    if (!transition || (strcmp(transition, "rate") != 0 && strcmp(transition, "reopen") != 0))
        return err_set(ec, ERR_INVALID, "transition", "只能评价或申请重新办理");
    if ((rc = matter_by_code(c, a, code, &cur, ec)) < 0)
        return rc;
    if (strcmp(transition, "reopen") == 0 && strcmp(cur.state, "resolved") == 0 &&
        !matter_can_reopen(&cur, now, NULL))
        return err_set(ec, ERR_CONFLICT, "transition", "办结已超过 %d 天，不能再申请重新办理",
                       MATTER_REOPEN_DAYS);
    matter_principal(&res, NULL, cur.unit_path, MATTER_RESIDENT_ACTOR);
    return take(c, a, &who, &cur, transition, fields, 0, out, ec);
}
