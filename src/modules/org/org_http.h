/*
 * org_http.h - the org module's contribution: routes under /api/v1/units.
 */
#ifndef FAZHI_MODULES_ORG_HTTP_H
#define FAZHI_MODULES_ORG_HTTP_H

#include "modules/module.h"

extern const struct module org_module;

/* The organisation's report figures (org_report.c); the count is a
 * constant so that the module table, in another file, can hold it. */
#define ORG_NMETRICS 2
extern const struct metric org_metrics[];

#endif
