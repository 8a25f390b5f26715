/*
 * org_http.h - the org module's contribution: routes under /api/v1/units.
 */
#ifndef FAZHI_MODULES_ORG_HTTP_H
#define FAZHI_MODULES_ORG_HTTP_H

#include "modules/module.h"

extern const struct module org_module;

#endif
