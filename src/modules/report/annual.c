/*
 * annual.c - the annual report's free text and signed-off versions (annual.h).
 */
#include "core/compat.h"
#include "modules/report/annual.h"

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

bool annual_block_valid(const char *block)
{
    return block && (strcmp(block, "shortcomings") == 0 || strcmp(block, "plans") == 0);
}

int annual_texts_get(struct store_conn *c, struct arena *a, int64_t unit_id, int year,
                     struct annual_texts *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_query(c, &st, ec,
                          "SELECT block, text, version FROM report_texts"
                          " WHERE unit_id = $1 AND year = $2",
                          "ii", unit_id, (int64_t)year)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        const char *block = store_col_text(st, 0);
        const char *text = arena_strdup(a, store_col_text(st, 1));
        if (strcmp(block, "shortcomings") == 0) {
            out->shortcomings = text;
            out->shortcomings_version = store_col_int(st, 2);
        } else if (strcmp(block, "plans") == 0) {
            out->plans = text;
            out->plans_version = store_col_int(st, 2);
        }
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int annual_text_save(struct store_conn *c, struct arena *a, const struct principal *p,
                     const struct unit *unit, int year, const char *block, const char *text,
                     int64_t expected, struct err_ctx *ec)
{
    struct annual_texts t;
    const char *before;
    int64_t current, now = time_now_ms();
    json_t *after;
    char actor[ACTOR_MAX];
    int rc;

    if ((rc = access_require(p, ANNUAL_EDIT_ROLES, unit->path, ec)) < 0)
        return rc;
    if (!annual_block_valid(block))
        return err_set(ec, ERR_INVALID, "block", "没有这一部分");
    if (!text)
        text = "";
    if (strlen(text) > ANNUAL_TEXT_MAX)
        return err_set(ec, ERR_INVALID, block, "文字过长，最多 %d 字节", ANNUAL_TEXT_MAX);
    if ((rc = annual_texts_get(c, a, unit->id, year, &t, ec)) < 0)
        return rc;
    current = strcmp(block, "plans") == 0 ? t.plans_version : t.shortcomings_version;
    before = strcmp(block, "plans") == 0 ? t.plans : t.shortcomings;
    if (expected != current)
        return err_set(ec, ERR_CONFLICT, "version", "这一部分已被他人修改，请查看最新内容后再保存");
    access_actor(p, actor, sizeof(actor));
    if (current == 0)
        rc = store_exec(c, ec,
                        "INSERT INTO report_texts (unit_id, year, block, text, version, updated_by,"
                        " updated_at_ms) VALUES ($1, $2, $3, $4, 1, $5, $6)",
                        "iittti", unit->id, (int64_t)year, block, text, actor, now);
    else
        rc = store_exec(c, ec,
                        "UPDATE report_texts SET text = $1, version = version + 1,"
                        " updated_by = $2, updated_at_ms = $3"
                        " WHERE unit_id = $4 AND year = $5 AND block = $6 AND version = $7",
                        "ttiiiti", text, actor, now, unit->id, (int64_t)year, block, current);
    if (rc < 0)
        return rc;
    after = json_pack("{s:I, s:i, s:s, s:s, s:I}", "unit_id", (json_int_t)unit->id, "year", year,
                      "block", block, "text", text, "version", (json_int_t)(current + 1));
    rc = store_audit(c,
                     &(struct audit_rec){
                         actor, current ? "update" : "create", "report_text",
                         arena_printf(a, "%lld/%d/%s", (long long)unit->id, year, block), unit->id,
                         before ? json_dump_arena(a, json_pack("{s:s, s:I}", "text", before,
                                                               "version", (json_int_t)current))
                                : NULL,
                         json_dump_arena(a, after)},
                     ec);
    json_decref(after);
    return rc;
}

int annual_leading_group(void *arg, struct arena *a, struct report_group *out, struct err_ctx *ec)
{
    struct annual_group_arg *g = arg;
    struct group_member *m;
    struct group grp;
    size_t n;
    int rc;

    rc = org_group_leading(g->c, a, g->unit_id, g->on, &grp, &m, &n, ec);
    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    out->name = grp.name;
    out->members = arena_calloc(a, n ? n : 1, sizeof(*out->members));
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->members[i] = (struct report_member){m[i].position, m[i].person_name};
    return 0;
}

#define ANNUAL_METRICS_MAX 512

int annual_build(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                 const struct principal *p, int64_t unit_id, int year, struct annual_report *out,
                 struct err_ctx *ec)
{
    struct report_template *tpl;
    struct report_params rp = {0};
    struct annual_group_arg ga = {c, 0, NULL};
    struct metric_query q;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!reg)
        return err_set(ec, ERR_INTERNAL, "", "指标注册表尚未建立");
    if ((rc = metric_period_year(year, &out->period, ec)) < 0 ||
        (rc = org_metric_query(c, a, p, unit_id, &out->period, &out->unit, &q, ec)) < 0 ||
        (rc = annual_texts_get(c, a, out->unit.id, year, &out->texts, ec)) < 0 ||
        (rc = report_template_load(REPORT_TEMPLATE_ANNUAL, reg, a, &tpl, ec)) < 0)
        return rc;
    rp.q = &q;
    rp.unit_name = out->unit.name;
    rp.shortcomings = out->texts.shortcomings;
    rp.plans = out->texts.plans;
    ga.unit_id = out->unit.id;
    ga.on = out->period.to;
    rp.leading_group = annual_leading_group;
    rp.group_arg = &ga;
    if ((rc = report_build(tpl, &rp, &out->doc, ec)) < 0)
        return rc;
    out->metrics = arena_calloc(a, ANNUAL_METRICS_MAX, sizeof(*out->metrics));
    out->nmetrics = report_template_metrics(tpl, out->metrics, ANNUAL_METRICS_MAX);
    out->values = arena_calloc(a, out->nmetrics ? out->nmetrics : 1, sizeof(*out->values));
    for (size_t i = 0; i < out->nmetrics; i++)
        if ((rc = metric_evaluate(out->metrics[i], &q, &out->values[i], ec)) < 0)
            return rc;
    return 0;
}

json_t *annual_values_json(const struct annual_report *r)
{
    json_t *o = json_object();

    for (size_t i = 0; i < r->nmetrics; i++) {
        char text[96];
        metric_format(r->metrics[i], &r->values[i], text, sizeof(text));
        json_object_set_new(o, r->metrics[i]->name,
                            json_pack("{s:s, s:s, s:I}", "label", r->metrics[i]->label, "text",
                                      text, "value", (json_int_t)r->values[i].value));
    }
    return o;
}

int annual_sign(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                const struct principal *p, int64_t unit_id, int year, const char *note, int64_t *id,
                struct err_ctx *ec)
{
    struct annual_report r;
    struct strbuf md = STRBUF_INIT, html = STRBUF_INIT;
    const struct report_writer *w = report_writer_find("md");
    const char *values;
    json_t *vals, *after;
    char actor[ACTOR_MAX];
    int64_t now = time_now_ms();
    int rc;

    if (!note)
        note = "";
    if (strlen(note) > ANNUAL_NOTE_MAX)
        return err_set(ec, ERR_INVALID, "note", "说明过长，最多 %d 字节", ANNUAL_NOTE_MAX);
    if ((rc = annual_build(c, a, reg, p, unit_id, year, &r, ec)) < 0)
        return rc;
    if ((rc = access_require(p, ANNUAL_SIGN_ROLES, r.unit.path, ec)) < 0)
        return rc;
    w->write(r.doc, &md);
    report_html_body(r.doc, &html);
    vals = annual_values_json(&r);
    values = json_dump_arena(a, vals);
    json_decref(vals);
    access_actor(p, actor, sizeof(actor));
    rc = store_query_int(c, id, ec,
                         "INSERT INTO report_versions (unit_id, year, title, markdown, html,"
                         " metrics, signed_by, signed_at_ms, note)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                         "iittttiit", r.unit.id, (int64_t)year, r.doc->title ? r.doc->title : "",
                         md.buf ? md.buf : "", html.buf ? html.buf : "", values, p->user_id, now,
                         note);
    strbuf_release(&md);
    strbuf_release(&html);
    if (rc < 0)
        return rc;
    after = json_pack("{s:I, s:I, s:i, s:I, s:s}", "id", (json_int_t)*id, "unit_id",
                      (json_int_t)r.unit.id, "year", year, "signed_by", (json_int_t)p->user_id,
                      "note", note);
    rc = store_audit(c,
                     &(struct audit_rec){actor, "sign", "report_version",
                                         arena_printf(a, "%lld", (long long)*id), r.unit.id, NULL,
                                         json_dump_arena(a, after)},
                     ec);
    json_decref(after);
    return rc;
}

#define VERSION_COLS                                                                               \
    "v.id, v.unit_id, v.year, v.title, v.signed_by, COALESCE(u.display_name, ''),"                 \
    " v.signed_at_ms, v.note"

static void version_row(struct store_stmt *st, struct arena *a, struct annual_version *v)
{
    memset(v, 0, sizeof(*v));
    v->id = store_col_int(st, 0);
    v->unit_id = store_col_int(st, 1);
    v->year = (int)store_col_int(st, 2);
    v->title = arena_strdup(a, store_col_text(st, 3));
    v->signed_by = store_col_int(st, 4);
    v->signed_by_name = arena_strdup(a, store_col_text(st, 5));
    v->signed_at_ms = store_col_int(st, 6);
    v->note = arena_strdup(a, store_col_text(st, 7));
}

int annual_version_get(struct store_conn *c, struct arena *a, int64_t unit_id, int year, int64_t id,
                       struct annual_version *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    if ((rc = store_query(c, &st, ec,
                          "SELECT " VERSION_COLS ", v.markdown, v.html, v.metrics"
                          " FROM report_versions v LEFT JOIN users u ON u.id = v.signed_by"
                          " WHERE v.id = $1 AND v.unit_id = $2 AND v.year = $3",
                          "iii", id, unit_id, (int64_t)year)) < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1) {
        version_row(st, a, out);
        out->markdown = arena_strdup(a, store_col_text(st, 8));
        out->html = arena_strdup(a, store_col_text(st, 9));
        out->metrics = arena_strdup(a, store_col_text(st, 10));
    }
    store_done(st);
    if (rc == 0)
        return err_set(ec, ERR_NOT_FOUND, "id", "没有这个签发版本");
    return rc < 0 ? rc : 0;
}

int annual_versions_list(struct store_conn *c, struct arena *a, int64_t unit_id, int year,
                         struct annual_version **out, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap = 8;
    int rc;

    *n = 0;
    *out = arena_calloc(a, cap, sizeof(**out));
    if ((rc = store_query(c, &st, ec,
                          "SELECT " VERSION_COLS
                          " FROM report_versions v LEFT JOIN users u ON u.id = v.signed_by"
                          " WHERE v.unit_id = $1 AND v.year = $2 ORDER BY v.id DESC",
                          "ii", unit_id, (int64_t)year)) < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (*n == cap) {
            struct annual_version *bigger = arena_calloc(a, 2 * cap, sizeof(*bigger));
            memcpy(bigger, *out, cap * sizeof(*bigger));
            *out = bigger;
            cap *= 2;
        }
        version_row(st, a, &(*out)[(*n)++]);
    }
    store_done(st);
    return rc < 0 ? rc : 0;
}

int annual_changes(struct store_conn *c, struct arena *a, const struct metric_registry *reg,
                   const struct principal *p, const struct annual_version *v,
                   struct annual_change **out, size_t *n, struct err_ctx *ec)
{
    struct metric_period period;
    struct metric_query q;
    struct unit unit;
    json_t *frozen = json_loads(v->metrics, 0, NULL), *item;
    const char *name;
    int rc;

    *n = 0;
    *out = NULL;
    if (!frozen || !json_is_object(frozen)) {
        json_decref(frozen);
        return err_set(ec, ERR_INTERNAL, "", "签发版本的指标数据无法读取");
    }
    *out = arena_calloc(a, json_object_size(frozen) + 1, sizeof(**out));
    if ((rc = metric_period_year(v->year, &period, ec)) < 0 ||
        (rc = org_metric_query(c, a, p, v->unit_id, &period, &unit, &q, ec)) < 0) {
        json_decref(frozen);
        return rc;
    }
    json_object_foreach(frozen, name, item)
    {
        const struct metric *m = metric_registry_find(reg, name);
        const char *then = json_string_value(json_object_get(item, "text"));
        struct metric_value now;
        char text[96];
        if (!m || !then)
            continue;
        if ((rc = metric_evaluate(m, &q, &now, ec)) < 0) {
            json_decref(frozen);
            return rc;
        }
        metric_format(m, &now, text, sizeof(text));
        if (strcmp(text, then) != 0)
            (*out)[(*n)++] =
                (struct annual_change){arena_strdup(a, name), arena_strdup(a, m->label),
                                       arena_strdup(a, then), arena_strdup(a, text)};
    }
    json_decref(frozen);
    return 0;
}
