/*
 * request.c - what a handler reads of a request: parameters, headers,
 * cookies, query arguments, JSON and form bodies.
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

int http_form_body(struct http_request *req, struct http_form **out, struct err_ctx *ec)
{
    struct http_ctx *ctx = http_ctx_of(req);
    struct http_form *f;
    int rc;

    *out = NULL;
    if (ctx && ctx->form) {
        *out = ctx->form;
        return 0;
    }
    if (!parse_media_type_is(http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE),
                             "application/x-www-form-urlencoded"))
        return err_set(ec, ERR_MEDIA_TYPE, NULL,
                       "请求体应为表单（Content-Type: application/x-www-form-urlencoded）");
    f = arena_zalloc(req->arena, sizeof(*f));
    if ((rc = parse_urlencoded(req->arena, req->body, req->body_len, &f->pairs, ec)) < 0)
        return rc;
    if (ctx)
        ctx->form = f;
    *out = f;
    return 0;
}

const char *http_form_get(const struct http_form *f, const char *name)
{
    return f ? parse_pairs_get(&f->pairs, name) : NULL;
}
