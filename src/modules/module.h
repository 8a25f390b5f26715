/*
 * module.h - what a domain module contributes to the program.
 *
 * Each module folder (modules/<name>/) exports one struct module; main.c
 * lists them. Migrations are not listed here: every migrations/ folder of the
 * source tree is built into the program (store/store.h) and numbered in one
 * sequence. Later issues add metrics, demo generators, case types and ledger
 * kinds to this table.
 */
#ifndef FAZHI_MODULES_MODULE_H
#define FAZHI_MODULES_MODULE_H

#include <jansson.h>

#include "http/server.h"
#include "report/metric.h"
#include "report/finding.h"

struct store;
struct demo_params;

/*
 * Adds the module's sections to the staff dashboard (GET /console) of the
 * request's principal: appends objects to 'sections', each
 * {"id","title","html"?...} as assets/templates/console/dashboard.html
 * shows them. Must answer from summaries (roll-ups), never scans: the
 * dashboard is every signed-in user's first page.
 */
typedef int (*module_dashboard_fn)(struct http_request *req, json_t *sections, struct err_ctx *ec);

struct module {
    const char *name;
    struct http_route_table routes; /* the JSON API */
    /* Server-rendered pages (HTTP_PAGE routes), from the module's *_pages.c;
     * a pointer, so that the table can live in that file. May be NULL. */
    const struct http_route_table *pages;
    module_dashboard_fn dashboard; /* may be NULL */
    /*
     * Called after the migrations, each time the program opens the database
     * for writing (serve, and the commands that change data): loads shipped
     * catalogs on first start, and the like. Must be idempotent. May be NULL.
     */
    int (*start)(struct store *s, struct err_ctx *ec);
    /*
     * The figures the module computes for reports (report/metric.h), from
     * its <name>_report.c; gathered into one registry by
     * module_metrics_init(). May be NULL with nmetrics 0.
     */
    const struct metric *metrics;
    size_t nmetrics;
    /* Builds the module's part of the demo data set (`fazhi demo`,
     * modules/demo.h), in big units of work. May be NULL. */
    int (*demo)(struct store *s, const struct demo_params *p, struct err_ctx *ec);
    /* Proposes findings for a report's shortcomings section from the
     * module's records (report/finding.h), from its <name>_findings.c;
     * gathered by module_findings(). May be NULL. */
    finding_fn findings;
};

/*
 * The modules of this program, in main.c's order; main.c sets the list once
 * before the server starts, so that pages that gather what every module
 * contributes (the dashboard) need not know the modules by name.
 */
void module_list_set(const struct module *const *list, size_t n);
const struct module *const *module_list(size_t *n);

/*
 * Builds the metric registry from the modules of module_list_set(): every
 * module's metrics, a name given twice being ERR_CONFLICT naming it. Called
 * once, after module_list_set() and before any thread starts; calling it
 * again rebuilds it (tests).
 */
int module_metrics_init(struct err_ctx *ec);

/* The registry module_metrics_init() built, or NULL before. */
const struct metric_registry *module_metrics(void);

/*
 * Every module's findings over q's subtree and period (module_list_set()
 * order), appended to 'out' and sorted most severe first.
 */
int module_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec);

/* Frees the registry (at exit, so that leak checkers stay quiet). */
void module_metrics_release(void);

#endif
