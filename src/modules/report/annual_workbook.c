/*
 * annual_workbook.c - the statistics workbook of `fazhi report --format
 * xlsx`: every metric of a year for a unit and the units directly below it,
 * the previous year beside each.
 */
#include "core/compat.h"

#include "core/arena.h"
#include "modules/report/annual.h"
#include "modules/module.h"
#include "report/table.h"
#include "store/store.h"

/* The units directly below 'parent' that lived during 'period', in order of creation. */
static int workbook_children(struct store_conn *c, struct arena *a, const struct unit *parent,
                             const struct metric_period *period, struct unit **items, size_t *n,
                             struct err_ctx *ec)
{
    struct store_stmt *st;
    int64_t *ids;
    size_t count = 0, cap = 16;
    int rc;

    ids = arena_alloc(a, cap * sizeof(*ids));
    if ((rc = store_query(c, &st, ec, "SELECT id FROM units WHERE parent_id = $1 ORDER BY id", "i",
                          parent->id)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            int64_t *bigger = arena_alloc(a, 2 * cap * sizeof(*ids));
            memcpy(bigger, ids, cap * sizeof(*ids));
            ids = bigger;
            cap *= 2;
        }
        ids[count++] = store_col_int(st, 0);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = arena_calloc(a, count ? count : 1, sizeof(**items));
    *n = 0;
    for (size_t i = 0; i < count; i++) {
        struct unit *u = &(*items)[*n];
        if ((rc = org_unit_get(c, a, ids[i], u, ec)) < 0)
            return rc;
        if ((u->established_on && strcmp(u->established_on, period->to) > 0) ||
            (u->closed_on && strcmp(u->closed_on, period->from) <= 0))
            continue;
        (*n)++;
    }
    return 0;
}

/* Writes v of m into cell 'col' of the current row: the exact number, or "—". */
static void workbook_cell(struct table_sheet *sh, size_t col, const struct metric *m,
                          const struct metric_value *v)
{
    if (!v->defined)
        table_set_text(sh, col, "—");
    else if (m->kind == METRIC_RATE)
        table_set_number(sh, col, v->value, 1); /* tenths of a percent */
    else
        table_set_number(sh, col, v->value, m->kind == METRIC_SUM ? m->scale : 0);
}

int annual_workbook(struct store_conn *c, struct arena *a, const struct principal *p,
                    const char *unit_code, int year, struct table *t, struct err_ctx *ec)
{
    const struct metric_registry *reg = module_metrics();
    size_t nmetrics = metric_registry_count(reg), nunits, ncols;
    struct metric_result **cur, **prev;
    struct metric_period period, previous;
    struct table_sheet *sh;
    struct unit root, *units, *children;
    const char **titles;
    char name[64];
    size_t nchildren;
    int rc;

    if ((rc = metric_period_year(year, &period, ec)) < 0)
        return rc;
    metric_period_previous(&period, &previous);
    rc = org_unit_by_code(c, a, unit_code, &root, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "--unit", "单位代码 %s 不存在", unit_code);
    }
    if (rc < 0 || (rc = workbook_children(c, a, &root, &period, &children, &nchildren, ec)) < 0)
        return rc;
    nunits = 1 + nchildren;
    units = arena_calloc(a, nunits, sizeof(*units));
    units[0] = root;
    if (nchildren)
        memcpy(units + 1, children, nchildren * sizeof(*units));

    cur = arena_calloc(a, nunits, sizeof(*cur));
    prev = arena_calloc(a, nunits, sizeof(*prev));
    for (size_t i = 0; i < nunits; i++) {
        struct metric_query q;
        struct unit u;
        if ((rc = org_metric_query(c, a, p, units[i].id, &period, &u, &q, ec)) < 0 ||
            (rc = metric_evaluate_all(reg, &q, &cur[i], ec)) < 0 ||
            (rc = org_metric_query(c, a, p, units[i].id, &previous, &u, &q, ec)) < 0 ||
            (rc = metric_evaluate_all(reg, &q, &prev[i], ec)) < 0)
            return rc;
    }

    ncols = 3 + 2 * nunits;
    titles = arena_calloc(a, ncols, sizeof(*titles));
    titles[0] = "指标";
    titles[1] = "指标代码";
    titles[2] = "计量单位";
    for (size_t i = 0; i < nunits; i++) {
        titles[3 + 2 * i] = arena_printf(a, "%s %d年", units[i].name, year);
        titles[4 + 2 * i] = arena_printf(a, "%s %d年（上年）", units[i].name, year - 1);
    }
    snprintf(name, sizeof(name), "%d年指标", year);
    sh = table_add_sheet(t, name);
    table_set_columns(sh, ncols, titles);
    for (size_t m = 0; m < nmetrics; m++) {
        const struct metric *mt = cur[0][m].metric;
        table_add_row(sh, false);
        table_set_text(sh, 0, mt->label);
        table_set_text(sh, 1, mt->name);
        table_set_text(sh, 2, mt->unit);
        for (size_t i = 0; i < nunits; i++) {
            workbook_cell(sh, 3 + 2 * i, mt, &cur[i][m].value);
            workbook_cell(sh, 4 + 2 * i, mt, &prev[i][m].value);
        }
    }
    return 0;
}

struct workbook_work {
    const struct principal *p;
    const char *unit_code;
    int year;
    struct table *t;
    struct arena *arena;
};

static int do_workbook(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct workbook_work *w = arg;
    return annual_workbook(c, w->arena, w->p, w->unit_code, w->year, w->t, ec);
}

int annual_workbook_write(struct store *s, const struct principal *p, const char *unit_code,
                          int year, const char *path, struct err_ctx *ec)
{
    struct workbook_work w = {p, unit_code, year, table_new(), arena_new()};
    int rc = store_read(s, do_workbook, &w, ec);

    if (rc == 0)
        rc = table_write_xlsx(w.t, path, ec);
    table_free(w.t);
    arena_free(w.arena);
    return rc;
}
