/*
 * metrics.c - placing a metric query: the unit, its scope and the period.
 */
#include "core/compat.h"
#include "modules/metrics/metrics.h"

int metrics_query_init(struct store_conn *c, struct arena *a, const struct principal *p,
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
