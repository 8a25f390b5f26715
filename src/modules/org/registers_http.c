/*
 * registers_http.c - the registers over HTTP: certificates and officers,
 * legal-literate residents, mediators, advisers, groups and their members.
 *
 * Every register has the same five handlers (list, create, get, change,
 * delete) over registers.c; the per-register functions below only name the
 * register. Path-scoped routes (a person's certificates, a group's members)
 * first check that the person or group is in the caller's scope, so that
 * one outside it answers 404 like any record read by id.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "modules/org/org_http_internal.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

struct reg_op {
    struct http_request *req;
    enum register_kind kind;
    int64_t id;        /* the row, or the person / group of a nested route */
    int64_t parent_id; /* the person or group of a nested route, or 0 */
    struct register_input in;
    struct register_filter f;
    json_t *out;
    bool more;
};

/* The person or group of a nested route, for p: 404 naming "id" when it
 * does not exist or is outside scope. */
static int nested_parent(struct store_conn *c, struct reg_op *o, struct err_ctx *ec)
{
    const struct principal *p = o->req->principal;
    int rc;

    if (!o->parent_id)
        return 0;
    if (o->kind == REG_CERTIFICATE) {
        struct person pe;
        rc = org_person_get(c, o->req->arena, o->parent_id, &pe, ec);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, pe.unit_path))) {
            err_clear(ec);
            return err_set(ec, ERR_NOT_FOUND, "id", "人员不存在");
        }
        return rc;
    }
    struct group g;
    rc = org_group_get(c, o->req->arena, o->parent_id, &g, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, g.unit_path))) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "id", "小组不存在");
    }
    return rc;
}

static int op_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    int rc = nested_parent(c, o, ec);
    return rc < 0 ? rc
                  : registers_list(c, o->req->arena, o->req->principal, o->kind, &o->f, &o->out,
                                   &o->more, ec);
}

static int op_get(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    return registers_get(c, o->req->arena, o->req->principal, o->kind, o->id, &o->out, ec);
}

static int op_create(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    int rc = nested_parent(c, o, ec);

    if (rc == 0)
        rc = registers_create(c, o->req->arena, o->req->principal, o->kind, &o->in, &o->id, ec);
    return rc < 0 ? rc : op_get(c, arg, ec);
}

static int op_update(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    int rc = registers_update(c, o->req->arena, o->req->principal, o->kind, o->id, &o->in, ec);
    return rc < 0 ? rc : op_get(c, arg, ec);
}

static int op_delete(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    return registers_delete(c, o->req->arena, o->req->principal, o->kind, o->id, ec);
}

/* Replies with o->out (200 or 201), or frees it after a failure. */
static int reply(struct http_request *req, struct reg_op *o, int rc, int status)
{
    if (rc < 0) {
        json_decref(o->out);
        return rc;
    }
    return http_reply_json(req, status, o->out);
}

/* GET ...?unit=ID&person=ID&active_on=DATE&year=YYYY&cursor=C&limit=N
 *   -> 200 {"items":[...],"next_cursor":"C"|null}; a group's members come unpaged */
static int reg_list(struct http_request *req, enum register_kind kind, const char *parent,
                    struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = kind};
    const char *cursor = http_query(req, "cursor");
    json_t *last;
    int64_t year;
    int rc;

    if (kind != REG_MEMBER && cursor && *cursor &&
        str_to_int64(cursor, 0, INT64_MAX, &o.f.after_id) < 0)
        return err_set(ec, ERR_BAD_REQUEST, "cursor", "cursor 应为上一页返回的 next_cursor");
    if ((kind != REG_MEMBER &&
         (rc = http_query_int(req, "limit", 1, 500, 100, &o.f.limit, ec)) < 0) ||
        (parent && (rc = http_param_id(req, parent, &o.parent_id, ec)) < 0) ||
        (rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o.f.unit_id, ec)) < 0 ||
        (rc = http_query_int(req, "person", 1, INT64_MAX, 0, &o.f.person_id, ec)) < 0 ||
        (rc = http_query_int(req, "year", 1900, 9999, 0, &year, ec)) < 0 ||
        (rc = org_http_query_date(req, "active_on", &o.f.active_on, ec)) < 0)
        return rc;
    o.f.year = (int)year;
    if (o.parent_id && kind == REG_CERTIFICATE)
        o.f.person_id = o.parent_id;
    else if (o.parent_id)
        o.f.group_id = o.parent_id;
    rc = store_read(req->store, op_list, &o, ec);
    if (rc < 0)
        return rc;
    last = json_array_get(o.out, json_array_size(o.out) - 1);
    return http_reply_json(
        req, 200,
        json_pack("{s:o, s:o}", "items", o.out, "next_cursor",
                  o.more && last ? json_string(arena_printf(
                                       req->arena, "%lld",
                                       (long long)json_integer_value(json_object_get(last, "id"))))
                                 : json_null()));
}

/* POST ... {register fields} -> 201 row | 403 | 404 (nested parent) | 409 | 422 */
static int reg_create(struct http_request *req, enum register_kind kind, const char *parent,
                      struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = kind};
    json_t *body;
    int rc;

    if ((parent && (rc = http_param_id(req, parent, &o.parent_id, ec)) < 0) ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = registers_parse(kind, body, true, &o.in, ec)) < 0)
        return rc;
    if (o.parent_id && kind == REG_CERTIFICATE) {
        o.in.set_person = true;
        o.in.person_id = o.parent_id;
    } else if (o.parent_id) {
        o.in.set_group = true;
        o.in.group_id = o.parent_id;
    }
    rc = store_write(req->store, op_create, &o, ec);
    return reply(req, &o, rc, 201);
}

/* GET .../{id} -> 200 row | 404 (also outside scope) */
static int reg_get(struct http_request *req, enum register_kind kind, struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = kind};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0)
        return rc;
    rc = store_read(req->store, op_get, &o, ec);
    return reply(req, &o, rc, 200);
}

/* PATCH .../{id} {register fields} -> 200 row | 403 | 404 | 409 | 422 */
static int reg_update(struct http_request *req, enum register_kind kind, struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = kind};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = registers_parse(kind, body, false, &o.in, ec)) < 0)
        return rc;
    rc = store_write(req->store, op_update, &o, ec);
    return reply(req, &o, rc, 200);
}

/* DELETE .../{id} -> 204 | 403 | 404 | 409 */
static int reg_delete(struct http_request *req, enum register_kind kind, struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = kind};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_write(req->store, op_delete, &o, ec)) < 0)
        return rc;
    return http_reply_empty(req);
}

/* ================================================================
 * Certificates and officers
 * ================================================================ */

static int read_officers(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_op *o = arg;
    return registers_officers(c, o->req->arena, o->req->principal, &o->f, &o->out, ec);
}

/* GET /api/v1/officers?valid_on=DATE&unit=ID -> 200 {"valid_on","items":[person + "certificates",
 * "expiring_soon"]}: people holding a certificate valid that day (default today, UTC+8) */
int registers_http_officers(struct http_request *req, struct err_ctx *ec)
{
    struct reg_op o = {.req = req, .kind = REG_CERTIFICATE};
    char today[TIME_DATE_LEN];
    int rc;

    if ((rc = org_http_query_date(req, "valid_on", &o.f.active_on, ec)) < 0 ||
        (rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o.f.unit_id, ec)) < 0)
        return rc;
    if (!o.f.active_on) {
        org_today(today);
        o.f.active_on = today;
    }
    if ((rc = store_read(req->store, read_officers, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:o}", "valid_on", o.f.active_on, "items", o.out));
}

/* GET /api/v1/people/{id}/certificates -> 200 {"items":[certificate...]} | 404 */
int registers_http_certificates(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_CERTIFICATE, "id", ec);
}

/* POST /api/v1/people/{id}/certificates {"number","authority","field","valid_from","valid_to"}
 *   -> 201 certificate | 404 | 409 number | 422 */
int registers_http_certificate_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_CERTIFICATE, "id", ec);
}

/* GET /api/v1/certificates/{id} -> 200 certificate | 404 */
int registers_http_certificate_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_CERTIFICATE, ec);
}

/* PATCH /api/v1/certificates/{id} {"number","authority","field","valid_from","valid_to"} -> 200 */
int registers_http_certificate_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_CERTIFICATE, ec);
}

/* DELETE /api/v1/certificates/{id} -> 204 */
int registers_http_certificate_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_CERTIFICATE, ec);
}

/* ================================================================
 * Legal-literate residents (法律明白人)
 * ================================================================ */

/* GET /api/v1/legal-literates?unit=&year=&person= -> 200 {"items":[...]} */
int registers_http_literate_list(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_LEGAL_LITERATE, NULL, ec);
}

/* POST /api/v1/legal-literates {"person_id","community_unit_id","trained_on"} -> 201 | 409 | 422 */
int registers_http_literate_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_LEGAL_LITERATE, NULL, ec);
}

/* GET /api/v1/legal-literates/{id} -> 200 | 404 */
int registers_http_literate_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_LEGAL_LITERATE, ec);
}

/* PATCH /api/v1/legal-literates/{id} {"community_unit_id","trained_on"} -> 200 */
int registers_http_literate_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_LEGAL_LITERATE, ec);
}

/* DELETE /api/v1/legal-literates/{id} -> 204 */
int registers_http_literate_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_LEGAL_LITERATE, ec);
}

/* ================================================================
 * Mediators
 * ================================================================ */

/* GET /api/v1/mediators?unit=&active_on=&person= -> 200 {"items":[...]} */
int registers_http_mediator_list(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_MEDIATOR, NULL, ec);
}

/* POST /api/v1/mediators {"person_id","committee_unit_id","from","to"} -> 201 | 422 */
int registers_http_mediator_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_MEDIATOR, NULL, ec);
}

/* GET /api/v1/mediators/{id} -> 200 | 404 */
int registers_http_mediator_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_MEDIATOR, ec);
}

/* PATCH /api/v1/mediators/{id} {"committee_unit_id","from","to"} -> 200 */
int registers_http_mediator_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_MEDIATOR, ec);
}

/* DELETE /api/v1/mediators/{id} -> 204 */
int registers_http_mediator_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_MEDIATOR, ec);
}

/* ================================================================
 * Legal advisers
 * ================================================================ */

/* GET /api/v1/advisers?unit=&active_on=&person= -> 200 {"items":[...]} */
int registers_http_adviser_list(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_ADVISER, NULL, ec);
}

/* POST /api/v1/advisers {"person_id","unit_id"?,"firm","contract_from","contract_to"} -> 201 */
int registers_http_adviser_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_ADVISER, NULL, ec);
}

/* GET /api/v1/advisers/{id} -> 200 | 404 */
int registers_http_adviser_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_ADVISER, ec);
}

/* PATCH /api/v1/advisers/{id} {"unit_id","firm","contract_from","contract_to"} -> 200 */
int registers_http_adviser_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_ADVISER, ec);
}

/* DELETE /api/v1/advisers/{id} -> 204 */
int registers_http_adviser_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_ADVISER, ec);
}

/* ================================================================
 * Groups and members
 * ================================================================ */

/* GET /api/v1/groups?unit= -> 200 {"items":[group...]} */
int registers_http_group_list(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_GROUP, NULL, ec);
}

/* POST /api/v1/groups {"name","unit_id","office_unit_id"?,"established_on"?} -> 201 | 409 name */
int registers_http_group_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_GROUP, NULL, ec);
}

/* GET /api/v1/groups/{id} -> 200 group with "members" (live, 组长 first) | 404 */
int registers_http_group_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_GROUP, ec);
}

/* PATCH /api/v1/groups/{id} {"name","unit_id","office_unit_id","established_on"} -> 200 */
int registers_http_group_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_GROUP, ec);
}

/* DELETE /api/v1/groups/{id} -> 204 | 409 while it has members */
int registers_http_group_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_GROUP, ec);
}

/* GET /api/v1/groups/{id}/members?active_on=DATE -> 200 {"items":[member...]} (组长, 副组长, 成员)
 */
int registers_http_members(struct http_request *req, struct err_ctx *ec)
{
    return reg_list(req, REG_MEMBER, "id", ec);
}

/* POST /api/v1/groups/{id}/members {"person_id","position","from","to"?} -> 201 | 404 | 422 */
int registers_http_member_create(struct http_request *req, struct err_ctx *ec)
{
    return reg_create(req, REG_MEMBER, "id", ec);
}

/* GET /api/v1/group-members/{id} -> 200 | 404 */
int registers_http_member_get(struct http_request *req, struct err_ctx *ec)
{
    return reg_get(req, REG_MEMBER, ec);
}

/* PATCH /api/v1/group-members/{id} {"position","from","to"} -> 200 */
int registers_http_member_update(struct http_request *req, struct err_ctx *ec)
{
    return reg_update(req, REG_MEMBER, ec);
}

/* DELETE /api/v1/group-members/{id} -> 204 */
int registers_http_member_delete(struct http_request *req, struct err_ctx *ec)
{
    return reg_delete(req, REG_MEMBER, ec);
}
