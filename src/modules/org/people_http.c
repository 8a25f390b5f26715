/*
 * people_http.c - people over HTTP: /api/v1/people.
 *
 * Every person in a response comes from org_person_json() with the caller
 * as viewer, which masks the resident ID and phone numbers for roles that do
 * not need them (core/access.h).
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/checksum.h"
#include "core/json.h"
#include "core/str.h"
#include "modules/org/org_http_internal.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

struct person_op {
    struct http_request *req;
    int64_t id;
    struct person_input in;
    struct person_filter f;
    struct person person;
    struct person *items;
    size_t n;
    bool more;
};

/* Reads the members of a create or change into *in; the values are checked
 * by people_create / people_update. */
static int parse_person(struct http_request *req, json_t *body, struct person_input *in,
                        struct err_ctx *ec)
{
    static const char *const fields[] = {"name",      "unit_id", "gender", "phone",
                                         "id_number", "tags",    "notes",  NULL};
    json_t *tags;
    int rc;

    if ((rc = json_fields_allowed(body, fields, ec)) < 0)
        return rc;
    in->set_name = org_http_has(body, "name");
    in->set_unit = org_http_has(body, "unit_id");
    in->set_gender = org_http_has(body, "gender");
    in->set_phone = org_http_has(body, "phone");
    in->set_id_number = org_http_has(body, "id_number");
    in->set_notes = org_http_has(body, "notes");
    in->set_tags = org_http_has(body, "tags");
    if ((rc = json_field_text(body, "name", false, 50, &in->name, ec)) < 0 ||
        (rc = json_field_int(body, "unit_id", false, 1, INT64_MAX, &in->unit_id, NULL, ec)) < 0 ||
        (rc = json_field_text(body, "gender", false, 8, &in->gender, ec)) < 0 ||
        (rc = json_field_text(body, "phone", false, CHECKSUM_PHONE_MAX, &in->phone, ec)) < 0 ||
        (rc = json_field_text(body, "id_number", false, 32, &in->id_number, ec)) < 0 ||
        (rc = json_field_text(body, "notes", false, 500, &in->notes, ec)) < 0)
        return rc;
    tags = json_object_get(body, "tags");
    if (tags && !json_is_null(tags)) {
        const char **list;
        size_t i;
        json_t *t;

        if (!json_is_array(tags))
            return err_set(ec, ERR_INVALID, "tags", "应为文本数组");
        list = arena_calloc(req->arena, json_array_size(tags) + 1, sizeof(*list));
        json_array_foreach(tags, i, t)
        {
            if (!json_is_string(t))
                return err_set(ec, ERR_INVALID, "tags", "应为文本数组");
            list[i] = json_string_value(t);
        }
        in->tags = list;
        in->ntags = json_array_size(tags);
    }
    return 0;
}

static int get_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_op *o = arg;
    int rc = org_person_get(c, o->req->arena, o->id, &o->person, ec);

    if (rc == ERR_NOT_FOUND ||
        (rc == 0 && !access_in_scope(o->req->principal, o->person.unit_path))) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "id", "人员不存在");
    }
    return rc;
}

static int list_people(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_op *o = arg;
    return people_list(c, o->req->arena, o->req->principal, &o->f, &o->items, &o->n, &o->more, ec);
}

/* A text query argument of at most 'max' characters, or NULL. */
static int query_text(struct http_request *req, const char *name, size_t max, const char **out,
                      struct err_ctx *ec)
{
    const char *s = http_query(req, name);

    *out = NULL;
    if (!s || !*s)
        return 0;
    if (!str_is_clean_utf8(s, strlen(s)) || str_utf8_len(s) > max)
        return err_set(ec, ERR_BAD_REQUEST, name, "查询参数 %s 不能超过 %zu 个字", name, max);
    *out = s;
    return 0;
}

/* GET /api/v1/people?unit=ID&q=NAME&tag=T&id_number=N&cursor=C&limit=N
 *   -> 200 {"items":[person...],"next_cursor":"C"|null} in the caller's scope, by id */
int people_http_list(struct http_request *req, struct err_ctx *ec)
{
    struct person_op o = {.req = req};
    const char *cursor = http_query(req, "cursor"), *id_number;
    json_t *items;
    int rc;

    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o.f.unit_id, ec)) < 0 ||
        (rc = http_query_int(req, "limit", 1, 200, 50, &o.f.limit, ec)) < 0 ||
        (rc = query_text(req, "q", 50, &o.f.q, ec)) < 0 ||
        (rc = query_text(req, "tag", 20, &o.f.tag, ec)) < 0 ||
        (rc = query_text(req, "id_number", 32, &id_number, ec)) < 0)
        return rc;
    if (cursor && *cursor && str_to_int64(cursor, 0, INT64_MAX, &o.f.after_id) < 0)
        return err_set(ec, ERR_BAD_REQUEST, "cursor", "cursor 应为上一页返回的 next_cursor");
    if (id_number) {
        /* Searched in its stored form: a lowercase x is the same number. */
        char *norm = arena_alloc(req->arena, CHECKSUM_ID_LEN + 1);
        if (checksum_resident_id_check(id_number, "id_number", norm, ec) < 0) {
            ec->code = ERR_BAD_REQUEST; /* a query argument, not a field of a body */
            return ERR_BAD_REQUEST;
        }
        o.f.id_number = norm;
    }
    if ((rc = store_read(req->store, list_people, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, org_person_json(&o.items[i], req->principal));
    return http_reply_json(
        req, 200,
        json_pack(
            "{s:o, s:o}", "items", items, "next_cursor",
            o.more ? json_string(arena_printf(req->arena, "%lld", (long long)o.items[o.n - 1].id))
                   : json_null()));
}

/* GET /api/v1/people/{id} -> 200 person | 404 (also outside scope) */
int people_http_get(struct http_request *req, struct err_ctx *ec)
{
    struct person_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, get_person, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, org_person_json(&o.person, req->principal));
}

static int create_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_op *o = arg;
    int rc = people_create(c, o->req->arena, o->req->principal, &o->in, &o->id, ec);
    return rc < 0 ? rc : get_person(c, arg, ec);
}

/* POST /api/v1/people {"name","unit_id","gender"?,"phone"?,"id_number"?,"tags"?:[...],"notes"?}
 *   -> 201 person | 403 | 409 id_number | 422 naming the field */
int people_http_create(struct http_request *req, struct err_ctx *ec)
{
    struct person_op o = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 || (rc = parse_person(req, body, &o.in, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, create_person, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 201, org_person_json(&o.person, req->principal));
}

static int update_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_op *o = arg;
    int rc = people_update(c, o->req->arena, o->req->principal, o->id, &o->in, ec);
    return rc < 0 ? rc : get_person(c, arg, ec);
}

/* PATCH /api/v1/people/{id} {any of the POST members; null clears an optional one}
 *   -> 200 person | 403 | 404 | 409 | 422 */
int people_http_update(struct http_request *req, struct err_ctx *ec)
{
    struct person_op o = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 || (rc = parse_person(req, body, &o.in, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, update_person, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, org_person_json(&o.person, req->principal));
}

static int delete_person(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct person_op *o = arg;
    return people_delete(c, o->req->arena, o->req->principal, o->id, ec);
}

/* DELETE /api/v1/people/{id} -> 204 | 403 | 404 | 409 while a register holds the person */
int people_http_delete(struct http_request *req, struct err_ctx *ec)
{
    struct person_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_write(req->store, delete_person, &o, ec)) < 0)
        return rc;
    return http_reply_empty(req);
}
