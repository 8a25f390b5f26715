/*
 * cases_http.c - deadlines across case types, in the caller's scope.
 *
 *   GET /api/v1/cases/overdue?unit=
 *       -> 200 {"items":[{"id","type","type_name","state","state_label",
 *                         "unit":{"id","name"},"due_on","days_over"}]}
 *   GET /api/v1/cases/due-soon?days=N&unit=      (N in 1..60, default 3)
 *       -> 200 {"items":[{... "days_left"}]}
 *
 * unit defaults to the caller's own; one outside the caller's scope answers
 * 404 naming unit. Today is the local (UTC+8) date. The dashboard section
 * "待办期限" shows how many are overdue and due within 3 days (one counting
 * query, case_count_due), when either is not zero.
 */
#include "core/compat.h"
#include "modules/cases/cases_http.h"

#include "core/arena.h"
#include "core/str.h"
#include "modules/cases/cases.h"
#include "modules/org/org.h"
#include "store/store.h"

struct cases_op {
    struct http_request *req;
    int64_t unit_id; /* 0: the caller's unit */
    int days;        /* < 0: overdue */
    struct date today;
    struct cases_item *items;
    size_t n;
};

static int read_lists(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct cases_op *o = arg;
    const struct principal *p = o->req->principal;
    const char *path = p->unit_path;
    struct unit u;
    int rc;

    if (o->unit_id) {
        rc = org_unit_get(c, o->req->arena, o->unit_id, &u, ec);
        if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, u.path))) {
            err_clear(ec);
            return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在或不在您的权限范围内");
        }
        if (rc < 0)
            return rc;
        path = u.path;
    }
    return cases_list(c, o->req->arena, path, o->today, o->days, &o->items, &o->n, ec);
}

struct due_counts {
    const char *scope;
    struct date today;
    int64_t overdue, soon;
};

static int count_due(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct due_counts *d = arg;
    return case_count_due(c, d->scope, d->today, CASES_DUE_SOON_DAYS, &d->overdue, &d->soon, ec);
}

static int reply_list(struct http_request *req, struct cases_op *o, struct err_ctx *ec)
{
    json_t *items;
    int64_t unit;
    int rc;

    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &unit, ec)) < 0)
        return rc;
    o->req = req;
    o->unit_id = unit;
    o->today = cases_today();
    if ((rc = store_read(req->store, read_lists, o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o->n; i++)
        json_array_append_new(items, cases_item_json(&o->items[i], o->days < 0));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/cases/overdue?unit= -> 200 */
static int handle_overdue(struct http_request *req, struct err_ctx *ec)
{
    struct cases_op o = {.days = -1};

    return reply_list(req, &o, ec);
}

/* GET /api/v1/cases/due-soon?days=&unit= -> 200 */
static int handle_due_soon(struct http_request *req, struct err_ctx *ec)
{
    struct cases_op o = {0};
    int64_t days;
    int rc;

    if ((rc = http_query_int(req, "days", 1, CASES_DAYS_MAX, CASES_DUE_SOON_DAYS, &days, ec)) < 0)
        return rc;
    o.days = (int)days;
    return reply_list(req, &o, ec);
}

/* The dashboard hook: how many cases of the caller's scope are overdue or
 * due within 3 days; nothing when there are none. */
static int cases_dashboard(struct http_request *req, json_t *sections, struct err_ctx *ec)
{
    struct due_counts o = {req->principal->unit_path, cases_today(), 0, 0};
    int rc;

    if (!access_has_role(req->principal, CASES_READ_ROLES))
        return 0;
    if ((rc = store_read(req->store, count_due, &o, ec)) < 0)
        return rc;
    if (o.overdue == 0 && o.soon == 0)
        return 0;
    json_array_append_new(
        sections,
        json_pack("{s:s, s:s, s:b, s:I, s:I, s:i, s:s, s:s}", "id", "case-deadlines", "title",
                  "待办期限", "deadlines", 1, "overdue", (json_int_t)o.overdue, "due_soon",
                  (json_int_t)o.soon, "days", CASES_DUE_SOON_DAYS, "overdue_href",
                  "/api/v1/cases/overdue", "due_soon_href",
                  arena_printf(req->arena, "/api/v1/cases/due-soon?days=%d", CASES_DUE_SOON_DAYS)));
    return 0;
}

static const struct http_route cases_route_list[] = {
    {"GET", "/api/v1/cases/overdue", handle_overdue, 0, CASES_READ_ROLES},
    {"GET", "/api/v1/cases/due-soon", handle_due_soon, 0, CASES_READ_ROLES},
};

const struct module cases_module = {
    .name = "cases",
    .routes = {cases_route_list, ARRAY_SIZE(cases_route_list)},
    .dashboard = cases_dashboard,
};
