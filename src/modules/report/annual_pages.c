/*
 * annual_pages.c - the annual report in the console (年度报告):
 *
 *   GET  /console/report                          choose a unit in scope and a year
 *   GET  /console/report/{unit}/{year}            preview, downloads, findings, the
 *                                                 free-text forms, sign-off, versions
 *   GET  /console/report/{unit}/{year}/download?format=pdf|docx|html|md|xlsx
 *   POST /console/report/{unit}/{year}/text       block=&version=&text=  -> 303 | 409/422
 *   POST /console/report/{unit}/{year}/sign       note=                  -> 303 the version
 *   GET  /console/report/{unit}/{year}/versions/{id}
 *                                                 the version as signed, and what changed
 *
 * The preview is the html writer's blocks (report_html_body()) inside the
 * console layout; a version shows the HTML stored at sign-off, never
 * rendered again. A unit outside the caller's scope reads as one that does
 * not exist (404).
 */
#include "core/compat.h"
#include "modules/report/annual_pages.h"

#include "core/arena.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/module.h"
#include "modules/org/org_pages.h"
#include "modules/report/annual.h"
#include "report/table.h"
#include "store/store.h"
#include "web/page.h"
#include "web/web.h"

#include <unistd.h>

#define DOWNLOAD_MAX (64u << 20)

static const struct {
    const char *format, *label, *ext, *type;
} downloads[] = {
    {"pdf", "PDF（公文格式）", "pdf", "application/pdf"},
    {"docx", "Word 文档", "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"html", "网页", "html", "text/html; charset=utf-8"},
    {"md", "Markdown 文本", "md", "text/markdown; charset=utf-8"},
    {"xlsx", "指标统计表（Excel）", "xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
};

/* The {unit} and {year} of the path; a malformed one is a page that does not exist. */
static int read_path(struct http_request *req, int64_t *unit_id, int *year, struct err_ctx *ec)
{
    int64_t y;

    if (str_to_int64(http_param(req, "unit"), 1, INT64_MAX, unit_id) < 0)
        return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在或不在您的权限范围内");
    if (str_to_int64(http_param(req, "year"), 1900, 9998, &y) < 0)
        return err_set(ec, ERR_NOT_FOUND, "year", "年度不正确");
    *year = (int)y;
    return 0;
}

static const char *base_href(struct arena *a, int64_t unit_id, int year)
{
    return arena_printf(a, "/console/report/%lld/%d", (long long)unit_id, year);
}

/* ================================================================
 * Choosing a report
 * ================================================================ */

struct choose_op {
    struct http_request *req;
    struct unit *units;
    size_t n;
};

static int read_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct choose_op *o = arg;
    return org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->n, ec);
}

/* GET /console/report[?unit=&year=]: the form, or 303 to the report chosen. */
static int page_choose(struct http_request *req, struct err_ctx *ec)
{
    struct choose_op o = {.req = req};
    const char *unit = http_query_text(req, "unit"), *year = http_query_text(req, "year");
    int64_t uid, y, last_year = date_of_instant(time_now_ms()).year - 1;
    json_t *years = json_array();
    int rc;

    if (unit && year && str_to_int64(unit, 1, INT64_MAX, &uid) == 0 &&
        str_to_int64(year, 1900, 9998, &y) == 0) {
        json_decref(years);
        return web_redirect_see_other(req, base_href(req->arena, uid, (int)y));
    }
    if ((rc = store_read(req->store, read_units, &o, ec)) < 0) {
        json_decref(years);
        return rc;
    }
    for (int64_t i = 0; i < 6; i++)
        json_array_append_new(years, json_pack("{s:I, s:b}", "year", (json_int_t)(last_year - i),
                                               "selected", i == 0));
    return web_render(req, 200, "console/report/choose",
                      json_pack("{s:s, s:o, s:o}", "title", "年度报告", "units",
                                org_unit_options(o.units, o.n, req->principal->unit_id), "years",
                                years),
                      ec);
}

/* ================================================================
 * The preview
 * ================================================================ */

struct preview_op {
    struct http_request *req;
    int64_t unit_id;
    int year;
    struct annual_report r;
    struct finding_list findings;
    struct annual_version *versions;
    size_t nversions;
};

static int read_preview(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct preview_op *o = arg;
    struct arena *a = o->req->arena;
    struct metric_query q;
    struct unit u;
    int rc;

    if ((rc = annual_build(c, a, module_metrics(), o->req->principal, o->unit_id, o->year, &o->r,
                           ec)) < 0 ||
        (rc = org_metric_query(c, a, o->req->principal, o->r.unit.id, &o->r.period, &u, &q, ec)) <
            0 ||
        (rc = module_findings(&q, &o->findings, ec)) < 0)
        return rc;
    return annual_versions_list(c, a, o->r.unit.id, o->year, &o->versions, &o->nversions, ec);
}

static json_t *text_block(const char *block, const char *label, const char *text, int64_t version)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s}", "block", block, "label", label, "text",
                     text ? text : "", "version", (json_int_t)version, "id",
                     strcmp(block, "plans") == 0 ? "text-plans" : "text-shortcomings");
}

/* The context of the preview page (a new reference), or NULL with ec set. */
static json_t *preview_ctx(struct http_request *req, int64_t unit_id, int year, struct err_ctx *ec)
{
    struct preview_op o = {.req = req, .unit_id = unit_id, .year = year};
    struct arena *a = req->arena;
    struct strbuf body = STRBUF_INIT;
    const char *base;
    json_t *ctx, *dl, *fl, *vl, *texts;
    bool can_edit, can_sign;

    finding_list_init(&o.findings, a);
    if (store_read(req->store, read_preview, &o, ec) < 0) {
        finding_list_release(&o.findings);
        return NULL;
    }
    base = base_href(a, o.r.unit.id, year);
    report_html_body(o.r.doc, &body);
    dl = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(downloads); i++)
        json_array_append_new(
            dl, json_pack("{s:s, s:s}", "label", downloads[i].label, "href",
                          arena_printf(a, "%s/download?format=%s", base, downloads[i].format)));
    fl = json_array();
    for (size_t i = 0; i < o.findings.n; i++)
        json_array_append_new(fl, json_pack("{s:s, s:s}", "severity",
                                            finding_severity_label(o.findings.items[i].severity),
                                            "text", o.findings.items[i].text));
    finding_list_release(&o.findings);
    vl = json_array();
    for (size_t i = 0; i < o.nversions; i++) {
        char at[PAGE_INSTANT_LEN];
        page_instant(o.versions[i].signed_at_ms, at);
        json_array_append_new(
            vl, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)o.versions[i].id, "href",
                          arena_printf(a, "%s/versions/%lld", base, (long long)o.versions[i].id),
                          "signed_at", at, "signed_by", o.versions[i].signed_by_name, "note",
                          o.versions[i].note));
    }
    can_edit = access_has_role(req->principal, ANNUAL_EDIT_ROLES);
    can_sign = access_has_role(req->principal, ANNUAL_SIGN_ROLES);
    texts = json_array();
    json_array_append_new(texts,
                          text_block("shortcomings", "法治政府建设中的不足及原因",
                                     o.r.texts.shortcomings, o.r.texts.shortcomings_version));
    json_array_append_new(texts, text_block("plans", "下一年度推进法治政府建设的工作思路",
                                            o.r.texts.plans, o.r.texts.plans_version));
    ctx = json_pack("{s:s, s:s, s:I, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:s, s:s}",
                    "title", arena_printf(a, "%s%d年度报告", o.r.unit.name, year), "unit_name",
                    o.r.unit.name, "unit_id", (json_int_t)o.r.unit.id, "year", year, "report_html",
                    body.buf ? body.buf : "", "base", base, "downloads", dl, "findings", fl,
                    "versions", vl, "texts", texts, "can_edit", can_edit, "can_sign", can_sign,
                    "text_action", arena_printf(a, "%s/text", base), "sign_action",
                    arena_printf(a, "%s/sign", base));
    strbuf_release(&body);
    return ctx;
}

/* GET /console/report/{unit}/{year} */
static int page_preview(struct http_request *req, struct err_ctx *ec)
{
    int64_t unit_id;
    int year, rc;
    json_t *ctx;

    if ((rc = read_path(req, &unit_id, &year, ec)) < 0)
        return rc;
    if (!(ctx = preview_ctx(req, unit_id, year, ec)))
        return web_error_page(req, ec);
    return web_render(req, 200, "console/report/preview", ctx, ec);
}

/* ================================================================
 * Downloads
 * ================================================================ */

struct download_op {
    struct http_request *req;
    int64_t unit_id;
    int year;
    bool xlsx;
    struct annual_report r;
    struct table *t;
};

static int read_download(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct download_op *o = arg;
    int rc;

    if ((rc = annual_build(c, o->req->arena, module_metrics(), o->req->principal, o->unit_id,
                           o->year, &o->r, ec)) < 0)
        return rc;
    if (o->xlsx)
        return annual_workbook(c, o->req->arena, o->req->principal, o->r.unit.code, o->year, o->t,
                               ec);
    return 0;
}

/* "attachment; filename="report.pdf"; filename*=UTF-8''%E5%9F%8E..." (RFC 6266, 5987) */
static const char *disposition(struct arena *a, const char *name, const char *ext)
{
    static const char hex[] = "0123456789ABCDEF";
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    strbuf_addf(&sb, "attachment; filename=\"report.%s\"; filename*=UTF-8''", ext);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            strbuf_addch(&sb, *p);
        } else {
            strbuf_addch(&sb, '%');
            strbuf_addch(&sb, hex[*p >> 4]);
            strbuf_addch(&sb, hex[*p & 15]);
        }
    }
    strbuf_addf(&sb, ".%s", ext);
    s = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return s;
}

static int render_xlsx(const struct table *t, struct strbuf *out, struct err_ctx *ec)
{
    char path[256];
    int rc = table_xlsx_temp(path, sizeof(path), ec);

    if (rc < 0)
        return rc;
    rc = table_write_xlsx(t, path, ec);
    if (rc == 0)
        rc = table_read_file(path, DOWNLOAD_MAX, out, ec);
    unlink(path);
    return rc;
}

/* GET /console/report/{unit}/{year}/download?format=pdf|docx|html|md|xlsx */
static int page_download(struct http_request *req, struct err_ctx *ec)
{
    struct download_op o = {.req = req};
    const char *format = http_query(req, "format"), *name;
    struct strbuf out = STRBUF_INIT;
    size_t which = ARRAY_SIZE(downloads);
    void *data;
    size_t len;
    int rc;

    if ((rc = read_path(req, &o.unit_id, &o.year, ec)) < 0)
        return rc;
    for (size_t i = 0; format && i < ARRAY_SIZE(downloads); i++)
        if (strcmp(downloads[i].format, format) == 0)
            which = i;
    if (which == ARRAY_SIZE(downloads))
        return err_set(ec, ERR_BAD_REQUEST, "format", "下载格式应为 pdf、docx、html、md 或 xlsx");
    o.xlsx = strcmp(format, "xlsx") == 0;
    if (o.xlsx)
        o.t = table_new();
    rc = store_read(req->store, read_download, &o, ec);
    if (rc == 0) {
        if (o.xlsx) {
            rc = render_xlsx(o.t, &out, ec);
        } else if (strcmp(format, "pdf") == 0) {
            rc = report_render_pdf(o.r.doc, &out, ec);
        } else if (strcmp(format, "docx") == 0) {
            rc = report_render_docx(o.r.doc, &out, ec);
        } else {
            report_writer_find(format)->write(o.r.doc, &out);
        }
    }
    if (o.t)
        table_free(o.t);
    if (rc < 0) {
        strbuf_release(&out);
        return rc;
    }
    name = o.xlsx ? arena_printf(req->arena, "%s%d年指标统计表", o.r.unit.name, o.year)
                  : arena_printf(req->arena, "%s%d年度法治政府建设情况报告", o.r.unit.name, o.year);
    len = out.len;
    data = arena_memdup(req->arena, out.buf ? out.buf : "", len);
    strbuf_release(&out);
    http_add_header(req, "Content-Disposition",
                    disposition(req->arena, name, downloads[which].ext));
    return http_reply_bytes(req, 200, downloads[which].type, data, len);
}

/* ================================================================
 * Free text and sign-off
 * ================================================================ */

struct text_op {
    struct http_request *req;
    int64_t unit_id;
    int year;
    const char *block, *text;
    int64_t version;
    struct unit unit;
};

static int write_text(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct text_op *o = arg;
    struct metric_period period;
    struct metric_query q;
    int rc;

    if ((rc = metric_period_year(o->year, &period, ec)) < 0 ||
        (rc = org_metric_query(c, o->req->arena, o->req->principal, o->unit_id, &period, &o->unit,
                               &q, ec)) < 0)
        return rc;
    return annual_text_save(c, o->req->arena, o->req->principal, &o->unit, o->year, o->block,
                            o->text, o->version, ec);
}

/* POST /console/report/{unit}/{year}/text  block=&version=&text=
 *   -> 303 the preview | 409/422 the preview again with what was typed */
static int page_text(struct http_request *req, struct err_ctx *ec)
{
    struct text_op o = {.req = req};
    struct http_form *f;
    const char *version;
    int rc;

    if ((rc = read_path(req, &o.unit_id, &o.year, ec)) < 0 ||
        (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    o.block = page_field(req, f, "block");
    o.text = page_field(req, f, "text");
    version = page_field(req, f, "version");
    if (!version || str_to_int64(version, 0, INT64_MAX, &o.version) < 0)
        o.version = -1;
    if (!annual_block_valid(o.block))
        return err_set(ec, ERR_BAD_REQUEST, "block", "没有这一部分");
    rc = store_write(req->store, write_text, &o, ec);
    if (rc == ERR_INVALID || rc == ERR_CONFLICT) {
        struct err_ctx saved = *ec;
        json_t *ctx, *item;
        size_t i;
        err_clear(ec);
        if (!(ctx = preview_ctx(req, o.unit_id, o.year, ec)))
            return web_error_page(req, ec);
        /* The block keeps what was typed; the error stands beside it. */
        json_array_foreach(json_object_get(ctx, "texts"), i, item)
        {
            if (strcmp(json_string_value(json_object_get(item, "block")), o.block) == 0) {
                json_object_set_new(item, "text", json_string(o.text ? o.text : ""));
                json_object_set_new(item, "error", json_string(saved.message));
            }
        }
        json_object_set_new(ctx, "error", json_string(saved.message));
        return web_render(req, http_error_status(saved.code), "console/report/preview", ctx, ec);
    }
    if (rc < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS,
              strcmp(o.block, "plans") == 0 ? "已保存“工作思路”" : "已保存“不足及原因”");
    return web_redirect_see_other(req, base_href(req->arena, o.unit.id, o.year));
}

struct sign_op {
    struct http_request *req;
    int64_t unit_id;
    int year;
    const char *note;
    int64_t id;
};

static int write_sign(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct sign_op *o = arg;
    return annual_sign(c, o->req->arena, module_metrics(), o->req->principal, o->unit_id, o->year,
                       o->note, &o->id, ec);
}

/* POST /console/report/{unit}/{year}/sign  note= -> 303 the version */
static int page_sign(struct http_request *req, struct err_ctx *ec)
{
    struct sign_op o = {.req = req};
    struct http_form *f;
    int rc;

    if ((rc = read_path(req, &o.unit_id, &o.year, ec)) < 0 ||
        (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    o.note = page_field(req, f, "note");
    if ((rc = store_write(req->store, write_sign, &o, ec)) < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS, "报告已签发，此版本内容已冻结");
    return web_redirect_see_other(req, arena_printf(req->arena, "%s/versions/%lld",
                                                    base_href(req->arena, o.unit_id, o.year),
                                                    (long long)o.id));
}

/* ================================================================
 * A signed-off version
 * ================================================================ */

struct version_op {
    struct http_request *req;
    int64_t unit_id, id;
    int year;
    struct unit unit;
    struct annual_version v;
    struct annual_change *changes;
    size_t nchanges;
};

static int read_version(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct version_op *o = arg;
    struct arena *a = o->req->arena;
    struct metric_period period;
    struct metric_query q;
    int rc;

    if ((rc = metric_period_year(o->year, &period, ec)) < 0 ||
        (rc = org_metric_query(c, a, o->req->principal, o->unit_id, &period, &o->unit, &q, ec)) <
            0 ||
        (rc = annual_version_get(c, a, o->unit.id, o->year, o->id, &o->v, ec)) < 0)
        return rc;
    return annual_changes(c, a, module_metrics(), o->req->principal, &o->v, &o->changes,
                          &o->nchanges, ec);
}

/* GET /console/report/{unit}/{year}/versions/{id} */
static int page_version(struct http_request *req, struct err_ctx *ec)
{
    struct version_op o = {.req = req};
    struct arena *a = req->arena;
    char at[PAGE_INSTANT_LEN];
    json_t *changes;
    int rc;

    if ((rc = read_path(req, &o.unit_id, &o.year, ec)) < 0 ||
        (rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_version, &o, ec)) < 0)
        return rc;
    changes = json_array();
    for (size_t i = 0; i < o.nchanges; i++)
        json_array_append_new(changes, json_pack("{s:s, s:s, s:s, s:s}", "name", o.changes[i].name,
                                                 "label", o.changes[i].label, "then",
                                                 o.changes[i].then, "now", o.changes[i].now));
    page_instant(o.v.signed_at_ms, at);
    return web_render(req, 200, "console/report/version",
                      json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "title",
                                arena_printf(a, "%s%d年度报告 签发版本 %lld", o.unit.name, o.year,
                                             (long long)o.v.id),
                                "unit_name", o.unit.name, "year", o.year, "id", (json_int_t)o.v.id,
                                "signed_at", at, "signed_by", o.v.signed_by_name, "note", o.v.note,
                                "frozen_html", o.v.html, "back", base_href(a, o.unit.id, o.year),
                                "changes", changes),
                      ec);
}

#define R (HTTP_PAGE)

static const struct http_route annual_page_list[] = {
    {"GET", "/console/report", page_choose, R, ANNUAL_READ_ROLES},
    {"GET", "/console/report/{unit}/{year}", page_preview, R, ANNUAL_READ_ROLES},
    {"GET", "/console/report/{unit}/{year}/download", page_download, R, ANNUAL_READ_ROLES},
    {"POST", "/console/report/{unit}/{year}/text", page_text, R, ANNUAL_EDIT_ROLES},
    {"POST", "/console/report/{unit}/{year}/sign", page_sign, R, ANNUAL_SIGN_ROLES},
    {"GET", "/console/report/{unit}/{year}/versions/{id}", page_version, R, ANNUAL_READ_ROLES},
};

#undef R

static const struct http_route_table annual_pages = {annual_page_list,
                                                     ARRAY_SIZE(annual_page_list)};

const struct module report_module = {
    .name = "report",
    .pages = &annual_pages,
};
