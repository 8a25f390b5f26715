/*
 * ledger_report.c - the ledger's figures for reports (report/metric.h).
 *
 * Every ledger-shaped figure of conf/figures-2022.tsv is the number of live
 * entries of a kind, or the sum of one counter of a kind, over a unit's
 * subtree and a period (docs/ledger.md, "Where each figure of the 2022
 * report comes from"). All of them are answered from one call of
 * ledger_totals() per query, which reads the roll-up tables (whole months
 * from ledger_monthly, the days at either end from ledger_daily), so a
 * report's two dozen ledger figures cost one indexed scan, not one each.
 *
 * The records behind a figure are the live entries themselves, listed with
 * ledger_entry_list(); for a sum, only the entries holding the counter (an
 * entry without it adds nothing to the figure).
 */
#include "core/compat.h"
#include "modules/ledger/ledger_http.h"

#include "core/arena.h"
#include "modules/ledger/ledger.h"

/* What a ledger metric counts: entries of 'kind', or the sum of 'counter'. */
struct ledger_metric {
    const char *kind;
    const char *counter; /* NULL: the number of entries */
};

static const int64_t pow10s[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* The totals of the query's subtree and period, read once per query. */
struct totals_cache {
    struct ledger_totals totals;
};

static int cached_totals(struct metric_query *q, const struct ledger_totals **out,
                         struct err_ctx *ec)
{
    static const char key = 0; /* its address names the ledger's slot */
    bool fresh;
    struct totals_cache *tc = metric_query_cache(q, &key, sizeof(*tc), &fresh);
    struct ledger_filter f = {0};
    int rc;

    if (fresh) {
        f.unit_id = q->unit_id;
        f.from = q->period.from;
        f.to = q->period.to;
        if ((rc = ledger_totals(q->conn, q->arena, q->principal, &f, &tc->totals, ec)) < 0)
            return rc;
    }
    *out = &tc->totals;
    return 0;
}

/*
 * A counter value at the counter's scale, brought to the metric's. Kinds
 * are data, so the two may differ; a finer counter rounds half away from
 * zero (the catalog ships them equal, and a kind's scale cannot change
 * while entries hold values).
 */
static int64_t rescale(int64_t v, int from, int to)
{
    if (from == to || from < 0 || to < 0 || from > LEDGER_SCALE_MAX || to > LEDGER_SCALE_MAX)
        return v;
    if (from < to)
        return v * pow10s[to - from];
    {
        int64_t p = pow10s[from - to], q = v / p, r = v % p;
        if (2 * (r < 0 ? -r : r) >= p)
            q += v < 0 ? -1 : 1;
        return q;
    }
}

static int compute(const struct metric *m, struct metric_query *q, struct metric_value *out,
                   struct err_ctx *ec)
{
    const struct ledger_metric *lm = m->arg;
    const struct ledger_totals *t;
    int rc;

    if ((rc = cached_totals(q, &t, ec)) < 0)
        return rc;
    out->value = 0;
    for (size_t i = 0; i < t->nkinds; i++) {
        const struct ledger_total_kind *k = &t->kinds[i];
        if (strcmp(k->kind->code, lm->kind) != 0)
            continue;
        if (!lm->counter) {
            out->value = k->entries;
            return 0;
        }
        for (size_t j = 0; j < k->ncounters; j++)
            if (strcmp(k->counters[j].def->code, lm->counter) == 0)
                out->value = rescale(k->counters[j].total, k->counters[j].def->scale, m->scale);
        return 0;
    }
    return 0;
}

/* The value entry 'e' holds for counter 'code', or false. */
static bool entry_value(const struct ledger_entry *e, const char *code, int64_t *v, int *scale)
{
    for (size_t i = 0; i < e->nvalues; i++) {
        if (strcmp(e->values[i].counter, code) == 0) {
            const struct ledger_counter *def = e->kind ? ledger_kind_counter(e->kind, code) : NULL;
            *v = e->values[i].value;
            *scale = def ? def->scale : 0;
            return true;
        }
    }
    return false;
}

static int records(const struct metric *m, struct metric_query *q, size_t limit,
                   struct metric_record **items, size_t *n, bool *more, struct err_ctx *ec)
{
    const struct ledger_metric *lm = m->arg;
    struct ledger_filter f = {0};
    struct metric_record *list;
    size_t count = 0;
    int rc;

    if (limit == 0 || limit > METRIC_RECORDS_MAX)
        limit = METRIC_RECORDS_MAX;
    list = arena_calloc(q->arena, limit, sizeof(*list));
    f.unit_id = q->unit_id;
    f.kind = lm->kind;
    f.from = q->period.from;
    f.to = q->period.to;
    f.limit = (int64_t)limit + 1;
    if (f.limit > LEDGER_PAGE_MAX)
        f.limit = LEDGER_PAGE_MAX;
    *more = false;
    /* Pages until 'limit' records are found: a sum skips the entries that
     * do not hold its counter. */
    for (;;) {
        struct ledger_entry *page;
        const char *next = NULL;
        size_t got;

        if ((rc = ledger_entry_list(q->conn, q->arena, q->principal, &f, &page, &got, &next, ec)) <
            0)
            return rc;
        for (size_t i = 0; i < got; i++) {
            const struct ledger_entry *e = &page[i];
            struct metric_record *r;
            int64_t v = 0;
            int scale = 0;

            if (lm->counter && !entry_value(e, lm->counter, &v, &scale))
                continue;
            if (count == limit) {
                *more = true;
                goto done;
            }
            r = &list[count++];
            r->type = "ledger_entry";
            r->id = e->id;
            r->date = e->date;
            r->unit_id = e->unit.id;
            r->unit_code = e->unit.code;
            r->unit_name = e->unit.name;
            r->title = e->title;
            r->href = arena_printf(q->arena, "/console/ledger/entries/%lld", (long long)e->id);
            if (lm->counter) {
                r->has_value = true;
                r->value = rescale(v, scale, m->scale);
            }
        }
        if (!next)
            break;
        f.cursor = next;
    }
done:
    *items = list;
    *n = count;
    return 0;
}

/* ================================================================
 * The table (docs/ledger.md)
 * ================================================================ */

#define ENTRIES(name_, label_, unit_, kind_)                                                       \
    {                                                                                              \
        .name = name_, .label = label_, .unit = unit_, .kind = METRIC_COUNT, .compute = compute,   \
        .records = records, .arg = &(const struct ledger_metric)                                   \
        {                                                                                          \
            kind_, NULL                                                                            \
        }                                                                                          \
    }
#define COUNTER(name_, label_, unit_, kind_, counter_, scale_)                                     \
    {                                                                                              \
        .name = name_, .label = label_, .unit = unit_, .kind = METRIC_SUM, .scale = scale_,        \
        .compute = compute, .records = records, .arg = &(const struct ledger_metric)               \
        {                                                                                          \
            kind_, counter_                                                                        \
        }                                                                                          \
    }

const struct metric ledger_metrics[] = {
    ENTRIES("study.central_group.sessions", "党工委中心组学法", "次", "study.central_group"),
    ENTRIES("study.lecture.sessions", "法治讲座", "期", "study.lecture"),
    COUNTER("study.lecture.attendance", "法治讲座受训", "人次", "study.lecture", "attendance", 0),
    ENTRIES("study.staff_training.sessions", "干部职工法治学习培训例会", "次",
            "study.staff_training"),
    COUNTER("study.staff_training.attendance", "干部职工法治学习培训", "人次",
            "study.staff_training", "attendance", 0),
    ENTRIES("publicity.campaign.count", "集中宣传活动", "次", "publicity.campaign"),
    ENTRIES("publicity.meeting.count", "群众会、院坝会", "场次", "publicity.meeting"),
    COUNTER("publicity.materials.copies", "发放宣传资料", "份", "publicity.materials", "copies", 0),
    ENTRIES("publicity.led.count", "LED屏宣传", "次", "publicity.led"),
    ENTRIES("publicity.wechat.count", "微信推送信息", "条", "publicity.wechat"),
    ENTRIES("traffic.joint_operations.count", "道路交通联合执法", "次", "traffic.joint_operation"),
    COUNTER("traffic.joint_operations.vehicles_checked", "联合执法检查车辆", "辆",
            "traffic.joint_operation", "vehicles_checked", 0),
    COUNTER("traffic.joint_operations.violations", "联合执法查处违法行为", "人次",
            "traffic.joint_operation", "violations", 0),
    ENTRIES("traffic.station_duty.count", "道安办驻站执法", "次", "traffic.station_duty"),
    COUNTER("traffic.persuasion.vehicles_checked", "劝导站检查车辆", "辆", "traffic.persuasion",
            "vehicles_checked", 0),
    COUNTER("traffic.persuasion.persuaded", "劝导站劝导违法行为", "起", "traffic.persuasion",
            "persuaded", 0),
    ENTRIES("traffic.checkins.count", "劝导站签到", "次", "traffic.checkin"),
    ENTRIES("traffic.patrols.count", "路面巡逻", "次", "traffic.patrol"),
    COUNTER("traffic.patrols.km", "路面巡逻里程", "公里", "traffic.patrol", "km", 3),
    ENTRIES("safety.joint_operations.count", "重点领域联合执法", "次", "safety.joint_operation"),
    COUNTER("safety.places.inspected", "检查重点领域及场所", "家次", "safety.joint_operation",
            "places_inspected", 0),
    ENTRIES("sanitation.campaigns.count", "环境卫生综合整治", "次", "sanitation.campaign"),
    COUNTER("sanitation.parking.count", "规范车辆乱停放", "起", "sanitation.campaign", "parking",
            0),
    COUNTER("sanitation.door_stalls.count", "清理骑门摊", "起", "sanitation.campaign",
            "door_stalls", 0),
    COUNTER("sanitation.piles.count", "清除乱堆乱放", "起", "sanitation.campaign", "piles", 0),
    COUNTER("sanitation.ads.count", "清除牛皮癣", "处", "sanitation.campaign", "ads", 0),
    COUNTER("sanitation.vendors.count", "驱逐游摊游贩", "起", "sanitation.campaign", "vendors", 0),
    COUNTER("river.sites.remediated", "河道整治完成", "处", "river.remediation", "sites", 0),
};

_Static_assert(ARRAY_SIZE(ledger_metrics) == LEDGER_NMETRICS,
               "LEDGER_NMETRICS (ledger_http.h) must count ledger_metrics");
