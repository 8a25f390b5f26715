/*
 * org_http.c - the organisation over HTTP: units here, people and registers
 * in people_http.c and registers_http.c, and the module's one route table.
 */
#include "core/compat.h"
#include "modules/org/org_http.h"
#include "core/json.h"
#include "core/time.h"
#include "modules/org/org.h"
#include "modules/org/org_http_internal.h"
#include "modules/org/org_pages.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

bool org_http_has(json_t *body, const char *key)
{
    return json_object_get(body, key) != NULL;
}

int org_http_query_date(const struct http_request *req, const char *name, const char **out,
                        struct err_ctx *ec)
{
    const char *s = http_query(req, name);
    struct date d;

    *out = NULL;
    if (!s)
        return 0;
    if (date_parse(s, &d) < 0)
        return err_set(ec, ERR_BAD_REQUEST, name, "查询参数 %s 应为有效的 YYYY-MM-DD 日期", name);
    *out = s;
    return 0;
}

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
    struct unit_change ch;
    int64_t id, parent_id;
    const char *established_on, *closed_on;
    struct unit unit;
};

static int create_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_write *w = arg;
    int rc = org_unit_create_on(c, w->req->arena, w->req->principal, &w->in, w->established_on,
                                &w->id, ec);
    return rc < 0 ? rc : org_unit_get(c, w->req->arena, w->id, &w->unit, ec);
}

/* POST /api/v1/units  {"code","name","type","parent_id","established_on"?} -> 201 unit | 409 | 422
 */
static int handle_create(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"code",      "name",           "type",
                                         "parent_id", "established_on", NULL};
    struct unit_write w = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "code", true, 32, &w.in.code, ec)) < 0 ||
        (rc = json_field_text(body, "name", true, 50, &w.in.name, ec)) < 0 ||
        (rc = json_field_text(body, "type", true, 16, &w.in.type, ec)) < 0 ||
        (rc = json_field_int(body, "parent_id", true, 1, INT64_MAX, &w.in.parent_id, NULL, ec)) <
            0 ||
        (rc = json_field_text(body, "established_on", false, 32, &w.established_on, ec)) < 0)
        return rc;
    rc = store_write(req->store, create_unit, &w, ec);
    if (rc < 0)
        return rc;
    return http_reply_json(req, 201, org_unit_json(&w.unit));
}

static int update_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_write *w = arg;
    int rc = org_unit_update(c, w->req->arena, w->req->principal, w->id, &w->ch, ec);
    return rc < 0 ? rc : org_unit_get(c, w->req->arena, w->id, &w->unit, ec);
}

/* PATCH /api/v1/units/{id}  {"name","established_on"} (null clears established_on)
 *   -> 200 unit | 403 | 404 | 422 */
static int handle_update(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"name", "established_on", NULL};
    struct unit_write w = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &w.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "name", org_http_has(body, "name"), 50, &w.ch.name, ec)) < 0 ||
        (rc = json_field_text(body, "established_on", false, 32, &w.ch.established_on, ec)) < 0)
        return rc;
    w.ch.set_established_on = org_http_has(body, "established_on");
    if ((rc = store_write(req->store, update_unit, &w, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, org_unit_json(&w.unit));
}

static int move_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_write *w = arg;
    int rc = org_unit_move(c, w->req->arena, w->req->principal, w->id, w->parent_id, ec);
    return rc < 0 ? rc : org_unit_get(c, w->req->arena, w->id, &w->unit, ec);
}

/* POST /api/v1/units/{id}/move  {"parent_id"} -> 200 unit (its subtree's paths rewritten)
 *   | 403 | 404 | 409 closed | 422 parent_id */
static int handle_move(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"parent_id", NULL};
    struct unit_write w = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &w.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_int(body, "parent_id", true, 1, INT64_MAX, &w.parent_id, NULL, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, move_unit, &w, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, org_unit_json(&w.unit));
}

static int close_unit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct unit_write *w = arg;
    int rc = org_unit_close(c, w->req->arena, w->req->principal, w->id, w->closed_on, ec);
    return rc < 0 ? rc : org_unit_get(c, w->req->arena, w->id, &w->unit, ec);
}

/* POST /api/v1/units/{id}/close  {"closed_on":"YYYY-MM-DD"} -> 200 unit
 *   | 403 | 404 | 409 closed or open children | 422 closed_on */
static int handle_close(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"closed_on", NULL};
    struct unit_write w = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &w.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "closed_on", true, 32, &w.closed_on, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, close_unit, &w, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, org_unit_json(&w.unit));
}

#define W ORG_WRITE_ROLES

static const struct http_route org_route_list[] = {
    /* units */
    {"GET", "/api/v1/units", handle_list, 0, 0},
    {"GET", "/api/v1/units/{id}", handle_get, 0, 0},
    {"POST", "/api/v1/units", handle_create, 0, ROLE_ADMIN},
    {"PATCH", "/api/v1/units/{id}", handle_update, 0, ROLE_ADMIN},
    {"POST", "/api/v1/units/{id}/move", handle_move, 0, ROLE_ADMIN},
    {"POST", "/api/v1/units/{id}/close", handle_close, 0, ROLE_ADMIN},
    /* people */
    {"GET", "/api/v1/people", people_http_list, 0, 0},
    {"POST", "/api/v1/people", people_http_create, 0, W},
    {"GET", "/api/v1/people/{id}", people_http_get, 0, 0},
    {"PATCH", "/api/v1/people/{id}", people_http_update, 0, W},
    {"DELETE", "/api/v1/people/{id}", people_http_delete, 0, W},
    /* enforcement certificates and officers */
    {"GET", "/api/v1/people/{id}/certificates", registers_http_certificates, 0, 0},
    {"POST", "/api/v1/people/{id}/certificates", registers_http_certificate_create, 0, W},
    {"GET", "/api/v1/certificates/{id}", registers_http_certificate_get, 0, 0},
    {"PATCH", "/api/v1/certificates/{id}", registers_http_certificate_update, 0, W},
    {"DELETE", "/api/v1/certificates/{id}", registers_http_certificate_delete, 0, W},
    {"GET", "/api/v1/officers", registers_http_officers, 0, 0},
    /* legal-literate residents */
    {"GET", "/api/v1/legal-literates", registers_http_literate_list, 0, 0},
    {"POST", "/api/v1/legal-literates", registers_http_literate_create, 0, W},
    {"GET", "/api/v1/legal-literates/{id}", registers_http_literate_get, 0, 0},
    {"PATCH", "/api/v1/legal-literates/{id}", registers_http_literate_update, 0, W},
    {"DELETE", "/api/v1/legal-literates/{id}", registers_http_literate_delete, 0, W},
    /* mediators */
    {"GET", "/api/v1/mediators", registers_http_mediator_list, 0, 0},
    {"POST", "/api/v1/mediators", registers_http_mediator_create, 0, W},
    {"GET", "/api/v1/mediators/{id}", registers_http_mediator_get, 0, 0},
    {"PATCH", "/api/v1/mediators/{id}", registers_http_mediator_update, 0, W},
    {"DELETE", "/api/v1/mediators/{id}", registers_http_mediator_delete, 0, W},
    /* legal advisers */
    {"GET", "/api/v1/advisers", registers_http_adviser_list, 0, 0},
    {"POST", "/api/v1/advisers", registers_http_adviser_create, 0, W},
    {"GET", "/api/v1/advisers/{id}", registers_http_adviser_get, 0, 0},
    {"PATCH", "/api/v1/advisers/{id}", registers_http_adviser_update, 0, W},
    {"DELETE", "/api/v1/advisers/{id}", registers_http_adviser_delete, 0, W},
    /* groups and their members */
    {"GET", "/api/v1/groups", registers_http_group_list, 0, 0},
    {"POST", "/api/v1/groups", registers_http_group_create, 0, W},
    {"GET", "/api/v1/groups/{id}", registers_http_group_get, 0, 0},
    {"PATCH", "/api/v1/groups/{id}", registers_http_group_update, 0, W},
    {"DELETE", "/api/v1/groups/{id}", registers_http_group_delete, 0, W},
    {"GET", "/api/v1/groups/{id}/members", registers_http_members, 0, 0},
    {"POST", "/api/v1/groups/{id}/members", registers_http_member_create, 0, W},
    {"GET", "/api/v1/group-members/{id}", registers_http_member_get, 0, 0},
    {"PATCH", "/api/v1/group-members/{id}", registers_http_member_update, 0, W},
    {"DELETE", "/api/v1/group-members/{id}", registers_http_member_delete, 0, W},
};

#undef W

const struct module org_module = {
    .name = "org",
    .routes = {org_route_list, ARRAY_SIZE(org_route_list)},
    .pages = &org_pages,
    .metrics = org_metrics,
    .nmetrics = ORG_NMETRICS,
    .demo = org_demo,
    .findings = org_findings,
};
