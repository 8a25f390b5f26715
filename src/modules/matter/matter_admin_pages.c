/*
 * matter_admin_pages.c - the administrator's page of the matter type
 * catalog, for an administrator placed at a root unit (the rule of
 * matter_type_update(); anyone else gets the 403 page):
 *
 *   GET  /console/admin/matter-types         the catalog, one small form per type
 *   POST /console/admin/matter-types/{code}  unit_id=&deadline_days=&active=on
 *        -> 303 back with a flash | 422 the page again with the error beside
 *           that type's field, nothing changed
 *
 * The routes are listed in matter_pages.c's table.
 */
#include "core/compat.h"
#include "modules/matter/matter_admin_pages.h"

#include "core/arena.h"
#include "core/str.h"
#include "modules/matter/matter.h"
#include "modules/org/org.h"
#include "modules/org/org_pages.h"
#include "store/store.h"
#include "web/page.h"
#include "web/web.h"

#define TYPES_PATH   "/console/admin/matter-types"
#define NO_UNIT      "未设置（由根单位受理）"
#define DAYS_MESSAGE "办理时限应为 1 到 60 之间的整数（工作日）"

struct types_op {
    struct http_request *req;
    struct matter_type *types;
    size_t ntypes;
    struct unit *units;
    size_t nunits;
    const char *code;
    json_t *changes;
    struct matter_type out;
};

static int require_root_admin(struct http_request *req, struct err_ctx *ec)
{
    return access_require_root_admin(req->principal, "修改事项类型", ec);
}

static int read_types(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct types_op *o = arg;
    int rc = matter_types_list(c, o->req->arena, false, &o->types, &o->ntypes, ec);
    return rc < 0 ? rc
                  : org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->nunits, ec);
}

/* The unit (open or not) whose code is 'code', or NULL. */
static const struct unit *unit_of_code(const struct types_op *o, const char *code)
{
    for (size_t i = 0; code && i < o->nunits; i++)
        if (strcmp(o->units[i].code, code) == 0)
            return &o->units[i];
    return NULL;
}

/*
 * The options of a type's unit <select>: the open units, plus the current
 * one should it be closed; an empty first choice when no unit has the
 * type's code (posting it leaves the unit as it is).
 */
static json_t *unit_choices(const struct types_op *o, const struct unit *current)
{
    struct unit *open = arena_calloc(o->req->arena, o->nunits ? o->nunits : 1, sizeof(*open));
    size_t n = 0;
    json_t *arr;

    for (size_t i = 0; i < o->nunits; i++)
        if (!o->units[i].closed_on || &o->units[i] == current)
            open[n++] = o->units[i];
    arr = org_unit_options(open, n, current ? current->id : 0);
    if (!current)
        json_array_insert_new(
            arr, 0, json_pack("{s:s, s:s, s:b}", "id", "", "label", NO_UNIT, "selected", true));
    return arr;
}

/*
 * Renders the page. After a refused change 'bad' is the type's code, 'form'
 * what was posted for it (borrowed) and form_ec the fault, shown beside that
 * type's field.
 */
static int types_page(struct http_request *req, const char *bad, json_t *form,
                      struct err_ctx *form_ec, struct err_ctx *ec)
{
    struct types_op o = {.req = req};
    json_t *rows = json_array(), *ctx;
    struct err_ctx fe;
    int rc;

    if (form_ec) {
        fe = *form_ec; /* the reads below use ec afresh */
        form_ec = &fe;
        err_clear(ec);
    }
    if ((rc = store_read(req->store, read_types, &o, ec)) < 0) {
        json_decref(rows);
        return web_error_page(req, ec);
    }
    for (size_t i = 0; i < o.ntypes; i++) {
        const struct matter_type *t = &o.types[i];
        const struct unit *u = unit_of_code(&o, t->unit_code);
        bool is_bad = bad && strcmp(bad, t->code) == 0;
        json_t *row = json_pack(
            "{s:s, s:s, s:s, s:b, s:i, s:b, s:b, s:s, s:o, s:s, s:b, s:{}}", "code", t->code,
            "name", t->name, "unit", u ? u->name : NO_UNIT, "has_unit", u != NULL, "deadline_days",
            t->deadline_days, "listed", t->listed, "active", t->active, "action",
            arena_printf(req->arena, TYPES_PATH "/%s", t->code), "units", unit_choices(&o, u),
            "days_value", arena_printf(req->arena, "%d", t->deadline_days), "active_checked",
            t->active, "errors");

        if (is_bad && form) {
            const char *days = json_string_value(json_object_get(form, "deadline_days"));
            const char *unit = json_string_value(json_object_get(form, "unit_id"));
            int64_t sel;
            json_object_set_new(row, "days_value", json_string(days ? days : ""));
            json_object_set_new(row, "active_checked",
                                json_object_get(form, "active") ? json_true() : json_false());
            if (unit && str_to_int64(unit, 1, INT64_MAX, &sel) == 0) {
                json_t *opt;
                size_t k;
                json_array_foreach(json_object_get(row, "units"), k, opt) json_object_set_new(
                    opt, "selected",
                    json_boolean(json_integer_value(json_object_get(opt, "id")) == sel));
            }
        }
        if (is_bad && form_ec && form_ec->field[0])
            json_object_set_new(json_object_get(row, "errors"), form_ec->field,
                                json_string(form_ec->message));
        json_array_append_new(rows, row);
    }
    ctx = json_pack("{s:s, s:o}", "title", "事项类型", "types", rows);
    if (form_ec) {
        if (bad)
            json_object_set_new(ctx, "bad_code", json_string(bad));
        return web_render_invalid(req, "console/admin/matter-types", ctx, form_ec);
    }
    return web_render(req, 200, "console/admin/matter-types", ctx, ec);
}

/* GET /console/admin/matter-types -> 200 the catalog and a form per type | 403 */
int matter_admin_page_types(struct http_request *req, struct err_ctx *ec)
{
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0)
        return rc;
    return types_page(req, NULL, NULL, NULL, ec);
}

static int write_type(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct types_op *o = arg;
    return matter_type_update(c, o->req->arena, o->req->principal, o->code, o->changes, &o->out,
                              ec);
}

/* POST /console/admin/matter-types/{code}  unit_id=&deadline_days=&active=on
 *   -> 303 /console/admin/matter-types | 404 | 422 the page, the error beside the field */
int matter_admin_page_type_update(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"unit_id", "deadline_days", "active", NULL};
    struct types_op o = {.req = req};
    struct http_form *f;
    const char *unit, *days;
    int64_t unit_id, ndays;
    json_t *ctx;
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0 || (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    o.code = http_param(req, "code");
    unit = page_field(req, f, "unit_id");
    days = page_field(req, f, "deadline_days");
    o.changes = json_pack("{s:b}", "active", page_checked(f, "active"));
    if (unit && str_to_int64(unit, 1, INT64_MAX, &unit_id) < 0)
        rc = err_set(ec, ERR_INVALID, "unit_id", "请选择受理单位");
    else if (!days)
        rc = err_set(ec, ERR_INVALID, "deadline_days", "请填写办理时限");
    else if (str_to_int64(days, INT64_MIN, INT64_MAX, &ndays) < 0)
        rc = err_set(ec, ERR_INVALID, "deadline_days", DAYS_MESSAGE);
    else {
        if (unit)
            json_object_set_new(o.changes, "unit_id", json_integer(unit_id));
        json_object_set_new(o.changes, "deadline_days", json_integer(ndays));
        rc = store_write(req->store, write_type, &o, ec);
    }
    json_decref(o.changes);
    if (rc < 0) {
        if (ec->code != ERR_INVALID)
            return rc;                               /* no such type: the 404 page */
        if (strcmp(ec->field, "deadline_days") == 0) /* the rule's words name no field */
            snprintf(ec->message, sizeof(ec->message), "%s", DAYS_MESSAGE);
        ctx = json_object();
        web_form_values(ctx, f, keep);
        rc = types_page(req, o.code, json_object_get(ctx, "form"), ec, ec);
        json_decref(ctx);
        return rc;
    }
    web_flash(req, WEB_FLASH_SUCCESS, arena_printf(req->arena, "已保存：%s", o.out.name));
    return web_redirect_see_other(req, TYPES_PATH);
}
