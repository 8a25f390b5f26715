/*
 * account_pages.c - the pages of the account module: the portal's home,
 * signing in and out, the staff dashboard (which gathers the sections every
 * module contributes), and the administrator's users and API tokens.
 *
 * Sign-in without a session has no session CSRF token to check. The login
 * form is protected instead by (1) the session cookie being SameSite=Lax,
 * so another site cannot ride on a session, and (2) page_same_origin(): a
 * POST /login whose Origin (or Referer) names another host is refused, which
 * stops login CSRF (a site signing the victim into the attacker's account).
 * A pre-session token would need server-side state or a second cookie for
 * no gain over the Origin header, which every browser sends on a POST.
 */
#include "core/compat.h"
#include "core/time.h"
#include "modules/account/account.h"
#include "modules/account/account_http.h"
#include "modules/module.h"
#include "modules/org/org.h"
#include "modules/org/org_pages.h"
#include "store/store.h"
#include "web/page.h"
#include "web/web.h"

#define FEED_ITEMS 10

/* The roles an administrator can give, in the order the forms list them. */
static const unsigned form_roles[] = {ROLE_STAFF,   ROLE_OFFICER, ROLE_MEDIATOR,
                                      ROLE_ADVISER, ROLE_LEADER,  ROLE_ADMIN};

static const char *roles_text(struct arena *a, unsigned roles)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;

    for (size_t i = 0; i < ARRAY_SIZE(form_roles); i++) {
        if (!(roles & form_roles[i]))
            continue;
        if (sb.len)
            strbuf_adds(&sb, "、");
        strbuf_adds(&sb, role_label(form_roles[i]));
    }
    s = arena_strdup(a, sb.buf ? sb.buf : "");
    strbuf_release(&sb);
    return s;
}

/* [{code, label, checked}] for the role check boxes of a form. */
static json_t *role_choices(unsigned checked)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < ARRAY_SIZE(form_roles); i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "code", role_code(form_roles[i]),
                                             "label", role_label(form_roles[i]), "checked",
                                             (checked & form_roles[i]) != 0));
    return arr;
}

/* The roles ticked on a form (check boxes role_staff, role_officer, ...). */
static unsigned form_roles_read(const struct http_form *f)
{
    unsigned roles = 0;
    char name[32];

    for (size_t i = 0; i < ARRAY_SIZE(form_roles); i++) {
        snprintf(name, sizeof(name), "role_%s", role_code(form_roles[i]));
        if (page_checked(f, name))
            roles |= form_roles[i];
    }
    return roles;
}

/* ================================================================
 * The user in the layout
 * ================================================================ */

struct describe {
    struct http_request *req;
    struct user user;
};

static int read_describe(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct describe *d = arg;
    return account_user_get(c, d->req->arena, d->req->principal->user_id, &d->user, ec);
}

int account_describe_user(struct http_request *req, json_t *user, struct err_ctx *ec)
{
    struct describe d = {.req = req};
    int rc;

    if (!req->principal || !req->principal->user_id)
        return 0; /* an API token: its name is the login already */
    if ((rc = store_read(req->store, read_describe, &d, ec)) < 0)
        return rc;
    json_object_set_new(user, "name", json_string(d.user.name));
    json_object_set_new(user, "display", json_string(d.user.name));
    json_object_set_new(user, "unit", json_string(d.user.unit_name));
    return 0;
}

struct actor_read {
    struct http_request *req;
    int64_t id;
    bool token;
    const char *name;
};

static int read_actor(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct actor_read *o = arg;
    struct store_stmt *st;
    int rc = store_query(c, &st, ec,
                         o->token ? "SELECT name FROM api_tokens WHERE id = $1"
                                  : "SELECT display_name FROM users WHERE id = $1",
                         "i", o->id);

    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1)
        o->name = arena_strdup(o->req->arena, store_col_text(st, 0));
    store_done(st);
    return rc < 0 ? rc : 0;
}

const char *account_actor_label(struct http_request *req, const char *actor)
{
    struct actor_read o = {.req = req};
    struct err_ctx ec;

    err_clear(&ec);
    if (strcmp(actor, "system") == 0)
        return "系统";
    if (str_starts_with(actor, "cli:"))
        return arena_printf(req->arena, "命令行（%s）", actor + 4);
    o.token = str_starts_with(actor, "token:");
    if (!o.token && !str_starts_with(actor, "user:"))
        return NULL;
    if (str_to_int64(strchr(actor, ':') + 1, 1, INT64_MAX, &o.id) < 0 ||
        store_read(req->store, read_actor, &o, &ec) < 0 || !o.name)
        return NULL;
    return o.token ? arena_printf(req->arena, "API 令牌「%s」", o.name) : o.name;
}

/* ================================================================
 * Portal home, sign-in, sign-out
 * ================================================================ */

/* GET / -> 200 the portal's home page */
static int page_home(struct http_request *req, struct err_ctx *ec)
{
    return web_render(req, 200, "portal/home", json_pack("{s:s}", "title", "首页"), ec);
}

/* Where to go after signing in: ?next= (or the form's next) when it is a
 * path of this site, else the dashboard. */
static const char *next_path(const char *next)
{
    return next && web_local_path(next) && !str_starts_with(next, WEB_LOGIN_PATH) ? next
                                                                                  : "/console";
}

/* GET /login[?next=/console/...] -> 200 the form | 303 when signed in already */
static int page_login(struct http_request *req, struct err_ctx *ec)
{
    const char *next = http_query(req, "next");
    json_t *ctx;

    if (req->principal)
        return web_redirect_see_other(req, next_path(next));
    ctx = json_pack("{s:s}", "title", "登录");
    if (next && web_local_path(next))
        json_object_set_new(ctx, "next", json_string(next));
    return web_render(req, 200, "login", ctx, ec);
}

/* POST /login  login=&password=&next= -> 303 next (session cookie set)
 *                                      | 401/422/429 the form again, the error beside 密码 */
static int page_login_post(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"login", NULL};
    struct http_form *f;
    struct login_result r;
    const char *login, *password, *next;
    json_t *ctx;
    int rc;

    if (!page_same_origin(req))
        return err_set(ec, ERR_FORBIDDEN, NULL, "登录请求不是从本站页面提交的");
    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    login = page_field(req, f, "login");
    password = http_form_get(f, "password"); /* a password keeps its spaces */
    next = page_field(req, f, "next");
    ctx = json_pack("{s:s}", "title", "登录");
    web_form_values(ctx, f, keep);
    if (next && web_local_path(next))
        json_object_set_new(ctx, "next", json_string(next));
    if (!login)
        rc = err_set(ec, ERR_INVALID, "login", "请输入登录名");
    else if (!password || !*password)
        rc = err_set(ec, ERR_INVALID, "password", "请输入密码");
    else if (strlen(login) > 64 || strlen(password) > 128)
        rc = err_set(ec, ERR_UNAUTHENTICATED, "password", "用户名或密码错误");
    else
        rc = account_login(req->store, req->arena, login, password, req->client_ip, &r, ec);
    if (rc < 0) {
        /* Wrong password, unknown login and a lock all show at the password. */
        if (ec->code == ERR_UNAUTHENTICATED || ec->code == ERR_RATE_LIMIT)
            snprintf(ec->field, sizeof(ec->field), "password");
        return web_render_invalid(req, "login", ctx, ec);
    }
    json_decref(ctx);
    http_set_cookie(req, ACCOUNT_SESSION_COOKIE, r.token, ACCOUNT_SESSION_TTL_MS / 1000);
    return web_redirect_see_other(req, next_path(next));
}

/* POST /logout  csrf_token= -> 303 /login, the session ended and its cookie cleared */
static int page_logout(struct http_request *req, struct err_ctx *ec)
{
    int rc;

    if (req->principal && req->principal->session_id &&
        (rc = account_logout(req->store, req->principal, ec)) < 0)
        return rc;
    http_set_cookie(req, ACCOUNT_SESSION_COOKIE, "", 0);
    web_flash(req, WEB_FLASH_INFO, "您已退出登录。");
    return web_redirect_see_other(req, WEB_LOGIN_PATH);
}

/* ================================================================
 * The dashboard
 * ================================================================ */

/* What the feed says an event is; types not listed are not shown. */
static const struct {
    const char *type, *label;
    bool entry; /* the payload's id is a ledger entry */
} feed_types[] = {
    {"ledger.entry.created", "新增台账", true},  {"ledger.entry.updated", "修改台账", true},
    {"ledger.entry.deleted", "删除台账", false}, {"ledger.entries.imported", "导入台账", false},
    {"unit.created", "新增单位", false},         {"unit.updated", "单位信息变更", false},
    {"unit.moved", "单位调整", false},           {"unit.closed", "单位撤销", false},
};

struct feed_read {
    struct http_request *req;
    json_t *items;
};

static int read_feed(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct feed_read *fr = arg;
    const char *path = fr->req->principal->unit_path;
    char upper[UNIT_PATH_MAX + 2];
    struct store_stmt *st;
    int rc;

    snprintf(upper, sizeof(upper), "%s~", path);
    /* Newest first through the (topic, id) index; the scope as the stream's. */
    rc = store_query(c, &st, ec,
                     "SELECT id, at_ms, type, payload FROM events WHERE topic = '' "
                     "AND unit_path >= $1 AND unit_path < $2 ORDER BY id DESC LIMIT $3",
                     "tti", path, upper, (int64_t)FEED_ITEMS * 3);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1 && json_array_size(fr->items) < FEED_ITEMS) {
        const char *type = store_col_text(st, 2);
        json_t *payload = json_loads(store_col_text(st, 3), 0, NULL);
        char at[PAGE_INSTANT_LEN];
        json_t *item;

        for (size_t i = 0; i < ARRAY_SIZE(feed_types); i++) {
            const char *text;
            if (strcmp(type, feed_types[i].type) != 0)
                continue;
            page_instant(store_col_int(st, 1), at);
            text = json_string_value(json_object_get(payload, "title"));
            if (!text)
                text = json_string_value(json_object_get(payload, "name"));
            item = json_pack("{s:s, s:s, s:s, s:s}", "label", feed_types[i].label, "text",
                             text ? text : "", "at", at, "href", "");
            if (feed_types[i].entry && json_integer_value(json_object_get(payload, "id")) > 0)
                json_object_set_new(
                    item, "href",
                    json_string(arena_printf(
                        fr->req->arena, "/console/ledger/entries/%lld",
                        (long long)json_integer_value(json_object_get(payload, "id")))));
            json_array_append_new(fr->items, item);
            break;
        }
        json_decref(payload);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* GET /console -> 200 the dashboard: each module's sections, then the latest events */
static int page_dashboard(struct http_request *req, struct err_ctx *ec)
{
    struct feed_read fr = {.req = req};
    struct date today = date_of_instant(time_now_ms());
    const struct module *const *mods;
    size_t n;
    json_t *sections = json_array(), *ctx;
    int rc;

    mods = module_list(&n);
    for (size_t i = 0; i < n; i++) {
        if (mods[i]->dashboard && (rc = mods[i]->dashboard(req, sections, ec)) < 0) {
            json_decref(sections);
            return rc;
        }
    }
    fr.items = json_array();
    if ((rc = store_read(req->store, read_feed, &fr, ec)) < 0) {
        json_decref(sections);
        json_decref(fr.items);
        return rc;
    }
    ctx = json_pack("{s:s, s:o, s:b, s:o, s:b, s:s}", "title", "工作台", "sections", sections,
                    "has_sections", json_array_size(sections) > 0, "events", fr.items, "has_events",
                    json_array_size(fr.items) > 0, "today",
                    arena_printf(req->arena, "%d年%d月%d日", today.year, today.month, today.day));
    return web_render(req, 200, "console/dashboard", ctx, ec);
}

/* ================================================================
 * Administration: users and API tokens
 * ================================================================ */

/* GET /console/admin -> 200 the administrator's index; what only an
 * administrator of the whole deployment may set is offered to them alone. */
static int page_admin(struct http_request *req, struct err_ctx *ec)
{
    struct err_ctx probe;
    bool root;

    err_clear(&probe);
    root = access_require_root_admin(req->principal, "", &probe) == 0;
    return web_render(req, 200, "console/admin/index",
                      json_pack("{s:s, s:b}", "title", "系统管理", "root_admin", root), ec);
}

struct users_read {
    struct http_request *req;
    struct user *items;
    size_t n;
    struct unit *units;
    size_t nunits;
    struct api_token *tokens;
    size_t ntokens;
    int64_t id;
    struct user_new in;
    struct user_change ch;
    char token[ACCOUNT_TOKEN_LEN];
    const char *token_name;
    unsigned token_roles;
    int64_t token_unit;
};

static int read_users(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    int rc = account_user_list(c, u->req->arena, u->req->principal, &u->items, &u->n, ec);
    return rc < 0 ? rc
                  : org_unit_list(c, u->req->arena, u->req->principal, &u->units, &u->nunits, ec);
}

/* Renders the users page with 'ctx' (the form again after a fault, or NULL). */
static int users_page(struct http_request *req, int status, json_t *ctx, struct err_ctx *form_ec,
                      struct err_ctx *ec)
{
    struct users_read u = {.req = req};
    json_t *items = json_array(), *form;
    int64_t unit_sel = req->principal->unit_id;
    unsigned roles_sel = ROLE_STAFF;
    struct err_ctx fe;
    int rc;

    if (form_ec) {
        fe = *form_ec; /* the reads below use ec afresh */
        form_ec = &fe;
        err_clear(ec);
    }

    if ((rc = store_read(req->store, read_users, &u, ec)) < 0) {
        json_decref(items);
        json_decref(ctx);
        return rc;
    }
    for (size_t i = 0; i < u.n; i++) {
        char at[PAGE_INSTANT_LEN];
        page_instant(u.items[i].created_at_ms, at);
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:b}", "id",
                                        (json_int_t)u.items[i].id, "login", u.items[i].login,
                                        "name", u.items[i].name, "unit", u.items[i].unit_name,
                                        "roles", roles_text(req->arena, u.items[i].roles),
                                        "disabled", u.items[i].disabled, "created", at, "self",
                                        u.items[i].id == req->principal->user_id));
    }
    if (!ctx)
        ctx = json_object();
    form = json_object_get(ctx, "form");
    if (form) {
        const char *s = json_string_value(json_object_get(form, "unit_id"));
        int64_t v;
        if (s && str_to_int64(s, 1, INT64_MAX, &v) == 0)
            unit_sel = v;
        roles_sel = (unsigned)json_integer_value(json_object_get(ctx, "roles_sel"));
    }
    json_object_set_new(ctx, "title", json_string("用户管理"));
    json_object_set_new(ctx, "users", items);
    json_object_set_new(ctx, "units", org_unit_options(u.units, u.nunits, unit_sel));
    json_object_set_new(ctx, "roles", role_choices(roles_sel));
    if (form_ec)
        return web_render_invalid(req, "console/admin/users", ctx, form_ec);
    return web_render(req, status, "console/admin/users", ctx, ec);
}

/* GET /console/admin/users -> 200 the users in scope and the form to add one */
static int page_users(struct http_request *req, struct err_ctx *ec)
{
    return users_page(req, 200, NULL, NULL, ec);
}

static int write_user(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    return account_user_create(c, u->req->arena, u->req->principal, &u->in, &u->id, ec);
}

/* POST /console/admin/users  login=&name=&unit_id=&role_staff=on...&password=
 *   -> 303 /console/admin/users | 409/422 the form again with the error beside the field */
static int page_users_post(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"login", "name", "unit_id", NULL};
    struct users_read u = {.req = req};
    char hash[ACCOUNT_HASH_LEN];
    struct http_form *f;
    const char *password, *unit;
    json_t *ctx;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    u.in.login = page_field(req, f, "login");
    u.in.name = page_field(req, f, "name");
    unit = page_field(req, f, "unit_id");
    password = http_form_get(f, "password");
    u.in.roles = form_roles_read(f);
    if (!u.in.login)
        rc = err_set(ec, ERR_INVALID, "login", "请填写登录名");
    else if (!u.in.name)
        rc = err_set(ec, ERR_INVALID, "name", "请填写姓名");
    else if (!unit || str_to_int64(unit, 1, INT64_MAX, &u.in.unit_id) < 0)
        rc = err_set(ec, ERR_INVALID, "unit_id", "请选择所属单位");
    else if (!u.in.roles)
        rc = err_set(ec, ERR_INVALID, "roles", "请至少选择一个角色");
    else if ((rc = account_password_hash(password ? password : "", "password", hash, ec)) == 0) {
        u.in.password_hash = hash;
        rc = store_write(req->store, write_user, &u, ec);
    }
    if (rc < 0) {
        ctx = json_pack("{s:I}", "roles_sel", (json_int_t)u.in.roles);
        web_form_values(ctx, f, keep);
        return users_page(req, 422, ctx, ec, ec);
    }
    web_flash(req, WEB_FLASH_SUCCESS,
              arena_printf(req->arena, "已添加用户 %s（%s）。", u.in.name, u.in.login));
    return web_redirect_see_other(req, "/console/admin/users");
}

static int change_user(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    return account_user_update(c, u->req->arena, u->req->principal, u->id, &u->ch, ec);
}

/* POST /console/admin/users/{id}/disable | /enable -> 303 /console/admin/users | 404 */
static int set_disabled(struct http_request *req, bool disabled, struct err_ctx *ec)
{
    struct users_read u = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &u.id, ec)) < 0)
        return rc;
    if (disabled && u.id == req->principal->user_id)
        return err_set(ec, ERR_CONFLICT, NULL, "不能停用自己的账号");
    u.ch.set_disabled = true;
    u.ch.disabled = disabled;
    if ((rc = store_write(req->store, change_user, &u, ec)) < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS,
              disabled ? "账号已停用，其登录会话已全部结束。" : "账号已启用。");
    return web_redirect_see_other(req, "/console/admin/users");
}

static int page_user_disable(struct http_request *req, struct err_ctx *ec)
{
    return set_disabled(req, true, ec);
}

static int page_user_enable(struct http_request *req, struct err_ctx *ec)
{
    return set_disabled(req, false, ec);
}

static int read_tokens(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    int rc = account_token_list(c, u->req->arena, u->req->principal, &u->tokens, &u->ntokens, ec);
    return rc < 0 ? rc
                  : org_unit_list(c, u->req->arena, u->req->principal, &u->units, &u->nunits, ec);
}

/* The tokens page; 'ctx' may carry the form after a fault or the new token. */
static int tokens_page(struct http_request *req, int status, json_t *ctx, struct err_ctx *form_ec,
                       struct err_ctx *ec)
{
    struct users_read u = {.req = req};
    json_t *items = json_array();
    int64_t unit_sel = req->principal->unit_id;
    unsigned roles_sel = ROLE_LEADER;
    struct err_ctx fe;
    int rc;

    if (form_ec) {
        fe = *form_ec; /* the reads below use ec afresh */
        form_ec = &fe;
        err_clear(ec);
    }

    if ((rc = store_read(req->store, read_tokens, &u, ec)) < 0) {
        json_decref(items);
        json_decref(ctx);
        return rc;
    }
    for (size_t i = 0; i < u.ntokens; i++) {
        const struct api_token *t = &u.tokens[i];
        char at[PAGE_INSTANT_LEN], revoked[PAGE_INSTANT_LEN] = "";
        page_instant(t->created_at_ms, at);
        if (t->revoked_at_ms)
            page_instant(t->revoked_at_ms, revoked);
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
                                               "id", (json_int_t)t->id, "name", t->name, "prefix",
                                               t->prefix, "roles", roles_text(req->arena, t->roles),
                                               "unit", t->unit_code, "created", at, "created_by",
                                               web_actor_label(req, t->created_by), "revoked",
                                               t->revoked_at_ms != 0, "revoked_at", revoked));
    }
    if (!ctx)
        ctx = json_object();
    if (json_object_get(ctx, "roles_sel"))
        roles_sel = (unsigned)json_integer_value(json_object_get(ctx, "roles_sel"));
    if (json_object_get(ctx, "unit_sel"))
        unit_sel = json_integer_value(json_object_get(ctx, "unit_sel"));
    json_object_set_new(ctx, "title", json_string("接口令牌"));
    json_object_set_new(ctx, "tokens", items);
    json_object_set_new(ctx, "units", org_unit_options(u.units, u.nunits, unit_sel));
    json_object_set_new(ctx, "roles", role_choices(roles_sel));
    if (form_ec)
        return web_render_invalid(req, "console/admin/tokens", ctx, form_ec);
    return web_render(req, status, "console/admin/tokens", ctx, ec);
}

/* GET /console/admin/tokens -> 200 the tokens in scope (never their text) and the form */
static int page_tokens(struct http_request *req, struct err_ctx *ec)
{
    return tokens_page(req, 200, NULL, NULL, ec);
}

static int write_token(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    return account_token_create(c, u->req->arena, u->req->principal, u->token_name, u->token_roles,
                                u->token_unit, u->token, &u->id, ec);
}

/* POST /console/admin/tokens  name=&unit_id=&role_x=on -> 201 the page showing the new token
 *   once | 422 the form again. Not a redirect: the token is never stored, so the page
 *   that shows it must be this reply (marked no-store like every reply). */
static int page_tokens_post(struct http_request *req, struct err_ctx *ec)
{
    static const char *const keep[] = {"name", NULL};
    struct users_read u = {.req = req};
    struct http_form *f;
    const char *unit;
    json_t *ctx;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    u.token_name = page_field(req, f, "name");
    unit = page_field(req, f, "unit_id");
    u.token_roles = form_roles_read(f);
    if (!u.token_name)
        rc = err_set(ec, ERR_INVALID, "name", "请填写令牌名称");
    else if (!unit || str_to_int64(unit, 1, INT64_MAX, &u.token_unit) < 0)
        rc = err_set(ec, ERR_INVALID, "unit_id", "请选择令牌所属单位");
    else if (!u.token_roles)
        rc = err_set(ec, ERR_INVALID, "roles", "请至少选择一个角色");
    else
        rc = store_write(req->store, write_token, &u, ec);
    ctx = json_pack("{s:I, s:I}", "roles_sel", (json_int_t)u.token_roles, "unit_sel",
                    (json_int_t)(u.token_unit ? u.token_unit : req->principal->unit_id));
    if (rc < 0) {
        web_form_values(ctx, f, keep);
        return tokens_page(req, 422, ctx, ec, ec);
    }
    json_object_set_new(ctx, "new_token",
                        json_pack("{s:s, s:s}", "name", u.token_name, "token", u.token));
    json_object_set_new(ctx, "roles_sel", json_integer(ROLE_LEADER));
    json_object_set_new(ctx, "unit_sel", json_integer(req->principal->unit_id));
    return tokens_page(req, 201, ctx, NULL, ec);
}

static int revoke_token(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct users_read *u = arg;
    return account_token_revoke(c, u->req->arena, u->req->principal, u->id, ec);
}

/* POST /console/admin/tokens/{id}/revoke -> 303 /console/admin/tokens | 404 | 409 */
static int page_token_revoke(struct http_request *req, struct err_ctx *ec)
{
    struct users_read u = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &u.id, ec)) < 0 ||
        (rc = store_write(req->store, revoke_token, &u, ec)) < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS, "令牌已吊销，使用它的程序将无法再访问。");
    return web_redirect_see_other(req, "/console/admin/tokens");
}

#define PUB  (HTTP_PUBLIC | HTTP_PAGE)
#define PAGE HTTP_PAGE

static const struct http_route account_page_list[] = {
    {"GET", "/", page_home, PUB, 0},
    {"GET", "/login", page_login, PUB, 0},
    {"POST", "/login", page_login_post, PUB | HTTP_NO_CSRF, 0},
    {"POST", "/logout", page_logout, PUB, 0},
    {"GET", "/console", page_dashboard, PAGE, 0},
    {"GET", "/console/admin", page_admin, PAGE, ROLE_ADMIN},
    {"GET", "/console/admin/users", page_users, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/users", page_users_post, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/users/{id}/disable", page_user_disable, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/users/{id}/enable", page_user_enable, PAGE, ROLE_ADMIN},
    {"GET", "/console/admin/tokens", page_tokens, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/tokens", page_tokens_post, PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/tokens/{id}/revoke", page_token_revoke, PAGE, ROLE_ADMIN},
};

#undef PUB
#undef PAGE

const struct http_route_table account_pages = {account_page_list, ARRAY_SIZE(account_page_list)};
