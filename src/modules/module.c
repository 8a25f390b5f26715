/*
 * module.c - the list of the program's modules, for pages that gather what
 * every module contributes. Set once by main.c before any thread starts;
 * read-only afterwards, so it needs no lock.
 */
#include "core/compat.h"
#include "modules/module.h"

static const struct module *const *modules;
static size_t nmodules;

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
