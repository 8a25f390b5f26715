/*
 * org_pages.c - the organisation's pages: the unit tree, people (list,
 * search by name or exact ID number, and a form to register one), the
 * enforcement officers with their certificates, and the legal-literate
 * residents.
 *
 * People are written only through org_person_json(), the one place where
 * identity numbers are masked for the viewer's roles, so a page shows
 * exactly what the JSON API would.
 */
#include "core/compat.h"
#include "core/checksum.h"
#include "core/json.h"
#include "modules/org/org_internal.h"
#include "modules/org/org_pages.h"
#include "store/store.h"
#include "web/page.h"
#include "web/web.h"

#define PEOPLE_PAGE   50
#define REGISTER_PAGE 100

static size_t depth_of(const char *path)
{
    size_t d = 0;
    for (; *path; path++)
        d += *path == '/';
    return d;
}

json_t *org_unit_options(const struct unit *units, size_t n, int64_t selected)
{
    json_t *arr = json_array();
    size_t top = n ? depth_of(units[0].path) : 0;

    for (size_t i = 0; i < n; i++) {
        struct strbuf sb = STRBUF_INIT;
        size_t d = depth_of(units[i].path);
        for (size_t k = top; k < d; k++)
            strbuf_adds(&sb, "\u3000");
        strbuf_adds(&sb, units[i].name);
        if (units[i].closed_on)
            strbuf_adds(&sb, "（已撤销）");
        json_array_append_new(arr, json_pack("{s:I, s:s, s:b}", "id", (json_int_t)units[i].id,
                                             "label", sb.buf, "selected", units[i].id == selected));
        strbuf_release(&sb);
    }
    return arr;
}

/* ================================================================
 * Units
 * ================================================================ */

struct units_read {
    struct http_request *req;
    struct unit *units;
    size_t n;
};

static int read_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct units_read *u = arg;
    return org_unit_list(c, u->req->arena, u->req->principal, &u->units, &u->n, ec);
}

/* GET /console/units -> 200 the units of the caller's subtree, as an indented tree */
static int page_units(struct http_request *req, struct err_ctx *ec)
{
    struct units_read u = {.req = req};
    json_t *items;
    size_t top;
    int rc;

    if ((rc = store_read(req->store, read_units, &u, ec)) < 0)
        return rc;
    items = json_array();
    top = u.n ? depth_of(u.units[0].path) : 0;
    for (size_t i = 0; i < u.n; i++) {
        const struct unit *x = &u.units[i];
        json_t *o = json_pack(
            "{s:I, s:s, s:s, s:s, s:I, s:o, s:o}", "id", (json_int_t)x->id, "name", x->name, "code",
            x->code, "type", org_unit_type_label(x->type), "depth",
            (json_int_t)(depth_of(x->path) - top), "established_on",
            json_text_or_null(x->established_on), "closed_on", json_text_or_null(x->closed_on));
        /* The indentation as a class (depth-0 .. depth-6): no inline style under the CSP. */
        json_object_set_new(
            o, "depth_class",
            json_string(arena_printf(req->arena, "depth-%zu",
                                     depth_of(x->path) - top > 6 ? 6 : depth_of(x->path) - top)));
        json_array_append_new(items, o);
    }
    return web_render(req, 200, "console/org/units",
                      json_pack("{s:s, s:o}", "title", "组织机构", "units", items), ec);
}

/* ================================================================
 * People
 * ================================================================ */

struct people_read {
    struct http_request *req;
    struct person_filter f;
    struct person *items;
    size_t n;
    bool more;
    struct unit *units;
    size_t nunits;
    struct person_input in;
    int64_t id;
};

static int read_people(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct people_read *o = arg;
    int rc = org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->nunits, ec);
    return rc < 0 ? rc
                  : people_list(c, o->req->arena, o->req->principal, &o->f, &o->items, &o->n,
                                &o->more, ec);
}

/* A people search that cannot run (a malformed ID number) shows as a note on
 * the page, not as an error page. */
static int people_page(struct http_request *req, int status, json_t *ctx, struct err_ctx *form_ec,
                       struct err_ctx *ec)
{
    struct people_read o = {.req = req};
    const char *q = http_query(req, "q"), *idn = http_query(req, "id_number");
    const char *cursor = http_query(req, "cursor");
    char norm[CHECKSUM_ID_LEN + 1];
    json_t *items, *search = json_object();
    struct err_ctx fe, qec;
    int64_t unit_sel = req->principal->unit_id;
    int rc;

    if (form_ec) {
        fe = *form_ec;
        form_ec = &fe;
        err_clear(ec);
    }
    if (!ctx)
        ctx = json_object();
    o.f.limit = PEOPLE_PAGE;
    if (q && *q) {
        o.f.q = q;
        json_object_set_new(search, "q", json_string(q));
    }
    if (cursor && *cursor && str_to_int64(cursor, 0, INT64_MAX, &o.f.after_id) < 0)
        o.f.after_id = 0;
    err_clear(&qec);
    if (idn && *idn) {
        json_object_set_new(search, "id_number", json_string(idn));
        if (checksum_resident_id_check(idn, "id_number", norm, &qec) < 0) {
            json_object_set_new(ctx, "search_error", json_string(qec.message));
            o.f.id_number = "-"; /* matches nobody: no list for a malformed number */
        } else {
            o.f.id_number = norm;
        }
    }
    if ((rc = store_read(req->store, read_people, &o, ec)) < 0) {
        json_decref(ctx);
        json_decref(search);
        return rc;
    }
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, org_person_json(&o.items[i], req->principal));
    if (o.more) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "/console/people");
        page_query_add(&sb, "q", q);
        page_query_add(&sb, "id_number", idn);
        page_query_add(&sb, "cursor",
                       arena_printf(req->arena, "%lld", (long long)o.items[o.n - 1].id));
        json_object_set_new(ctx, "next_href", json_string(sb.buf));
        strbuf_release(&sb);
    }
    if (json_object_get(ctx, "form")) {
        const char *s = json_string_value(json_object_get(json_object_get(ctx, "form"), "unit_id"));
        int64_t v;
        if (s && str_to_int64(s, 1, INT64_MAX, &v) == 0)
            unit_sel = v;
    }
    json_object_set_new(ctx, "title", json_string("人员"));
    json_object_set_new(ctx, "people", items);
    json_object_set_new(ctx, "has_people", json_boolean(o.n > 0));
    json_object_set_new(ctx, "search", search);
    json_object_set_new(ctx, "masked", json_boolean(!access_sees_personal_ids(req->principal)));
    json_object_set_new(ctx, "can_write",
                        json_boolean(access_has_role(req->principal, ORG_WRITE_ROLES)));
    json_object_set_new(ctx, "units", org_unit_options(o.units, o.nunits, unit_sel));
    if (form_ec)
        return web_render_invalid(req, "console/org/people", ctx, form_ec);
    return web_render(req, status, "console/org/people", ctx, ec);
}

/* GET /console/people?q=NAME&id_number=N&cursor=C -> 200 people in scope, numbers masked
 *   by role, and the form to register one */
static int page_people(struct http_request *req, struct err_ctx *ec)
{
    return people_page(req, 200, NULL, NULL, ec);
}

static int write_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct people_read *o = arg;
    return people_create(c, o->req->arena, o->req->principal, &o->in, &o->id, ec);
}

/* POST /console/people  name=&unit_id=&gender=&phone=&id_number=&notes=
 *   -> 303 /console/people | 409/422 the form again, the error beside the field */
static int page_people_post(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"name",      "unit_id", "gender", "phone",
                                       "id_number", "notes",   NULL};
    struct people_read o = {.req = req};
    struct http_form *f;
    const char *unit;
    json_t *ctx;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    o.in.set_name = o.in.set_unit = true;
    o.in.name = page_field(req, f, "name");
    unit = page_field(req, f, "unit_id");
    o.in.gender = page_field(req, f, "gender");
    o.in.set_gender = o.in.gender != NULL;
    o.in.phone = page_field(req, f, "phone");
    o.in.set_phone = o.in.phone != NULL;
    o.in.id_number = page_field(req, f, "id_number");
    o.in.set_id_number = o.in.id_number != NULL;
    o.in.notes = page_field(req, f, "notes");
    o.in.set_notes = o.in.notes != NULL;
    if (unit && str_to_int64(unit, 1, INT64_MAX, &o.in.unit_id) < 0)
        rc = err_set(ec, ERR_INVALID, "unit_id", "请选择所属单位");
    else
        rc = store_write(req->store, write_person, &o, ec);
    if (rc < 0) {
        ctx = json_object();
        web_form_values(ctx, f, keep);
        return people_page(req, 422, ctx, ec, ec);
    }
    web_flash(req, WEB_FLASH_SUCCESS, arena_printf(req->arena, "已登记人员 %s。", o.in.name));
    return web_redirect_see_other(req, "/console/people");
}

/* ================================================================
 * Registers
 * ================================================================ */

struct reg_read {
    struct http_request *req;
    struct register_filter f;
    json_t *out;
    bool more;
};

static int read_officers(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_read *o = arg;
    return registers_officers(c, o->req->arena, o->req->principal, &o->f, &o->out, ec);
}

/* GET /console/officers -> 200 people holding a certificate valid today, each
 *   certificate flagged 即将到期 when it ends within ORG_EXPIRING_DAYS */
static int page_officers(struct http_request *req, struct err_ctx *ec)
{
    struct reg_read o = {.req = req};
    char today[TIME_DATE_LEN];
    int rc;

    org_today(today);
    o.f.active_on = today;
    if ((rc = store_read(req->store, read_officers, &o, ec)) < 0)
        return rc;
    return web_render(req, 200, "console/org/officers",
                      json_pack("{s:s, s:o, s:b, s:s, s:i}", "title", "执法人员", "officers", o.out,
                                "has_officers", json_array_size(o.out) > 0, "today", today,
                                "expiring_days", ORG_EXPIRING_DAYS),
                      ec);
}

static int read_literates(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct reg_read *o = arg;
    return registers_list(c, o->req->arena, o->req->principal, REG_LEGAL_LITERATE, &o->f, &o->out,
                          &o->more, ec);
}

/* GET /console/legal-literates?cursor=C -> 200 the legal-literate residents in scope */
static int page_literates(struct http_request *req, struct err_ctx *ec)
{
    struct reg_read o = {.req = req};
    const char *cursor = http_query(req, "cursor");
    json_t *ctx;
    int rc;

    o.f.limit = REGISTER_PAGE;
    if (cursor && *cursor && str_to_int64(cursor, 0, INT64_MAX, &o.f.after_id) < 0)
        o.f.after_id = 0;
    if ((rc = store_read(req->store, read_literates, &o, ec)) < 0)
        return rc;
    ctx = json_pack("{s:s, s:b}", "title", "法律明白人", "has_items", json_array_size(o.out) > 0);
    if (o.more) {
        json_t *last = json_array_get(o.out, json_array_size(o.out) - 1);
        json_object_set_new(
            ctx, "next_href",
            json_string(arena_printf(req->arena, "/console/legal-literates?cursor=%lld",
                                     (long long)json_integer_value(json_object_get(last, "id")))));
    }
    json_object_set_new(ctx, "items", o.out);
    return web_render(req, 200, "console/org/literates", ctx, ec);
}

static const struct http_route org_page_list[] = {
    {"GET", "/console/units", page_units, HTTP_PAGE, 0},
    {"GET", "/console/people", page_people, HTTP_PAGE, 0},
    {"POST", "/console/people", page_people_post, HTTP_PAGE, ORG_WRITE_ROLES},
    {"GET", "/console/officers", page_officers, HTTP_PAGE, 0},
    {"GET", "/console/legal-literates", page_literates, HTTP_PAGE, 0},
};

const struct http_route_table org_pages = {org_page_list, ARRAY_SIZE(org_page_list)};
