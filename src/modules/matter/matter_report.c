/*
 * matter_report.c - the resident matters' figures for reports
 * (report/metric.h; the definitions are in matter_report.h and
 * docs/matters.md, "Figures").
 *
 * A matter belongs to the subtree of the unit its case is in now (the unit
 * it was assigned to, or the type's handling unit), filtered on the
 * materialised path (u.path >= path AND u.path < path || '~'). Periods are
 * local dates (UTC+8); instants are ms, so a period [from, to] becomes
 * [from 00:00 +08:00, the day after 'to' 00:00 +08:00) in ms.
 *
 *   handled    state resolved or closed, resolved_at_ms in the period (the
 *              index matters_resolved): a matter answered with a reply. A
 *              rejected matter is not handled: it is refused at the door
 *              (matters.rejected.count). A matter reopened and resolved
 *              again counts once, in the period of its last resolution; one
 *              reopened and not yet resolved again does not count.
 *   received   submitted_at_ms in the period (index matters_submitted),
 *              whatever became of it.
 *   rejected   state rejected, the case closed (rejected) in the period.
 *
 * The rates and the average are over the handled of the period: on time
 * (resolved on or before the due date), the mean of (resolved - submitted)
 * in calendar days rounded to one decimal half up, ratings 4 or 5 among
 * those rated. The five figures over the handled come from one aggregate
 * query per metric query (metric_query_cache()).
 */
#include "core/compat.h"
#include "modules/matter/matter_report.h"
#include "modules/matter/matter.h"

#include "core/arena.h"
#include "core/time.h"
#include "store/store.h"

#define DAY_MS      86400000LL
#define TITLE_CHARS 40 /* characters of the description a record shows */

enum matter_metric {
    MM_HANDLED,
    MM_RECEIVED,
    MM_ON_TIME,
    MM_DAYS,
    MM_SATISFACTION,
    MM_REJECTED,
};

#define FROM_SUBTREE                                                                               \
    "FROM matters m JOIN cases c ON c.id = m.case_id JOIN units u ON u.id = c.unit_id "            \
    "JOIN matter_types t ON t.code = m.type_code "                                                 \
    "WHERE u.path >= $1 AND u.path < $2 "
#define HANDLED                                                                                    \
    "AND c.state IN ('resolved', 'closed') AND m.resolved_at_ms >= $3 AND m.resolved_at_ms < $4 "
#define RECEIVED "AND m.submitted_at_ms >= $3 AND m.submitted_at_ms < $4 "
#define REJECTED "AND c.state = 'rejected' AND c.closed_at_ms >= $3 AND c.closed_at_ms < $4 "

/* What the handled of one query add up to. */
struct handled_sums {
    int64_t handled, on_time, total_ms, rated, satisfied;
};

/* The query's subtree bounds and period in ms. */
struct bounds {
    char upper[512];
    int64_t from_ms, to_ms;
};

static int bounds_of(const struct metric_query *q, struct bounds *b, struct err_ctx *ec)
{
    struct date from, to;

    if (date_parse(q->period.from, &from) < 0 || date_parse(q->period.to, &to) < 0)
        return err_set(ec, ERR_INVALID, "from", "统计期间的日期无效");
    if (snprintf(b->upper, sizeof(b->upper), "%s~", q->unit_path) >= (int)sizeof(b->upper))
        return err_set(ec, ERR_INTERNAL, "unit", "单位路径过长");
    b->from_ms = date_start_ms(&from, 0);
    b->to_ms = date_start_ms(&to, 1);
    return 0;
}

static int handled_sums(struct metric_query *q, const struct handled_sums **out, struct err_ctx *ec)
{
    static const char key = 0; /* its address names the module's slot */
    bool fresh;
    struct handled_sums *hs = metric_query_cache(q, &key, sizeof(*hs), &fresh);
    struct store_stmt *st;
    struct bounds b;
    int rc;

    if (fresh) {
        if ((rc = bounds_of(q, &b, ec)) < 0)
            return rc;
        rc = store_query(
            q->conn, &st, ec,
            "SELECT count(*), coalesce(sum(m.on_time), 0), "
            "coalesce(sum(m.resolved_at_ms - m.submitted_at_ms), 0), "
            "count(m.rating), "
            "coalesce(sum(CASE WHEN m.rating >= 4 THEN 1 ELSE 0 END), 0) " FROM_SUBTREE HANDLED,
            "ttii", q->unit_path, b.upper, b.from_ms, b.to_ms);
        if (rc < 0)
            return rc;
        if ((rc = store_step(st, ec)) == 1) {
            hs->handled = store_col_int(st, 0);
            hs->on_time = store_col_int(st, 1);
            hs->total_ms = store_col_int(st, 2);
            hs->rated = store_col_int(st, 3);
            hs->satisfied = store_col_int(st, 4);
        }
        store_done(st);
        if (rc < 0) {
            /* Computed again by the next metric rather than left half-filled. */
            memset(hs, 0, sizeof(*hs));
            return rc;
        }
    }
    *out = hs;
    return 0;
}

/* ms over n matters as calendar days in tenths, rounded half up; 0 for none. */
static int64_t tenths_of_days(int64_t total_ms, int64_t n)
{
    if (n <= 0 || total_ms <= 0)
        return 0;
    return (total_ms * 20 + n * DAY_MS) / (2 * n * DAY_MS);
}

static int count_of(struct metric_query *q, const char *sql, int64_t *out, struct err_ctx *ec)
{
    struct bounds b;
    int rc = bounds_of(q, &b, ec);

    if (rc < 0)
        return rc;
    rc = store_query_int(q->conn, out, ec, sql, "ttii", q->unit_path, b.upper, b.from_ms, b.to_ms);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int compute(const struct metric *m, struct metric_query *q, struct metric_value *out,
                   struct err_ctx *ec)
{
    const enum matter_metric *which = m->arg;
    const struct handled_sums *hs;
    int rc;

    memset(out, 0, sizeof(*out));
    out->defined = true;
    switch (*which) {
    case MM_RECEIVED:
        return count_of(q, "SELECT count(*) " FROM_SUBTREE RECEIVED, &out->value, ec);
    case MM_REJECTED:
        return count_of(q, "SELECT count(*) " FROM_SUBTREE REJECTED, &out->value, ec);
    default:
        break;
    }
    if ((rc = handled_sums(q, &hs, ec)) < 0)
        return rc;
    switch (*which) {
    case MM_HANDLED:
        out->value = hs->handled;
        break;
    case MM_ON_TIME:
        *out = metric_rate(hs->on_time, hs->handled);
        break;
    case MM_DAYS:
        out->value = tenths_of_days(hs->total_ms, hs->handled);
        break;
    case MM_SATISFACTION:
        *out = metric_rate(hs->satisfied, hs->rated);
        break;
    default:
        break;
    }
    return 0;
}

static int records(const struct metric *m, struct metric_query *q, size_t limit,
                   struct metric_record **items, size_t *n, bool *more, struct err_ctx *ec)
{
    const enum matter_metric *which = m->arg;
    struct metric_record *list;
    struct store_stmt *st;
    struct bounds b;
    size_t count = 0;
    const char *sql;
    int rc;

#define COLS                                                                                       \
    "SELECT m.case_id, u.id, u.code, u.name, t.name, m.description, coalesce(m.on_time, 0), "      \
    "coalesce(m.rating, 0), coalesce(m.resolved_at_ms - m.submitted_at_ms, 0), "
    switch (*which) {
    case MM_RECEIVED:
        sql = COLS "m.submitted_at_ms AS at " FROM_SUBTREE RECEIVED
                   "ORDER BY m.submitted_at_ms DESC, m.case_id DESC LIMIT $5";
        break;
    case MM_REJECTED:
        sql = COLS "c.closed_at_ms AS at " FROM_SUBTREE REJECTED
                   "ORDER BY c.closed_at_ms DESC, m.case_id DESC LIMIT $5";
        break;
    case MM_SATISFACTION:
        sql = COLS "m.resolved_at_ms AS at " FROM_SUBTREE HANDLED "AND m.rating IS NOT NULL "
                   "ORDER BY m.resolved_at_ms DESC, m.case_id DESC LIMIT $5";
        break;
    default:
        sql = COLS "m.resolved_at_ms AS at " FROM_SUBTREE HANDLED
                   "ORDER BY m.resolved_at_ms DESC, m.case_id DESC LIMIT $5";
        break;
    }
#undef COLS
    if (limit == 0 || limit > METRIC_RECORDS_MAX)
        limit = METRIC_RECORDS_MAX;
    if ((rc = bounds_of(q, &b, ec)) < 0)
        return rc;
    list = arena_calloc(q->arena, limit, sizeof(*list));
    rc = store_query(q->conn, &st, ec, sql, "ttiii", q->unit_path, b.upper, b.from_ms, b.to_ms,
                     (int64_t)limit + 1);
    if (rc < 0)
        return rc;
    *more = false;
    while ((rc = store_step(st, ec)) == 1) {
        struct metric_record *r;
        struct date d;
        char date[TIME_DATE_LEN];
        const char *title;

        if (count == limit) {
            *more = true;
            break;
        }
        r = &list[count++];
        r->type = "matter";
        r->id = store_col_int(st, 0);
        r->unit_id = store_col_int(st, 1);
        r->unit_code = arena_strdup(q->arena, store_col_text(st, 2));
        r->unit_name = arena_strdup(q->arena, store_col_text(st, 3));
        d = date_of_instant(store_col_int(st, 9));
        date_format(&d, date, sizeof(date));
        r->date = arena_strdup(q->arena, date);
        /* The type and the start of the description; never the tracking
         * code nor the resident's contact. */
        title = arena_printf(q->arena, "%s：%s", store_col_text(st, 4),
                             matter_summary(q->arena, store_col_text(st, 5), TITLE_CHARS));
        if (*which == MM_ON_TIME && !store_col_int(st, 6))
            title = arena_printf(q->arena, "%s（超期办结）", title);
        else if (*which == MM_SATISFACTION)
            title =
                arena_printf(q->arena, "%s（评价%lld星）", title, (long long)store_col_int(st, 7));
        r->title = title;
        if (*which == MM_DAYS) {
            r->has_value = true;
            r->value = tenths_of_days(store_col_int(st, 8), 1);
        }
        r->href = arena_printf(q->arena, "/console/matters/%lld", (long long)r->id);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

static const enum matter_metric handled = MM_HANDLED, received = MM_RECEIVED, on_time = MM_ON_TIME,
                                days = MM_DAYS, satisfaction = MM_SATISFACTION,
                                rejected = MM_REJECTED;

const struct metric matter_metrics[] = {
    {.name = "matters.app.handled",
     .label = "通过智慧城西线上APP处理居民反应事项",
     .unit = "件次",
     .kind = METRIC_COUNT,
     .compute = compute,
     .records = records,
     .arg = &handled},
    {.name = "matters.received",
     .label = "受理居民线上反映事项",
     .unit = "件",
     .kind = METRIC_COUNT,
     .compute = compute,
     .records = records,
     .arg = &received},
    {.name = "matters.resolved.on_time.rate",
     .label = "居民反映事项按期办结率",
     .unit = "%",
     .kind = METRIC_RATE,
     .compute = compute,
     .records = records,
     .arg = &on_time},
    {.name = "matters.resolve.days.avg",
     .label = "居民反映事项平均办结天数",
     .unit = "天",
     .kind = METRIC_SUM,
     .scale = 1,
     .compute = compute,
     .records = records,
     .arg = &days},
    {.name = "matters.satisfaction.rate",
     .label = "居民反映事项满意率",
     .unit = "%",
     .kind = METRIC_RATE,
     .compute = compute,
     .records = records,
     .arg = &satisfaction},
    {.name = "matters.rejected.count",
     .label = "不予受理居民反映事项",
     .unit = "件",
     .kind = METRIC_COUNT,
     .compute = compute,
     .records = records,
     .arg = &rejected},
};

const size_t matter_metrics_count = ARRAY_SIZE(matter_metrics);

_Static_assert(ARRAY_SIZE(matter_metrics) == MATTER_NMETRICS,
               "MATTER_NMETRICS (matter_report.h) must count matter_metrics");
