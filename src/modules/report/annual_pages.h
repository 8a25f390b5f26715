/*
 * annual_pages.h - the report module: the annual report in the console
 * (GET /console/report and below, annual_pages.c).
 */
#ifndef FAZHI_MODULES_REPORT_ANNUAL_PAGES_H
#define FAZHI_MODULES_REPORT_ANNUAL_PAGES_H

#include "modules/module.h"

extern const struct module report_module;

#endif
