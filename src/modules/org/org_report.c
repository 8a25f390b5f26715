/*
 * org_report.c - the organisation's figures for reports (report/metric.h).
 *
 *   people.legal_literate.trained  法律明白人 registered (trained_on) in the
 *                                  period, placed in a community of the subtree
 *   traffic.stations.count         units of type station in the subtree that
 *                                  were open at some time in the period
 *
 * A station counts when it was established on or before the period's last
 * day (or its date is unknown) and not closed before its first day, so a
 * station closed in June still counts for its year: it worked that year.
 * The other registers (certificates, mediators, advisers, groups) hold no
 * figure of the 2022 report; their figures go here when a template needs one.
 */
#include "core/compat.h"
#include "modules/org/org_http.h"

#include "core/arena.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

enum org_metric { ORG_LEGAL_LITERATES, ORG_STATIONS };

#define LITERATE_WHERE                                                                             \
    "FROM legal_literates ll JOIN units u ON u.id = ll.community_unit_id "                         \
    "JOIN people pe ON pe.id = ll.person_id "                                                      \
    "WHERE ll.deleted_at_ms IS NULL AND u.path >= $1 AND u.path < $2 "                             \
    "AND ll.trained_on >= $3 AND ll.trained_on <= $4 "

#define STATION_WHERE                                                                              \
    "FROM units u WHERE u.type = 'station' AND u.path >= $1 AND u.path < $2 "                      \
    "AND (u.established_on IS NULL OR u.established_on <= $4) "                                    \
    "AND (u.closed_on IS NULL OR u.closed_on > $3) "

static int compute(const struct metric *m, struct metric_query *q, struct metric_value *out,
                   struct err_ctx *ec)
{
    const enum org_metric *which = m->arg;
    char upper[UNIT_PATH_MAX + 2];
    int rc;

    org_path_upper(q->unit_path, upper, sizeof(upper));
    rc = store_query_int(q->conn, &out->value, ec,
                         *which == ORG_STATIONS ? "SELECT count(*) " STATION_WHERE
                                                : "SELECT count(*) " LITERATE_WHERE,
                         "tttt", q->unit_path, upper, q->period.from, q->period.to);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int records(const struct metric *m, struct metric_query *q, size_t limit,
                   struct metric_record **items, size_t *n, bool *more, struct err_ctx *ec)
{
    const enum org_metric *which = m->arg;
    char upper[UNIT_PATH_MAX + 2];
    struct metric_record *list;
    struct store_stmt *st;
    size_t count = 0;
    int rc;

    if (limit == 0 || limit > METRIC_RECORDS_MAX)
        limit = METRIC_RECORDS_MAX;
    list = arena_calloc(q->arena, limit, sizeof(*list));
    org_path_upper(q->unit_path, upper, sizeof(upper));
    /* Names only: the identity numbers of people never leave through here. */
    if (*which == ORG_STATIONS)
        rc = store_query(q->conn, &st, ec,
                         "SELECT u.id, coalesce(u.established_on, ''), u.id, u.code, u.name, "
                         "u.name " STATION_WHERE "ORDER BY u.path, u.id LIMIT $5",
                         "tttti", q->unit_path, upper, q->period.from, q->period.to,
                         (int64_t)limit + 1);
    else
        rc = store_query(
            q->conn, &st, ec,
            "SELECT ll.id, ll.trained_on, u.id, u.code, u.name, pe.name " LITERATE_WHERE
            "ORDER BY ll.trained_on DESC, ll.id DESC LIMIT $5",
            "tttti", q->unit_path, upper, q->period.from, q->period.to, (int64_t)limit + 1);
    if (rc < 0)
        return rc;
    *more = false;
    while ((rc = store_step(st, ec)) == 1) {
        struct metric_record *r;
        if (count == limit) {
            *more = true;
            break;
        }
        r = &list[count++];
        r->type = *which == ORG_STATIONS ? "unit" : "legal_literate";
        r->id = store_col_int(st, 0);
        r->date = *store_col_text(st, 1) ? arena_strdup(q->arena, store_col_text(st, 1)) : NULL;
        r->unit_id = store_col_int(st, 2);
        r->unit_code = arena_strdup(q->arena, store_col_text(st, 3));
        r->unit_name = arena_strdup(q->arena, store_col_text(st, 4));
        r->title = arena_strdup(q->arena, store_col_text(st, 5));
        /* No console page shows one station or one registration yet. */
        r->href = NULL;
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

static const enum org_metric literates = ORG_LEGAL_LITERATES, stations = ORG_STATIONS;

const struct metric org_metrics[] = {
    {.name = "people.legal_literate.trained",
     .label = "培养法律明白人",
     .unit = "人",
     .kind = METRIC_COUNT,
     .compute = compute,
     .records = records,
     .arg = &literates},
    {.name = "traffic.stations.count",
     .label = "道路交通劝导站",
     .unit = "个",
     .kind = METRIC_COUNT,
     .compute = compute,
     .records = records,
     .arg = &stations},
};

_Static_assert(ARRAY_SIZE(org_metrics) == ORG_NMETRICS,
               "ORG_NMETRICS (org_http.h) must count org_metrics");

int org_metric_query(struct store_conn *c, struct arena *a, const struct principal *p,
                     int64_t unit_id, const struct metric_period *period, struct unit *unit,
                     struct metric_query *q, struct err_ctx *ec)
{
    int rc = org_unit_get(c, a, unit_id ? unit_id : p->unit_id, unit, ec);

    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, unit->path))) {
        err_clear(ec);
        return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在或不在您的权限范围内");
    }
    if (rc < 0)
        return rc;
    memset(q, 0, sizeof(*q));
    q->conn = c;
    q->arena = a;
    q->principal = p;
    q->unit_id = unit->id;
    q->unit_path = unit->path;
    q->period = *period;
    return 0;
}
