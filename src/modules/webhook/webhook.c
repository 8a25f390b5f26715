/*
 * webhook.c - the webhook module's rules: signatures, the type matcher, the
 * request body, and the webhooks themselves (see webhook.h). The dispatcher
 * is in webhook_dispatch.c.
 */
#include "core/compat.h"
#include "modules/webhook/webhook.h"

#include <curl/curl.h>
#include <sodium.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

/* ================================================================
 * Signatures, types, URLs, bodies
 * ================================================================ */

void webhook_hmac_hex(const void *key, size_t key_len, const void *data, size_t len,
                      char out[WEBHOOK_HMAC_HEX_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];

    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, data, len);
    crypto_auth_hmacsha256_final(&st, mac);
    str_hex(out, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
}

void webhook_signature(const char *secret, int64_t timestamp, const char *body, size_t len,
                       char out[WEBHOOK_SIGNATURE_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24];
    int n = snprintf(ts, sizeof(ts), "%lld.", (long long)timestamp);

    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    str_hex(out + 7, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
}

/* True when entry (n bytes, one of the list) matches type. */
static bool entry_matches(const char *entry, size_t n, const char *type)
{
    if (n == 1 && entry[0] == '*')
        return true;
    if (n >= 2 && entry[n - 1] == '*') /* "case.*": the prefix with its dot */
        return strncmp(type, entry, n - 1) == 0 && strlen(type) > n - 1;
    return strlen(type) == n && strncmp(type, entry, n) == 0;
}

bool webhook_type_matches(const char *events, const char *type)
{
    const char *p = events;

    if (!events || !type)
        return false;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (n && entry_matches(p, n, type))
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

/* An entry: segments of [a-z0-9_-] joined by '.', the last one possibly "*"
 * after at least one other; or "*" alone. */
static bool entry_valid(const char *s, size_t n)
{
    size_t seg = 0;

    if (n == 1 && s[0] == '*')
        return true;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (seg == 0)
                return false;
            seg = 0;
        } else if (ch == '*') {
            if (i != n - 1 || seg != 0 || i == 0)
                return false;
            return true;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
            seg++;
        } else {
            return false;
        }
    }
    return seg > 0;
}

int webhook_events_normalise(struct arena *a, const char *in, const char *field, const char **out,
                             struct err_ctx *ec)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = in;

    if (!in || !*in)
        return err_set(ec, ERR_INVALID, field, "请填写要订阅的事件类型");
    if (strlen(in) > WEBHOOK_EVENTS_MAX)
        return err_set(ec, ERR_INVALID, field, "事件类型列表过长（最多 %d 个字符）",
                       WEBHOOK_EVENTS_MAX);
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (!n || !entry_valid(p, n)) {
            strbuf_release(&sb);
            return err_set(ec, ERR_INVALID, field,
                           "事件类型应为逗号分隔的类型（如 matter.notify）、以 .* 结尾的前缀"
                           "（如 case.*）或 *");
        }
        if (sb.len)
            strbuf_addch(&sb, ',');
        strbuf_add(&sb, p, n);
        if (!end)
            break;
        p = end + 1;
    }
    *out = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return 0;
}

int webhook_url_check(const char *url, const char *field, struct err_ctx *ec)
{
    CURLU *h;
    char *scheme = NULL, *host = NULL;
    bool ok;

    if (!url || !*url)
        return err_set(ec, ERR_INVALID, field, "请填写接收通知的地址");
    if (str_utf8_len(url) > WEBHOOK_URL_MAX || !str_is_clean_utf8(url, strlen(url)) ||
        strpbrk(url, " \t\r\n"))
        return err_set(ec, ERR_INVALID, field, "地址应为 http:// 或 https:// 开头的网址");
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return err_set(ec, ERR_INVALID, field, "地址只能以 http:// 或 https:// 开头");
    if (!(h = curl_url()))
        return err_set(ec, ERR_NOMEM, NULL, "内存不足");
    ok = curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
         curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host &&
         (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(h);
    if (!ok)
        return err_set(ec, ERR_INVALID, field, "地址不是有效的 http:// 或 https:// 网址");
    return 0;
}

char *webhook_body(int64_t event_id, const char *type, int64_t at_ms, const char *payload)
{
    time_t secs = (time_t)((at_ms >= 0 ? at_ms : 0) / 1000 + TIME_CST_OFFSET_MS / 1000);
    struct tm tm;
    char at[40];
    json_t *data = payload ? json_loads(payload, JSON_DECODE_ANY, NULL) : NULL;
    json_t *body;
    char *text;

    gmtime_r(&secs, &tm);
    if (strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S+08:00", &tm) == 0)
        at[0] = '\0';
    if (!data)
        data = payload ? json_string(payload) : json_null();
    body = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)event_id, "type", type, "at", at,
                     "data", data ? data : json_null());
    if (!body)
        return NULL;
    text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return text;
}

/* ================================================================
 * Webhooks
 * ================================================================ */

#define WEBHOOK_COLUMNS                                                                            \
    "id, name, url, events, active, created_at_ms, updated_at_ms, cursor_event_id"

static void webhook_from_row(struct store_stmt *st, struct arena *a, struct webhook *w)
{
    w->id = store_col_int(st, 0);
    w->name = arena_strdup(a, store_col_text(st, 1));
    w->url = arena_strdup(a, store_col_text(st, 2));
    w->events = arena_strdup(a, store_col_text(st, 3));
    w->active = store_col_int(st, 4) != 0;
    w->created_at_ms = store_col_int(st, 5);
    w->updated_at_ms = store_col_int(st, 6);
    w->cursor_event_id = store_col_int(st, 7);
}

static int webhook_read(struct store_conn *c, struct arena *a, int64_t id, struct webhook *out,
                        struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc =
        store_query(c, &st, ec, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1", "i", id);

    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        webhook_from_row(st, a, out);
    store_done(st);
    if (rc == 0)
        return err_set(ec, ERR_NOT_FOUND, "id", "Webhook 不存在");
    return rc < 0 ? rc : 0;
}

json_t *webhook_json(const struct webhook *w)
{
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];
    json_t *events = json_array();
    const char *p = w->events ? w->events : "";

    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        json_array_append_new(events, json_stringn(p, n));
        if (!end)
            break;
        p = end + 1;
    }
    time_format_instant(w->created_at_ms, created, sizeof(created));
    time_format_instant(w->updated_at_ms, updated, sizeof(updated));
    return json_pack("{s:I, s:s, s:s, s:o, s:b, s:s, s:s, s:I}", "id", (json_int_t)w->id, "name",
                     w->name, "url", w->url, "events", events, "active", w->active, "created_at",
                     created, "updated_at", updated, "cursor_event_id",
                     (json_int_t)w->cursor_event_id);
}

json_t *webhook_delivery_json(const struct webhook_delivery *d)
{
    char at[TIME_INSTANT_LEN];

    time_format_instant(d->at_ms, at, sizeof(at));
    return json_pack("{s:I, s:I, s:s, s:i, s:s, s:i, s:s, s:I, s:s}", "id", (json_int_t)d->id,
                     "event_id", (json_int_t)d->event_id, "event_type", d->event_type, "attempt",
                     d->attempt, "at", at, "http_status", d->http_status, "error",
                     d->error ? d->error : "", "duration_ms", (json_int_t)d->duration_ms, "outcome",
                     d->outcome);
}

static int webhook_audit(struct store_conn *c, struct arena *a, const struct principal *p,
                         const char *action, int64_t id, const struct webhook *before,
                         const struct webhook *after, struct err_ctx *ec)
{
    char actor[ACTOR_MAX];
    json_t *jb = before ? webhook_json(before) : NULL;
    json_t *ja = after ? webhook_json(after) : NULL;
    int rc;

    access_actor(p, actor, sizeof(actor));
    rc = store_audit(c,
                     &(struct audit_rec){actor, action, "webhook",
                                         arena_printf(a, "%lld", (long long)id), 0,
                                         json_dump_arena(a, jb), json_dump_arena(a, ja)},
                     ec);
    json_decref(jb);
    json_decref(ja);
    return rc;
}

static bool name_valid(const char *s)
{
    return s && *s && str_utf8_len(s) <= 50 && str_is_clean_utf8(s, strlen(s)) &&
           !strpbrk(s, "\t\r\n");
}

static int newest_event(struct store_conn *c, int64_t *out, struct err_ctx *ec)
{
    return store_query_int(c, out, ec, "SELECT COALESCE(MAX(id), 0) FROM events", "");
}

int webhook_create(struct store_conn *c, struct arena *a, const struct principal *p,
                   const struct webhook_new *in, int64_t *id, char *secret_out, struct err_ctx *ec)
{
    struct webhook created;
    const char *events;
    int64_t cursor, now = time_now_ms();
    int rc;

    if ((rc = access_require_root_admin(p, "管理 Webhook", ec)) < 0)
        return rc;
    if (!name_valid(in->name))
        return err_set(ec, ERR_INVALID, "name", "名称应为 1 到 50 个字");
    if ((rc = webhook_url_check(in->url, "url", ec)) < 0 ||
        (rc = webhook_events_normalise(a, in->events, "events", &events, ec)) < 0)
        return rc;
    if (in->secret) {
        size_t len = strlen(in->secret);
        bool printable = true;
        for (size_t i = 0; i < len; i++)
            printable &= in->secret[i] > ' ' && in->secret[i] <= '~';
        if (len < WEBHOOK_SECRET_MIN || len > WEBHOOK_SECRET_MAX || !printable)
            return err_set(ec, ERR_INVALID, "secret", "密钥应为 %d 到 %d 个可见 ASCII 字符",
                           WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX);
        snprintf(secret_out, WEBHOOK_SECRET_MAX + 1, "%s", in->secret);
    } else {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof(raw));
        str_hex(secret_out, raw, sizeof(raw));
        sodium_memzero(raw, sizeof(raw));
    }
    if ((rc = newest_event(c, &cursor, ec)) < 0)
        return rc;
    rc = store_query_int(c, id, ec,
                         "INSERT INTO webhooks (name, url, secret, events, active, created_at_ms, "
                         "updated_at_ms, cursor_event_id) VALUES ($1, $2, $3, $4, 1, $5, $5, $6) "
                         "RETURNING id",
                         "ttttii", in->name, in->url, secret_out, events, now, cursor);
    if (rc < 0)
        return rc;
    if ((rc = webhook_read(c, a, *id, &created, ec)) < 0)
        return rc;
    return webhook_audit(c, a, p, "create", *id, NULL, &created, ec);
}

int webhook_update(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                   const struct webhook_change *ch, struct err_ctx *ec)
{
    struct webhook before, after;
    const char *events = NULL;
    bool reset = false;
    int64_t cursor = 0;
    int rc;

    if ((rc = access_require_root_admin(p, "管理 Webhook", ec)) < 0 ||
        (rc = webhook_read(c, a, id, &before, ec)) < 0)
        return rc;
    if (ch->name && !name_valid(ch->name))
        return err_set(ec, ERR_INVALID, "name", "名称应为 1 到 50 个字");
    if ((ch->url && (rc = webhook_url_check(ch->url, "url", ec)) < 0) ||
        (ch->events && (rc = webhook_events_normalise(a, ch->events, "events", &events, ec)) < 0))
        return rc;
    /* Switched on again: from the newest event, not what happened while off. */
    if (ch->set_active && ch->active && !before.active) {
        if ((rc = newest_event(c, &cursor, ec)) < 0)
            return rc;
        reset = true;
    }
    rc = store_exec(c, ec,
                    "UPDATE webhooks SET name = COALESCE($2, name), url = COALESCE($3, url), "
                    "events = COALESCE($4, events), "
                    "active = CASE WHEN $5 = 1 THEN $6 ELSE active END, "
                    "cursor_event_id = CASE WHEN $7 = 1 THEN $8 ELSE cursor_event_id END, "
                    "updated_at_ms = $9 WHERE id = $1",
                    "itttiiiii", id, ch->name, ch->url, events, (int64_t)ch->set_active,
                    (int64_t)ch->active, (int64_t)reset, cursor, time_now_ms());
    if (rc < 0)
        return rc;
    if ((rc = webhook_read(c, a, id, &after, ec)) < 0)
        return rc;
    return webhook_audit(c, a, p, "update", id, &before, &after, ec);
}

int webhook_disable(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                    struct err_ctx *ec)
{
    struct webhook before, after;
    int rc;

    if ((rc = access_require_root_admin(p, "管理 Webhook", ec)) < 0 ||
        (rc = webhook_read(c, a, id, &before, ec)) < 0)
        return rc;
    if (!before.active)
        return err_set(ec, ERR_CONFLICT, "id", "Webhook 已停用");
    rc = store_exec(c, ec, "UPDATE webhooks SET active = 0, updated_at_ms = $2 WHERE id = $1", "ii",
                    id, time_now_ms());
    if (rc < 0 || (rc = webhook_read(c, a, id, &after, ec)) < 0)
        return rc;
    return webhook_audit(c, a, p, "disable", id, &before, &after, ec);
}

int webhook_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                struct webhook *out, struct err_ctx *ec)
{
    int rc = access_require_root_admin(p, "管理 Webhook", ec);
    return rc < 0 ? rc : webhook_read(c, a, id, out, ec);
}

int webhook_list(struct store_conn *c, struct arena *a, const struct principal *p,
                 struct webhook **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 8, count = 0;
    struct webhook *list;
    int rc;

    if ((rc = access_require_root_admin(p, "管理 Webhook", ec)) < 0)
        return rc;
    rc = store_query(c, &st, ec, "SELECT " WEBHOOK_COLUMNS " FROM webhooks ORDER BY id", "");
    if (rc < 0)
        return rc;
    list = arena_alloc(a, cap * sizeof(*list));
    while ((rc = store_step(st, ec)) == 1) {
        if (count == cap) {
            struct webhook *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            memcpy(bigger, list, cap * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        webhook_from_row(st, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

int webhook_deliveries(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                       int64_t limit, struct webhook_delivery **items, size_t *n,
                       struct err_ctx *ec)
{
    struct webhook w;
    struct store_stmt *st;
    struct webhook_delivery *list;
    size_t count = 0;
    int rc;

    if ((rc = webhook_get(c, a, p, id, &w, ec)) < 0)
        return rc;
    rc = store_query(c, &st, ec,
                     "SELECT id, webhook_id, event_id, event_type, attempt, at_ms, http_status, "
                     "error, duration_ms, outcome FROM webhook_deliveries WHERE webhook_id = $1 "
                     "ORDER BY id DESC LIMIT $2",
                     "ii", id, limit);
    if (rc < 0)
        return rc;
    list = arena_calloc(a, (size_t)(limit > 0 ? limit : 1), sizeof(*list));
    while ((rc = store_step(st, ec)) == 1 && count < (size_t)limit) {
        struct webhook_delivery *d = &list[count++];
        d->id = store_col_int(st, 0);
        d->webhook_id = store_col_int(st, 1);
        d->event_id = store_col_int(st, 2);
        d->event_type = arena_strdup(a, store_col_text(st, 3));
        d->attempt = (int)store_col_int(st, 4);
        d->at_ms = store_col_int(st, 5);
        d->http_status = (int)store_col_int(st, 6);
        d->error = arena_strdup(a, store_col_text(st, 7));
        d->duration_ms = store_col_int(st, 8);
        d->outcome = arena_strdup(a, store_col_text(st, 9));
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}
