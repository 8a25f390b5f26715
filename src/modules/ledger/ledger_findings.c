/*
 * ledger_findings.c - what the ledgers say is wrong (report/finding.h).
 *
 *   ledger.implausible  Entries of the subtree and period holding a value
 *                       above its counter's plausibility bound (the live
 *                       rows of ledger_warnings), one finding per kind and
 *                       counter. When the average over every entry holding
 *                       the counter is itself above the bound (the seed's
 *                       1,050,500 km over 700 patrols, about 1,500 km a
 *                       patrol against a bound of 200) the sentence gives
 *                       the count, the sum and the average, and the finding
 *                       is serious; otherwise it gives how many entries
 *                       exceed the bound and the highest value (a warning).
 *   ledger.lapsed       A unit of the subtree that usually records a kind
 *                       but recorded none of it in the period. "Usually":
 *                       live entries of the kind in at least
 *                       LEDGER_USUAL_MONTHS (3) distinct calendar months of
 *                       the previous period of the same length
 *                       (metric_period_previous: 2021 for 2022, the previous
 *                       quarter for a quarter). Only active kinds, and units
 *                       not closed before the period began. A month or a
 *                       range shorter than three months therefore never
 *                       shows one. Read from ledger_daily (the roll-up's
 *                       entry counts), so it costs one indexed scan.
 *
 * Each finding names the entries it rests on (the flagged entries; the
 * previous period's entries of the lapsed kind), at most FINDING_RECORDS_MAX,
 * with their number and a link to the console's list of the kind.
 */
#include "core/compat.h"
#include "modules/ledger/ledger.h"

#include "core/arena.h"
#include "report/finding.h"
#include "store/store.h"

#define LEDGER_USUAL_MONTHS 3

static const int64_t pow10s[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

#define SUBTREE_ENTRY_WHERE                                                                        \
    "JOIN units u ON u.id = e.unit_id WHERE e.deleted_at_ms IS NULL "                              \
    "AND u.path >= $1 AND u.path < $2 AND e.date >= $3 AND e.date <= $4 "

static const char *entry_href(struct arena *a, int64_t id)
{
    return arena_printf(a, "/console/ledger/entries/%lld", (long long)id);
}

static const char *kind_href(struct arena *a, const char *kind, int64_t unit_id, const char *from,
                             const char *to)
{
    return arena_printf(a, "/console/ledger/%s?unit=%lld&from=%s&to=%s", kind, (long long)unit_id,
                        from, to);
}

/* One kind and counter with flagged entries. */
struct flagged {
    const char *kind, *counter;
    int64_t flagged, highest, bound;
};

static int implausible_one(struct metric_query *q, const char *upper, const struct flagged *fl,
                           const char *period, struct finding_list *out, struct err_ctx *ec)
{
    struct ledger_kind kind;
    const struct ledger_counter *def;
    struct store_stmt *st;
    struct finding *f;
    int64_t n = 0, sum = 0, bound;
    char sum_text[48], bound_text[48], high_text[48], avg_text[48];
    double avg;
    int rc;

    rc = ledger_kind_get(q->conn, q->arena, fl->kind, "kind", &kind, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return 0;
    }
    if (rc < 0)
        return rc;
    def = ledger_kind_counter(&kind, fl->counter);
    if (!def || def->scale < 0 || def->scale > LEDGER_SCALE_MAX)
        return 0;
    bound = def->max >= 0 ? def->max : fl->bound;
    if ((rc = store_query(q->conn, &st, ec,
                          "SELECT count(*), coalesce(sum(v.value), 0) FROM ledger_values v "
                          "JOIN ledger_entries e ON e.id = v.entry_id " SUBTREE_ENTRY_WHERE
                          "AND e.kind = $5 AND v.counter = $6",
                          "tttttt", q->unit_path, upper, q->period.from, q->period.to, fl->kind,
                          fl->counter)) < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1) {
        n = store_col_int(st, 0);
        sum = store_col_int(st, 1);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    if (n == 0)
        return 0;
    ledger_value_format(sum, def->scale, sum_text, sizeof(sum_text));
    ledger_value_format(bound, def->scale, bound_text, sizeof(bound_text));
    ledger_value_format(fl->highest, def->scale, high_text, sizeof(high_text));
    avg = (double)sum / (double)n / (double)pow10s[def->scale];
    finding_approx(avg, avg_text, sizeof(avg_text));
    if (sum > bound * n)
        f = finding_add(
            out, "ledger.implausible", FINDING_SERIOUS, "ledger",
            "%s%s%lld次，%s累计%s%s，平均每次约%s%s，明显超出合理范围（每次不超过%s%s），"
            "请核实台账记录。",
            period, kind.name, (long long)n, def->name, sum_text, def->unit, avg_text, def->unit,
            bound_text, def->unit);
    else
        f = finding_add(out, "ledger.implausible", FINDING_WARNING, "ledger",
                        "%s%s有%lld条记录的%s超过合理上限%s%s（最高%s%s），请核实台账记录。",
                        period, kind.name, (long long)fl->flagged, def->name, bound_text, def->unit,
                        high_text, def->unit);
    f->subject = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "kind", fl->kind, "counter",
                           fl->counter, "entries", (json_int_t)n, "flagged",
                           (json_int_t)fl->flagged, "sum", sum_text, "bound", bound_text);
    f->records_href = kind_href(out->arena, fl->kind, q->unit_id, q->period.from, q->period.to);

    if ((rc = store_query(q->conn, &st, ec,
                          "SELECT DISTINCT e.id, e.date, e.title FROM ledger_warnings w "
                          "JOIN ledger_entries e ON e.id = w.entry_id " SUBTREE_ENTRY_WHERE
                          "AND e.kind = $5 AND w.counter = $6 ORDER BY e.date DESC, e.id DESC "
                          "LIMIT $7",
                          "tttttti", q->unit_path, upper, q->period.from, q->period.to, fl->kind,
                          fl->counter, (int64_t)FINDING_RECORDS_MAX)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        int64_t id = store_col_int(st, 0);
        finding_record_add(out, f, "ledger_entry", id, store_col_text(st, 2), store_col_text(st, 1),
                           entry_href(out->arena, id));
    }
    store_done(st);
    f->records_total = fl->flagged;
    return rc < 0 ? rc : 0;
}

static int implausible(struct metric_query *q, const char *upper, const char *period,
                       struct finding_list *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    struct flagged *list = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if ((rc = store_query(q->conn, &st, ec,
                          "SELECT e.kind, w.counter, count(DISTINCT e.id), max(w.value), "
                          "max(w.bound) FROM ledger_warnings w "
                          "JOIN ledger_entries e ON e.id = w.entry_id " SUBTREE_ENTRY_WHERE
                          "GROUP BY e.kind, w.counter ORDER BY e.kind, w.counter",
                          "tttt", q->unit_path, upper, q->period.from, q->period.to)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (n == cap) {
            struct flagged *grown;
            cap = cap ? 2 * cap : 8;
            grown = arena_calloc(q->arena, cap, sizeof(*grown));
            if (n)
                memcpy(grown, list, n * sizeof(*grown));
            list = grown;
        }
        list[n++] =
            (struct flagged){arena_strdup(q->arena, store_col_text(st, 0)),
                             arena_strdup(q->arena, store_col_text(st, 1)), store_col_int(st, 2),
                             store_col_int(st, 3), store_col_int(st, 4)};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = implausible_one(q, upper, &list[i], period, out, ec)) < 0)
            return rc;
    return 0;
}

/* One unit and kind that lapsed. */
struct lapsed {
    int64_t unit_id;
    const char *unit_name, *kind, *kind_name;
    int64_t months, entries;
};

static int lapsed(struct metric_query *q, const char *upper, const char *period,
                  struct finding_list *out, struct err_ctx *ec)
{
    struct metric_period prev;
    char prev_label[96];
    struct store_stmt *st;
    struct lapsed *list = NULL;
    size_t n = 0, cap = 0;
    int rc;

    metric_period_previous(&q->period, &prev);
    metric_period_label(&prev, prev_label, sizeof(prev_label));
    if ((rc = store_query(
             q->conn, &st, ec,
             "SELECT d.unit_id, u.name, d.kind, k.name, count(DISTINCT substr(d.day, 1, 7)), "
             "sum(d.n) FROM ledger_daily d JOIN units u ON u.id = d.unit_id "
             "JOIN ledger_kinds k ON k.code = d.kind AND k.active = 1 "
             "WHERE u.path >= $1 AND u.path < $2 AND d.counter = '' AND d.n > 0 "
             "AND d.day >= $3 AND d.day <= $4 AND (u.closed_on IS NULL OR u.closed_on > $5) "
             "AND NOT EXISTS (SELECT 1 FROM ledger_daily c WHERE c.unit_id = d.unit_id "
             "AND c.day >= $5 AND c.day <= $6 AND c.kind = d.kind AND c.counter = '' "
             "AND c.n > 0) "
             "GROUP BY d.unit_id, u.name, d.kind, k.name "
             "HAVING count(DISTINCT substr(d.day, 1, 7)) >= $7 ORDER BY u.path, d.kind",
             "tttttti", q->unit_path, upper, prev.from, prev.to, q->period.from, q->period.to,
             (int64_t)LEDGER_USUAL_MONTHS)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (n == cap) {
            struct lapsed *grown;
            cap = cap ? 2 * cap : 8;
            grown = arena_calloc(q->arena, cap, sizeof(*grown));
            if (n)
                memcpy(grown, list, n * sizeof(*grown));
            list = grown;
        }
        list[n++] = (struct lapsed){store_col_int(st, 0),
                                    arena_strdup(q->arena, store_col_text(st, 1)),
                                    arena_strdup(q->arena, store_col_text(st, 2)),
                                    arena_strdup(q->arena, store_col_text(st, 3)),
                                    store_col_int(st, 4),
                                    store_col_int(st, 5)};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct lapsed *l = &list[i];
        struct finding *f =
            finding_add(out, "ledger.lapsed", FINDING_WARNING, "ledger",
                        "%s%s有%lld个月记录了%s（共%lld次），%s未记录，请核实是否漏报或工作中断。",
                        l->unit_name, prev_label, (long long)l->months, l->kind_name,
                        (long long)l->entries, period);
        f->subject =
            json_pack("{s:s, s:I, s:s, s:I, s:s, s:s}", "kind", l->kind, "unit_id",
                      (json_int_t)l->unit_id, "unit_name", l->unit_name, "months",
                      (json_int_t)l->months, "previous_from", prev.from, "previous_to", prev.to);
        f->records_href = kind_href(out->arena, l->kind, l->unit_id, prev.from, prev.to);
        if ((rc = store_query(q->conn, &st, ec,
                              "SELECT id, date, title FROM ledger_entries WHERE unit_id = $1 "
                              "AND kind = $2 AND deleted_at_ms IS NULL AND date >= $3 "
                              "AND date <= $4 ORDER BY date DESC, id DESC LIMIT $5",
                              "ittti", l->unit_id, l->kind, prev.from, prev.to,
                              (int64_t)FINDING_RECORDS_MAX)) < 0)
            return rc;
        while ((rc = store_step(st, ec)) == 1) {
            int64_t id = store_col_int(st, 0);
            finding_record_add(out, f, "ledger_entry", id, store_col_text(st, 2),
                               store_col_text(st, 1), entry_href(out->arena, id));
        }
        store_done(st);
        if (rc < 0)
            return rc;
        f->records_total = l->entries;
    }
    return 0;
}

int ledger_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec)
{
    const char *upper = arena_printf(q->arena, "%s~", q->unit_path);
    char period[96];
    int rc;

    metric_period_label(&q->period, period, sizeof(period));
    if ((rc = implausible(q, upper, period, out, ec)) < 0)
        return rc;
    return lapsed(q, upper, period, out, ec);
}
