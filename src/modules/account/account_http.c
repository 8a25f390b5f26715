/*
 * account_http.c - sign-in, users, API tokens and the audit log over HTTP.
 */
#include "core/compat.h"
#include "modules/account/account_http.h"
#include "core/json.h"
#include "core/time.h"
#include "modules/account/account.h"
#include "store/store.h"

#include <strings.h>

int account_http_auth(struct http_request *req, struct principal *out, struct err_ctx *ec)
{
    const char *authz = http_header(req, "Authorization");
    const char *bearer = NULL;
    int rc;

    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || !authz[7])
            return err_set(ec, ERR_UNAUTHENTICATED, "Authorization",
                           "Authorization 头应为 \"Bearer 令牌\"");
        bearer = authz + 7;
    }
    rc =
        account_authenticate(req->store, http_cookie(req, ACCOUNT_SESSION_COOKIE), bearer, out, ec);
    if (rc == 1)
        req->via_cookie = bearer == NULL;
    return rc;
}

/* ---- session ---- */

static json_t *session_json(const struct user *u, const char *csrf, int64_t expires_at_ms)
{
    char expires[TIME_INSTANT_LEN];

    time_format_instant(expires_at_ms, expires, sizeof(expires));
    return json_pack("{s:o, s:s, s:s}", "user", account_user_json(u), "csrf_token", csrf,
                     "expires_at", expires);
}

/* POST /api/v1/session  {"login","password"} -> 201 {"user","csrf_token","expires_at"} + cookie
 *                                             | 401 | 422 | 429 */
static int handle_login(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"login", "password", NULL};
    struct login_result r;
    const char *login, *password;
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "login", true, 64, &login, ec)) < 0 ||
        (rc = json_field_text(body, "password", true, 128, &password, ec)) < 0)
        return rc;
    rc = account_login(req->store, req->arena, login, password, req->client_ip, &r, ec);
    if (rc < 0)
        return rc;
    http_set_cookie(req, ACCOUNT_SESSION_COOKIE, r.token, ACCOUNT_SESSION_TTL_MS / 1000);
    return http_reply_json(req, 201, session_json(&r.user, r.csrf, r.expires_at_ms));
}

struct whoami {
    struct http_request *req;
    struct user user;
};

static int read_whoami(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct whoami *w = arg;
    return account_user_get(c, w->req->arena, w->req->principal->user_id, &w->user, ec);
}

/* GET /api/v1/session -> 200 {"user","csrf_token"} | {"token":{...}} for an API token */
static int handle_whoami(struct http_request *req, struct err_ctx *ec)
{
    const struct principal *p = req->principal;
    struct whoami w = {.req = req};
    int rc;

    if (!p->user_id)
        return http_reply_json(req, 200,
                               json_pack("{s:n, s:{s:I, s:s, s:o, s:I}}", "user", "token", "id",
                                         (json_int_t)p->token_id, "name", p->login, "roles",
                                         account_roles_json(p->roles), "unit_id",
                                         (json_int_t)p->unit_id));
    rc = store_read(req->store, read_whoami, &w, ec);
    if (rc < 0)
        return rc;
    return http_reply_json(
        req, 200,
        json_pack("{s:o, s:s}", "user", account_user_json(&w.user), "csrf_token", p->csrf_token));
}

/* DELETE /api/v1/session -> 204, cookie cleared */
static int handle_logout(struct http_request *req, struct err_ctx *ec)
{
    int rc = account_logout(req->store, req->principal, ec);
    if (rc < 0)
        return rc;
    http_set_cookie(req, ACCOUNT_SESSION_COOKIE, "", 0);
    return http_reply_empty(req);
}

/* ---- users ---- */

struct user_op {
    struct http_request *req;
    int64_t id;
    struct user_new in;
    struct user_change ch;
    struct user user;
    struct user *items;
    size_t n;
};

static int list_users(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct user_op *o = arg;
    return account_user_list(c, o->req->arena, o->req->principal, &o->items, &o->n, ec);
}

/* GET /api/v1/users -> 200 {"items":[user...]} in the caller's scope */
static int handle_users(struct http_request *req, struct err_ctx *ec)
{
    struct user_op o = {.req = req};
    json_t *items;
    int rc = store_read(req->store, list_users, &o, ec);

    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, account_user_json(&o.items[i]));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static int get_user(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct user_op *o = arg;
    return account_user_get(c, o->req->arena, o->id, &o->user, ec);
}

/* GET /api/v1/users/{id} -> 200 user | 404 (also outside scope) */
static int handle_user(struct http_request *req, struct err_ctx *ec)
{
    struct user_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, get_user, &o, ec)) < 0)
        return rc;
    if (!access_in_scope(req->principal, o.user.unit_path))
        return err_set(ec, ERR_NOT_FOUND, "id", "用户不存在");
    return http_reply_json(req, 200, account_user_json(&o.user));
}

static int create_user(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct user_op *o = arg;
    int rc = account_user_create(c, o->req->arena, o->req->principal, &o->in, &o->id, ec);
    return rc < 0 ? rc : account_user_get(c, o->req->arena, o->id, &o->user, ec);
}

/* POST /api/v1/users  {"login","name","unit_id","roles":[...],"password"} -> 201 user */
static int handle_create_user(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"login", "name", "unit_id", "roles", "password", NULL};
    struct user_op o = {.req = req};
    char hash[ACCOUNT_HASH_LEN];
    const char *password;
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "login", true, 32, &o.in.login, ec)) < 0 ||
        (rc = json_field_text(body, "name", true, 50, &o.in.name, ec)) < 0 ||
        (rc = json_field_int(body, "unit_id", true, 1, INT64_MAX, &o.in.unit_id, NULL, ec)) < 0 ||
        (rc = account_roles_from_json(json_object_get(body, "roles"), "roles", &o.in.roles, ec)) <
            0 ||
        (rc = json_field_text(body, "password", true, 128, &password, ec)) < 0 ||
        (rc = account_password_hash(password, "password", hash, ec)) < 0)
        return rc;
    o.in.password_hash = hash;
    if ((rc = store_write(req->store, create_user, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 201, account_user_json(&o.user));
}

static int update_user(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct user_op *o = arg;
    int rc = account_user_update(c, o->req->arena, o->req->principal, o->id, &o->ch, ec);
    return rc < 0 ? rc : account_user_get(c, o->req->arena, o->id, &o->user, ec);
}

/* PATCH /api/v1/users/{id}  {"name","roles","disabled","unit_id","password"} -> 200 user */
static int handle_update_user(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"name", "roles", "disabled", "unit_id", "password", NULL};
    struct user_op o = {.req = req};
    char hash[ACCOUNT_HASH_LEN];
    const char *password;
    json_t *body, *roles;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "name", false, 50, &o.ch.name, ec)) < 0 ||
        (rc = json_field_bool(body, "disabled", false, &o.ch.disabled, &o.ch.set_disabled, ec)) <
            0 ||
        (rc = json_field_int(body, "unit_id", false, 1, INT64_MAX, &o.ch.unit_id, &o.ch.set_unit,
                             ec)) < 0 ||
        (rc = json_field_text(body, "password", false, 128, &password, ec)) < 0)
        return rc;
    roles = json_object_get(body, "roles");
    if (roles && !json_is_null(roles)) {
        if ((rc = account_roles_from_json(roles, "roles", &o.ch.roles, ec)) < 0)
            return rc;
        o.ch.set_roles = true;
    }
    if (password) {
        if ((rc = account_password_hash(password, "password", hash, ec)) < 0)
            return rc;
        o.ch.password_hash = hash;
    }
    if ((rc = store_write(req->store, update_user, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, account_user_json(&o.user));
}

/* ---- API tokens ---- */

struct token_op {
    struct http_request *req;
    const char *name;
    unsigned roles;
    int64_t unit_id, id;
    char token[ACCOUNT_TOKEN_LEN];
    struct api_token *items;
    size_t n;
};

static int list_tokens(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct token_op *o = arg;
    return account_token_list(c, o->req->arena, o->req->principal, &o->items, &o->n, ec);
}

/* GET /api/v1/apikeys -> 200 {"items":[token...]} (never the token text) */
static int handle_tokens(struct http_request *req, struct err_ctx *ec)
{
    struct token_op o = {.req = req};
    json_t *items;
    int rc = store_read(req->store, list_tokens, &o, ec);

    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, account_token_json(&o.items[i]));
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static int create_token(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct token_op *o = arg;
    return account_token_create(c, o->req->arena, o->req->principal, o->name, o->roles, o->unit_id,
                                o->token, &o->id, ec);
}

/* POST /api/v1/apikeys  {"name","roles":[...],"unit_id"} -> 201 {"id","token"} (shown once) */
static int handle_create_token(struct http_request *req, struct err_ctx *ec)
{
    static const char *const fields[] = {"name", "roles", "unit_id", NULL};
    struct token_op o = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, fields, ec)) < 0 ||
        (rc = json_field_text(body, "name", true, 50, &o.name, ec)) < 0 ||
        (rc = account_roles_from_json(json_object_get(body, "roles"), "roles", &o.roles, ec)) < 0 ||
        (rc = json_field_int(body, "unit_id", true, 1, INT64_MAX, &o.unit_id, NULL, ec)) < 0)
        return rc;
    if ((rc = store_write(req->store, create_token, &o, ec)) < 0)
        return rc;
    return http_reply_json(
        req, 201,
        json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o.id, "name", o.name, "token", o.token));
}

static int revoke_token(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct token_op *o = arg;
    return account_token_revoke(c, o->req->arena, o->req->principal, o->id, ec);
}

/* DELETE /api/v1/apikeys/{id} -> 204 | 404 | 409 already revoked */
static int handle_revoke_token(struct http_request *req, struct err_ctx *ec)
{
    struct token_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_write(req->store, revoke_token, &o, ec)) < 0)
        return rc;
    return http_reply_empty(req);
}

/* ---- audit log ---- */

struct audit_page {
    struct http_request *req;
    int64_t after, limit;
    const char *entity;
    json_t *items;
};

static int read_audit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct audit_page *pg = arg;
    const struct principal *p = pg->req->principal;
    struct store_stmt *st;
    char upper[UNIT_PATH_MAX + 2];
    int rc;

    /* Entries of units in scope; entries of no unit (system-wide ones) only
     * for a caller placed at a root unit, whose path is "/N/". */
    bool at_root = strchr(p->unit_path + 1, '/') == p->unit_path + strlen(p->unit_path) - 1;

    snprintf(upper, sizeof(upper), "%s~", p->unit_path);
    rc = store_query(c, &st, ec,
                     "SELECT a.id, a.at_ms, a.actor, a.action, a.entity, a.entity_id, a.unit_id, "
                     "a.before_json, a.after_json, a.hash FROM audit_log a "
                     "LEFT JOIN units un ON un.id = a.unit_id "
                     "WHERE a.id > $1 AND ($2 = '' OR a.entity = $2) "
                     "AND ((un.path >= $3 AND un.path < $4) OR (un.id IS NULL AND $5 = 1)) "
                     "ORDER BY a.id LIMIT $6",
                     "ittiii", pg->after, pg->entity ? pg->entity : "", p->unit_path, upper,
                     (int64_t)at_root, pg->limit);
    if (rc < 0)
        return rc;
    pg->items = json_array();
    while ((rc = store_step(st, ec)) == 1) {
        char at[TIME_INSTANT_LEN];
        json_t *before = NULL, *after = NULL;
        const char *b = store_col_text(st, 7), *a = store_col_text(st, 8);

        time_format_instant(store_col_int(st, 1), at, sizeof(at));
        if (b)
            before = json_loads(b, 0, NULL);
        if (a)
            after = json_loads(a, 0, NULL);
        json_array_append_new(
            pg->items,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}", "id",
                      (json_int_t)store_col_int(st, 0), "at", at, "actor", store_col_text(st, 2),
                      "action", store_col_text(st, 3), "entity", store_col_text(st, 4), "entity_id",
                      store_col_text(st, 5), "unit_id",
                      store_col_is_null(st, 6) ? json_null() : json_integer(store_col_int(st, 6)),
                      "before", before ? before : json_null(), "after", after ? after : json_null(),
                      "hash", store_col_text(st, 9)));
    }
    store_done(st);
    if (rc < 0) {
        json_decref(pg->items);
        pg->items = NULL;
    }
    return rc;
}

/* GET /api/v1/audit?after=ID&limit=N&entity=E -> 200 {"items":[...],"next_after"} */
static int handle_audit(struct http_request *req, struct err_ctx *ec)
{
    struct audit_page pg = {.req = req};
    json_t *last;
    int64_t next;
    int rc;

    if ((rc = http_query_int(req, "after", 0, INT64_MAX, 0, &pg.after, ec)) < 0 ||
        (rc = http_query_int(req, "limit", 1, 500, 100, &pg.limit, ec)) < 0)
        return rc;
    pg.entity = http_query(req, "entity");
    if ((rc = store_read(req->store, read_audit, &pg, ec)) < 0)
        return rc;
    last = json_array_get(pg.items, json_array_size(pg.items) - 1);
    next = last ? json_integer_value(json_object_get(last, "id")) : pg.after;
    return http_reply_json(
        req, 200, json_pack("{s:o, s:I}", "items", pg.items, "next_after", (json_int_t)next));
}

static const struct http_route account_route_list[] = {
    {"POST", "/api/v1/session", handle_login, HTTP_PUBLIC | HTTP_NO_CSRF, 0},
    {"GET", "/api/v1/session", handle_whoami, 0, 0},
    {"DELETE", "/api/v1/session", handle_logout, 0, 0},
    {"GET", "/api/v1/users", handle_users, 0, ROLE_ADMIN},
    {"POST", "/api/v1/users", handle_create_user, 0, ROLE_ADMIN},
    {"GET", "/api/v1/users/{id}", handle_user, 0, ROLE_ADMIN},
    {"PATCH", "/api/v1/users/{id}", handle_update_user, 0, ROLE_ADMIN},
    {"GET", "/api/v1/apikeys", handle_tokens, 0, ROLE_ADMIN},
    {"POST", "/api/v1/apikeys", handle_create_token, 0, ROLE_ADMIN},
    {"DELETE", "/api/v1/apikeys/{id}", handle_revoke_token, 0, ROLE_ADMIN},
    {"GET", "/api/v1/audit", handle_audit, 0, ROLE_ADMIN | ROLE_LEADER},
};

const struct module account_module = {
    .name = "account",
    .routes = {account_route_list, ARRAY_SIZE(account_route_list)},
    .pages = &account_pages,
    .demo = account_demo,
};
