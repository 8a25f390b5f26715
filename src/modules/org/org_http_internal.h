/*
 * org_http_internal.h - the org module's HTTP files share this: the
 * handlers of people_http.c and registers_http.c, which org_http.c lists in
 * the module's one route table, and a few request helpers.
 */
#ifndef FAZHI_MODULES_ORG_HTTP_INTERNAL_H
#define FAZHI_MODULES_ORG_HTTP_INTERNAL_H

#include "http/http.h"

/* ---- helpers (org_http.c) ---- */

/* True when the JSON body has member 'key', even as null. */
bool org_http_has(json_t *body, const char *key);

/* A query argument that must be a "YYYY-MM-DD" date: absent gives NULL;
 * anything else ERR_BAD_REQUEST naming the argument. */
int org_http_query_date(const struct http_request *req, const char *name, const char **out,
                        struct err_ctx *ec);

/* ---- people (people_http.c) ---- */

int people_http_list(struct http_request *req, struct err_ctx *ec);
int people_http_create(struct http_request *req, struct err_ctx *ec);
int people_http_get(struct http_request *req, struct err_ctx *ec);
int people_http_update(struct http_request *req, struct err_ctx *ec);
int people_http_delete(struct http_request *req, struct err_ctx *ec);

/* ---- registers (registers_http.c) ---- */

int registers_http_officers(struct http_request *req, struct err_ctx *ec);
int registers_http_certificates(struct http_request *req, struct err_ctx *ec);
int registers_http_certificate_create(struct http_request *req, struct err_ctx *ec);
int registers_http_certificate_get(struct http_request *req, struct err_ctx *ec);
int registers_http_certificate_update(struct http_request *req, struct err_ctx *ec);
int registers_http_certificate_delete(struct http_request *req, struct err_ctx *ec);
int registers_http_literate_list(struct http_request *req, struct err_ctx *ec);
int registers_http_literate_create(struct http_request *req, struct err_ctx *ec);
int registers_http_literate_get(struct http_request *req, struct err_ctx *ec);
int registers_http_literate_update(struct http_request *req, struct err_ctx *ec);
int registers_http_literate_delete(struct http_request *req, struct err_ctx *ec);
int registers_http_mediator_list(struct http_request *req, struct err_ctx *ec);
int registers_http_mediator_create(struct http_request *req, struct err_ctx *ec);
int registers_http_mediator_get(struct http_request *req, struct err_ctx *ec);
int registers_http_mediator_update(struct http_request *req, struct err_ctx *ec);
int registers_http_mediator_delete(struct http_request *req, struct err_ctx *ec);
int registers_http_adviser_list(struct http_request *req, struct err_ctx *ec);
int registers_http_adviser_create(struct http_request *req, struct err_ctx *ec);
int registers_http_adviser_get(struct http_request *req, struct err_ctx *ec);
int registers_http_adviser_update(struct http_request *req, struct err_ctx *ec);
int registers_http_adviser_delete(struct http_request *req, struct err_ctx *ec);
int registers_http_group_list(struct http_request *req, struct err_ctx *ec);
int registers_http_group_create(struct http_request *req, struct err_ctx *ec);
int registers_http_group_get(struct http_request *req, struct err_ctx *ec);
int registers_http_group_update(struct http_request *req, struct err_ctx *ec);
int registers_http_group_delete(struct http_request *req, struct err_ctx *ec);
int registers_http_members(struct http_request *req, struct err_ctx *ec);
int registers_http_member_create(struct http_request *req, struct err_ctx *ec);
int registers_http_member_get(struct http_request *req, struct err_ctx *ec);
int registers_http_member_update(struct http_request *req, struct err_ctx *ec);
int registers_http_member_delete(struct http_request *req, struct err_ctx *ec);

#endif
