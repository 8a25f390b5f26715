/*
 * org.c - units of the organisation tree: rules and SQL; and the checks the
 * module's other files share (org_internal.h).
 */
#include "core/compat.h"
#include "modules/org/org.h"
#include "modules/org/org_internal.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

/* Rank orders the types: a unit's parent must rank lower (be higher up). */
static const struct {
    const char *type, *label;
    int rank;
} unit_types[] = {
    {"city", "市", 0},         {"district", "区", 1},  {"subdistrict", "街道", 2},
    {"department", "部门", 3}, {"station", "站所", 3}, {"community", "社区", 3},
    {"village", "村", 3},
};

static int type_rank(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(unit_types); i++)
        if (strcmp(unit_types[i].type, type) == 0)
            return unit_types[i].rank;
    return -1;
}

bool org_unit_type_valid(const char *type)
{
    return type && type_rank(type) >= 0;
}

const char *org_unit_type_label(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(unit_types); i++)
        if (strcmp(unit_types[i].type, type) == 0)
            return unit_types[i].label;
    return "";
}

#define UNIT_COLUMNS                                                                               \
    "id, parent_id, type, code, name, path, created_at_ms, closed_at_ms, established_on, "         \
    "closed_on"

static void unit_from_row(struct store_stmt *st, struct arena *a, struct unit *u)
{
    u->id = store_col_int(st, 0);
    u->parent_id = store_col_int(st, 1);
    u->type = arena_strdup(a, store_col_text(st, 2));
    u->code = arena_strdup(a, store_col_text(st, 3));
    u->name = arena_strdup(a, store_col_text(st, 4));
    u->path = arena_strdup(a, store_col_text(st, 5));
    u->created_at_ms = store_col_int(st, 6);
    u->closed_at_ms = store_col_int(st, 7);
    u->established_on = arena_strdup(a, store_col_text(st, 8));
    u->closed_on = arena_strdup(a, store_col_text(st, 9));
}

bool org_unit_active_on(const struct unit *u, const char *date)
{
    if (u->established_on && strcmp(date, u->established_on) < 0)
        return false;
    return !u->closed_on || strcmp(date, u->closed_on) < 0;
}

static int unit_get_where(struct store_conn *c, struct arena *a, const char *sql, const char *types,
                          int64_t id, const char *code, struct unit *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    rc = *types == 'i' ? store_query(c, &st, ec, sql, types, id)
                       : store_query(c, &st, ec, sql, types, code);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        unit_from_row(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在");
    }
    store_done(st);
    return rc;
}

int org_unit_get(struct store_conn *c, struct arena *a, int64_t id, struct unit *out,
                 struct err_ctx *ec)
{
    return unit_get_where(c, a, "SELECT " UNIT_COLUMNS " FROM units WHERE id = $1", "i", id, NULL,
                          out, ec);
}

int org_unit_by_code(struct store_conn *c, struct arena *a, const char *code, struct unit *out,
                     struct err_ctx *ec)
{
    return unit_get_where(c, a, "SELECT " UNIT_COLUMNS " FROM units WHERE code = $1", "t", 0, code,
                          out, ec);
}

int org_unit_list(struct store_conn *c, struct arena *a, const struct principal *p,
                  struct unit **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 16, count = 0;
    struct unit *list = arena_alloc(a, cap * sizeof(*list));
    char upper[UNIT_PATH_MAX + 2];
    int rc;

    /* The subtree of "/1/4/" is the path range ["/1/4/", "/1/4/~"): '~'
     * sorts after every digit and '/'. */
    snprintf(upper, sizeof(upper), "%s~", p->unit_path);
    rc = store_query(c, &st, ec,
                     "SELECT " UNIT_COLUMNS " FROM units WHERE path >= $1 AND path < $2 "
                     "ORDER BY path",
                     "tt", p->unit_path, upper);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            struct unit *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            memcpy(bigger, list, cap * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        unit_from_row(st, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

static bool code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

json_t *org_unit_json(const struct unit *u)
{
    json_t *o = json_object();
    char created[TIME_INSTANT_LEN], closed[TIME_INSTANT_LEN];

    time_format_instant(u->created_at_ms, created, sizeof(created));
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "parent_id", u->parent_id ? json_integer(u->parent_id) : json_null());
    json_object_set_new(o, "type", json_string(u->type));
    json_object_set_new(o, "type_label", json_string(org_unit_type_label(u->type)));
    json_object_set_new(o, "code", json_string(u->code));
    json_object_set_new(o, "name", json_string(u->name));
    json_object_set_new(o, "path", json_string(u->path));
    json_object_set_new(o, "created_at", json_string(created));
    if (u->closed_at_ms) {
        time_format_instant(u->closed_at_ms, closed, sizeof(closed));
        json_object_set_new(o, "closed_at", json_string(closed));
    } else {
        json_object_set_new(o, "closed_at", json_null());
    }
    json_object_set_new(o, "established_on", json_text_or_null(u->established_on));
    json_object_set_new(o, "closed_on", json_text_or_null(u->closed_on));
    return o;
}

int org_unit_create(struct store_conn *c, struct arena *a, const struct principal *p,
                    const struct unit_new *in, int64_t *id, struct err_ctx *ec)
{
    return org_unit_create_on(c, a, p, in, NULL, id, ec);
}

int org_unit_create_on(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct unit_new *in, const char *established_on, int64_t *id,
                       struct err_ctx *ec)
{
    struct unit parent = {0}, created;
    char actor[ACTOR_MAX], *path;
    int64_t count, now = time_now_ms();
    json_t *after;
    int rc;

    if (!in->code || !code_valid(in->code))
        return err_set(ec, ERR_INVALID, "code", "单位代码应为 1 到 32 个字母、数字、- 或 _");
    if (!in->name || !*in->name || str_utf8_len(in->name) > 50 ||
        !str_is_clean_utf8(in->name, strlen(in->name)))
        return err_set(ec, ERR_INVALID, "name", "单位名称应为 1 到 50 个字");
    if (!org_unit_type_valid(in->type))
        return err_set(ec, ERR_INVALID, "type",
                       "单位类型应为 city、district、subdistrict、department、station、"
                       "community 或 village");
    if (established_on && (rc = org_check_date(established_on, "established_on", ec)) < 0)
        return rc;
    if (in->parent_id) {
        rc = org_unit_get(c, a, in->parent_id, &parent, ec);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, parent.path))) {
            err_clear(ec);
            return err_set(ec, ERR_INVALID, "parent_id", "上级单位不存在或不在您的管辖范围内");
        }
        if (rc < 0)
            return rc;
        if (parent.closed_at_ms)
            return err_set(ec, ERR_INVALID, "parent_id", "上级单位已撤销");
        if (type_rank(parent.type) >= type_rank(in->type))
            return err_set(ec, ERR_INVALID, "type", "%s不能设在%s之下",
                           org_unit_type_label(in->type), org_unit_type_label(parent.type));
    } else {
        rc = store_query_int(c, &count, ec, "SELECT COUNT(*) FROM units", "");
        if (rc < 0)
            return rc;
        if (count > 0)
            return err_set(ec, ERR_INVALID, "parent_id", "必须指定上级单位");
    }
    rc = access_require(p, ROLE_ADMIN, in->parent_id ? parent.path : NULL, ec);
    if (rc < 0)
        return rc;

    /* $1 is the parent, NULL for the root: bound as an int or not at all. */
    if (in->parent_id)
        rc = store_query_int(c, id, ec,
                             "INSERT INTO units (parent_id, type, code, name, path, created_at_ms, "
                             "established_on) VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
                             "itttit", in->parent_id, in->type, in->code, in->name, now,
                             established_on);
    else
        rc = store_query_int(c, id, ec,
                             "INSERT INTO units (parent_id, type, code, name, path, created_at_ms, "
                             "established_on) VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
                             "ntttit", in->type, in->code, in->name, now, established_on);
    if (rc == ERR_CONFLICT) {
        err_clear(ec);
        return err_set(ec, ERR_CONFLICT, "code", "单位代码已被使用");
    }
    if (rc < 0)
        return rc;
    path = arena_printf(a, "%s%lld/", in->parent_id ? parent.path : "/", (long long)*id);
    if (strlen(path) >= UNIT_PATH_MAX)
        return err_set(ec, ERR_INVALID, "parent_id", "单位层级过深");
    rc = store_exec(c, ec, "UPDATE units SET path = $1 WHERE id = $2", "ti", path, *id);
    if (rc < 0)
        return rc;

    created = (struct unit){*id,  in->parent_id, in->type, in->code,       in->name,
                            path, now,           0,        established_on, NULL};
    after = org_unit_json(&created);
    access_actor(p, actor, sizeof(actor));
    rc = store_audit(c,
                     &(struct audit_rec){actor, "create", "unit",
                                         arena_printf(a, "%lld", (long long)*id), *id, NULL,
                                         json_dump_arena(a, after)},
                     ec);
    if (rc == 0)
        rc = store_event(c, "unit.created", path, NULL, json_dump_arena(a, after), ec);
    json_decref(after);
    return rc;
}

static bool unit_name_valid(const char *s)
{
    return s && *s && str_utf8_len(s) <= 50 && str_is_clean_utf8(s, strlen(s)) &&
           !strpbrk(s, "\t\r\n");
}

/* The unit 'id' for a change by p: ERR_NOT_FOUND naming "id" when it does
 * not exist or is outside p's scope, ERR_FORBIDDEN unless p is an admin. */
static int unit_for_change(struct store_conn *c, struct arena *a, const struct principal *p,
                           int64_t id, struct unit *out, struct err_ctx *ec)
{
    int rc = org_unit_get(c, a, id, out, ec);

    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, out->path))) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "id", "单位不存在");
    }
    if (rc < 0)
        return rc;
    return access_require(p, ROLE_ADMIN, out->path, ec);
}

/* The audit entry and the event of a change to unit 'id'; 'extra' (may be
 * NULL, borrowed) adds members to the event's payload. */
static int unit_changed(struct store_conn *c, struct arena *a, const struct principal *p,
                        const char *action, const char *event, const struct unit *before,
                        int64_t id, json_t *extra, struct err_ctx *ec)
{
    struct unit after;
    json_t *payload;
    int rc;

    if ((rc = org_unit_get(c, a, id, &after, ec)) < 0)
        return rc;
    payload = org_unit_json(&after);
    if (extra)
        json_object_update(payload, extra);
    rc = org_audit(c, a, p, action, "unit", id, id, org_unit_json(before), org_unit_json(&after),
                   ec);
    if (rc == 0)
        rc = store_event(c, event, after.path, NULL, json_dump_arena(a, payload), ec);
    json_decref(payload);
    return rc;
}

int org_unit_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                    const struct unit_change *ch, struct err_ctx *ec)
{
    struct unit before;
    const char *established;
    int rc;

    if ((rc = unit_for_change(c, a, p, id, &before, ec)) < 0)
        return rc;
    if (ch->name && !unit_name_valid(ch->name))
        return err_set(ec, ERR_INVALID, "name", "单位名称应为 1 到 50 个字");
    established = ch->set_established_on ? ch->established_on : before.established_on;
    if (ch->set_established_on && established &&
        (rc = org_check_date(established, "established_on", ec)) < 0)
        return rc;
    if (established && before.closed_on && strcmp(established, before.closed_on) > 0)
        return err_set(ec, ERR_INVALID, "established_on", "成立日期不能晚于撤销日期（%s）",
                       before.closed_on);
    rc = store_exec(c, ec, "UPDATE units SET name = $1, established_on = $2 WHERE id = $3", "tti",
                    ch->name ? ch->name : before.name, established, id);
    if (rc < 0)
        return rc;
    return unit_changed(c, a, p, "update", "unit.updated", &before, id, NULL, ec);
}

int org_unit_move(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                  int64_t parent_id, struct err_ctx *ec)
{
    struct unit before, old_parent, parent;
    char upper[UNIT_PATH_MAX + 2], *path;
    int64_t longest;
    json_t *extra;
    int rc;

    if ((rc = unit_for_change(c, a, p, id, &before, ec)) < 0)
        return rc;
    if (!before.parent_id)
        return err_set(ec, ERR_INVALID, "id", "根单位不能移动");
    if (before.closed_at_ms)
        return err_set(ec, ERR_CONFLICT, "id", "单位已撤销，不能移动");
    /* Taking a unit away from its parent is a change to the parent's subtree
     * too: an admin placed at the unit itself may not. */
    if ((rc = org_unit_get(c, a, before.parent_id, &old_parent, ec)) < 0)
        return rc;
    if (!access_in_scope(p, old_parent.path))
        return err_set(ec, ERR_FORBIDDEN, "id", "该单位的上级单位不在您的管辖范围内");

    rc = org_unit_get(c, a, parent_id, &parent, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, parent.path))) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "parent_id", "上级单位不存在或不在您的管辖范围内");
    }
    if (rc < 0)
        return rc;
    if (str_starts_with(parent.path, before.path))
        return err_set(ec, ERR_INVALID, "parent_id", "不能移到本单位或其下级单位之下");
    if (parent.closed_at_ms)
        return err_set(ec, ERR_INVALID, "parent_id", "上级单位已撤销");
    if (type_rank(parent.type) >= type_rank(before.type))
        return err_set(ec, ERR_INVALID, "parent_id", "%s不能设在%s之下",
                       org_unit_type_label(before.type), org_unit_type_label(parent.type));
    if (parent_id == before.parent_id)
        return 0; /* already there: nothing to write, nothing to audit */

    path = arena_printf(a, "%s%lld/", parent.path, (long long)id);
    org_path_upper(before.path, upper, sizeof(upper));
    rc = store_query_int(c, &longest, ec,
                         "SELECT MAX(length(path)) FROM units WHERE path >= $1 AND path < $2", "tt",
                         before.path, upper);
    if (rc < 0)
        return rc;
    if (longest + (int64_t)strlen(path) - (int64_t)strlen(before.path) >= UNIT_PATH_MAX)
        return err_set(ec, ERR_INVALID, "parent_id", "单位层级过深");
    /* Only units.path changes: other tables hold unit ids, never paths. */
    rc = store_exec(c, ec,
                    "UPDATE units SET path = $1 || substr(path, $2) "
                    "WHERE path >= $3 AND path < $4",
                    "titt", path, (int64_t)strlen(before.path) + 1, before.path, upper);
    if (rc >= 0)
        rc =
            store_exec(c, ec, "UPDATE units SET parent_id = $1 WHERE id = $2", "ii", parent_id, id);
    if (rc < 0)
        return rc;
    extra = json_pack("{s:s, s:I}", "old_path", before.path, "old_parent_id",
                      (json_int_t)before.parent_id);
    rc = unit_changed(c, a, p, "move", "unit.moved", &before, id, extra, ec);
    json_decref(extra);
    return rc;
}

int org_unit_close(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                   const char *closed_on, struct err_ctx *ec)
{
    struct unit before;
    struct store_stmt *st;
    char today[TIME_DATE_LEN], latest[TIME_DATE_LEN] = "";
    int64_t open_children;
    int rc;

    if ((rc = unit_for_change(c, a, p, id, &before, ec)) < 0)
        return rc;
    if ((rc = org_check_date(closed_on, "closed_on", ec)) < 0)
        return rc;
    if (before.closed_at_ms)
        return err_set(ec, ERR_CONFLICT, "id", "单位已于 %s 撤销",
                       before.closed_on ? before.closed_on : "此前");
    org_today(today);
    if (strcmp(closed_on, today) > 0)
        return err_set(ec, ERR_INVALID, "closed_on", "撤销日期不能晚于今天");
    if (before.established_on && strcmp(closed_on, before.established_on) < 0)
        return err_set(ec, ERR_INVALID, "closed_on", "撤销日期不能早于成立日期（%s）",
                       before.established_on);
    rc = store_query_int(c, &open_children, ec,
                         "SELECT COUNT(*) FROM units WHERE parent_id = $1 AND closed_at_ms IS NULL",
                         "i", id);
    if (rc < 0)
        return rc;
    if (open_children > 0)
        return err_set(ec, ERR_CONFLICT, "id", "该单位还有 %lld 个未撤销的下级单位",
                       (long long)open_children);
    rc = store_query(c, &st, ec, "SELECT MAX(closed_on) FROM units WHERE parent_id = $1", "i", id);
    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1 && store_col_text(st, 0))
        snprintf(latest, sizeof(latest), "%s", store_col_text(st, 0));
    store_done(st);
    if (rc < 0)
        return rc;
    if (latest[0] && strcmp(closed_on, latest) < 0)
        return err_set(ec, ERR_INVALID, "closed_on", "撤销日期不能早于下级单位的撤销日期（%s）",
                       latest);
    rc = store_exec(c, ec, "UPDATE units SET closed_on = $1, closed_at_ms = $2 WHERE id = $3",
                    "tii", closed_on, time_now_ms(), id);
    if (rc < 0)
        return rc;
    return unit_changed(c, a, p, "close", "unit.closed", &before, id, NULL, ec);
}

/* ================================================================
 * Checks the module's files share (org_internal.h)
 * ================================================================ */

int org_check_date(const char *s, const char *field, struct err_ctx *ec)
{
    struct date d;

    if (!s || date_parse(s, &d) < 0)
        return err_set(ec, ERR_INVALID, field, "日期应为有效的 YYYY-MM-DD");
    return 0;
}

int org_check_text(const char *s, size_t max, const char *field, const char *what,
                   struct err_ctx *ec)
{
    if (!s || !*s)
        return err_set(ec, ERR_INVALID, field, "%s不能为空", what);
    if (!str_is_clean_utf8(s, strlen(s)) || strpbrk(s, "\t\r\n"))
        return err_set(ec, ERR_INVALID, field, "%s含有不允许的字符", what);
    if (str_utf8_len(s) > max)
        return err_set(ec, ERR_INVALID, field, "%s不能超过 %zu 个字", what, max);
    return 0;
}

int org_placement_unit(struct store_conn *c, struct arena *a, const struct principal *p,
                       int64_t unit_id, const char *field, struct unit *out, struct err_ctx *ec)
{
    int rc = org_unit_get(c, a, unit_id, out, ec);

    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, out->path))) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, field, "单位不存在或不在您的管辖范围内");
    }
    if (rc == 0 && out->closed_at_ms)
        return err_set(ec, ERR_INVALID, field, "单位已撤销");
    return rc;
}

void org_path_upper(const char *path, char *buf, size_t size)
{
    /* '~' sorts after every digit and '/'. */
    snprintf(buf, size, "%s~", path);
}

char *org_like_pattern(struct arena *a, const char *prefix, const char *s, const char *suffix)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, strlen(prefix) + 2 * n + strlen(suffix) + 1), *q = out;

    for (const char *x = prefix; *x; x++)
        *q++ = *x;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            *q++ = '\\';
        *q++ = s[i];
    }
    for (const char *x = suffix; *x; x++)
        *q++ = *x;
    *q = '\0';
    return out;
}

void org_today(char *buf)
{
    struct date d = date_of_instant(time_now_ms());
    date_format(&d, buf, TIME_DATE_LEN);
}

void org_date_add(const char *date, int days, char *buf)
{
    struct date d = {1970, 1, 1};

    date_parse(date, &d);
    d = date_from_days(date_to_days(&d) + days);
    date_format(&d, buf, TIME_DATE_LEN);
}

int org_audit(struct store_conn *c, struct arena *a, const struct principal *p, const char *action,
              const char *entity, int64_t id, int64_t unit_id, json_t *before, json_t *after,
              struct err_ctx *ec)
{
    char actor[ACTOR_MAX];
    int rc;

    access_actor(p, actor, sizeof(actor));
    rc = store_audit(c,
                     &(struct audit_rec){actor, action, entity,
                                         arena_printf(a, "%lld", (long long)id), unit_id,
                                         json_dump_arena(a, before), json_dump_arena(a, after)},
                     ec);
    json_decref(before);
    json_decref(after);
    return rc;
}
