/*
 * findings_http.c - findings over HTTP (report/finding.h).
 *
 *   GET /api/v1/findings?unit=&year=[&quarter=|&month=]
 *       -> 200 {"unit":{...},"period":{"from","to","label"},
 *               "findings":[{"code","severity","severity_label","module","text",
 *                            "subject"?,"records":[{"type","id","title","date"?,
 *                            "href"?}],"records_total","records_href"?}]}
 *
 * Every module's findings (struct module's 'findings' hook) over the subtree
 * of the unit and the period, in one store_read, most severe first. The unit
 * defaults to the caller's own; one outside the caller's scope answers 404
 * (org_metric_query), and every module filters by the subtree, so a caller
 * never sees a finding about a unit it may not see.
 */
#include "core/compat.h"
#include "modules/findings/findings_http.h"

#include "core/arena.h"
#include "modules/org/org.h"
#include "report/metric.h"
#include "store/store.h"

/* Who reads findings: those who read the figures they rest on (staff,
 * officers and leaders, each in their scope; admin holds every role). */
#define FINDINGS_READ_ROLES (ROLE_STAFF | ROLE_OFFICER | ROLE_LEADER)

static int reply(struct http_request *req, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    char *copy;

    json_decref(body);
    if (!text)
        return ERR_INTERNAL;
    copy = arena_strdup(req->arena, text);
    free(text);
    return http_reply_bytes(req, 200, "application/json; charset=utf-8", copy, strlen(copy));
}

struct findings_op {
    struct http_request *req;
    int64_t unit_id;
    struct metric_period period;
    struct unit unit;
    struct finding_list list;
};

static int read_findings(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct findings_op *o = arg;
    struct metric_query q;
    int rc;

    /* A read may run again (a retried snapshot): start from an empty list. */
    finding_list_release(&o->list);
    finding_list_init(&o->list, o->req->arena);
    if ((rc = org_metric_query(c, o->req->arena, o->req->principal, o->unit_id, &o->period,
                               &o->unit, &q, ec)) < 0)
        return rc;
    return module_findings(&q, &o->list, ec);
}

/* GET /api/v1/findings?unit=&year=[&quarter=|&month=] -> 200 */
static int handle_findings(struct http_request *req, struct err_ctx *ec)
{
    struct findings_op o = {0};
    int64_t year, quarter, month;
    char label[96];
    json_t *list;
    int rc;

    o.req = req;
    finding_list_init(&o.list, req->arena);
    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o.unit_id, ec)) < 0 ||
        (rc = http_query_int(req, "year", 1900, 9999, 0, &year, ec)) < 0 ||
        (rc = http_query_int(req, "quarter", 1, 4, 0, &quarter, ec)) < 0 ||
        (rc = http_query_int(req, "month", 1, 12, 0, &month, ec)) < 0)
        return rc;
    if (!year)
        return err_set(ec, ERR_BAD_REQUEST, "year", "需要年份 year");
    if (quarter && month)
        return err_set(ec, ERR_BAD_REQUEST, "month", "quarter 与 month 不能同时使用");
    if (quarter)
        rc = metric_period_quarter((int)year, (int)quarter, &o.period, ec);
    else if (month)
        rc = metric_period_month((int)year, (int)month, &o.period, ec);
    else
        rc = metric_period_year((int)year, &o.period, ec);
    if (rc < 0 || (rc = store_read(req->store, read_findings, &o, ec)) < 0) {
        finding_list_release(&o.list);
        return rc;
    }
    list = json_array();
    for (size_t i = 0; i < o.list.n; i++)
        json_array_append_new(list, finding_json(&o.list.items[i]));
    finding_list_release(&o.list);
    metric_period_label(&o.period, label, sizeof(label));
    return reply(req, json_pack("{s:o, s:{s:s, s:s, s:s}, s:o}", "unit", org_unit_json(&o.unit),
                                "period", "from", o.period.from, "to", o.period.to, "label", label,
                                "findings", list));
}

static const struct http_route findings_route_list[] = {
    {"GET", "/api/v1/findings", handle_findings, 0, FINDINGS_READ_ROLES},
};

const struct module findings_module = {
    .name = "findings",
    .routes = {findings_route_list, ARRAY_SIZE(findings_route_list)},
};
