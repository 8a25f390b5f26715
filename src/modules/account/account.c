/*
 * account.c - users, sessions, API tokens and the failed-login limiter.
 */
#include "core/compat.h"
#include "modules/account/account.h"
#include "core/arena.h"
#include "core/limiter.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/org/org.h"
#include "store/store.h"

#include <pthread.h>
#include <sodium.h>

/* ================================================================
 * Tokens and hashes
 * ================================================================ */

/*
 * Each argon2id hash or check takes 64 MiB for ~0.1 s. Requests that may
 * block run on a pool of many threads, so without a bound a burst of
 * sign-ins could ask for gigabytes at once; at most HASH_SLOTS run together
 * and the others wait their turn.
 */
#define HASH_SLOTS 4

static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_free = PTHREAD_COND_INITIALIZER;
static int hash_busy;

static void hash_slot_take(void)
{
    pthread_mutex_lock(&hash_lock);
    while (hash_busy >= HASH_SLOTS)
        pthread_cond_wait(&hash_free, &hash_lock);
    hash_busy++;
    pthread_mutex_unlock(&hash_lock);
}

static void hash_slot_give(void)
{
    pthread_mutex_lock(&hash_lock);
    hash_busy--;
    pthread_cond_signal(&hash_free);
    pthread_mutex_unlock(&hash_lock);
}

/* crypto_pwhash_str_verify() within a hash slot: 0 when the password matches. */
static int password_verify(const char *hash, const char *password)
{
    int rc;

    hash_slot_take();
    rc = crypto_pwhash_str_verify(hash, password, strlen(password));
    hash_slot_give();
    return rc;
}

/* 32 random bytes as unpadded base64url (43 characters), with a prefix. */
static void random_token(const char *prefix, char *out, size_t size)
{
    unsigned char raw[32];
    size_t n = strlen(prefix);

    randombytes_buf(raw, sizeof(raw));
    snprintf(out, size, "%s", prefix);
    sodium_bin2base64(out + n, size - n, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* SHA-256 of a token, hex, into out[65]. */
static void token_hash(const char *token, char *out)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    str_hex(out, h, sizeof(h));
}

int account_password_hash(const char *password, const char *field, char *out, struct err_ctx *ec)
{
    size_t n = password ? strlen(password) : 0;
    int rc;

    if (n < 8)
        return err_set(ec, ERR_INVALID, field, "密码至少 8 位");
    if (n > 128)
        return err_set(ec, ERR_INVALID, field, "密码不能超过 128 位");
    if (!str_is_clean_utf8(password, n) || strpbrk(password, "\t\r\n"))
        return err_set(ec, ERR_INVALID, field, "密码含有不允许的字符");
    hash_slot_take();
    rc = crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                           crypto_pwhash_MEMLIMIT_INTERACTIVE);
    hash_slot_give();
    if (rc != 0)
        return err_set(ec, ERR_NOMEM, NULL, "服务器资源不足，请稍后再试");
    return 0;
}

/* ================================================================
 * Failed-login limiter
 * ================================================================ */

#define LIMIT_WINDOW_MS (15LL * 60 * 1000)
#define LIMIT_LOCK_MS   (15LL * 60 * 1000)
#define LIMIT_ACCOUNT   5
#define LIMIT_ADDRESS   20

static struct limiter login_limiter = LIMITER_INIT(LIMIT_WINDOW_MS, LIMIT_LOCK_MS);

/* ================================================================
 * Users
 * ================================================================ */

/* Ends the live streams of a credential (see ACCESS_REVOKED_EVENT). */
static int revoke_streams(struct store_conn *c, struct arena *a, const char *what, int64_t id,
                          struct err_ctx *ec)
{
    return store_event(c, ACCESS_REVOKED_EVENT, "", ACCESS_REVOKED_TOPIC,
                       arena_printf(a, "{\"%s\":%lld}", what, (long long)id), ec);
}

#define USER_COLUMNS                                                                               \
    "us.id, us.login, us.display_name, us.unit_id, un.code, un.name, un.path, us.roles, "          \
    "us.disabled, us.created_at_ms, us.updated_at_ms"
#define USER_FROM " FROM users us JOIN units un ON un.id = us.unit_id "

static void user_from_row(struct store_stmt *st, struct arena *a, struct user *u)
{
    u->id = store_col_int(st, 0);
    u->login = arena_strdup(a, store_col_text(st, 1));
    u->name = arena_strdup(a, store_col_text(st, 2));
    u->unit_id = store_col_int(st, 3);
    u->unit_code = arena_strdup(a, store_col_text(st, 4));
    u->unit_name = arena_strdup(a, store_col_text(st, 5));
    u->unit_path = arena_strdup(a, store_col_text(st, 6));
    u->roles = (unsigned)store_col_int(st, 7);
    u->disabled = store_col_int(st, 8) != 0;
    u->created_at_ms = store_col_int(st, 9);
    u->updated_at_ms = store_col_int(st, 10);
}

/* Runs a query for at most one user row. */
static int user_fetch(struct store_conn *c, struct arena *a, struct user *out, struct err_ctx *ec,
                      const char *sql, const char *types, int64_t id, const char *text)
{
    struct store_stmt *st;
    int rc = *types == 'i' ? store_query(c, &st, ec, sql, types, id)
                           : store_query(c, &st, ec, sql, types, text);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        user_from_row(st, a, out);
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "id", "用户不存在");
    }
    store_done(st);
    return rc;
}

int account_user_get(struct store_conn *c, struct arena *a, int64_t id, struct user *out,
                     struct err_ctx *ec)
{
    return user_fetch(c, a, out, ec, "SELECT " USER_COLUMNS USER_FROM "WHERE us.id = $1", "i", id,
                      NULL);
}

int account_user_by_login(struct store_conn *c, struct arena *a, const char *login,
                          struct user *out, struct err_ctx *ec)
{
    return user_fetch(c, a, out, ec, "SELECT " USER_COLUMNS USER_FROM "WHERE us.login = $1", "t", 0,
                      login);
}

int account_user_list(struct store_conn *c, struct arena *a, const struct principal *p,
                      struct user **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 16, count = 0;
    struct user *list = arena_alloc(a, cap * sizeof(*list));
    char upper[UNIT_PATH_MAX + 2];
    int rc;

    snprintf(upper, sizeof(upper), "%s~", p->unit_path);
    rc = store_query(c, &st, ec,
                     "SELECT " USER_COLUMNS USER_FROM
                     "WHERE un.path >= $1 AND un.path < $2 ORDER BY us.login",
                     "tt", p->unit_path, upper);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            struct user *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            memcpy(bigger, list, cap * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        user_from_row(st, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

json_t *account_roles_json(unsigned roles)
{
    json_t *arr = json_array();
    for (unsigned bit = 1; bit <= ROLE_ADMIN; bit <<= 1)
        if (roles & bit)
            json_array_append_new(arr, json_string(role_code(bit)));
    return arr;
}

int account_roles_from_json(json_t *v, const char *field, unsigned *out, struct err_ctx *ec)
{
    unsigned mask = 0, bit;
    size_t i;
    json_t *r;

    if (!json_is_array(v) || json_array_size(v) == 0)
        return err_set(ec, ERR_INVALID, field, "应为角色列表，至少一个角色");
    json_array_foreach(v, i, r)
    {
        if (!json_is_string(r) || role_parse_list(json_string_value(r), &bit) < 0 ||
            strchr(json_string_value(r), ','))
            return err_set(ec, ERR_INVALID, field,
                           "未知角色：可选 staff、officer、mediator、adviser、leader、admin");
        mask |= bit;
    }
    *out = mask;
    return 0;
}

json_t *account_user_json(const struct user *u)
{
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];

    time_format_instant(u->created_at_ms, created, sizeof(created));
    time_format_instant(u->updated_at_ms, updated, sizeof(updated));
    return json_pack("{s:I, s:s, s:s, s:{s:I, s:s, s:s}, s:o, s:b, s:s, s:s}", "id",
                     (json_int_t)u->id, "login", u->login, "name", u->name, "unit", "id",
                     (json_int_t)u->unit_id, "code", u->unit_code, "name", u->unit_name, "roles",
                     account_roles_json(u->roles), "disabled", u->disabled, "created_at", created,
                     "updated_at", updated);
}

static bool login_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
              *s == '-'))
            return false;
    return true;
}

static bool name_valid(const char *s)
{
    return s && *s && str_utf8_len(s) <= 50 && str_is_clean_utf8(s, strlen(s)) &&
           !strpbrk(s, "\t\r\n");
}

/* The unit a user or token is placed in: must exist, be open and in scope. */
static int placement_unit(struct store_conn *c, struct arena *a, const struct principal *p,
                          int64_t unit_id, struct unit *u, struct err_ctx *ec)
{
    int rc = org_unit_get(c, a, unit_id, u, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !access_in_scope(p, u->path))) {
        err_clear(ec);
        return err_set(ec, ERR_INVALID, "unit_id", "单位不存在或不在您的管辖范围内");
    }
    if (rc == 0 && u->closed_at_ms)
        return err_set(ec, ERR_INVALID, "unit_id", "单位已撤销");
    return rc;
}

static int audit_user(struct store_conn *c, struct arena *a, const struct principal *p,
                      const char *action, const struct user *before, const struct user *after,
                      struct err_ctx *ec)
{
    char actor[ACTOR_MAX];
    json_t *jb = before ? account_user_json(before) : NULL;
    json_t *ja = after ? account_user_json(after) : NULL;
    const struct user *u = after ? after : before;
    int rc;

    access_actor(p, actor, sizeof(actor));
    rc = store_audit(c,
                     &(struct audit_rec){actor, action, "user",
                                         arena_printf(a, "%lld", (long long)u->id), u->unit_id,
                                         json_dump_arena(a, jb), json_dump_arena(a, ja)},
                     ec);
    json_decref(jb);
    json_decref(ja);
    return rc;
}

int account_user_create(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct user_new *in, int64_t *id, struct err_ctx *ec)
{
    struct unit unit;
    struct user created;
    int64_t now = time_now_ms();
    int rc;

    if (!in->login || !login_valid(in->login))
        return err_set(ec, ERR_INVALID, "login",
                       "登录名应为 2 到 32 个小写字母、数字、点、下划线或连字符");
    if (!name_valid(in->name))
        return err_set(ec, ERR_INVALID, "name", "姓名应为 1 到 50 个字");
    if (!in->roles || (in->roles & ~ROLE_ALL))
        return err_set(ec, ERR_INVALID, "roles", "至少需要一个有效角色");
    if ((rc = placement_unit(c, a, p, in->unit_id, &unit, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ROLE_ADMIN, unit.path, ec)) < 0)
        return rc;
    rc = store_query_int(c, id, ec,
                         "INSERT INTO users (login, display_name, unit_id, roles, password_hash, "
                         "created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) "
                         "RETURNING id",
                         "ttiiti", in->login, in->name, in->unit_id, (int64_t)in->roles,
                         in->password_hash, now);
    if (rc == ERR_CONFLICT) {
        err_clear(ec);
        return err_set(ec, ERR_CONFLICT, "login", "登录名已被使用");
    }
    if (rc < 0)
        return rc;
    if ((rc = account_user_get(c, a, *id, &created, ec)) < 0)
        return rc;
    return audit_user(c, a, p, "create", NULL, &created, ec);
}

int account_user_update(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const struct user_change *ch, struct err_ctx *ec)
{
    struct user before, after;
    struct unit unit;
    int64_t now = time_now_ms();
    int rc;

    rc = account_user_get(c, a, id, &before, ec);
    if (rc == 0 && !access_in_scope(p, before.unit_path)) {
        err_clear(ec);
        rc = err_set(ec, ERR_NOT_FOUND, "id", "用户不存在");
    }
    if (rc < 0)
        return rc;
    if ((rc = access_require(p, ROLE_ADMIN, before.unit_path, ec)) < 0)
        return rc;
    if (ch->name && !name_valid(ch->name))
        return err_set(ec, ERR_INVALID, "name", "姓名应为 1 到 50 个字");
    if (ch->set_roles && (!ch->roles || (ch->roles & ~ROLE_ALL)))
        return err_set(ec, ERR_INVALID, "roles", "至少需要一个有效角色");
    if (ch->set_unit && (rc = placement_unit(c, a, p, ch->unit_id, &unit, ec)) < 0)
        return rc;
    if (ch->set_disabled && ch->disabled && p->user_id == id)
        return err_set(ec, ERR_INVALID, "disabled", "不能停用自己的账号");

    rc = store_exec(c, ec,
                    "UPDATE users SET display_name = $1, roles = $2, disabled = $3, unit_id = $4, "
                    "password_hash = COALESCE($5, password_hash), updated_at_ms = $6 WHERE id = $7",
                    "tiiitii", ch->name ? ch->name : before.name,
                    (int64_t)(ch->set_roles ? ch->roles : before.roles),
                    (int64_t)(ch->set_disabled ? ch->disabled : before.disabled),
                    ch->set_unit ? ch->unit_id : before.unit_id, ch->password_hash, now, id);
    if (rc < 0)
        return rc;
    if (ch->password_hash || (ch->set_disabled && ch->disabled)) {
        rc = store_exec(c, ec, "DELETE FROM sessions WHERE user_id = $1", "i", id);
        if (rc < 0)
            return rc;
    }
    /* Open streams keep the scope they were opened with: end them whenever
       what they were allowed to see may have changed. */
    if (ch->password_hash || ch->set_disabled || ch->set_roles || ch->set_unit) {
        rc = revoke_streams(c, a, "user_id", id, ec);
        if (rc < 0)
            return rc;
    }
    if ((rc = account_user_get(c, a, id, &after, ec)) < 0)
        return rc;
    return audit_user(c, a, p, ch->password_hash ? "password" : "update", &before, &after, ec);
}

/* ================================================================
 * Sessions
 * ================================================================ */

struct login_lookup {
    struct arena *arena;
    const char *login;
    struct user user;
    char hash[ACCOUNT_HASH_LEN];
    bool found;
};

static int lookup_for_login(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct login_lookup *l = arg;
    struct store_stmt *st;
    int rc;

    rc = store_query(c, &st, ec,
                     "SELECT " USER_COLUMNS ", us.password_hash" USER_FROM "WHERE us.login = $1",
                     "t", l->login);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        user_from_row(st, l->arena, &l->user);
        snprintf(l->hash, sizeof(l->hash), "%s", store_col_text(st, 11));
        l->found = true;
        rc = 0;
    }
    store_done(st);
    return rc;
}

struct session_open {
    struct arena *arena;
    const char *client_ip;
    const char *client_ip_json; /* {"client_ip":"..."} for the audit entry */
    struct login_result *out;
};

static int open_session(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct session_open *o = arg;
    struct login_result *r = o->out;
    char hash[65], actor[ACTOR_MAX];
    int64_t now = time_now_ms();
    int rc;

    token_hash(r->token, hash);
    rc = store_exec(c, ec, "DELETE FROM sessions WHERE user_id = $1 AND expires_at_ms < $2", "ii",
                    r->user.id, now);
    if (rc < 0)
        return rc;
    rc = store_query_int(c, &r->session_id, ec,
                         "INSERT INTO sessions (token_hash, user_id, csrf_token, client_ip, "
                         "created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6) "
                         "RETURNING id",
                         "titiii", hash, r->user.id, r->csrf, o->client_ip, now, r->expires_at_ms);
    if (rc < 0)
        return rc;
    snprintf(actor, sizeof(actor), "user:%lld", (long long)r->user.id);
    return store_audit(c,
                       &(struct audit_rec){actor, "login", "session",
                                           arena_printf(o->arena, "%lld", (long long)r->session_id),
                                           r->user.unit_id, NULL, o->client_ip_json},
                       ec);
}

/* A valid argon2id string for a password nobody knows, so that an unknown
 * login costs the same time as a wrong password. */
static char dummy_hash[ACCOUNT_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    char pw[ACCOUNT_TOKEN_LEN];
    random_token("", pw, sizeof(pw));
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = '\0';
}

int account_login(struct store *s, struct arena *a, const char *login, const char *password,
                  const char *client_ip, struct login_result *out, struct err_ctx *ec)
{
    struct login_lookup l = {.arena = a, .login = login};
    uint64_t account_key = limiter_key('u', login),
             address_key = limiter_address_key('a', client_ip);
    int64_t now = time_now_ms();
    bool ok;
    int rc;

    if (limiter_locked(&login_limiter, address_key, now, 0))
        goto locked;
    rc = store_read(s, lookup_for_login, &l, ec);
    if (rc < 0)
        return rc;
    if (limiter_locked(&login_limiter, account_key, now, l.found ? l.user.updated_at_ms : 0))
        goto locked;
    if (l.found) {
        ok = password_verify(l.hash, password) == 0 && !l.user.disabled;
    } else {
        pthread_once(&dummy_once, make_dummy_hash);
        /* Spend the time of a real verification; the outcome cannot admit. */
        if (password_verify(dummy_hash, password) == 0)
            log_warn("account: a password matched the decoy hash");
        ok = false;
    }
    if (!ok) {
        limiter_fail(&login_limiter, account_key, LIMIT_ACCOUNT, now);
        limiter_fail(&login_limiter, address_key, LIMIT_ADDRESS, now);
        log_warn("account: failed login: login=%s ip=%s", login, client_ip);
        return err_set(ec, ERR_UNAUTHENTICATED, "password", "用户名或密码错误");
    }
    limiter_clear(&login_limiter, account_key, now);

    out->user = l.user;
    random_token("", out->token, sizeof(out->token));
    random_token("", out->csrf, sizeof(out->csrf));
    out->expires_at_ms = now + ACCOUNT_SESSION_TTL_MS;
    {
        json_t *j = json_pack("{s:s}", "client_ip", client_ip);
        struct session_open o = {a, client_ip, json_dump_arena(a, j), out};
        json_decref(j);
        return store_write(s, open_session, &o, ec);
    }
locked:
    log_warn("account: login refused while locked: login=%s ip=%s", login, client_ip);
    return err_set(ec, ERR_RATE_LIMIT, NULL, "登录失败次数过多，请 15 分钟后再试");
}

struct session_close {
    struct arena *arena;
    const struct principal *p;
};

static int close_session(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct session_close *x = arg;
    char actor[ACTOR_MAX];
    int rc;

    rc = store_exec(c, ec, "DELETE FROM sessions WHERE id = $1", "i", x->p->session_id);
    if (rc < 0)
        return rc;
    rc = revoke_streams(c, x->arena, "session_id", x->p->session_id, ec);
    if (rc < 0)
        return rc;
    access_actor(x->p, actor, sizeof(actor));
    return store_audit(
        c,
        &(struct audit_rec){actor, "logout", "session",
                            arena_printf(x->arena, "%lld", (long long)x->p->session_id),
                            x->p->unit_id, NULL, NULL},
        ec);
}

int account_logout(struct store *s, const struct principal *p, struct err_ctx *ec)
{
    struct arena *a;
    int rc;

    if (!p || !p->session_id)
        return err_set(ec, ERR_INVALID, NULL, "当前不是浏览器会话，无需退出");
    a = arena_new();
    rc = store_write(s, close_session, &(struct session_close){a, p}, ec);
    arena_free(a);
    return rc;
}

struct auth_lookup {
    const char *hash;
    bool bearer;
    struct principal *out;
    int found; /* 1 found and valid, 0 not */
};

static int lookup_credential(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct auth_lookup *l = arg;
    struct principal *p = l->out;
    struct store_stmt *st;
    int64_t now = time_now_ms();
    int rc;

    if (l->bearer)
        rc = store_query(c, &st, ec,
                         "SELECT t.id, t.name, t.roles, t.unit_id, un.path, t.revoked_at_ms "
                         "FROM api_tokens t JOIN units un ON un.id = t.unit_id "
                         "WHERE t.token_hash = $1",
                         "t", l->hash);
    else
        rc = store_query(c, &st, ec,
                         "SELECT s.id, us.login, us.roles, us.unit_id, un.path, s.expires_at_ms, "
                         "us.disabled, us.id, s.csrf_token FROM sessions s "
                         "JOIN users us ON us.id = s.user_id JOIN units un ON un.id = us.unit_id "
                         "WHERE s.token_hash = $1",
                         "t", l->hash);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        memset(p, 0, sizeof(*p));
        snprintf(p->login, sizeof(p->login), "%s", store_col_text(st, 1));
        p->roles = (unsigned)store_col_int(st, 2);
        p->unit_id = store_col_int(st, 3);
        snprintf(p->unit_path, sizeof(p->unit_path), "%s", store_col_text(st, 4));
        if (l->bearer) {
            p->token_id = store_col_int(st, 0);
            l->found = store_col_is_null(st, 5);
        } else {
            p->session_id = store_col_int(st, 0);
            p->user_id = store_col_int(st, 7);
            snprintf(p->csrf_token, sizeof(p->csrf_token), "%s", store_col_text(st, 8));
            p->expires_at_ms = store_col_int(st, 5);
            l->found = p->expires_at_ms > now && store_col_int(st, 6) == 0;
        }
        rc = 0;
    }
    store_done(st);
    return rc;
}

int account_authenticate(struct store *s, const char *session_token, const char *bearer,
                         struct principal *out, struct err_ctx *ec)
{
    char hash[65];
    struct auth_lookup l = {.hash = hash, .out = out};
    int rc;

    if (bearer) {
        l.bearer = true;
        token_hash(bearer, hash);
    } else if (session_token && *session_token) {
        token_hash(session_token, hash);
    } else {
        return 0;
    }
    rc = store_read(s, lookup_credential, &l, ec);
    if (rc < 0)
        return rc;
    if (!l.found) {
        if (bearer)
            return err_set(ec, ERR_UNAUTHENTICATED, "Authorization", "API 令牌无效或已撤销");
        return 0; /* a stale cookie: treat the request as anonymous */
    }
    if (l.bearer)
        snprintf(out->actor, sizeof(out->actor), "token:%lld", (long long)out->token_id);
    else
        snprintf(out->actor, sizeof(out->actor), "user:%lld", (long long)out->user_id);
    return 1;
}

/* ================================================================
 * API tokens
 * ================================================================ */

#define TOKEN_COLUMNS                                                                              \
    "t.id, t.name, t.prefix, t.roles, t.unit_id, un.code, t.created_by, t.created_at_ms, "         \
    "t.revoked_at_ms"

static void token_from_row(struct store_stmt *st, struct arena *a, struct api_token *t)
{
    t->id = store_col_int(st, 0);
    t->name = arena_strdup(a, store_col_text(st, 1));
    t->prefix = arena_strdup(a, store_col_text(st, 2));
    t->roles = (unsigned)store_col_int(st, 3);
    t->unit_id = store_col_int(st, 4);
    t->unit_code = arena_strdup(a, store_col_text(st, 5));
    t->created_by = arena_strdup(a, store_col_text(st, 6));
    t->created_at_ms = store_col_int(st, 7);
    t->revoked_at_ms = store_col_int(st, 8);
}

json_t *account_token_json(const struct api_token *t)
{
    char created[TIME_INSTANT_LEN], revoked[TIME_INSTANT_LEN];

    time_format_instant(t->created_at_ms, created, sizeof(created));
    if (t->revoked_at_ms)
        time_format_instant(t->revoked_at_ms, revoked, sizeof(revoked));
    return json_pack("{s:I, s:s, s:s, s:o, s:{s:I, s:s}, s:s, s:s, s:o}", "id", (json_int_t)t->id,
                     "name", t->name, "prefix", t->prefix, "roles", account_roles_json(t->roles),
                     "unit", "id", (json_int_t)t->unit_id, "code", t->unit_code, "created_by",
                     t->created_by, "created_at", created, "revoked_at",
                     t->revoked_at_ms ? json_string(revoked) : json_null());
}

static int token_audit(struct store_conn *c, struct arena *a, const struct principal *p,
                       const char *action, int64_t id, const struct api_token *before,
                       const struct api_token *after, struct err_ctx *ec)
{
    char actor[ACTOR_MAX];
    json_t *jb = before ? account_token_json(before) : NULL;
    json_t *ja = after ? account_token_json(after) : NULL;
    int rc;

    access_actor(p, actor, sizeof(actor));
    rc = store_audit(c,
                     &(struct audit_rec){actor, action, "api_token",
                                         arena_printf(a, "%lld", (long long)id),
                                         (after ? after : before)->unit_id, json_dump_arena(a, jb),
                                         json_dump_arena(a, ja)},
                     ec);
    json_decref(jb);
    json_decref(ja);
    return rc;
}

static int token_get(struct store_conn *c, struct arena *a, int64_t id, struct api_token *t,
                     const char **unit_path, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec,
                         "SELECT " TOKEN_COLUMNS ", un.path FROM api_tokens t "
                         "JOIN units un ON un.id = t.unit_id WHERE t.id = $1",
                         "i", id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        token_from_row(st, a, t);
        *unit_path = arena_strdup(a, store_col_text(st, 9));
        rc = 0;
    } else if (rc == 0) {
        rc = err_set(ec, ERR_NOT_FOUND, "id", "API 令牌不存在");
    }
    store_done(st);
    return rc;
}

int account_token_create(struct store_conn *c, struct arena *a, const struct principal *p,
                         const char *name, unsigned roles, int64_t unit_id, char *token_out,
                         int64_t *id, struct err_ctx *ec)
{
    struct unit unit;
    struct api_token created;
    const char *path;
    char hash[65], prefix[16], actor[ACTOR_MAX];
    int rc;

    if (!name_valid(name))
        return err_set(ec, ERR_INVALID, "name", "名称应为 1 到 50 个字");
    if (!roles || (roles & ~ROLE_ALL))
        return err_set(ec, ERR_INVALID, "roles", "至少需要一个有效角色");
    if ((rc = placement_unit(c, a, p, unit_id, &unit, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ROLE_ADMIN, unit.path, ec)) < 0)
        return rc;
    random_token("fz_", token_out, ACCOUNT_TOKEN_LEN);
    token_hash(token_out, hash);
    snprintf(prefix, sizeof(prefix), "%.9s", token_out);
    access_actor(p, actor, sizeof(actor));
    rc = store_query_int(c, id, ec,
                         "INSERT INTO api_tokens (name, token_hash, prefix, roles, unit_id, "
                         "created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                         "RETURNING id",
                         "tttiiti", name, hash, prefix, (int64_t)roles, unit_id, actor,
                         time_now_ms());
    if (rc < 0)
        return rc;
    if ((rc = token_get(c, a, *id, &created, &path, ec)) < 0)
        return rc;
    return token_audit(c, a, p, "create", *id, NULL, &created, ec);
}

int account_token_list(struct store_conn *c, struct arena *a, const struct principal *p,
                       struct api_token **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 16, count = 0;
    struct api_token *list = arena_alloc(a, cap * sizeof(*list));
    char upper[UNIT_PATH_MAX + 2];
    int rc;

    snprintf(upper, sizeof(upper), "%s~", p->unit_path);
    rc =
        store_query(c, &st, ec,
                    "SELECT " TOKEN_COLUMNS " FROM api_tokens t JOIN units un ON un.id = t.unit_id "
                    "WHERE un.path >= $1 AND un.path < $2 ORDER BY t.id",
                    "tt", p->unit_path, upper);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            struct api_token *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            memcpy(bigger, list, cap * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        token_from_row(st, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

int account_token_revoke(struct store_conn *c, struct arena *a, const struct principal *p,
                         int64_t id, struct err_ctx *ec)
{
    struct api_token before, after;
    const char *path;
    int rc;

    rc = token_get(c, a, id, &before, &path, ec);
    if (rc == 0 && !access_in_scope(p, path)) {
        err_clear(ec);
        rc = err_set(ec, ERR_NOT_FOUND, "id", "API 令牌不存在");
    }
    if (rc < 0)
        return rc;
    if ((rc = access_require(p, ROLE_ADMIN, path, ec)) < 0)
        return rc;
    if (before.revoked_at_ms)
        return err_set(ec, ERR_CONFLICT, "id", "API 令牌已撤销");
    rc = store_exec(c, ec, "UPDATE api_tokens SET revoked_at_ms = $1 WHERE id = $2", "ii",
                    time_now_ms(), id);
    if (rc < 0)
        return rc;
    rc = revoke_streams(c, a, "token_id", id, ec);
    if (rc < 0)
        return rc;
    if ((rc = token_get(c, a, id, &after, &path, ec)) < 0)
        return rc;
    return token_audit(c, a, p, "revoke", id, &before, &after, ec);
}
