/*
 * cases_http.h - the cases module: GET /api/v1/cases/overdue and
 * GET /api/v1/cases/due-soon, and the dashboard's "待办期限" (see
 * cases_http.c).
 */
#ifndef FAZHI_MODULES_CASES_CASES_HTTP_H
#define FAZHI_MODULES_CASES_CASES_HTTP_H

#include "modules/module.h"

extern const struct module cases_module;

#endif
