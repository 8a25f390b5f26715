/*
 * metrics.h - the report figures over the API and the command line: which
 * unit and period a request means, checked against the caller, and every
 * registered metric evaluated for them in one read (one snapshot).
 *
 * The metrics themselves belong to the modules that hold the records
 * (<name>_report.c, registered through struct module); this module only
 * places a query (unit subtree and period) and evaluates the registry that
 * module_metrics_init() built. It sits with the modules, not in report/,
 * because a query starts from a unit and units are the org module's:
 * report/ may not include modules/.
 */
#ifndef FAZHI_MODULES_METRICS_H
#define FAZHI_MODULES_METRICS_H

#include "modules/org/org.h"
#include "report/metric.h"

/* Who reads figures: staff, officers and leaders, each in their scope
 * (admin holds every role). */
#define METRICS_READ_ROLES (ROLE_STAFF | ROLE_OFFICER | ROLE_LEADER)

/*
 * Prepares a query over the subtree of unit 'unit_id' (0: p's own unit) and
 * 'period' for p, inside the caller's read: the unit must exist and be in
 * p's scope, else ERR_NOT_FOUND naming "unit" (a unit outside scope reads as
 * one that does not exist). *unit gets the unit; *q is ready for
 * metric_evaluate() and metric_evaluate_all().
 */
int metrics_query_init(struct store_conn *c, struct arena *a, const struct principal *p,
                       int64_t unit_id, const struct metric_period *period, struct unit *unit,
                       struct metric_query *q, struct err_ctx *ec);

struct store;
struct table;

/*
 * The statistics workbook of `fazhi report --format xlsx`, inside the
 * caller's read: one sheet "YYYY年指标" in 't', a row per registered metric
 * (指标, 指标代码, 计量单位, in name order) and, for the unit 'unit_code' and
 * then each unit directly below it that lived during the year (in order of
 * creation), two columns: the year and the year before ("城西街道 2022年",
 * "城西街道 2021年（上年）"). Counts and sums are exact number cells (sums
 * with the metric's decimals), rates the percentage with one decimal, "—"
 * for a rate over nothing. ERR_INVALID naming "--unit" for an unknown code.
 */
int metrics_workbook(struct store_conn *c, struct arena *a, const struct principal *p,
                     const char *unit_code, int year, struct table *t, struct err_ctx *ec);

/* metrics_workbook() in one read of 's', written as XLSX to 'path'. */
int metrics_workbook_write(struct store *s, const struct principal *p, const char *unit_code,
                           int year, const char *path, struct err_ctx *ec);

#endif
