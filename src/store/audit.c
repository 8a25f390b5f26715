/*
 * audit.c - the hash-chained audit log and the event table.
 *
 * Each audit entry's hash is SHA-256 over the previous entry's hash and the
 * entry's own fields, so editing, removing or reordering an entry breaks the
 * chain from that entry on; audit_head keeps the last id and hash, so that
 * cutting entries off the end is seen as well. Only store.h calls are used
 * here: the same code serves every backend.
 *
 * The serialisation hashed is unambiguous: a domain string, then every field
 * as a tag byte ('T' text, 'I' integer, 'N' NULL), text with its length as 8
 * big-endian bytes before it, integers as 8 big-endian bytes. So NULL is not
 * "", and no two different entries hash the same bytes.
 */
#include "core/compat.h"
#include "store/store_internal.h"
#include "core/str.h"
#include "core/time.h"

#include <sodium.h>
#include <stdatomic.h>

#define HASH_HEX_LEN 64 /* SHA-256 in lower-case hex */

static const char audit_domain[] = "fazhi.audit.v1";

/* The fields of one entry as they are hashed. */
struct audit_fields {
    const char *prev_hash;
    int64_t id;
    int64_t at_ms;
    const char *actor, *action, *entity, *entity_id;
    bool has_unit;
    int64_t unit_id;
    const char *before, *after;
};

static atomic_bool sodium_ready;

static int sodium_ensure(struct err_ctx *ec)
{
    if (atomic_load(&sodium_ready))
        return 0;
    if (sodium_init() < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "无法初始化加密库");
    atomic_store(&sodium_ready, true);
    return 0;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static void hash_text(crypto_hash_sha256_state *h, const char *s)
{
    unsigned char hdr[9];

    if (!s) {
        hdr[0] = 'N';
        crypto_hash_sha256_update(h, hdr, 1);
        return;
    }
    hdr[0] = 'T';
    put_be64(hdr + 1, strlen(s));
    crypto_hash_sha256_update(h, hdr, sizeof(hdr));
    crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
}

static void hash_int(crypto_hash_sha256_state *h, int64_t v)
{
    unsigned char hdr[9];

    hdr[0] = 'I';
    put_be64(hdr + 1, (uint64_t)v);
    crypto_hash_sha256_update(h, hdr, sizeof(hdr));
}

static void audit_hash(const struct audit_fields *f, char out[HASH_HEX_LEN + 1])
{
    crypto_hash_sha256_state h;
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&h);
    hash_text(&h, audit_domain);
    hash_text(&h, f->prev_hash);
    hash_int(&h, f->id);
    hash_int(&h, f->at_ms);
    hash_text(&h, f->actor);
    hash_text(&h, f->action);
    hash_text(&h, f->entity);
    hash_text(&h, f->entity_id);
    if (f->has_unit) {
        hash_int(&h, f->unit_id);
    } else {
        unsigned char null_tag = 'N';
        crypto_hash_sha256_update(&h, &null_tag, 1);
    }
    hash_text(&h, f->before);
    hash_text(&h, f->after);
    crypto_hash_sha256_final(&h, digest);
    str_hex(out, digest, sizeof(digest));
}

/* ---- appending ---- */

int store_audit(struct store_conn *c, const struct audit_rec *rec, struct err_ctx *ec)
{
    struct audit_fields f = {0};
    struct store_stmt *st = NULL;
    char prev[HASH_HEX_LEN + 1], hash[HASH_HEX_LEN + 1];
    const char *t;
    int rc;

    if (!rec || !rec->actor || !rec->action || !rec->entity || !rec->entity_id || !c->unit) {
        err_set(ec, ERR_INTERNAL, NULL, "服务器内部错误");
        return err_detail(ec, "store_audit: missing field, or called outside a unit of work");
    }
    if ((rc = sodium_ensure(ec)) < 0)
        return rc;
    /* Claim the next id by updating the head first: in PostgreSQL that also
     * takes the head's row lock, so concurrent writers queue up behind it. */
    rc = store_query(c, &st, ec,
                     "UPDATE audit_head SET last_id = last_id + 1 WHERE singleton = 1 "
                     "RETURNING last_id, last_hash",
                     "");
    if (rc < 0)
        goto out;
    rc = store_step(st, ec);
    if (rc <= 0) {
        if (rc == 0)
            rc = err_set(ec, ERR_DB, NULL, "审计日志头记录缺失");
        goto out;
    }
    t = store_col_text(st, 1);
    if (!t || strlen(t) != HASH_HEX_LEN) {
        rc = err_set(ec, ERR_DB, NULL, "审计日志头记录已损坏");
        goto out;
    }
    memcpy(prev, t, sizeof(prev));
    f.id = store_col_int(st, 0);
    store_done(st);
    st = NULL;

    f.prev_hash = prev;
    f.at_ms = time_now_ms();
    f.actor = rec->actor;
    f.action = rec->action;
    f.entity = rec->entity;
    f.entity_id = rec->entity_id;
    f.has_unit = rec->unit_id != 0; /* 0 means "no unit": stored as NULL */
    f.unit_id = rec->unit_id;
    f.before = rec->before;
    f.after = rec->after;
    audit_hash(&f, hash);
    rc = store_exec(c, ec,
                    "INSERT INTO audit_log (id, at_ms, actor, action, entity, entity_id, unit_id, "
                    "before_json, after_json, prev_hash, hash) "
                    "VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, 0), $8, $9, $10, $11)",
                    "iittttittt"
                    "t",
                    f.id, f.at_ms, f.actor, f.action, f.entity, f.entity_id, f.unit_id, f.before,
                    f.after, prev, hash);
    if (rc < 0)
        goto out;
    rc = store_exec(c, ec, "UPDATE audit_head SET last_hash = $1 WHERE singleton = 1", "t", hash);
out:
    store_done(st);
    return rc < 0 ? rc : 0;
}

/* ---- verifying ---- */

struct verify {
    int64_t count;
    int64_t bad_id;
};

static int verify_fn(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct verify *v = arg;
    struct store_stmt *st = NULL;
    char prev[HASH_HEX_LEN + 1], hash[HASH_HEX_LEN + 1];
    int64_t expect = 1, head_id;
    const char *head_hash;
    int rc;

    memset(prev, '0', HASH_HEX_LEN);
    prev[HASH_HEX_LEN] = '\0';
    rc = store_query(c, &st, ec,
                     "SELECT id, at_ms, actor, action, entity, entity_id, unit_id, before_json, "
                     "after_json, prev_hash, hash FROM audit_log ORDER BY id",
                     "");
    if (rc < 0)
        goto out;
    while ((rc = store_step(st, ec)) > 0) {
        struct audit_fields f;
        const char *stored_prev = store_col_text(st, 9), *stored = store_col_text(st, 10);

        f.id = store_col_int(st, 0);
        if (f.id != expect) {
            v->bad_id = expect;
            rc = err_set(ec, ERR_CONFLICT, NULL, "审计记录 %lld 缺失", (long long)expect);
            goto out;
        }
        if (!stored_prev || strcmp(stored_prev, prev) != 0) {
            v->bad_id = f.id;
            rc = err_set(ec, ERR_CONFLICT, NULL, "审计记录 %lld 与前一条记录的链接不符",
                         (long long)f.id);
            goto out;
        }
        f.prev_hash = prev;
        f.at_ms = store_col_int(st, 1);
        f.actor = store_col_text(st, 2);
        f.action = store_col_text(st, 3);
        f.entity = store_col_text(st, 4);
        f.entity_id = store_col_text(st, 5);
        f.has_unit = !store_col_is_null(st, 6);
        f.unit_id = store_col_int(st, 6);
        f.before = store_col_text(st, 7);
        f.after = store_col_text(st, 8);
        audit_hash(&f, hash);
        if (!stored || strcmp(stored, hash) != 0) {
            v->bad_id = f.id;
            rc = err_set(ec, ERR_CONFLICT, NULL, "审计记录 %lld 已被篡改", (long long)f.id);
            goto out;
        }
        memcpy(prev, hash, sizeof(prev));
        v->count++;
        expect++;
    }
    if (rc < 0)
        goto out;
    store_done(st);
    st = NULL;

    rc = store_query(c, &st, ec, "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1",
                     "");
    if (rc < 0)
        goto out;
    rc = store_step(st, ec);
    if (rc <= 0) {
        if (rc == 0) {
            v->bad_id = expect - 1; /* the last entry: nothing vouches for it now */
            rc = err_set(ec, ERR_CONFLICT, NULL, "审计日志头记录缺失");
        }
        goto out;
    }
    head_id = store_col_int(st, 0);
    head_hash = store_col_text(st, 1);
    if (head_id > expect - 1) {
        /* The head knows of entries the log no longer has: cut off the end. */
        v->bad_id = expect;
        rc = err_set(ec, ERR_CONFLICT, NULL, "审计记录 %lld 缺失", (long long)expect);
    } else if (head_id < expect - 1) {
        v->bad_id = head_id + 1;
        rc = err_set(ec, ERR_CONFLICT, NULL, "审计记录 %lld 不在审计日志头记录之内",
                     (long long)(head_id + 1));
    } else if (!head_hash || strcmp(head_hash, prev) != 0) {
        v->bad_id = head_id;
        rc = err_set(ec, ERR_CONFLICT, NULL, "审计日志头记录与审计记录 %lld 不符",
                     (long long)head_id);
    } else {
        rc = 0;
    }
out:
    store_done(st);
    return rc < 0 ? rc : 0;
}

int store_audit_verify(struct store *s, int64_t *count, int64_t *bad_id, struct err_ctx *ec)
{
    struct verify v = {0, 0};
    int rc = sodium_ensure(ec);

    if (rc == 0)
        rc = store_read(s, verify_fn, &v, ec);
    if (count)
        *count = v.count;
    if (bad_id)
        *bad_id = v.bad_id;
    return rc;
}

/* ---- events ---- */

int store_event(struct store_conn *c, const char *type, const char *unit_path, const char *topic,
                const char *payload, struct err_ctx *ec)
{
    struct store_event_rec rec;
    int rc;

    if (!type || !unit_path || !payload || !c->unit) {
        err_set(ec, ERR_INTERNAL, NULL, "服务器内部错误");
        return err_detail(ec, "store_event: missing field, or called outside a unit of work");
    }
    rec.at_ms = time_now_ms();
    rec.type = type;
    rec.unit_path = unit_path;
    rec.topic = topic ? topic : "";
    rec.payload = payload;
    rc = store_query_int(c, &rec.id, ec,
                         "INSERT INTO events (at_ms, type, unit_path, topic, payload) "
                         "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                         "itttt", rec.at_ms, type, unit_path, rec.topic, payload);
    if (rc == ERR_NOT_FOUND)
        rc = err_set(ec, ERR_DB, NULL, "事件写入失败");
    if (rc < 0)
        return rc;
    return store_unit_add_event(c->unit, &rec, ec);
}
