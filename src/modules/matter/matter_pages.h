/*
 * matter_pages.h - the pages of resident matters (matter_pages.c): the
 * portal's submit form and tracking page with its QR code, the console's
 * queue and a matter's page with the action forms, and the dashboard
 * section. The module table (matter_http.c) lists them.
 */
#ifndef FAZHI_MODULES_MATTER_PAGES_H
#define FAZHI_MODULES_MATTER_PAGES_H

#include <jansson.h>

#include "http/server.h"

/*
 * Portal (public): GET/POST /submit, GET /track, GET /track/{code},
 * GET /track/{code}/qr.svg, POST /track/{code}/rate, POST /track/{code}/reopen.
 * Console: GET /console/matters, GET /console/matters/{id},
 * POST /console/matters/{id}/{transition}.
 */
extern const struct http_route_table matter_pages;

/* The dashboard hook (module_dashboard_fn): "事项办理" with the counts of new,
 * in progress and overdue matters of the caller's scope, from one query. */
int matter_pages_dashboard(struct http_request *req, json_t *sections, struct err_ctx *ec);

#endif
