/*
 * ledger_http.h - the ledger module's contribution: routes under
 * /api/v1/ledger/ (kinds, entries, totals, warnings, export, import, tracks)
 * and the start hook that loads the shipped catalog.
 */
#ifndef FAZHI_MODULES_LEDGER_HTTP_H
#define FAZHI_MODULES_LEDGER_HTTP_H

#include "modules/module.h"

extern const struct module ledger_module;

/* The ledger's report figures (ledger_report.c): one per ledger-shaped
 * figure of conf/figures-2022.tsv. The count is a constant so that the
 * module table, in another file, can hold it. */
#define LEDGER_NMETRICS 28
extern const struct metric ledger_metrics[];

/* The pages under /console/ledger and /console/admin/kinds (ledger_pages.c). */
extern const struct http_route_table ledger_pages;

/* The dashboard hook (module_dashboard_fn): this month's and year's ledgers per area. */
int ledger_pages_dashboard(struct http_request *req, json_t *sections, struct err_ctx *ec);

#endif
