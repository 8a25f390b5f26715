/*
 * matter_report.h - the resident-matter module's figures for reports
 * (matter_report.c) and its part of the demo data set (matter_demo.c),
 * wired into the module's struct module by matter.c.
 *
 * The figures (docs/matters.md, "Figures"), over a unit's subtree (the unit
 * a matter's case is in now) and a period of local dates:
 *
 *   matters.app.handled             resolved or closed, last resolved in the period
 *   matters.received                submitted in the period
 *   matters.resolved.on_time.rate   on time among the handled
 *   matters.resolve.days.avg        mean calendar days submission -> resolution
 *                                   of the handled (a sum of scale 1)
 *   matters.satisfaction.rate       ratings 4-5 among the rated handled
 *   matters.rejected.count          rejected in the period
 */
#ifndef FAZHI_MODULES_MATTER_MATTER_REPORT_H
#define FAZHI_MODULES_MATTER_MATTER_REPORT_H

#include "report/metric.h"

struct store;
struct demo_params;

#define MATTER_NMETRICS 6

extern const struct metric matter_metrics[];
extern const size_t matter_metrics_count;

/* The demo data set's matters (modules/demo.h): for every subdistrict of
 * the scale, 2021 and 2022, exactly 256 handled in 2022. */
int matter_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec);

#endif
