/*
 * request.c - what a handler reads of a request: parameters, headers,
 * cookies, query arguments, JSON and form bodies (urlencoded or multipart,
 * with their files).
 *
 * Headers come straight from libmicrohttpd (case-insensitive lookup in the
 * connection's own memory). The Cookie header is parsed on first use, the
 * body on first use, and both parses are kept for later calls; the query
 * string is decoded by the server before the handler runs, so that a bad
 * escape is a 400 naming the argument whichever handler receives it.
 */
#include "core/compat.h"
#include "core/str.h"
#include "http/internal.h"

const char *http_param(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->param_values[i];
    return NULL;
}

int http_param_id(const struct http_request *req, const char *name, int64_t *out,
                  struct err_ctx *ec)
{
    const char *v = http_param(req, name);

    if (!v || str_to_int64(v, 1, INT64_MAX, out) < 0)
        return err_set(ec, ERR_NOT_FOUND, name, NULL);
    return 0;
}

const char *http_header(const struct http_request *req, const char *name)
{
    struct http_ctx *ctx = http_ctx_of(req);

    if (!ctx || !ctx->conn)
        return NULL;
    return MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_request *req, const char *name)
{
    struct http_ctx *ctx = http_ctx_of(req);

    if (!ctx)
        return NULL;
    if (!ctx->cookies_parsed) {
        const char *h = http_header(req, MHD_HTTP_HEADER_COOKIE);
        if (h)
            parse_cookies(req->arena, h, strlen(h), &ctx->cookies);
        ctx->cookies_parsed = true;
    }
    return parse_pairs_get(&ctx->cookies, name);
}

int request_parse_query(struct http_ctx *ctx, struct err_ctx *ec)
{
    if (!ctx->query || ctx->query_len == 0)
        return 0;
    return parse_urlencoded(ctx->req.arena, ctx->query, ctx->query_len, &ctx->query_pairs, ec);
}

const char *http_query(const struct http_request *req, const char *name)
{
    struct http_ctx *ctx = http_ctx_of(req);

    return ctx ? parse_pairs_get(&ctx->query_pairs, name) : NULL;
}

const char *http_query_text(const struct http_request *req, const char *name)
{
    const char *v = http_query(req, name);
    return v && *v ? v : NULL;
}

int http_query_int(const struct http_request *req, const char *name, int64_t min, int64_t max,
                   int64_t def, int64_t *out, struct err_ctx *ec)
{
    const char *v = http_query(req, name);

    if (!v) {
        *out = def;
        return 0;
    }
    if (str_to_int64(v, min, max, out) < 0)
        return err_set(ec, ERR_BAD_REQUEST, name, "参数“%s”应为 %lld 到 %lld 之间的整数", name,
                       (long long)min, (long long)max);
    return 0;
}

/*
 * JSON and urlencoded bodies are held to the server's max_body even on a
 * route that accepts a larger (multipart) upload: their parses take many
 * times the text (a jansson value per element, a pair per field).
 */
static bool text_too_large(const struct http_ctx *ctx, struct err_ctx *ec)
{
    if (!ctx || !ctx->text_max_body || ctx->req.body_len <= ctx->text_max_body)
        return false;
    err_set(ec, ERR_TOO_LARGE, NULL, "请求体超过 %zu 字节的上限", ctx->text_max_body);
    return true;
}

static void json_cleanup(void *p)
{
    json_decref(p);
}

int http_json_body(struct http_request *req, json_t **out, struct err_ctx *ec)
{
    struct http_ctx *ctx = http_ctx_of(req);
    json_error_t jerr;
    json_t *v;

    *out = NULL;
    if (ctx && ctx->json) {
        *out = ctx->json;
        return 0;
    }
    if (!parse_media_type_is(http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE), "application/json"))
        return err_set(ec, ERR_MEDIA_TYPE, NULL,
                       "请求体应为 JSON（Content-Type: application/json）");
    if (req->body_len == 0)
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求体不能为空");
    if (text_too_large(ctx, ec))
        return ec->code;
    v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        switch (json_error_code(&jerr)) {
        case json_error_duplicate_key:
            err_set(ec, ERR_BAD_REQUEST, NULL, "请求体含有重复的字段（第 %d 行第 %d 列）",
                    jerr.line, jerr.column);
            break;
        case json_error_invalid_utf8:
            err_set(ec, ERR_BAD_REQUEST, NULL, "请求体含有无效的 UTF-8 编码（第 %d 行第 %d 列）",
                    jerr.line, jerr.column);
            break;
        default:
            err_set(ec, ERR_BAD_REQUEST, NULL, "请求体不是有效的 JSON（第 %d 行第 %d 列）",
                    jerr.line, jerr.column);
            break;
        }
        return err_detail(ec, "json: %s", jerr.text);
    }
    arena_on_free(req->arena, json_cleanup, v);
    if (!json_is_object(v))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "请求体应为 JSON 对象");
    if (ctx)
        ctx->json = v;
    *out = v;
    return 0;
}

/*
 * Fills f from a multipart body: text parts become pairs (the parser has
 * checked and copied them), file parts files, grouped by name so that
 * http_form_files() can hand out one array per field. A file input left
 * empty (filename "" and no bytes) is dropped.
 */
static int form_from_multipart(struct http_request *req, struct http_form *f, struct err_ctx *ec)
{
    char boundary[PARSE_BOUNDARY_MAX + 1];
    struct parse_parts parts;
    size_t nfiles = 0;
    int rc;

    if (parse_multipart_boundary(http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE), boundary,
                                 sizeof(boundary)) < 0)
        return err_set(ec, ERR_BAD_REQUEST, NULL, "multipart 表单缺少有效的边界（boundary）");
    if ((rc = parse_multipart(req->arena, req->body, req->body_len, boundary, &parts, ec)) < 0)
        return rc;
    f->pairs.items =
        arena_calloc(req->arena, parts.count ? parts.count : 1, sizeof(*f->pairs.items));
    f->files = arena_calloc(req->arena, parts.count ? parts.count : 1, sizeof(*f->files));
    for (size_t i = 0; i < parts.count; i++) {
        const struct parse_part *p = &parts.items[i];
        if (!p->filename) {
            struct parse_pair *pair = &f->pairs.items[f->pairs.count++];
            pair->name = p->name;
            pair->name_len = strlen(p->name);
            pair->value = p->data;
            pair->value_len = p->len;
        } else if (p->filename[0] || p->len) {
            nfiles++;
        }
    }
    /* Each name's files in order, the names in order of first appearance. */
    for (size_t i = 0; i < parts.count && f->nfiles < nfiles; i++) {
        const struct parse_part *p = &parts.items[i];
        bool seen = false;
        if (!p->filename || (!p->filename[0] && !p->len))
            continue;
        for (size_t k = 0; k < f->nfiles && !seen; k++)
            seen = strcmp(f->files[k].name, p->name) == 0;
        if (seen)
            continue;
        for (size_t j = i; j < parts.count; j++) {
            const struct parse_part *q = &parts.items[j];
            if (!q->filename || (!q->filename[0] && !q->len) || strcmp(q->name, p->name) != 0)
                continue;
            f->files[f->nfiles++] = (struct http_file){
                .name = q->name,
                .filename = q->filename,
                .content_type = q->content_type ? q->content_type : "application/octet-stream",
                .data = (const unsigned char *)q->data,
                .len = q->len,
            };
        }
    }
    return 0;
}

int http_form_body(struct http_request *req, struct http_form **out, struct err_ctx *ec)
{
    struct http_ctx *ctx = http_ctx_of(req);
    const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    struct http_form *f;
    int rc;

    *out = NULL;
    if (ctx && ctx->form) {
        *out = ctx->form;
        return 0;
    }
    f = arena_zalloc(req->arena, sizeof(*f));
    if (parse_media_type_is(ct, "application/x-www-form-urlencoded"))
        rc = text_too_large(ctx, ec)
                 ? ec->code
                 : parse_urlencoded(req->arena, req->body, req->body_len, &f->pairs, ec);
    else if (parse_media_type_is(ct, "multipart/form-data"))
        rc = form_from_multipart(req, f, ec);
    else
        return err_set(ec, ERR_MEDIA_TYPE, NULL,
                       "请求体应为表单（Content-Type: application/x-www-form-urlencoded 或 "
                       "multipart/form-data）");
    if (rc < 0)
        return rc;
    if (ctx)
        ctx->form = f;
    *out = f;
    return 0;
}

/* Longest path a log line shows (escaped). */
#define LOG_PATH_MAX 256

const char *http_log_path(const struct http_request *req)
{
    static const char hex[] = "0123456789ABCDEF";
    struct http_ctx *ctx = http_ctx_of(req);
    const char *path = req->path ? req->path : "";
    char *buf;
    size_t j = 0;

    if (ctx && ctx->match_rc == 0 && ctx->match.route &&
        (ctx->match.route->flags & HTTP_LOG_PATTERN))
        path = ctx->match.route->pattern;
    if (!req->arena)
        return path;
    buf = arena_alloc(req->arena, LOG_PATH_MAX);
    for (const unsigned char *p = (const unsigned char *)path; *p && j + 4 < LOG_PATH_MAX; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            buf[j++] = '%';
            buf[j++] = hex[*p >> 4];
            buf[j++] = hex[*p & 15];
        } else {
            buf[j++] = (char)*p;
        }
    }
    buf[j] = '\0';
    return buf;
}

const char *http_form_get(const struct http_form *f, const char *name)
{
    return f ? parse_pairs_get(&f->pairs, name) : NULL;
}

size_t http_form_get_all(const struct http_form *f, struct arena *a, const char *name,
                         const char ***out)
{
    size_t n = 0;

    *out = NULL;
    for (size_t i = 0; f && i < f->pairs.count; i++)
        n += strcmp(f->pairs.items[i].name, name) == 0;
    if (n == 0)
        return 0;
    *out = arena_calloc(a, n, sizeof(**out));
    n = 0;
    for (size_t i = 0; i < f->pairs.count; i++)
        if (strcmp(f->pairs.items[i].name, name) == 0)
            (*out)[n++] = f->pairs.items[i].value;
    return n;
}

size_t http_form_files(const struct http_form *f, const char *name, const struct http_file **out)
{
    size_t first, n = 0;

    *out = NULL;
    if (!f)
        return 0;
    for (first = 0; first < f->nfiles; first++)
        if (strcmp(f->files[first].name, name) == 0)
            break;
    while (first + n < f->nfiles && strcmp(f->files[first + n].name, name) == 0)
        n++;
    if (n)
        *out = &f->files[first];
    return n;
}
