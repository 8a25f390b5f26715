/*
 * webhook_pages.h - the administrator's webhook pages (webhook_pages.c):
 * the list with the form to add one, disabling, and a webhook's delivery
 * log. The module table (webhook_http.c) lists them.
 */
#ifndef FAZHI_MODULES_WEBHOOK_WEBHOOK_PAGES_H
#define FAZHI_MODULES_WEBHOOK_WEBHOOK_PAGES_H

#include "http/server.h"

/* GET/POST /console/admin/webhooks, GET /console/admin/webhooks/{id},
 * POST /console/admin/webhooks/{id}/disable. */
extern const struct http_route_table webhook_pages;

#endif
