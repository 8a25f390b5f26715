/*
 * org.c - units of the organisation tree: rules and SQL.
 */
#include "core/compat.h"
#include "modules/org/org.h"
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
                             "INSERT INTO units (parent_id, type, code, name, path, created_at_ms) "
                             "VALUES ($1, $2, $3, $4, '', $5) RETURNING id",
                             "ittti", in->parent_id, in->type, in->code, in->name, now);
    else
        rc = store_query_int(c, id, ec,
                             "INSERT INTO units (parent_id, type, code, name, path, created_at_ms) "
                             "VALUES ($1, $2, $3, $4, '', $5) RETURNING id",
                             "nttti", in->type, in->code, in->name, now);
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

    created =
        (struct unit){*id, in->parent_id, in->type, in->code, in->name, path, now, 0, NULL, NULL};
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
