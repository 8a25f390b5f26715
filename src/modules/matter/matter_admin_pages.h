/*
 * matter_admin_pages.h - the administrator's page of the matter type
 * catalog (matter_admin_pages.c); matter_pages.c's table lists the routes.
 */
#ifndef FAZHI_MODULES_MATTER_ADMIN_PAGES_H
#define FAZHI_MODULES_MATTER_ADMIN_PAGES_H

#include "http/server.h"

/* GET /console/admin/matter-types */
int matter_admin_page_types(struct http_request *req, struct err_ctx *ec);

/* POST /console/admin/matter-types/{code} */
int matter_admin_page_type_update(struct http_request *req, struct err_ctx *ec);

#endif
