/*
 * metrics_http.c - the report figures over HTTP.
 *
 *   GET /api/v1/metrics?unit=&year=[&quarter=|&month=]   or  ?unit=&from=&to=
 *       -> 200 {"unit":{...},"period":{"from","to","label"},
 *               "metrics":[{"name","label","unit","kind","value","text",
 *                           "numerator"?,"denominator"?}]}
 *   GET /api/v1/metrics/{name}/records?unit=&year=...&limit=
 *       -> 200 {"metric":{...as above},"unit","period","records":[...],"more"} | 404
 *
 * Every figure of one reply is computed in one store_read, so they agree
 * with each other even while clerks keep recording. unit defaults to the
 * caller's own; a unit outside the caller's scope answers 404.
 */
#include "core/compat.h"
#include "modules/metrics/metrics_http.h"

#include "core/arena.h"
#include "core/str.h"
#include "modules/metrics/metrics.h"
#include "store/store.h"

/* Compact JSON with reals at 15 significant digits, which prints every
 * value (scaled integers below 10^15) exactly. */
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

/*
 * The period of the query string: year (with quarter or month), or from
 * and to. A malformed argument is ERR_BAD_REQUEST naming it; a date that is
 * not real, or a range ending before it starts, ERR_INVALID.
 */
static int read_period(struct http_request *req, struct metric_period *out, struct err_ctx *ec)
{
    const char *from = http_query_text(req, "from"), *to = http_query_text(req, "to");
    int64_t year, quarter, month;
    int rc;

    if ((rc = http_query_int(req, "year", 1900, 9999, 0, &year, ec)) < 0 ||
        (rc = http_query_int(req, "quarter", 1, 4, 0, &quarter, ec)) < 0 ||
        (rc = http_query_int(req, "month", 1, 12, 0, &month, ec)) < 0)
        return rc;
    if (from || to) {
        if (year || quarter || month)
            return err_set(ec, ERR_BAD_REQUEST, "year",
                           "year、quarter、month 不能与 from、to 同时使用");
        if (!from)
            return err_set(ec, ERR_BAD_REQUEST, "from", "需要开始日期 from");
        if (!to)
            return err_set(ec, ERR_BAD_REQUEST, "to", "需要结束日期 to");
        return metric_period_range(from, to, out, ec);
    }
    if (!year)
        return err_set(ec, ERR_BAD_REQUEST, "year", "需要年份 year，或起止日期 from 与 to");
    if (quarter && month)
        return err_set(ec, ERR_BAD_REQUEST, "month", "quarter 与 month 不能同时使用");
    if (quarter)
        return metric_period_quarter((int)year, (int)quarter, out, ec);
    if (month)
        return metric_period_month((int)year, (int)month, out, ec);
    return metric_period_year((int)year, out, ec);
}

static json_t *period_json(const struct metric_period *p)
{
    char label[96];

    metric_period_label(p, label, sizeof(label));
    return json_pack("{s:s, s:s, s:s}", "from", p->from, "to", p->to, "label", label);
}

struct metrics_op {
    struct http_request *req;
    int64_t unit_id;
    struct metric_period period;
    const struct metric *metric; /* records: the one metric */
    int64_t limit;
    struct unit unit;
    struct metric_result *results;
    struct metric_value value;
    struct metric_record *records;
    size_t nrecords;
    bool more;
};

static int read_all(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct metrics_op *o = arg;
    struct metric_query q;
    int rc;

    if ((rc = org_metric_query(c, o->req->arena, o->req->principal, o->unit_id, &o->period,
                               &o->unit, &q, ec)) < 0)
        return rc;
    return metric_evaluate_all(module_metrics(), &q, &o->results, ec);
}

/* Reads unit and period, and checks the registry is there. */
static int read_common(struct http_request *req, struct metrics_op *o, struct err_ctx *ec)
{
    int rc;

    o->req = req;
    if (!module_metrics())
        return err_set(ec, ERR_INTERNAL, "", "指标注册表尚未建立");
    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o->unit_id, ec)) < 0)
        return rc;
    return read_period(req, &o->period, ec);
}

/* GET /api/v1/metrics?unit=&year=[&quarter=|&month=] | ?unit=&from=&to= -> 200 */
static int handle_list(struct http_request *req, struct err_ctx *ec)
{
    struct metrics_op o = {0};
    const struct metric_registry *r = module_metrics();
    json_t *list;
    int rc;

    if ((rc = read_common(req, &o, ec)) < 0 || (rc = store_read(req->store, read_all, &o, ec)) < 0)
        return rc;
    list = json_array();
    for (size_t i = 0; i < metric_registry_count(r); i++)
        json_array_append_new(list, metric_value_json(o.results[i].metric, &o.results[i].value));
    return reply(req, json_pack("{s:o, s:o, s:o}", "unit", org_unit_json(&o.unit), "period",
                                period_json(&o.period), "metrics", list));
}

static int read_records(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct metrics_op *o = arg;
    struct metric_query q;
    int rc;

    if ((rc = org_metric_query(c, o->req->arena, o->req->principal, o->unit_id, &o->period,
                               &o->unit, &q, ec)) < 0 ||
        (rc = metric_evaluate(o->metric, &q, &o->value, ec)) < 0)
        return rc;
    return o->metric->records(o->metric, &q, (size_t)o->limit, &o->records, &o->nrecords, &o->more,
                              ec);
}

/* GET /api/v1/metrics/{name}/records?unit=&year=...&limit= -> 200 | 404 */
static int handle_records(struct http_request *req, struct err_ctx *ec)
{
    struct metrics_op o = {0};
    json_t *list;
    int rc;

    if ((rc = read_common(req, &o, ec)) < 0)
        return rc;
    o.metric = metric_registry_find(module_metrics(), http_param(req, "name"));
    if (!o.metric)
        return err_set(ec, ERR_NOT_FOUND, "name", "没有这个指标");
    if (!o.metric->records)
        return err_set(ec, ERR_NOT_FOUND, "name", "该指标没有可列出的明细记录");
    if ((rc = http_query_int(req, "limit", 1, METRIC_RECORDS_MAX, 100, &o.limit, ec)) < 0 ||
        (rc = store_read(req->store, read_records, &o, ec)) < 0)
        return rc;
    list = json_array();
    for (size_t i = 0; i < o.nrecords; i++)
        json_array_append_new(list, metric_record_json(o.metric, &o.records[i]));
    return reply(req,
                 json_pack("{s:o, s:o, s:o, s:o, s:b}", "metric",
                           metric_value_json(o.metric, &o.value), "unit", org_unit_json(&o.unit),
                           "period", period_json(&o.period), "records", list, "more", o.more));
}

static const struct http_route metrics_route_list[] = {
    {"GET", "/api/v1/metrics", handle_list, 0, METRICS_READ_ROLES},
    {"GET", "/api/v1/metrics/{name}/records", handle_records, 0, METRICS_READ_ROLES},
};

const struct module metrics_module = {
    .name = "metrics",
    .routes = {metrics_route_list, ARRAY_SIZE(metrics_route_list)},
};
