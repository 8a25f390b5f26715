/*
 * account_http.h - the account module's contribution: sign-in, users, API
 * tokens, the audit log listing, and the request authenticator.
 */
#ifndef FAZHI_MODULES_ACCOUNT_HTTP_H
#define FAZHI_MODULES_ACCOUNT_HTTP_H

#include "modules/module.h"

extern const struct module account_module;

/* The server's auth hook (http_auth_fn): session cookie or bearer token. */
int account_http_auth(struct http_request *req, struct principal *out, struct err_ctx *ec);

/* GET /, /login, /console, /console/admin/...: the pages (account_pages.c). */
extern const struct http_route_table account_pages;

/*
 * The web layer's describe_user hook (web_user_fn): puts the signed-in
 * user's name ("name", "display") and unit name ("unit") on the page's
 * "user" object.
 */
int account_describe_user(struct http_request *req, json_t *user, struct err_ctx *ec);

/* The web layer's actor_label hook (web_actor_fn): "user:12" is the user's
 * name, "token:3" 「API 令牌 名称」, "cli:root" 命令行（root）, "system" 系统;
 * NULL for other actors (a module's own, such as a resident). */
const char *account_actor_label(struct http_request *req, const char *actor);

#endif
