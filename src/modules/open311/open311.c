/*
 * open311.c - Open311 GeoReport v2 (docs/open311.md): resident matters as
 * service requests, matter types as services.
 *
 *   GET  /open311/v2/discovery.{fmt}            the service discovery document
 *   GET  /open311/v2/services.{fmt}             the active matter types
 *   GET  /open311/v2/services/{code}.{fmt}      a type's fields as attributes
 *   POST /open311/v2/requests.{fmt}             submits a matter (api_key)
 *   GET  /open311/v2/requests.{fmt}             matters: service_request_id |
 *                                               service_code, start_date,
 *                                               end_date, status
 *   GET  /open311/v2/requests/{id}.{fmt}        one matter, as a list of one
 *   GET  /open311/v2/tokens/{token}.{fmt}       [{service_request_id, token}]
 *
 * {fmt} is json or xml; another extension is a 404. Every reply, errors
 * included, is in the spec's shape: handlers answer errors themselves with
 * reply_error()/reply_ec() and return 0, because a negative return would
 * become fazhi's {"error":...} body. jurisdiction_id is accepted everywhere
 * and ignored: one deployment serves one jurisdiction.
 *
 * Reads list every matter of the deployment (matter_filter scope ""): that
 * is what a public Open311 listing is. What goes out is the public part of a
 * matter only: never the phone, the name, the tracking code or the
 * attributes.
 */
#include "core/compat.h"
#include "modules/open311/open311.h"

#include <math.h>
#include <stdatomic.h>
#include <strings.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "modules/account/account.h"
#include "modules/matter/matter.h"
#include "store/store.h"

#define SPEC_URL        "http://wiki.open311.org/GeoReport_v2"
#define BASE_PATH       "/open311/v2"
#define MAX_REQUESTS    1000                /* the spec's "first 1000 requests" */
#define WINDOW_MS       (90LL * 86400000LL) /* the spec's 90 days */
#define MAX_CODES       32                  /* service_code=a,b,... */
#define JSON_CT         "application/json; charset=utf-8"
#define XML_CT          "text/xml; charset=utf-8"
#define JSON_DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10))

enum fmt { FMT_JSON, FMT_XML };

/* Open311 status bits of a matter and of a status= filter. */
enum { ST_OPEN = 1, ST_CLOSED = 2, ST_ANY = 3 };

/* When this process loaded the catalog (the start hook): the changeset of
 * the discovery document, since types change only when a start loads them. */
static _Atomic int64_t changeset_ms;

/* ================================================================
 * Replies
 * ================================================================ */

/* Replies with 'doc' (owned) in format f: JSON as it is, XML under 'root'
 * with 'item' elements for an array. */
static int reply_doc(struct http_request *req, enum fmt f, int status, json_t *doc,
                     const char *root, const char *item)
{
    static const char fallback[] = "[{\"code\":500,\"description\":\"服务暂时不可用\"}]";
    char *text, *copy;
    size_t len;

    /* Public data and no cookie used: any web page may read it (311 apps
       that run in a browser need this). */
    http_add_header(req, "Access-Control-Allow-Origin", "*");
    if (f == FMT_XML) {
        text = open311_xml(req->arena, doc, root, item, &len);
        json_decref(doc);
        return http_reply_bytes(req, status, XML_CT, text, len);
    }
    text = doc ? json_dumps(doc, JSON_DUMP_FLAGS) : NULL;
    json_decref(doc);
    if (!text) {
        log_error("open311 %s %s: reply could not be serialised", req->method, http_log_path(req));
        return http_reply_bytes(req, 500, JSON_CT, fallback, sizeof(fallback) - 1);
    }
    len = strlen(text);
    copy = arena_memdup(req->arena, text, len + 1);
    free(text);
    return http_reply_bytes(req, status, JSON_CT, copy, len);
}

/* Appends {"code","description"} to 'errors'; the description starts with
 * the parameter at fault when there is one ("service_code：…"). */
static void add_error(json_t *errors, int code, const char *param, const char *fmt, ...)
    FZ_PRINTF(4, 5);

static void add_error(json_t *errors, int code, const char *param, const char *fmt, ...)
{
    char msg[ERR_MESSAGE_MAX + 128], text[sizeof(msg) + 96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (param && *param)
        snprintf(text, sizeof(text), "%s：%s", param, msg);
    else
        snprintf(text, sizeof(text), "%s", msg);
    json_array_append_new(errors, json_pack("{s:i, s:s}", "code", code, "description", text));
}

static int reply_errors(struct http_request *req, enum fmt f, int status, json_t *errors)
{
    return reply_doc(req, f, status, errors, "errors", "error");
}

static int reply_error(struct http_request *req, enum fmt f, int status, const char *param,
                       const char *fmt, ...) FZ_PRINTF(5, 6);

static int reply_error(struct http_request *req, enum fmt f, int status, const char *param,
                       const char *fmt, ...)
{
    char msg[ERR_MESSAGE_MAX + 128];
    json_t *errors = json_array();
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    add_error(errors, status, param, "%s", msg);
    return reply_errors(req, f, status, errors);
}

/* The spec's status of an error: 404 what does not exist, 403 a bad or
 * missing api_key, 400 any other request that cannot be fulfilled; our own
 * failures are 5xx, so that no client mistakes them for its fault. */
static int status_of(enum err code)
{
    switch (code) {
    case ERR_NOT_FOUND:
        return 404;
    case ERR_UNAUTHENTICATED:
    case ERR_FORBIDDEN:
        return 403;
    case ERR_BAD_REQUEST:
    case ERR_INVALID:
    case ERR_CONFLICT:
    case ERR_MEDIA_TYPE:
    case ERR_TOO_LARGE:
    case ERR_METHOD:
        return 400;
    case ERR_RATE_LIMIT:
        return 429;
    case ERR_UNAVAILABLE:
        return 503;
    default:
        return 500;
    }
}

/* The Open311 parameter of a field named by fazhi's rules (matter_submit),
 * or NULL for none. */
static const char *param_of(struct arena *a, const char *field)
{
    static const char *const names[][2] = {
        {"type", "service_code"}, {"lon", "long"},     {"address", "address_string"},
        {"name", "first_name"},   {"location", "lat"}, {"attributes", "attribute"},
        {"photos", "media_url"},
    };
    const char *rest;

    if (!field || !*field)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(field, names[i][0]) == 0)
            return names[i][1];
    /* "attributes.category", "attributes[category]" -> "attribute[category]" */
    if (str_starts_with(field, "attributes.") || str_starts_with(field, "attributes[")) {
        rest = field + strlen("attributes") + 1;
        return arena_printf(a, "attribute[%.*s]", (int)strcspn(rest, "]"), rest);
    }
    return field;
}

/* Replies with the error in 'ec'. */
static int reply_ec(struct http_request *req, enum fmt f, const struct err_ctx *ec)
{
    int status = status_of(ec->code);

    if (status >= 500) {
        log_error("open311 %s %s: %s%s%s", req->method, http_log_path(req), ec->message,
                  ec->detail[0] ? ": " : "", ec->detail);
        return reply_error(req, f, status, NULL, "%s", err_default_message(ec->code));
    }
    return reply_error(req, f, status, param_of(req->arena, ec->field), "%s",
                       ec->message[0] ? ec->message : err_default_message(ec->code));
}

/* ================================================================
 * Request parsing
 * ================================================================ */

/* Splits path parameter 'name' ("services.json") into the resource and
 * the format; -1 for another extension or none. */
static int split_file(struct http_request *req, const char *name, const char **base, enum fmt *f)
{
    const char *file = http_param(req, name);
    const char *dot = file ? strrchr(file, '.') : NULL;

    if (!dot || dot == file)
        return -1;
    if (strcmp(dot + 1, "json") == 0)
        *f = FMT_JSON;
    else if (strcmp(dot + 1, "xml") == 0)
        *f = FMT_XML;
    else
        return -1;
    *base = arena_strndup(req->arena, file, (size_t)(dot - file));
    return 0;
}

/* The 404 of a path whose extension is neither .json nor .xml: in XML,
 * the format every Open311 client reads. */
static int reply_bad_format(struct http_request *req)
{
    return reply_error(req, FMT_XML, 404, NULL, "资源不存在：路径应以 .json 或 .xml 结尾");
}

/* A request id: a positive integer, else 0. */
static int64_t id_of(const char *s)
{
    int64_t id;

    return s && str_to_int64(s, 1, INT64_MAX, &id) == 0 ? id : 0;
}

/* scheme://host of the request, for absolute URLs; "" when the Host header
 * is missing or holds what a host cannot. */
static const char *origin_of(struct http_request *req)
{
    const char *host = http_header(req, "Host");
    size_t n = host ? strlen(host) : 0;

    if (n == 0 || n > 255 ||
        host[strspn(host, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_")])
        return "";
    return arena_printf(req->arena, "%s://%s", req->secure ? "https" : "http", host);
}

/* ================================================================
 * Services
 * ================================================================ */

struct types_read {
    struct arena *a;
    bool active_only;
    struct matter_type *items;
    size_t n;
};

static int read_types(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct types_read *r = arg;
    return matter_types_list(c, r->a, r->active_only, &r->items, &r->n, ec);
}

struct type_read {
    struct arena *a;
    const char *code;
    struct matter_type t;
};

static int read_type(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct type_read *r = arg;
    return matter_type_get(c, r->a, r->code, &r->t, ec);
}

/* The type's fields (a JSON array, possibly empty); a new reference. */
static json_t *type_fields(const struct matter_type *t)
{
    json_t *v = t->fields ? json_loads(t->fields, 0, NULL) : NULL;

    if (!json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

static bool is_list_type(const char *datatype)
{
    return datatype &&
           (strcmp(datatype, "singlevaluelist") == 0 || strcmp(datatype, "multivaluelist") == 0);
}

static json_t *service_json(const struct matter_type *t)
{
    json_t *fields = type_fields(t);
    bool metadata = json_array_size(fields) > 0;

    json_decref(fields);
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", t->code, "service_name",
                     t->name, "description", t->description ? t->description : "", "metadata",
                     metadata, "type", "realtime", "keywords", t->keywords ? t->keywords : "",
                     "group", t->group ? t->group : "");
}

/* What helps a user type a value of that datatype, or NULL. */
static const char *datatype_help(const char *datatype)
{
    if (!datatype)
        return NULL;
    if (strcmp(datatype, "datetime") == 0)
        return "W3C 日期时间，例如 2022-03-01T09:30:00+08:00";
    if (strcmp(datatype, "number") == 0)
        return "数字";
    if (strcmp(datatype, "multivaluelist") == 0)
        return "可多选：每个选中的值提交一次 attribute[代码][]=值";
    return NULL;
}

static json_t *definition_json(const struct matter_type *t)
{
    json_t *fields = type_fields(t), *attrs = json_array(), *field;
    size_t i;

    json_array_foreach(fields, i, field)
    {
        const char *datatype = json_string_value(json_object_get(field, "datatype"));
        const char *help = json_string_value(json_object_get(field, "datatype_description"));
        json_t *order = json_object_get(field, "order");
        json_t *attr = json_object(), *values, *v;
        size_t k;

        json_object_set_new(attr, "variable", json_true());
        json_object_set(attr, "code", json_object_get(field, "code"));
        json_object_set_new(attr, "datatype", json_string(datatype ? datatype : "string"));
        json_object_set_new(attr, "required",
                            json_boolean(json_is_true(json_object_get(field, "required"))));
        json_object_set_new(attr, "datatype_description",
                            json_text_or_null(help ? help : datatype_help(datatype)));
        json_object_set_new(
            attr, "order",
            json_integer(json_is_integer(order) ? json_integer_value(order) : (json_int_t)i + 1));
        json_object_set_new(
            attr, "description",
            json_string(json_is_string(json_object_get(field, "description"))
                            ? json_string_value(json_object_get(field, "description"))
                            : ""));
        if (is_list_type(datatype)) {
            values = json_array();
            json_array_foreach(json_object_get(field, "values"), k, v)
            {
                json_array_append_new(values,
                                      json_pack("{s:O, s:O}", "key", json_object_get(v, "key"),
                                                "name", json_object_get(v, "name")));
            }
            json_object_set_new(attr, "values", values);
        }
        json_array_append_new(attrs, attr);
    }
    json_decref(fields);
    return json_pack("{s:s, s:o}", "service_code", t->code, "attributes", attrs);
}

static int do_services(struct http_request *req, enum fmt f)
{
    struct types_read r = {req->arena, true, NULL, 0};
    struct err_ctx ec;
    json_t *list;

    err_clear(&ec);
    if (store_read(req->store, read_types, &r, &ec) < 0)
        return reply_ec(req, f, &ec);
    list = json_array();
    for (size_t i = 0; i < r.n; i++)
        json_array_append_new(list, service_json(&r.items[i]));
    return reply_doc(req, f, 200, list, "services", "service");
}

/* GET /open311/v2/services/{code}.{fmt} */
static int handle_definition(struct http_request *req, struct err_ctx *ec)
{
    struct type_read r = {req->arena, NULL, {0}};
    enum fmt f;
    int rc;

    if (split_file(req, "file", &r.code, &f) < 0)
        return reply_bad_format(req);
    err_clear(ec);
    rc = store_read(req->store, read_type, &r, ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !r.t.active))
        return reply_error(req, f, 404, "service_code", "服务代码“%s”不存在", r.code);
    if (rc < 0)
        return reply_ec(req, f, ec);
    return reply_doc(req, f, 200, definition_json(&r.t), "service_definition", NULL);
}

static int do_discovery(struct http_request *req, enum fmt f)
{
    char changeset[OPEN311_DATETIME_LEN];
    int64_t at = atomic_load(&changeset_ms);
    json_t *doc;

    open311_format_datetime(at ? at : time_now_ms(), changeset, sizeof(changeset));
    doc = json_pack(
        "{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[s, s]}]}", "changeset", changeset, "contact",
        "fazhi 法治工作系统：请与本街道办事处的系统管理员联系", "key_service",
        "API 密钥（api_key）由系统管理员签发：控制台“API 令牌”页面，或命令 fazhi apikey add",
        "endpoints", "specification", SPEC_URL, "url",
        arena_printf(req->arena, "%s%s", origin_of(req), BASE_PATH), "changeset", changeset, "type",
        "production", "formats", "text/xml", "application/json");
    return reply_doc(req, f, 200, doc, "discovery", NULL);
}

/* ================================================================
 * Service requests out
 * ================================================================ */

/* Open311's closed means "it has been resolved": a resolved matter is
 * closed (it opens again if the resident reopens it), and so are the
 * terminal states, rated (closed) and rejected. */
static int status_bit(const struct matter *m)
{
    static const char *const closed[] = {"resolved", "closed", "rejected"};

    for (size_t i = 0; i < ARRAY_SIZE(closed); i++)
        if (strcmp(m->state, closed[i]) == 0)
            return ST_CLOSED;
    return ST_OPEN;
}

static const struct matter_type *type_find(const struct matter_type *types, size_t n,
                                           const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(types[i].code, code) == 0)
            return &types[i];
    return NULL;
}

/* The service_notice: who handles it and within how long. */
static const char *notice_of(struct arena *a, const char *unit_name, const struct matter_type *t)
{
    if (!unit_name || !*unit_name)
        return NULL;
    if (t && t->deadline_days > 0)
        return arena_printf(a, "由%s办理，%d 个工作日内答复", unit_name, t->deadline_days);
    return arena_printf(a, "由%s办理", unit_name);
}

static json_t *request_json(struct http_request *req, const struct matter *m,
                            const struct matter_type *t)
{
    char requested[OPEN311_DATETIME_LEN], updated[OPEN311_DATETIME_LEN];
    bool closed = status_bit(m) == ST_CLOSED;
    const char *notes = m->state_label, *media = NULL, *expected = NULL;
    json_t *o;

    if (strcmp(m->state, "rejected") == 0 && m->reject_reason && *m->reject_reason)
        notes = m->reject_reason;
    else if (closed && m->reply && *m->reply)
        notes = m->reply;
    if (m->nphotos > 0 && m->photos)
        media = arena_printf(req->arena, "%s/media/%s", origin_of(req), m->photos[0].sha256);
    if (m->due_on && *m->due_on)
        expected = arena_printf(req->arena, "%sT23:59:59+08:00", m->due_on);
    open311_format_datetime(m->submitted_at_ms, requested, sizeof(requested));
    open311_format_datetime(m->updated_at_ms ? m->updated_at_ms : m->submitted_at_ms, updated,
                            sizeof(updated));

    o = json_object();
    json_object_set_new(o, "service_request_id",
                        json_string(arena_printf(req->arena, "%lld", (long long)m->id)));
    json_object_set_new(o, "status", json_string(closed ? "closed" : "open"));
    json_object_set_new(o, "status_notes", json_text_or_null(notes && *notes ? notes : NULL));
    json_object_set_new(o, "service_name", json_text_or_null(m->type_name));
    json_object_set_new(o, "service_code", json_text_or_null(m->type));
    json_object_set_new(o, "description", json_text_or_null(m->description));
    json_object_set_new(o, "agency_responsible",
                        json_text_or_null(m->unit_name && *m->unit_name ? m->unit_name : NULL));
    json_object_set_new(o, "service_notice",
                        json_text_or_null(notice_of(req->arena, m->unit_name, t)));
    json_object_set_new(o, "requested_datetime", json_string(requested));
    json_object_set_new(o, "updated_datetime", json_string(updated));
    json_object_set_new(o, "expected_datetime", json_text_or_null(expected));
    json_object_set_new(o, "address",
                        json_text_or_null(m->address && *m->address ? m->address : NULL));
    json_object_set_new(o, "address_id", json_null());
    json_object_set_new(o, "zipcode", json_null());
    json_object_set_new(o, "lat", m->has_location ? json_real(m->lat) : json_null());
    json_object_set_new(o, "long", m->has_location ? json_real(m->lon) : json_null());
    json_object_set_new(o, "media_url", json_text_or_null(media));
    return o;
}

/* ================================================================
 * GET requests
 * ================================================================ */

struct list_read {
    struct arena *a;
    /* the query */
    const int64_t *ids; /* service_request_id=..., overriding the rest */
    size_t nids;
    const char **codes; /* service_code=...; none: every type */
    size_t ncodes;
    int status;             /* ST_* bits */
    int64_t from_ms, to_ms; /* [from, to) */
    /* the answer */
    struct matter *rows;
    size_t n, cap;
    struct matter_type *types;
    size_t ntypes;
};

static void rows_add(struct list_read *r, const struct matter *m)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct matter *bigger = arena_alloc(r->a, cap * sizeof(*bigger));
        if (r->n)
            memcpy(bigger, r->rows, r->n * sizeof(*bigger));
        r->rows = bigger;
        r->cap = cap;
    }
    r->rows[r->n++] = *m;
}

/* Pages through the matters of f (newest first) keeping those of status
 * 'keep', at most MAX_REQUESTS of them. */
static int collect(struct store_conn *c, struct list_read *r, struct matter_filter f, int keep,
                   struct err_ctx *ec)
{
    size_t kept = 0;

    f.limit = MATTER_LIST_MAX;
    f.before_id = 0;
    for (;;) {
        struct matter *page;
        size_t n;
        bool more;
        int rc = matter_list(c, r->a, &f, &page, &n, &more, ec);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n && kept < MAX_REQUESTS; i++) {
            if (status_bit(&page[i]) & keep) {
                rows_add(r, &page[i]);
                kept++;
            }
        }
        if (!more || n == 0 || kept >= MAX_REQUESTS)
            return 0;
        f.before_id = page[n - 1].id;
    }
}

static int by_id_desc(const void *x, const void *y)
{
    const struct matter *a = x, *b = y;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

static int read_requests(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_read *r = arg;
    struct matter_filter f = {.scope_path = "", .open = -1, .listed_only = true};
    size_t ncodes = r->ncodes ? r->ncodes : 1, out = 0;
    int rc;

    if ((rc = matter_types_list(c, r->a, false, &r->types, &r->ntypes, ec)) < 0)
        return rc;
    if (r->nids) {
        /* matter_list() reads at most a page of ids: hand them over so. */
        for (size_t i = 0; rc >= 0 && i < r->nids; i += MATTER_LIST_MAX) {
            f.ids = r->ids + i;
            f.nids = r->nids - i < MATTER_LIST_MAX ? r->nids - i : MATTER_LIST_MAX;
            rc = collect(c, r, f, ST_ANY, ec);
        }
    } else {
        f.from_ms = r->from_ms;
        f.to_ms = r->to_ms;
        /* Open311's statuses cut fazhi's open matters in two (resolved is
           closed here): open ones are the open matters but resolved ones;
           closed ones are the closed matters and the resolved. */
        for (size_t i = 0; rc >= 0 && i < ncodes; i++) {
            f.type = r->codes ? r->codes[i] : NULL;
            if (r->status == ST_ANY) {
                f.open = -1;
                rc = collect(c, r, f, ST_ANY, ec);
            } else if (r->status == ST_OPEN) {
                f.open = 1;
                rc = collect(c, r, f, ST_OPEN, ec);
            } else {
                f.open = 0;
                if ((rc = collect(c, r, f, ST_CLOSED, ec)) >= 0) {
                    struct matter_filter g = f;
                    g.open = -1;
                    g.state = "resolved";
                    rc = collect(c, r, g, ST_CLOSED, ec);
                }
            }
        }
    }
    if (rc < 0)
        return rc;
    /* One list, newest first, each matter once, at most MAX_REQUESTS. */
    if (r->n > 1)
        qsort(r->rows, r->n, sizeof(*r->rows), by_id_desc);
    for (size_t i = 0; i < r->n && out < MAX_REQUESTS; i++)
        if (out == 0 || r->rows[i].id != r->rows[out - 1].id)
            r->rows[out++] = r->rows[i];
    r->n = out;
    /* Lists leave photos out; media_url needs the first one. */
    for (size_t i = 0; i < r->n; i++) {
        struct matter full;
        if (r->rows[i].nphotos == 0 || r->rows[i].photos)
            continue;
        if ((rc = matter_get(c, r->a, NULL, r->rows[i].id, &full, ec)) < 0)
            return rc;
        r->rows[i].photos = full.photos;
        r->rows[i].nphotos = full.nphotos;
    }
    return 0;
}

/* Splits a comma-separated argument into trimmed, non-empty pieces. */
static size_t split_list(struct arena *a, const char *s, const char ***out)
{
    size_t n = 1, k = 0;
    const char **items;

    for (const char *p = s; *p; p++)
        n += *p == ',';
    items = arena_alloc(a, n * sizeof(*items));
    while (*s) {
        size_t len = strcspn(s, ",");
        const char *b = s, *e = s + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b)
            items[k++] = arena_strndup(a, b, (size_t)(e - b));
        s += len + (s[len] == ',');
    }
    *out = items;
    return k;
}

/* The date window of start_date and end_date, the spec's way: 90 days at
 * most, the last 90 days when neither is given, 90 days from the one given
 * otherwise. Errors go to 'errors'. */
static void read_window(struct http_request *req, json_t *errors, int64_t *from, int64_t *to)
{
    const char *start = http_query_text(req, "start_date");
    const char *end = http_query_text(req, "end_date");
    int64_t s = 0, e = 0;
    bool bad = false;

    if (start && open311_parse_datetime(start, false, &s) < 0) {
        add_error(errors, 400, "start_date",
                  "“%s”不是 W3C 日期时间（例如 2022-03-01T00:00:00+08:00）", start);
        bad = true;
    }
    if (end && open311_parse_datetime(end, true, &e) < 0) {
        add_error(errors, 400, "end_date",
                  "“%s”不是 W3C 日期时间（例如 2022-03-31T23:59:59+08:00）", end);
        bad = true;
    }
    if (bad)
        return;
    if (!start && !end) {
        e = time_now_ms();
        s = e - WINDOW_MS;
    } else if (!end) {
        e = s + WINDOW_MS;
    } else if (!start) {
        s = e - WINDOW_MS;
    } else if (s > e) {
        add_error(errors, 400, "start_date", "开始时间晚于结束时间（end_date）");
        return;
    } else if (e - s > WINDOW_MS) {
        add_error(errors, 400, "end_date", "查询范围不能超过 90 天");
        return;
    }
    *from = s > 0 ? s : 1; /* 0 would mean unbounded */
    *to = e + 1;
}

static int do_requests(struct http_request *req, enum fmt f)
{
    struct list_read r = {.a = req->arena, .status = ST_ANY};
    const char *ids_arg = http_query_text(req, "service_request_id");
    json_t *errors = json_array(), *list;
    struct err_ctx ec;

    if (ids_arg) {
        /* It overrides every other argument. An id that is not a number
           names no request, like an unknown one. */
        const char **items;
        size_t n = split_list(req->arena, ids_arg, &items);
        int64_t *ids = arena_alloc(req->arena, (n ? n : 1) * sizeof(*ids));
        for (size_t i = 0; i < n && r.nids < MAX_REQUESTS; i++)
            if ((ids[r.nids] = id_of(items[i])) > 0)
                r.nids++;
        r.ids = ids;
        if (r.nids == 0) {
            json_decref(errors);
            return reply_doc(req, f, 200, json_array(), "service_requests", "request");
        }
    } else {
        const char *codes = http_query_text(req, "service_code");
        const char *status = http_query_text(req, "status");
        if (codes) {
            r.ncodes = split_list(req->arena, codes, &r.codes);
            if (r.ncodes > MAX_CODES)
                add_error(errors, 400, "service_code", "一次最多查询 %d 个服务代码", MAX_CODES);
        }
        if (status) {
            const char **items;
            size_t n = split_list(req->arena, status, &items);
            r.status = 0;
            for (size_t i = 0; i < n; i++) {
                if (strcasecmp(items[i], "open") == 0)
                    r.status |= ST_OPEN;
                else if (strcasecmp(items[i], "closed") == 0)
                    r.status |= ST_CLOSED;
                else
                    add_error(errors, 400, "status", "“%s”不是有效状态（可选 open、closed）",
                              items[i]);
            }
            if (!r.status)
                r.status = ST_ANY;
        }
        read_window(req, errors, &r.from_ms, &r.to_ms);
    }
    if (json_array_size(errors))
        return reply_errors(req, f, 400, errors);
    json_decref(errors);

    err_clear(&ec);
    if (store_read(req->store, read_requests, &r, &ec) < 0)
        return reply_ec(req, f, &ec);
    list = json_array();
    for (size_t i = 0; i < r.n; i++)
        json_array_append_new(
            list, request_json(req, &r.rows[i], type_find(r.types, r.ntypes, r.rows[i].type)));
    return reply_doc(req, f, 200, list, "service_requests", "request");
}

struct one_read {
    struct arena *a;
    int64_t id;
    struct matter m;
    struct matter_type t;
    bool has_type;
};

static int read_one(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct one_read *r = arg;
    int rc;

    if ((rc = matter_get(c, r->a, NULL, r->id, &r->m, ec)) < 0)
        return rc;
    rc = matter_type_get(c, r->a, r->m.type, &r->t, ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return 0;
    }
    /* A matter of a private affair is not public, even by its id. */
    if (rc == 0 && !r->t.listed)
        return err_set(ec, ERR_NOT_FOUND, NULL, "服务请求不存在");
    r->has_type = rc == 0;
    return rc;
}

/*
 * The request named by the path's file ("123.json"), for requests/{id} and
 * tokens/{token}. True when found (*base and *f set); otherwise it has
 * replied - 404 naming 'param', or the error - and *replied is the reply's
 * result, for the handler to return.
 */
static bool read_named(struct http_request *req, struct one_read *r, const char *param,
                       const char *what, const char **base, enum fmt *f, int *replied,
                       struct err_ctx *ec)
{
    int rc;

    if (split_file(req, "file", base, f) < 0) {
        *replied = reply_bad_format(req);
        return false;
    }
    err_clear(ec);
    if ((r->id = id_of(*base)) == 0)
        rc = ERR_NOT_FOUND;
    else
        rc = store_read(req->store, read_one, r, ec);
    if (rc == ERR_NOT_FOUND)
        *replied = reply_error(req, *f, 404, param, "%s“%s”不存在", what, *base);
    else if (rc < 0)
        *replied = reply_ec(req, *f, ec);
    return rc == 0;
}

/* GET /open311/v2/requests/{id}.{fmt}: a list of one. */
static int handle_request(struct http_request *req, struct err_ctx *ec)
{
    struct one_read r = {.a = req->arena};
    const char *base;
    enum fmt f;

    int replied;

    if (!read_named(req, &r, "service_request_id", "服务请求", &base, &f, &replied, ec))
        return replied;
    return reply_doc(req, f, 200,
                     json_pack("[o]", request_json(req, &r.m, r.has_type ? &r.t : NULL)),
                     "service_requests", "request");
}

/*
 * GET /open311/v2/tokens/{token}.{fmt}. fazhi creates a request while the
 * POST waits (every service is "realtime"), so a POST answers the
 * service_request_id and, as the spec wants, no token. A client that asks
 * anyway gets the identity: the token of a request is its id.
 */
static int handle_token(struct http_request *req, struct err_ctx *ec)
{
    struct one_read r = {.a = req->arena};
    const char *base;
    enum fmt f;

    int replied;

    if (!read_named(req, &r, "token", "令牌", &base, &f, &replied, ec))
        return replied;
    return reply_doc(req, f, 200,
                     json_pack("[{s:s, s:s}]", "service_request_id", base, "token", base),
                     "service_requests", "request");
}

/* ================================================================
 * POST requests
 * ================================================================ */

struct post {
    struct http_request *req;
    struct http_form *form; /* NULL when the body is empty */
};

/*
 * An argument: from the form, else from the query string (some clients put
 * every argument there); an empty value is no value (the spec's "Optional").
 */
static const char *arg(const struct post *p, const char *name)
{
    const char *v = p->form ? http_form_get(p->form, name) : NULL;

    if (!v || !*v)
        v = http_query(p->req, name);
    return v && *v ? v : NULL;
}

/* Every non-empty value of 'name' (a multivaluelist attribute repeats its
 * name: attribute[code][]=a&...), in order; *out in the arena. */
static size_t arg_all(const struct post *p, const char *name, const char ***out)
{
    const char **all;
    size_t n = http_form_get_all(p->form, p->req->arena, name, &all), kept = 0;

    for (size_t i = 0; i < n; i++)
        if (*all[i])
            all[kept++] = all[i];
    if (kept == 0 && (all = arena_calloc(p->req->arena, 1, sizeof(*all))) &&
        (all[0] = http_query(p->req, name)) && *all[0])
        kept = 1; /* some clients put every argument in the query string */
    *out = all;
    return kept;
}

/* A number of all of 's', finite; -1 otherwise. */
static int parse_number(const char *s, double *out)
{
    char *end;
    double v;

    if (!s || !*s || strchr(" \t\n", *s))
        return -1;
    v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* The key list of a list attribute, "a、b、c", for an error message. */
static const char *keys_text(struct arena *a, json_t *values)
{
    struct strbuf sb = STRBUF_INIT;
    const char *text;
    size_t i;
    json_t *v;

    json_array_foreach(values, i, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        if (key)
            strbuf_addf(&sb, "%s%s", sb.len ? "、" : "", key);
    }
    text = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return text;
}

static bool is_value_key(json_t *values, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(values, i, v)
    {
        json_t *key = json_object_get(v, "key");
        if (json_is_string(key) && strcmp(json_string_value(key), s) == 0)
            return true;
        if (json_is_integer(key)) {
            int64_t n;
            if (str_to_int64(s, INT64_MIN, INT64_MAX, &n) == 0 && n == json_integer_value(key))
                return true;
        }
    }
    return false;
}

/*
 * The attributes of the type's fields from attribute[code] (and, for a
 * multivaluelist, attribute[code][]): an object for matter_submit(), with
 * numbers as numbers and a multivaluelist as an array. Faults go to
 * 'errors', each naming its attribute[code]. Arguments for codes the type
 * does not have are ignored.
 */
static json_t *read_attributes(const struct post *p, const struct matter_type *t, json_t *errors)
{
    struct arena *a = p->req->arena;
    json_t *fields = type_fields(t), *attrs = json_object(), *field;
    size_t i;

    json_array_foreach(fields, i, field)
    {
        const char *code = json_string_value(json_object_get(field, "code"));
        const char *datatype = json_string_value(json_object_get(field, "datatype"));
        const char *what = json_string_value(json_object_get(field, "description"));
        json_t *values = json_object_get(field, "values");
        bool required = json_is_true(json_object_get(field, "required"));
        const char *name, *v;
        double num;
        int64_t ms;

        if (!code)
            continue;
        name = arena_printf(a, "attribute[%s]", code);
        if (!datatype)
            datatype = "string";
        if (strcmp(datatype, "multivaluelist") == 0) {
            const char **vals1, **vals2;
            size_t n1 = arg_all(p, arena_printf(a, "attribute[%s][]", code), &vals1);
            size_t n2 = arg_all(p, name, &vals2);
            json_t *list = json_array();
            for (size_t k = 0; k < n1 + n2; k++) {
                const char *s = k < n1 ? vals1[k] : vals2[k - n1];
                if (!is_value_key(values, s))
                    add_error(errors, 400, name, "“%s”不是可选值（可选：%s）", s,
                              keys_text(a, values));
                else
                    json_array_append_new(list, json_string(s));
            }
            if (json_array_size(list))
                json_object_set_new(attrs, code, list);
            else if (required && n1 + n2 == 0)
                add_error(errors, 400, name, "缺少必填项“%s”", what ? what : code);
            if (!json_array_size(list))
                json_decref(list);
            continue;
        }
        if (!(v = arg(p, name))) {
            if (required)
                add_error(errors, 400, name, "缺少必填项“%s”", what ? what : code);
            continue;
        }
        if (strcmp(datatype, "number") == 0) {
            int64_t n;
            if (str_to_int64(v, INT64_MIN, INT64_MAX, &n) == 0)
                json_object_set_new(attrs, code, json_integer(n));
            else if (parse_number(v, &num) == 0)
                json_object_set_new(attrs, code, json_real(num));
            else
                add_error(errors, 400, name, "“%s”不是数字", v);
        } else if (strcmp(datatype, "singlevaluelist") == 0) {
            if (is_value_key(values, v))
                json_object_set_new(attrs, code, json_string(v));
            else
                add_error(errors, 400, name, "“%s”不是可选值（可选：%s）", v, keys_text(a, values));
        } else if (strcmp(datatype, "datetime") == 0) {
            if (open311_parse_datetime(v, false, &ms) == 0)
                json_object_set_new(attrs, code, json_string(v));
            else
                add_error(errors, 400, name,
                          "“%s”不是 W3C 日期时间（例如 2022-03-01T09:30:00+08:00）", v);
        } else {
            json_object_set_new(attrs, code, json_string(v));
        }
    }
    json_decref(fields);
    return attrs;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* The submitter's name from first_name and last_name: "John Smith", but
 * 王芳 for 芳 and 王 (a Chinese name puts the family name first, unspaced). */
static const char *name_of(struct arena *a, const char *first, const char *last)
{
    if (first && last)
        return is_ascii(first) && is_ascii(last) ? arena_printf(a, "%s %s", first, last)
                                                 : arena_printf(a, "%s%s", last, first);
    return first ? first : last;
}

struct submit {
    struct arena *a;
    const struct principal *p;
    struct matter_new in;
    struct matter m;
};

static int submit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct submit *s = arg;
    return matter_submit(c, s->a, s->p, &s->in, &s->m, ec);
}

static int do_post(struct http_request *req, enum fmt f)
{
    struct post p = {.req = req};
    struct principal who;
    struct type_read tr = {req->arena, NULL, {0}};
    struct submit s = {.a = req->arena, .p = &who};
    const char *key, *lat, *lon, *address, *address_id, *media, *description;
    json_t *errors;
    struct err_ctx ec;
    int rc;

    err_clear(&ec);
    if (req->body_len > 0 && http_form_body(req, &p.form, &ec) < 0)
        return reply_ec(req, f, &ec);

    /* 403 before anything else: a caller without a key learns nothing. */
    if (!(key = arg(&p, "api_key")))
        return reply_error(req, f, 403, "api_key", "缺少 API 密钥");
    rc = account_authenticate(req->store, NULL, key, &who, &ec);
    if (rc == ERR_UNAUTHENTICATED || rc == 0)
        return reply_error(req, f, 403, "api_key", "API 密钥无效或已撤销");
    if (rc < 0)
        return reply_ec(req, f, &ec);

    if (!(tr.code = arg(&p, "service_code")))
        return reply_error(req, f, 400, "service_code", "缺少服务代码");
    err_clear(&ec);
    rc = store_read(req->store, read_type, &tr, &ec);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !tr.t.active))
        return reply_error(req, f, 404, "service_code", "服务代码“%s”不存在", tr.code);
    if (rc < 0)
        return reply_ec(req, f, &ec);

    errors = json_array();
    /* The place: lat and long together, or address_string, or address_id
       (fazhi keeps no address register, so an address_id alone is kept as
       the address text). */
    lat = arg(&p, "lat");
    lon = arg(&p, "long");
    address = arg(&p, "address_string");
    address_id = arg(&p, "address_id");
    if (lat || lon) {
        if (!lat)
            add_error(errors, 400, "lat", "缺少纬度：lat 与 long 须一同提供");
        else if (parse_number(lat, &s.in.lat) < 0 || s.in.lat < -90 || s.in.lat > 90)
            add_error(errors, 400, "lat", "纬度应为 -90 到 90 之间的数字（WGS 84）");
        if (!lon)
            add_error(errors, 400, "long", "缺少经度：lat 与 long 须一同提供");
        else if (parse_number(lon, &s.in.lon) < 0 || s.in.lon < -180 || s.in.lon > 180)
            add_error(errors, 400, "long", "经度应为 -180 到 180 之间的数字（WGS 84）");
        s.in.has_location = lat && lon;
    } else if (!address && !address_id) {
        add_error(errors, 400, "lat/long、address_string 或 address_id",
                  "缺少位置：请至少提供其中之一");
    }
    s.in.address = address ? address : address_id;
    if (!(s.in.phone = arg(&p, "phone")))
        add_error(errors, 400, "phone", "缺少联系电话：本系统受理事项须留手机或座机号码");
    s.in.attributes = read_attributes(&p, &tr.t, errors);
    if (json_array_size(errors)) {
        json_decref(s.in.attributes);
        return reply_errors(req, f, 400, errors);
    }
    json_decref(errors);

    /* description is optional in Open311 and required in fazhi: a request
       without one is described by its service. A media_url (fazhi fetches
       nothing from elsewhere) is kept in the description for staff. */
    description = arg(&p, "description");
    if (!description)
        description = arena_printf(req->arena, "%s（未填写描述）", tr.t.name);
    if ((media = arg(&p, "media_url"))) {
        if (!str_starts_with(media, "http://") && !str_starts_with(media, "https://")) {
            json_decref(s.in.attributes);
            return reply_error(req, f, 400, "media_url", "应为 http 或 https 网址");
        }
        description = arena_printf(req->arena, "%s\n\n附图：%s", description, media);
    }
    s.in.type = tr.t.code;
    s.in.description = description;
    s.in.name = name_of(req->arena, arg(&p, "first_name"), arg(&p, "last_name"));
    s.in.source = "open311";

    err_clear(&ec);
    rc = store_write(req->store, submit, &s, &ec);
    json_decref(s.in.attributes);
    if (rc < 0)
        return reply_ec(req, f, &ec);
    return reply_doc(req, f, 200,
                     json_pack("[{s:s, s:s?, s:n}]", "service_request_id",
                               arena_printf(req->arena, "%lld", (long long)s.m.id),
                               "service_notice", notice_of(req->arena, s.m.unit_name, &tr.t),
                               "account_id"),
                     "service_requests", "request");
}

/* ================================================================
 * Routes
 * ================================================================ */

/* GET /open311/v2/{discovery|services|requests}.{fmt} */
static int handle_get(struct http_request *req, struct err_ctx *ec)
{
    const char *base;
    enum fmt f;

    (void)ec;
    if (split_file(req, "file", &base, &f) < 0)
        return reply_bad_format(req);
    if (strcmp(base, "discovery") == 0)
        return do_discovery(req, f);
    if (strcmp(base, "services") == 0)
        return do_services(req, f);
    if (strcmp(base, "requests") == 0)
        return do_requests(req, f);
    return reply_error(req, f, 404, NULL, "资源“%s”不存在", base);
}

/* POST /open311/v2/requests.{fmt} */
static int handle_post(struct http_request *req, struct err_ctx *ec)
{
    const char *base;
    enum fmt f;

    (void)ec;
    if (split_file(req, "file", &base, &f) < 0)
        return reply_bad_format(req);
    if (strcmp(base, "requests") == 0)
        return do_post(req, f);
    if (strcmp(base, "discovery") == 0 || strcmp(base, "services") == 0) {
        http_add_header(req, "Allow", "GET, HEAD");
        return reply_error(req, f, 405, NULL, "“%s”只能读取（GET）", base);
    }
    return reply_error(req, f, 404, NULL, "资源“%s”不存在", base);
}

static int open311_start(struct store *s, struct err_ctx *ec)
{
    int64_t none = 0;

    (void)s;
    (void)ec;
    atomic_compare_exchange_strong(&changeset_ms, &none, time_now_ms());
    return 0;
}

#define OPEN311_ROUTE (HTTP_PUBLIC | HTTP_NO_CSRF)

static const struct http_route open311_routes[] = {
    {"GET", BASE_PATH "/{file}", handle_get, OPEN311_ROUTE, 0},
    {"POST", BASE_PATH "/{file}", handle_post, OPEN311_ROUTE, 0},
    {"GET", BASE_PATH "/services/{file}", handle_definition, OPEN311_ROUTE, 0},
    {"GET", BASE_PATH "/requests/{file}", handle_request, OPEN311_ROUTE, 0},
    {"GET", BASE_PATH "/tokens/{file}", handle_token, OPEN311_ROUTE, 0},
};

const struct module open311_module = {
    .name = "open311",
    .routes = {open311_routes, ARRAY_SIZE(open311_routes)},
    .start = open311_start,
};
