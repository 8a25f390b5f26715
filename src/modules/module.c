/*
 * module.c - the list of the program's modules, for pages that gather what
 * every module contributes. Set once by main.c before any thread starts;
 * read-only afterwards, so it needs no lock. The same holds for the metric
 * registry built from the modules' tables.
 */
#include "core/compat.h"
#include "modules/module.h"

static const struct module *const *modules;
static size_t nmodules;
static struct metric_registry *metrics;

void module_list_set(const struct module *const *list, size_t n)
{
    modules = list;
    nmodules = n;
}

const struct module *const *module_list(size_t *n)
{
    *n = nmodules;
    return modules;
}

int module_metrics_init(struct err_ctx *ec)
{
    struct metric_registry *r = metric_registry_new();
    int rc;

    for (size_t i = 0; i < nmodules; i++) {
        if (modules[i]->nmetrics &&
            (rc = metric_registry_add(r, modules[i]->metrics, modules[i]->nmetrics, ec)) < 0) {
            metric_registry_free(r);
            return rc;
        }
    }
    metric_registry_free(metrics);
    metrics = r;
    return 0;
}

const struct metric_registry *module_metrics(void)
{
    return metrics;
}

void module_metrics_release(void)
{
    metric_registry_free(metrics);
    metrics = NULL;
}

int module_findings(struct metric_query *q, struct finding_list *out, struct err_ctx *ec)
{
    int rc;

    for (size_t i = 0; i < nmodules; i++)
        if (modules[i]->findings && (rc = modules[i]->findings(q, out, ec)) < 0)
            return rc;
    finding_list_sort(out);
    return 0;
}
