/*
 * org_pages.h - the organisation's pages (org_pages.c), and the unit
 * <select> every module's forms share.
 */
#ifndef FAZHI_MODULES_ORG_PAGES_H
#define FAZHI_MODULES_ORG_PAGES_H

#include <jansson.h>

#include "http/server.h"
#include "modules/org/org.h"

/* GET /console/units, /console/people, /console/officers, /console/legal-literates. */
extern const struct http_route_table org_pages;

/*
 * The options of a unit <select>: [{"id","label","selected"}] for units[0..n)
 * (in path order, as org_unit_list() gives them), each label indented by its
 * depth below the first unit with ideographic spaces (they survive in an
 * <option>, where ordinary ones collapse), closed units marked.
 */
json_t *org_unit_options(const struct unit *units, size_t n, int64_t selected);

#endif
