/*
 * metrics.h - the report figures over the API and the command line: which
 * unit and period a request means, checked against the caller, and every
 * registered metric evaluated for them in one read (one snapshot).
 *
 * The metrics themselves belong to the modules that hold the records
 * (<name>_report.c, registered through struct module); this module serves
 * them: it places a query with org_metric_query() and evaluates the
 * registry that module_metrics_init() built.
 */
#ifndef FAZHI_MODULES_METRICS_H
#define FAZHI_MODULES_METRICS_H

#include "modules/org/org.h"
#include "report/metric.h"

/* Who reads figures: staff, officers and leaders, each in their scope
 * (admin holds every role). */
#define METRICS_READ_ROLES (ROLE_STAFF | ROLE_OFFICER | ROLE_LEADER)

#endif
