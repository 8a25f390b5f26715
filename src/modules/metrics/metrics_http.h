/*
 * metrics_http.h - the metrics module: GET /api/v1/metrics and
 * GET /api/v1/metrics/{name}/records (see metrics_http.c).
 */
#ifndef FAZHI_MODULES_METRICS_HTTP_H
#define FAZHI_MODULES_METRICS_HTTP_H

#include "modules/module.h"

extern const struct module metrics_module;

#endif
