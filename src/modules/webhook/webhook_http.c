/*
 * webhook_http.c - webhooks over HTTP, for administrators at a root unit.
 *
 *   GET    /api/v1/webhooks              -> 200 {"items":[webhook...]} (never a secret)
 *   POST   /api/v1/webhooks  {"name","url","events","secret"?}
 *                                        -> 201 webhook + "secret" (shown this once;
 *                                           32 random bytes in hex when not given)
 *   GET    /api/v1/webhooks/{id}         -> 200 webhook
 *   PATCH  /api/v1/webhooks/{id}  {"name"?,"url"?,"events"?,"active"?} -> 200 webhook
 *   DELETE /api/v1/webhooks/{id}         -> 204 (deactivates; 409 when already off)
 *   GET    /api/v1/webhooks/{id}/deliveries?limit=N (1..500, default 50)
 *                                        -> 200 {"items":[attempt...]} newest first
 *
 * webhook: {"id","name","url","events":["matter.notify","case.*"],"active",
 * "created_at","updated_at","cursor_event_id"}. "events" is given as that
 * array or as one comma-separated string. A bad field is a 422 naming it,
 * and nothing is changed.
 */
#include "core/compat.h"
#include "modules/webhook/webhook_http.h"

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "modules/webhook/webhook.h"
#include "modules/webhook/webhook_pages.h"
#include "store/store.h"

struct webhook_op {
    struct http_request *req;
    int64_t id, limit;
    struct webhook_new in;
    struct webhook_change ch;
    char secret[WEBHOOK_SECRET_MAX + 1];
    struct webhook hook;
    struct webhook *items;
    struct webhook_delivery *deliveries;
    size_t n;
};

/* Member "events": a comma-separated string or an array of strings, as one
 * string; NULL when absent (ERR_INVALID when required). */
static int events_field(json_t *body, bool required, struct arena *a, const char **out,
                        struct err_ctx *ec)
{
    json_t *v = json_object_get(body, "events");
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *el;

    *out = NULL;
    if (!v || json_is_null(v))
        return required ? err_set(ec, ERR_INVALID, "events", "请填写要订阅的事件类型") : 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return err_set(ec, ERR_INVALID, "events", "事件类型应为字符串数组或逗号分隔的字符串");
    json_array_foreach(v, i, el)
    {
        if (!json_is_string(el) || strchr(json_string_value(el), ',')) {
            strbuf_release(&sb);
            return err_set(ec, ERR_INVALID, "events", "事件类型数组的每一项应为一个类型");
        }
        if (i)
            strbuf_addch(&sb, ',');
        strbuf_adds(&sb, json_string_value(el));
    }
    *out = arena_strndup(a, sb.buf ? sb.buf : "", sb.len);
    strbuf_release(&sb);
    return 0;
}

static int list_hooks(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    return webhook_list(c, o->req->arena, o->req->principal, &o->items, &o->n, ec);
}

/* GET /api/v1/webhooks -> 200 {"items":[webhook...]} */
static int handle_list(struct http_request *req, struct err_ctx *ec)
{
    struct webhook_op o = {.req = req};
    json_t *items;
    int rc = store_read(req->store, list_hooks, &o, ec);

    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, webhook_json(&o.items[i]));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static int create_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    int rc = webhook_create(c, o->req->arena, o->req->principal, &o->in, &o->id, o->secret, ec);
    return rc < 0 ? rc : webhook_get(c, o->req->arena, o->req->principal, o->id, &o->hook, ec);
}

/* POST /api/v1/webhooks {"name","url","events","secret"?} -> 201 webhook + "secret" */
static int handle_create(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"name", "url", "events", "secret", NULL};
    struct webhook_op o = {.req = req};
    json_t *body, *reply;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "name", true, 50, &o.in.name, ec)) < 0 ||
        (rc = json_field_text(body, "url", true, WEBHOOK_URL_MAX, &o.in.url, ec)) < 0 ||
        (rc = events_field(body, true, req->arena, &o.in.events, ec)) < 0 ||
        (rc = json_field_text(body, "secret", false, WEBHOOK_SECRET_MAX, &o.in.secret, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, create_hook, &o, ec)) < 0)
        return rc;
    reply = webhook_json(&o.hook);
    json_object_set_new(reply, "secret", json_string(o.secret));
    return http_reply_json(req, 201, reply);
}

static int get_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    return webhook_get(c, o->req->arena, o->req->principal, o->id, &o->hook, ec);
}

/* GET /api/v1/webhooks/{id} -> 200 webhook | 404 */
static int handle_get(struct http_request *req, struct err_ctx *ec)
{
    struct webhook_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, get_hook, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, webhook_json(&o.hook));
}

static int update_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    int rc = webhook_update(c, o->req->arena, o->req->principal, o->id, &o->ch, ec);
    return rc < 0 ? rc : get_hook(c, o, ec);
}

/* PATCH /api/v1/webhooks/{id} {"name"?,"url"?,"events"?,"active"?} -> 200 webhook */
static int handle_update(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"name", "url", "events", "active", NULL};
    struct webhook_op o = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "name", false, 50, &o.ch.name, ec)) < 0 ||
        (rc = json_field_text(body, "url", false, WEBHOOK_URL_MAX, &o.ch.url, ec)) < 0 ||
        (rc = events_field(body, false, req->arena, &o.ch.events, ec)) < 0 ||
        (rc = json_field_bool(body, "active", false, &o.ch.active, &o.ch.set_active, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, update_hook, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, webhook_json(&o.hook));
}

static int disable_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    return webhook_disable(c, o->req->arena, o->req->principal, o->id, ec);
}

/* DELETE /api/v1/webhooks/{id} -> 204 | 404 | 409 already inactive */
static int handle_disable(struct http_request *req, struct err_ctx *ec)
{
    struct webhook_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_write(req->store, disable_hook, &o, ec)) < 0)
        return rc;
    return http_reply_empty(req);
}

static int read_deliveries(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct webhook_op *o = arg;
    return webhook_deliveries(c, o->req->arena, o->req->principal, o->id, o->limit, &o->deliveries,
                              &o->n, ec);
}

/* GET /api/v1/webhooks/{id}/deliveries?limit=N -> 200 {"items":[...]} newest first */
static int handle_deliveries(struct http_request *req, struct err_ctx *ec)
{
    struct webhook_op o = {.req = req};
    json_t *items;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_query_int(req, "limit", 1, 500, 50, &o.limit, ec)) < 0 ||
        (rc = store_read(req->store, read_deliveries, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, webhook_delivery_json(&o.deliveries[i]));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static const struct http_route webhook_route_list[] = {
    {"GET", "/api/v1/webhooks", handle_list, 0, ROLE_ADMIN},
    {"POST", "/api/v1/webhooks", handle_create, 0, ROLE_ADMIN},
    {"GET", "/api/v1/webhooks/{id}", handle_get, 0, ROLE_ADMIN},
    {"PATCH", "/api/v1/webhooks/{id}", handle_update, 0, ROLE_ADMIN},
    {"DELETE", "/api/v1/webhooks/{id}", handle_disable, 0, ROLE_ADMIN},
    {"GET", "/api/v1/webhooks/{id}/deliveries", handle_deliveries, 0, ROLE_ADMIN},
};

const struct module webhook_module = {
    .name = "webhook",
    .routes = {webhook_route_list, ARRAY_SIZE(webhook_route_list)},
    .pages = &webhook_pages,
};
