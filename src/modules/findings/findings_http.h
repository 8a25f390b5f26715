/*
 * findings_http.h - the findings module: GET /api/v1/findings (see
 * findings_http.c), next to the metrics module and built on its query.
 */
#ifndef FAZHI_MODULES_FINDINGS_HTTP_H
#define FAZHI_MODULES_FINDINGS_HTTP_H

#include "modules/module.h"

extern const struct module findings_module;

#endif
