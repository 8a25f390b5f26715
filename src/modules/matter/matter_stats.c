/*
 * matter_stats.c - the work at hand of a scope (matter.h, "counts"): its open
 * matters per state and the overdue ones, for the console's dashboard
 * section and the queue's header, in one counting query over the open cases
 * of type "matter" (the cases_state index), concluded ones never read.
 */
#include "core/compat.h"
#include "modules/matter/matter.h"
#include "store/store.h"

int matter_count(struct store_conn *c, const char *scope_path, struct date today,
                 struct matter_counts *out, struct err_ctx *ec)
{
    char upper[UNIT_PATH_MAX + 2], day[TIME_DATE_LEN];
    struct store_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    snprintf(upper, sizeof(upper), "%s~", scope_path);
    date_format(&today, day, sizeof(day));
    rc = store_query(c, &st, ec,
                     "SELECT c.state, COUNT(*), "
                     "COALESCE(SUM(CASE WHEN c.due_on < $3 THEN 1 ELSE 0 END), 0) "
                     "FROM cases c JOIN units u ON u.id = c.unit_id "
                     "WHERE c.type = 'matter' "
                     "AND c.state IN ('submitted', 'accepted', 'assigned', 'in_progress') "
                     "AND u.path >= $1 AND u.path < $2 GROUP BY c.state",
                     "ttt", scope_path, upper, day);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        const char *state = store_col_text(st, 0);
        int64_t n = store_col_int(st, 1);
        int64_t *slot = strcmp(state, "submitted") == 0  ? &out->submitted
                        : strcmp(state, "accepted") == 0 ? &out->accepted
                        : strcmp(state, "assigned") == 0 ? &out->assigned
                                                         : &out->in_progress;
        *slot += n;
        out->overdue += store_col_int(st, 2);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}
