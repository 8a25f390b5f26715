/*
 * web.h - pages: templates wrapped in a layout, errors as HTML, flash
 * messages, and the static files under /static/.
 *
 * The templates and static files of assets/ are compiled into the program
 * (tools/embed.c, array web_asset_files). web_start() compiles every
 * template once, so that a template error stops `fazhi serve` with
 * "file:line: message" before the first request. With --dev the web layer
 * reads assets/ from disk instead and, before each page or file it serves,
 * looks whether a file under assets/ changed, and if so loads them all
 * again: a page edit needs no rebuild. A template error found that way keeps
 * the previous templates and shows the error as the page.
 *
 * A page handler builds a json_t context and calls web_render(), which
 * renders the page template, wraps it in the console or portal layout and
 * replies. The context of every page also holds (src/web/README.md lists
 * them) the signed-in user, the CSRF token for forms, the navigation, the
 * flash messages, the asset URLs and the office's name.
 *
 * Page handlers report errors as HTML, not JSON: they end with
 * `return web_error_page(req, ec);` where an API handler would return the
 * error code. A form that fails validation is rendered again with its
 * values and the error beside the field (web_render_invalid()).
 *
 * The web layer is one per process (handlers get no context pointer): start
 * it before the HTTP server, stop it after.
 */
#ifndef FAZHI_WEB_H
#define FAZHI_WEB_H

#include <jansson.h>

#include "core/embedded.h"
#include "core/str.h"
#include "http/server.h"

struct template_set;

/* Where a page goes to sign in; web_error_page() redirects there. */
#define WEB_LOGIN_PATH "/login"

/* The files of assets/ compiled in: "templates/login.html", "static/app.css". */
extern const struct embedded_file web_asset_files[];
extern const size_t web_asset_files_count;

/*
 * Fills in what the principal does not hold (the user's name, unit name) on
 * the "user" object of a page's context, which arrives holding "login",
 * "display" (the login), "roles", "roles_text" and "role" (see README). May
 * do a database read. A failure is logged and the page shows the login.
 */
typedef int (*web_user_fn)(struct http_request *req, json_t *user, struct err_ctx *ec);

/*
 * What a page shows for an audit actor ("user:12", "token:3", "cli:root",
 * "system"): a person's name rather than a number. Returns text in the
 * request's arena, or NULL to show the actor as it is. May do a database
 * read.
 */
typedef const char *(*web_actor_fn)(struct http_request *req, const char *actor);

struct web_config {
    bool dev;                  /* read assets/ from disk; reload on change */
    const char *assets_dir;    /* with dev: the assets folder (default "assets") */
    web_user_fn describe_user; /* may be NULL */
    web_actor_fn actor_label;  /* may be NULL */
};

/* The label of an audit actor through the configured hook (the actor
 * itself without one), for histories. */
const char *web_actor_label(struct http_request *req, const char *actor);

/*
 * Loads the static files and compiles every template (from the program, or
 * with cfg->dev from cfg->assets_dir). Fails with ERR_INVALID and the message
 * "assets/templates/x.html:12: 说明" for a template error, ERR_IO when the
 * folder cannot be read.
 */
int web_start(const struct web_config *cfg, struct err_ctx *ec);

/* Frees what web_start() loaded; call after the HTTP server stopped. */
void web_stop(void);

/* GET /static/{file}: the route table main.c hands to the server. */
extern const struct http_route_table web_routes;

/* ---- pages ---- */

/*
 * Renders template 'page' ("login", "portal/home", "console/ledger/list")
 * with 'ctx' (an object, or NULL) on top of the common context, wraps it in
 * its layout and replies with 'status' and text/html. The layout is
 * "portal" for pages named portal/..., else "console"; a "layout" member of
 * ctx may say "portal", "console" or "none" (the page is the whole reply).
 * A flash message waiting in the request's cookie is shown and cleared.
 * Takes ownership of 'ctx'. Fails with ERR_INTERNAL when there is no such
 * template, ERR_TOO_LARGE past the engine's budget (template.h).
 */
int web_render(struct http_request *req, int status, const char *page, json_t *ctx,
               struct err_ctx *ec);

/*
 * Replies with the error page for the error in 'ec': the status of
 * http_error_status(), the message (or the code's default message) in
 * Chinese, in the console layout for a signed-in user, else the portal's.
 * ERR_UNAUTHENTICATED on a GET instead redirects (303) to WEB_LOGIN_PATH
 * with ?next= the page asked for. Server errors (5xx) are logged with their
 * detail. Returns 0 (a reply is set), so that a page handler can end with
 * `return web_error_page(req, ec);`.
 */
int web_error_page(struct http_request *req, struct err_ctx *ec);

/*
 * For a form that did not pass: adds to 'ctx' "errors": {field: message}
 * (the field of ec) and "error": the message, then web_render()s 'page'
 * with the error's status (422 for ERR_INVALID). An error of another kind
 * than bad input (not found, forbidden, ...) gets web_error_page() instead.
 * Takes ownership of 'ctx'.
 */
int web_render_invalid(struct http_request *req, const char *page, json_t *ctx, struct err_ctx *ec);

/*
 * Copies the form fields 'names' (NULL-terminated) from the posted form into
 * ctx's "form" object, so that a form rendered again keeps what was typed.
 * Fields that are absent are left out. Never copy a password.
 */
void web_form_values(json_t *ctx, const struct http_form *form, const char *const *names);

/* ---- post, redirect, get ---- */

enum web_flash_kind { WEB_FLASH_SUCCESS, WEB_FLASH_INFO, WEB_FLASH_ERROR };

/*
 * Leaves a message for the next page this browser renders (a signed cookie:
 * it survives one redirect, not a restart of the server). Text over 200 bytes
 * is cut at a character boundary.
 */
void web_flash(struct http_request *req, enum web_flash_kind kind, const char *text);

/*
 * Replies 303 See Other to 'location', which must be a path on this site
 * ("/x", not "//host" or "http:..."); anything else becomes "/", so that a
 * ?next= from the request can be passed as it is. Returns 0.
 */
int web_redirect_see_other(struct http_request *req, const char *location);

/* True if 's' is a path on this site: starts with one '/', no '\', no control. */
bool web_local_path(const char *s);

/* ---- the core of web_render, without a request (tests, other writers) ---- */

struct web_page {
    const char *page;             /* template name */
    json_t *ctx;                  /* borrowed; may be NULL */
    const struct principal *user; /* NULL when anonymous */
    bool csrf;                    /* user came by cookie: put its CSRF token in the context */
    const char *path;             /* the request path, for the navigation */
    json_t *user_info;            /* borrowed; the "user" object, or NULL to build it */
    json_t *flash;                /* borrowed; array of {kind, text}, or NULL */
};

/* Renders a page with its layout into 'out' as web_render() would. */
int web_render_page(const struct web_page *pg, struct strbuf *out, struct err_ctx *ec);

#endif
