/*
 * org_http.c - the organisation tree over HTTP.
 */
#include "core/compat.h"
#include "modules/org/org_http.h"
#include "core/json.h"
#include "modules/org/org.h"
#include "store/store.h"

struct unit_read {
    struct http_request *req;
    int64_t id;
    struct unit unit;
    struct unit *items;
    size_t n;
};

static int list_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_read *r = arg;
    return org_unit_list(c, r->req->arena, r->req->principal, &r->items, &r->n, ec);
}

/* GET /api/v1/units -> 200 {"items":[unit...]}: the caller's subtree */
static int handle_list(struct http_request *req, struct err_ctx *ec)
{
    struct unit_read r = {.req = req};
    json_t *items;
    int rc;

    rc = store_read(req->store, list_units, &r, ec);
    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < r.n; i++)
        json_array_append_new(items, org_unit_json(&r.items[i]));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static int get_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_read *r = arg;
    return org_unit_get(c, r->req->arena, r->id, &r->unit, ec);
}

/* GET /api/v1/units/{id} -> 200 unit | 404 (also when outside scope) */
static int handle_get(struct http_request *req, struct err_ctx *ec)
{
    struct unit_read r = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &r.id, ec)) < 0)
        return rc;
    rc = store_read(req->store, get_unit, &r, ec);
    if (rc < 0)
        return rc;
    if (!access_in_scope(req->principal, r.unit.path))
        return err_set(ec, ERR_NOT_FOUND, "id", "单位不存在");
    return http_reply_json(req, 200, org_unit_json(&r.unit));
}

struct unit_write {
    struct http_request *req;
    struct unit_new in;
    int64_t id;
    struct unit unit;
};

static int create_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_write *w = arg;
    int rc = org_unit_create(c, w->req->arena, w->req->principal, &w->in, &w->id, ec);
    return rc < 0 ? rc : org_unit_get(c, w->req->arena, w->id, &w->unit, ec);
}

/* POST /api/v1/units  {"code","name","type","parent_id"} -> 201 unit | 409 | 422 */
static int handle_create(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"code", "name", "type", "parent_id", NULL};
    struct unit_write w = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "code", true, 32, &w.in.code, ec)) < 0 ||
        (rc = json_field_text(body, "name", true, 50, &w.in.name, ec)) < 0 ||
        (rc = json_field_text(body, "type", true, 16, &w.in.type, ec)) < 0 ||
        (rc = json_field_int(body, "parent_id", true, 1, INT64_MAX, &w.in.parent_id, NULL, ec)) < 0)
        return rc;
    rc = store_write(req->store, create_unit, &w, ec);
    if (rc < 0)
        return rc;
    return http_reply_json(req, 201, org_unit_json(&w.unit));
}

static const struct http_route org_route_list[] = {
    {"GET", "/api/v1/units", handle_list, 0, 0},
    {"GET", "/api/v1/units/{id}", handle_get, 0, 0},
    {"POST", "/api/v1/units", handle_create, 0, ROLE_ADMIN},
};

const struct module org_module = {
    .name = "org",
    .routes = {org_route_list, ARRAY_SIZE(org_route_list)},
};
