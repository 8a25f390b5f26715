/*
 * webhook_pages.c - webhooks as console pages, for administrators at a
 * root unit (webhook.h's rule; anyone else gets the 403 page):
 *
 *   GET  /console/admin/webhooks               the webhooks and the form to add one
 *   POST /console/admin/webhooks  name=&url=&events=
 *        -> 201 the page showing the new secret once | 422 the form again
 *   POST /console/admin/webhooks/{id}/disable  -> 303 back with a flash | 404 | 409
 *   GET  /console/admin/webhooks/{id}          the webhook and its delivery log
 *
 * The secret is shown on the reply to the POST only (not a redirect), as
 * the API token page does: the list never carries it.
 */
#include "core/compat.h"
#include "modules/webhook/webhook_pages.h"

#include "core/arena.h"
#include "core/str.h"
#include "modules/webhook/webhook.h"
#include "store/store.h"
#include "web/page.h"
#include "web/web.h"

#define HOOKS_PATH    "/console/admin/webhooks"
#define DELIVERY_ROWS 100

struct hooks_op {
    struct http_request *req;
    int64_t id;
    struct webhook_new in;
    char secret[WEBHOOK_SECRET_MAX + 1];
    struct webhook hook;
    struct webhook *items;
    struct webhook_delivery *deliveries;
    size_t n;
};

static int require_root_admin(struct http_request *req, struct err_ctx *ec)
{
    return access_require_root_admin(req->principal, "管理 Webhook", ec);
}

/* The event types "a.b,c.*" as people read them: "a.b、c.*". */
static const char *events_text(struct arena *a, const char *events)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    for (const char *p = events; *p; p++) {
        if (*p == ',')
            strbuf_adds(&sb, "、");
        else
            strbuf_addch(&sb, *p);
    }
    s = arena_strdup(a, sb.buf ? sb.buf : "");
    strbuf_release(&sb);
    return s;
}

static const char *outcome_label(const char *outcome)
{
    if (strcmp(outcome, "delivered") == 0)
        return "已送达";
    if (strcmp(outcome, "retry") == 0)
        return "重试";
    if (strcmp(outcome, "gave_up") == 0)
        return "放弃";
    if (strcmp(outcome, "failed") == 0)
        return "失败";
    return outcome;
}

static const char *outcome_badge(const char *outcome)
{
    if (strcmp(outcome, "delivered") == 0)
        return "badge-success";
    if (strcmp(outcome, "retry") == 0)
        return "badge-warning";
    return "badge-danger";
}

static json_t *hook_row(struct http_request *req, const struct webhook *w)
{
    char created[PAGE_INSTANT_LEN];

    page_instant(w->created_at_ms, created);
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:s, s:I, s:s}", "id", (json_int_t)w->id, "name",
                     w->name, "url", w->url, "events", events_text(req->arena, w->events), "active",
                     w->active, "created", created, "cursor", (json_int_t)w->cursor_event_id,
                     "href", arena_printf(req->arena, HOOKS_PATH "/%lld", (long long)w->id));
}

static int read_hooks(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hooks_op *o = arg;
    return webhook_list(c, o->req->arena, o->req->principal, &o->items, &o->n, ec);
}

/* The list page; 'ctx' may carry the form after a fault or the new secret. */
static int hooks_page(struct http_request *req, int status, json_t *ctx, struct err_ctx *form_ec,
                      struct err_ctx *ec)
{
    struct hooks_op o = {.req = req};
    json_t *items;
    struct err_ctx fe;
    int rc;

    if (form_ec) {
        fe = *form_ec; /* the read below uses ec afresh */
        form_ec = &fe;
        err_clear(ec);
    }
    if ((rc = store_read(req->store, read_hooks, &o, ec)) < 0) {
        json_decref(ctx);
        return rc;
    }
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, hook_row(req, &o.items[i]));
    if (!ctx)
        ctx = json_object();
    json_object_set_new(ctx, "title", json_string("Webhook"));
    json_object_set_new(ctx, "webhooks", items);
    if (form_ec)
        return web_render_invalid(req, "console/admin/webhooks", ctx, form_ec);
    return web_render(req, status, "console/admin/webhooks", ctx, ec);
}

/* GET /console/admin/webhooks -> 200 the webhooks (never a secret) and the form | 403 */
static int page_hooks(struct http_request *req, struct err_ctx *ec)
{
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0)
        return rc;
    return hooks_page(req, 200, NULL, NULL, ec);
}

static int create_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hooks_op *o = arg;
    int rc = webhook_create(c, o->req->arena, o->req->principal, &o->in, &o->id, o->secret, ec);
    return rc < 0 ? rc : webhook_get(c, o->req->arena, o->req->principal, o->id, &o->hook, ec);
}

/* POST /console/admin/webhooks  name=&url=&events= -> 201 the page showing the secret once
 *   | 422 the form again. Not a redirect: the secret is shown on this reply alone. */
static int page_hooks_post(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"name", "url", "events", NULL};
    struct hooks_op o = {.req = req};
    struct http_form *f;
    json_t *ctx;
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0 || (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    o.in.name = page_field(req, f, "name");
    o.in.url = page_field(req, f, "url");
    o.in.events = page_field(req, f, "events");
    if (!o.in.name)
        rc = err_set(ec, ERR_INVALID, "name", "请填写名称");
    else if (!o.in.url)
        rc = err_set(ec, ERR_INVALID, "url", "请填写接收地址");
    else if (strlen(o.in.url) > WEBHOOK_URL_MAX)
        rc = err_set(ec, ERR_INVALID, "url", "地址过长");
    else if (!o.in.events)
        rc = err_set(ec, ERR_INVALID, "events", "请填写要订阅的事件类型");
    else
        rc = store_write(req->store, create_hook, &o, ec);
    ctx = json_object();
    if (rc < 0) {
        web_form_values(ctx, f, keep);
        return hooks_page(req, 422, ctx, ec, ec);
    }
    json_object_set_new(ctx, "new_webhook",
                        json_pack("{s:s, s:s, s:s}", "name", o.hook.name, "secret", o.secret,
                                  "href",
                                  arena_printf(req->arena, HOOKS_PATH "/%lld", (long long)o.id)));
    return hooks_page(req, 201, ctx, NULL, ec);
}

static int disable_hook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hooks_op *o = arg;
    int rc = webhook_get(c, o->req->arena, o->req->principal, o->id, &o->hook, ec);
    return rc < 0 ? rc : webhook_disable(c, o->req->arena, o->req->principal, o->id, ec);
}

/* POST /console/admin/webhooks/{id}/disable -> 303 /console/admin/webhooks | 404 | 409 */
static int page_hook_disable(struct http_request *req, struct err_ctx *ec)
{
    struct hooks_op o = {.req = req};
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0 || (rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_write(req->store, disable_hook, &o, ec)) < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS,
              arena_printf(req->arena, "Webhook“%s”已停用，不再向它发送事件。", o.hook.name));
    return web_redirect_see_other(req, HOOKS_PATH);
}

static int read_deliveries(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct hooks_op *o = arg;
    int rc = webhook_get(c, o->req->arena, o->req->principal, o->id, &o->hook, ec);
    return rc < 0 ? rc
                  : webhook_deliveries(c, o->req->arena, o->req->principal, o->id, DELIVERY_ROWS,
                                       &o->deliveries, &o->n, ec);
}

/* GET /console/admin/webhooks/{id} -> 200 the webhook and its newest deliveries | 404 */
static int page_hook(struct http_request *req, struct err_ctx *ec)
{
    struct hooks_op o = {.req = req};
    json_t *rows, *ctx;
    int rc;

    if ((rc = require_root_admin(req, ec)) < 0 || (rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_deliveries, &o, ec)) < 0)
        return rc;
    rows = json_array();
    for (size_t i = 0; i < o.n; i++) {
        const struct webhook_delivery *d = &o.deliveries[i];
        char at[PAGE_INSTANT_LEN];
        page_instant(d->at_ms, at);
        json_array_append_new(
            rows,
            json_pack("{s:s, s:I, s:s, s:i, s:s, s:s, s:I, s:s, s:s}", "at", at, "event_id",
                      (json_int_t)d->event_id, "event_type", d->event_type, "attempt", d->attempt,
                      "status",
                      d->http_status ? arena_printf(req->arena, "%d", d->http_status) : "无响应",
                      "error", d->error ? d->error : "", "duration_ms", (json_int_t)d->duration_ms,
                      "outcome", outcome_label(d->outcome), "badge", outcome_badge(d->outcome)));
    }
    ctx = json_pack("{s:s, s:o, s:o, s:i}", "title",
                    arena_printf(req->arena, "Webhook“%s”的投递记录", o.hook.name), "webhook",
                    hook_row(req, &o.hook), "deliveries", rows, "limit", DELIVERY_ROWS);
    return web_render(req, 200, "console/admin/webhook", ctx, ec);
}

#define PAGE HTTP_PAGE

static const struct http_route webhook_page_list[] = {
    {"GET", "/console/admin/webhooks", page_hooks, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/webhooks", page_hooks_post, PAGE, ROLE_ADMIN},
    {"GET", "/console/admin/webhooks/{id}", page_hook, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/webhooks/{id}/disable", page_hook_disable, PAGE, ROLE_ADMIN},
};

#undef PAGE

const struct http_route_table webhook_pages = {webhook_page_list, ARRAY_SIZE(webhook_page_list)};
