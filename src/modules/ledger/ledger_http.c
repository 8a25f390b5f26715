/*
 * ledger_http.c - the ledgers over HTTP: kinds, entries, history, totals,
 * warnings, exports, imports and patrol tracks.
 *
 * Replies go through reply(), which prints reals with 15 significant
 * digits: counter values are decimals of at most 15 digits, so 1050.1 goes
 * out as 1050.1 and not as the 17-digit double jansson prints by default.
 */
#include "core/compat.h"
#include "modules/ledger/ledger_http.h"
#include "core/csv.h"
#include "core/gpx.h"
#include "core/json.h"
#include "core/time.h"
#include "modules/ledger/ledger.h"
#include "modules/ledger/ledger_io.h"
#include "report/table.h"
#include "store/store.h"

#include <strings.h>
#include <unistd.h>

#define EXPORT_FILE_MAX (256u << 20)

/* ================================================================
 * Helpers
 * ================================================================ */

/* Replies with JSON whose reals carry 15 significant digits; takes 'body'. */
static int reply(struct http_request *req, int status, json_t *body)
{
    char *text = ledger_json_dump(req->arena, body);

    json_decref(body);
    if (!text)
        return ERR_INTERNAL;
    return http_reply_bytes(req, status, "application/json; charset=utf-8", text, strlen(text));
}

/* True if the request's media type (before any ';') is one of 'types'. */
static bool media_type_in(const struct http_request *req, const char *const *types)
{
    const char *ct = http_header(req, "Content-Type");
    size_t n;

    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    n = strcspn(ct, "; ");
    for (const char *const *t = types; *t; t++)
        if (strlen(*t) == n && strncasecmp(ct, *t, n) == 0)
            return true;
    return false;
}

/*
 * The filters of the query string: unit, kind, from, to, year (shorthand
 * for from=YYYY-01-01&to=YYYY-12-31), q, cursor, limit.
 */
static int read_filter(struct http_request *req, struct ledger_filter *f, struct err_ctx *ec)
{
    const char *year = http_query(req, "year");
    int rc;

    memset(f, 0, sizeof(*f));
    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &f->unit_id, ec)) < 0 ||
        (rc = http_query_int(req, "limit", 1, LEDGER_PAGE_MAX, 50, &f->limit, ec)) < 0)
        return rc;
    f->kind = http_query_text(req, "kind");
    f->from = http_query_text(req, "from");
    f->to = http_query_text(req, "to");
    f->q = http_query_text(req, "q");
    f->cursor = http_query_text(req, "cursor");
    if (year && *year) {
        int64_t y;
        if (f->from || f->to)
            return err_set(ec, ERR_BAD_REQUEST, "year", "year 不能与 from、to 同时使用");
        if (str_to_int64(year, 1900, 9999, &y) < 0)
            return err_set(ec, ERR_BAD_REQUEST, "year", "year 应为四位年份");
        f->from = arena_printf(req->arena, "%04lld-01-01", (long long)y);
        f->to = arena_printf(req->arena, "%04lld-12-31", (long long)y);
    }
    return 0;
}

/*
 * Reads the members of an entry body into 'in'. 'patch': absent members
 * leave the entry as it is and a counter set to null drops its value.
 */
static int read_entry_body(struct http_request *req, bool patch, struct ledger_input *in,
                           struct err_ctx *ec)
{
    static const char *const create_fields[] = {
        "kind", "unit_id", "date", "title", "place", "notes", "participants", "counters", NULL};
    static const char *const patch_fields[] = {"kind",    "unit_id", "date",         "title",
                                               "place",   "notes",   "participants", "counters",
                                               "version", NULL};
    json_t *body, *parts, *counters, *v;
    const char *key;
    bool present;
    int rc;

    memset(in, 0, sizeof(*in));
    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, patch ? patch_fields : create_fields, ec)) < 0 ||
        (rc = json_field_text(body, "kind", false, 64, &in->kind, ec)) < 0 ||
        (rc = json_field_int(body, "unit_id", false, 1, INT64_MAX, &in->unit_id, &in->set_unit,
                             ec)) < 0 ||
        (rc = json_field_text(body, "date", false, 10, &in->date, ec)) < 0 ||
        (rc = json_field_text(body, "title", false, LEDGER_TITLE_MAX, &in->title, ec)) < 0 ||
        (rc = json_field_text(body, "place", false, LEDGER_PLACE_MAX, &in->place, ec)) < 0 ||
        (rc = json_field_text(body, "notes", false, LEDGER_NOTES_MAX, &in->notes, ec)) < 0 ||
        (rc = json_field_int(body, "version", false, 1, INT64_MAX, &in->expected_version, &present,
                             ec)) < 0)
        return rc;
    if (!patch) {
        if (!in->place)
            in->place = "";
        if (!in->notes)
            in->notes = "";
    }

    parts = json_object_get(body, "participants");
    if (parts && !json_is_null(parts)) {
        int64_t *ids;
        size_t i;
        if (!json_is_array(parts))
            return err_set(ec, ERR_INVALID, "participants", "应为人员编号列表");
        ids = arena_calloc(req->arena, json_array_size(parts) + 1, sizeof(*ids));
        json_array_foreach(parts, i, v)
        {
            if (!json_is_integer(v))
                return err_set(ec, ERR_INVALID, arena_printf(req->arena, "participants[%zu]", i),
                               "应为人员编号（整数）");
            ids[i] = json_integer_value(v);
        }
        in->set_participants = true;
        in->participants = ids;
        in->nparticipants = json_array_size(parts);
    } else if (parts && patch) {
        in->set_participants = true; /* null clears the list */
    }

    counters = json_object_get(body, "counters");
    if (counters && !json_is_null(counters)) {
        struct ledger_input_value *values;
        if (!json_is_object(counters))
            return err_set(ec, ERR_INVALID, "counters", "应为对象，如 {\"attendance\": 56}");
        values = arena_calloc(req->arena, json_object_size(counters) + 1,
                              sizeof(struct ledger_input_value));
        json_object_foreach(counters, key, v)
        {
            if (json_is_null(v) && !patch)
                continue;
            values[in->nvalues++] = (struct ledger_input_value){key, v, NULL, json_is_null(v)};
        }
        in->values = values;
    }
    return 0;
}

/* ================================================================
 * Kinds
 * ================================================================ */

struct kind_op {
    struct http_request *req;
    const char *code;
    struct ledger_kind kind;
    int64_t version;
    struct ledger_kind *items;
    size_t n;
};

static int list_kinds(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_op *o = arg;
    return ledger_kind_list(c, o->req->arena, &o->items, &o->n, ec);
}

/* GET /api/v1/ledger/kinds -> 200 {"items":[kind...]} */
static int handle_kinds(struct http_request *req, struct err_ctx *ec)
{
    struct kind_op o = {.req = req};
    json_t *items;
    int rc = store_read(req->store, list_kinds, &o, ec);

    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, ledger_kind_json(&o.items[i]));
    return reply(req, 200, json_pack("{s:o}", "items", items));
}

static int get_kind(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_op *o = arg;
    return ledger_kind_get(c, o->req->arena, o->code, "code", &o->kind, ec);
}

/* GET /api/v1/ledger/kinds/{code} -> 200 kind | 404 */
static int handle_kind(struct http_request *req, struct err_ctx *ec)
{
    struct kind_op o = {.req = req, .code = http_param(req, "code")};
    int rc = store_read(req->store, get_kind, &o, ec);

    return rc < 0 ? rc : reply(req, 200, ledger_kind_json(&o.kind));
}

static int create_kind(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_op *o = arg;
    int rc = ledger_kind_create(c, o->req->arena, o->req->principal, &o->kind, ec);
    return rc < 0 ? rc : ledger_kind_get(c, o->req->arena, o->kind.code, "code", &o->kind, ec);
}

/* POST /api/v1/ledger/kinds  {"code","name","unit_types",[...],"counters":[...]} -> 201 kind
 *                                                                      | 409 | 422 */
static int handle_create_kind(struct http_request *req, struct err_ctx *ec)
{
    struct kind_op o = {.req = req};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = ledger_kind_from_json(req->arena, body, NULL, "", &o.kind, ec)) < 0 ||
        (rc = store_write(req->store, create_kind, &o, ec)) < 0)
        return rc;
    return reply(req, 201, ledger_kind_json(&o.kind));
}

static int update_kind(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_op *o = arg;
    int rc = ledger_kind_update(c, o->req->arena, o->req->principal, &o->kind, o->version, ec);
    return rc < 0 ? rc : ledger_kind_get(c, o->req->arena, o->kind.code, "code", &o->kind, ec);
}

/* PUT /api/v1/ledger/kinds/{code}  kind (+ "version" to check) -> 200 kind | 404 | 409 | 422 */
static int handle_update_kind(struct http_request *req, struct err_ctx *ec)
{
    struct kind_op o = {.req = req, .code = http_param(req, "code")};
    json_t *body;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_field_int(body, "version", false, 1, INT64_MAX, &o.version, NULL, ec)) < 0 ||
        (rc = ledger_kind_from_json(req->arena, body, o.code, "", &o.kind, ec)) < 0 ||
        (rc = store_write(req->store, update_kind, &o, ec)) < 0)
        return rc;
    return reply(req, 200, ledger_kind_json(&o.kind));
}

/* ================================================================
 * Entries
 * ================================================================ */

struct entry_op {
    struct http_request *req;
    int64_t id, version;
    struct ledger_input in;
    struct ledger_entry entry;
    struct ledger_filter filter;
    struct ledger_entry *items;
    size_t n;
    const char *next;
    struct ledger_version *versions;
    const char *gpx;
    size_t gpx_len;
    struct gpx_summary sum;
};

static int list_entries(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_list(c, o->req->arena, o->req->principal, &o->filter, &o->items, &o->n,
                             &o->next, ec);
}

/* GET /api/v1/ledger/entries?unit=&kind=&from=&to=&year=&q=&cursor=&limit=
 *   -> 200 {"items":[entry...],"next_cursor"} */
static int handle_entries(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    json_t *items;
    int rc;

    if ((rc = read_filter(req, &o.filter, ec)) < 0 ||
        (rc = store_read(req->store, list_entries, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, ledger_entry_json(&o.items[i]));
    return reply(req, 200,
                 json_pack("{s:o, s:o}", "items", items, "next_cursor", json_text_or_null(o.next)));
}

static int create_entry(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_create(c, o->req->arena, o->req->principal, &o->in, 0, NULL, &o->entry, ec);
}

/* POST /api/v1/ledger/entries  {"kind","unit_id","date","title","place","notes",
 *                               "participants":[id...],"counters":{"code":number}}
 *   -> 201 entry (with "warnings" for values above their bound) | 403 | 422 */
static int handle_create_entry(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    int rc;

    if ((rc = read_entry_body(req, false, &o.in, ec)) < 0 ||
        (rc = store_write(req->store, create_entry, &o, ec)) < 0)
        return rc;
    http_add_header(req, "Location",
                    arena_printf(req->arena, "/api/v1/ledger/entries/%lld", (long long)o.entry.id));
    return reply(req, 201, ledger_entry_json(&o.entry));
}

static int get_entry(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_get(c, o->req->arena, o->req->principal, o->id, &o->entry, ec);
}

/* GET /api/v1/ledger/entries/{id} -> 200 entry | 404 (also outside scope, or deleted) */
static int handle_entry(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, get_entry, &o, ec)) < 0)
        return rc;
    return reply(req, 200, ledger_entry_json(&o.entry));
}

static int update_entry(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_update(c, o->req->arena, o->req->principal, o->id, &o->in, &o->entry, ec);
}

/* PATCH /api/v1/ledger/entries/{id}  {"version", any member of POST; a counter null drops it}
 *   -> 200 entry | 404 | 409 version | 422 */
static int handle_update_entry(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = read_entry_body(req, true, &o.in, ec)) < 0 ||
        (rc = store_write(req->store, update_entry, &o, ec)) < 0)
        return rc;
    return reply(req, 200, ledger_entry_json(&o.entry));
}

static int delete_entry(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_delete(c, o->req->arena, o->req->principal, o->id, o->version, ec);
}

/* DELETE /api/v1/ledger/entries/{id}?version=N -> 204 | 404 | 409 version */
static int handle_delete_entry(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_query_int(req, "version", 1, INT64_MAX, 0, &o.version, ec)) < 0 ||
        (rc = store_write(req->store, delete_entry, &o, ec)) < 0)
        return rc;
    return http_reply_empty(req);
}

static int entry_history(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_history(c, o->req->arena, o->req->principal, o->id, &o->versions, &o->n,
                                ec);
}

/* GET /api/v1/ledger/entries/{id}/history
 *   -> 200 {"items":[{"version","action","actor","at","entry"}...]} oldest first */
static int handle_history(struct http_request *req, struct err_ctx *ec)
{
    struct entry_op o = {.req = req};
    json_t *items;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, entry_history, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++) {
        char at[TIME_INSTANT_LEN];
        json_t *snapshot = json_loads(o.versions[i].snapshot, 0, NULL);
        time_format_instant(o.versions[i].at_ms, at, sizeof(at));
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:s, s:s, s:o}", "version",
                                        (json_int_t)o.versions[i].version, "action",
                                        o.versions[i].action, "actor", o.versions[i].actor, "at",
                                        at, "entry", snapshot ? snapshot : json_null()));
    }
    return reply(req, 200, json_pack("{s:o}", "items", items));
}

static int set_track(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_op *o = arg;
    return ledger_entry_set_track(c, o->req->arena, o->req->principal, o->id, o->gpx, o->gpx_len,
                                  &o->sum, o->version, &o->entry, ec);
}

/* POST /api/v1/ledger/entries/{id}/track?version=N  (GPX, application/gpx+xml)
 *   -> 200 entry with the distance counter set from the track | 404 | 415 | 422 */
static int handle_track(struct http_request *req, struct err_ctx *ec)
{
    static const char *const types[] = {"application/gpx+xml", "application/xml", "text/xml", NULL};
    struct entry_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_query_int(req, "version", 1, INT64_MAX, 0, &o.version, ec)) < 0)
        return rc;
    if (!media_type_in(req, types))
        return err_set(ec, ERR_MEDIA_TYPE, "Content-Type",
                       "请求体应为 GPX 轨迹（Content-Type: application/gpx+xml）");
    /* Parsed here, on the request's thread, not inside the unit of work. */
    if ((rc = gpx_summarise(req->body, req->body_len, LEDGER_TRACK_POINTS_MAX, &o.sum, ec)) < 0)
        return rc;
    o.gpx = req->body;
    o.gpx_len = req->body_len;
    if ((rc = store_write(req->store, set_track, &o, ec)) < 0)
        return rc;
    return reply(req, 200, ledger_entry_json(&o.entry));
}

/* ================================================================
 * Totals and warnings
 * ================================================================ */

struct totals_op {
    struct http_request *req;
    struct ledger_filter filter;
    struct ledger_totals totals;
    struct ledger_warning_item *items;
    size_t n;
    const char *next;
};

static int read_totals(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct totals_op *o = arg;
    return ledger_totals(c, o->req->arena, o->req->principal, &o->filter, &o->totals, ec);
}

/* GET /api/v1/ledger/totals?unit=&kind=&from=&to=&year=&q=[&source=detail]
 *   -> 200 {"unit","from","to","entries","kind","name","counters":{code:{"name","total","unit",
 *           "entries"}},"kinds":[...],"source"} */
static int handle_totals(struct http_request *req, struct err_ctx *ec)
{
    struct totals_op o = {.req = req};
    const char *source = http_query(req, "source");
    int rc;

    if ((rc = read_filter(req, &o.filter, ec)) < 0)
        return rc;
    if (source && strcmp(source, "detail") != 0 && strcmp(source, "rollup") != 0)
        return err_set(ec, ERR_BAD_REQUEST, "source", "source 应为 rollup 或 detail");
    o.filter.detail = source && strcmp(source, "detail") == 0;
    if ((rc = store_read(req->store, read_totals, &o, ec)) < 0)
        return rc;
    return reply(req, 200, ledger_totals_json(&o.totals, &o.filter));
}

static int list_warnings(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct totals_op *o = arg;
    return ledger_warning_list(c, o->req->arena, o->req->principal, &o->filter, &o->items, &o->n,
                               &o->next, ec);
}

/* GET /api/v1/ledger/warnings?unit=&kind=&from=&to=&year=&q=&cursor=&limit=
 *   -> 200 {"items":[{"id","entry":{...},"field","counter","value","max","unit","message"}],
 *           "next_cursor"} */
static int handle_warnings(struct http_request *req, struct err_ctx *ec)
{
    struct totals_op o = {.req = req};
    json_t *items;
    int rc;

    if ((rc = read_filter(req, &o.filter, ec)) < 0 ||
        (rc = store_read(req->store, list_warnings, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, ledger_warning_item_json(&o.items[i]));
    return reply(req, 200,
                 json_pack("{s:o, s:o}", "items", items, "next_cursor", json_text_or_null(o.next)));
}

/* ================================================================
 * Export and import
 * ================================================================ */

struct export_op {
    struct http_request *req;
    struct ledger_filter filter;
    struct unit unit;
    struct ledger_kind kind;
    struct ledger_entry *items;
    size_t n;
};

static int read_export(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct export_op *o = arg;
    int rc;

    if ((rc = ledger_filter_check(c, o->req->arena, o->req->principal, &o->filter, &o->unit, ec)) <
        0)
        return rc;
    if (o->filter.kind &&
        (rc = ledger_kind_get(c, o->req->arena, o->filter.kind, "kind", &o->kind, ec)) < 0)
        return rc;
    return ledger_entry_all(c, o->req->arena, o->req->principal, &o->filter, LEDGER_EXPORT_MAX,
                            &o->items, &o->n, ec);
}

/* "attachment; filename="ledger.xlsx"; filename*=UTF-8''%E5%8F%B0..." (RFC 6266, 5987) */
static const char *content_disposition(struct arena *a, const char *name, const char *ext)
{
    static const char hex[] = "0123456789ABCDEF";
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    strbuf_addf(&sb, "attachment; filename=\"ledger.%s\"; filename*=UTF-8''", ext);
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

/* GET /api/v1/ledger/export?format=xlsx|csv&(the filters of the list)
 *   -> 200 the file, Content-Disposition: attachment with a Chinese file name | 422 */
static int handle_export(struct http_request *req, struct err_ctx *ec)
{
    struct export_op o = {.req = req};
    const char *format = http_query(req, "format"), *name, *type;
    struct strbuf out = STRBUF_INIT;
    struct table *t;
    bool csv;
    int rc;

    if (!format || (strcmp(format, "xlsx") != 0 && strcmp(format, "csv") != 0))
        return err_set(ec, ERR_BAD_REQUEST, "format", "format 应为 xlsx 或 csv");
    csv = strcmp(format, "csv") == 0;
    if ((rc = read_filter(req, &o.filter, ec)) < 0)
        return rc;
    o.filter.cursor = NULL;
    if ((rc = store_read(req->store, read_export, &o, ec)) < 0)
        return rc;
    name = ledger_io_filename(req->arena, &o.unit, o.filter.kind ? &o.kind : NULL, &o.filter);
    t = ledger_io_table(o.items, o.n, csv);
    if (csv) {
        rc = table_write_csv(t, 0, &out, ec);
        type = "text/csv; charset=utf-8";
    } else {
        char path[256];
        rc = table_xlsx_temp(path, sizeof(path), ec);
        if (rc == 0) {
            rc = table_write_xlsx(t, path, ec);
            if (rc == 0)
                rc = table_read_file(path, EXPORT_FILE_MAX, &out, ec);
            unlink(path);
        }
        type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
    table_free(t);
    if (rc < 0) {
        strbuf_release(&out);
        return rc;
    }
    {
        void *data = arena_memdup(req->arena, out.buf, out.len);
        size_t len = out.len;
        strbuf_release(&out);
        http_add_header(req, "Content-Disposition",
                        content_disposition(req->arena, name, csv ? "csv" : "xlsx"));
        return http_reply_bytes(req, 200, type, data, len);
    }
}

struct import_op {
    struct http_request *req;
    struct ledger_import im;
};

static int run_import(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct import_op *o = arg;
    return ledger_io_import(c, o->req->arena, o->req->principal, &o->im, ec);
}

/* POST /api/v1/ledger/import?kind=CODE  (CSV, text/csv, UTF-8 with or without BOM)
 *   -> 201 {"rows","created","skipped","ids":[...]} (200 when every row was there already)
 *    | 422 {"error":{"code","message","field"},"rows":[{"line","field","message"}...],
 *           "truncated"} with nothing saved */
static int handle_import(struct http_request *req, struct err_ctx *ec)
{
    static const char *const types[] = {"text/csv", "application/csv", NULL};
    struct import_op o = {.req = req};
    struct csv_doc doc;
    json_t *ids;
    int rc;

    if (!media_type_in(req, types))
        return err_set(ec, ERR_MEDIA_TYPE, "Content-Type",
                       "请求体应为 CSV 文件（Content-Type: text/csv）");
    o.im.kind = http_query(req, "kind");
    if (o.im.kind && !*o.im.kind)
        o.im.kind = NULL;
    /* Parsed here, on the request's thread, not inside the unit of work. */
    if ((rc = csv_parse(req->body, req->body_len, req->arena, LEDGER_IMPORT_ROWS_MAX,
                        LEDGER_IMPORT_FIELDS_MAX, &doc, ec)) < 0)
        return rc;
    o.im.doc = &doc;
    rc = store_write(req->store, run_import, &o, ec);
    if (rc == ERR_INVALID && o.im.faults.n > 0) {
        /* The one error body that carries more than one fault. */
        json_t *rows = json_array();
        for (size_t i = 0; i < o.im.faults.n; i++) {
            const struct ledger_fault *f = &o.im.faults.items[i];
            json_array_append_new(rows, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)f->line,
                                                  "field", f->field, "message", f->message));
        }
        return reply(req, http_error_status(ERR_INVALID),
                     json_pack("{s:{s:s, s:s, s:o}, s:o, s:b}", "error", "code",
                               err_code_name(ERR_INVALID), "message", ec->message, "field",
                               ec->field[0] ? json_string(ec->field) : json_null(), "rows", rows,
                               "truncated", o.im.faults.truncated));
    }
    if (rc < 0)
        return rc;
    ids = json_array();
    for (size_t i = 0; i < o.im.created; i++)
        json_array_append_new(ids, json_integer(o.im.ids[i]));
    return reply(req, o.im.created ? 201 : 200,
                 json_pack("{s:I, s:I, s:I, s:o}", "rows", (json_int_t)o.im.rows, "created",
                           (json_int_t)o.im.created, "skipped", (json_int_t)o.im.skipped, "ids",
                           ids));
}

static const struct http_route ledger_route_list[] = {
    {"GET", "/api/v1/ledger/kinds", handle_kinds, 0, 0},
    {"POST", "/api/v1/ledger/kinds", handle_create_kind, 0, ROLE_ADMIN},
    {"GET", "/api/v1/ledger/kinds/{code}", handle_kind, 0, 0},
    {"PUT", "/api/v1/ledger/kinds/{code}", handle_update_kind, 0, ROLE_ADMIN},
    {"GET", "/api/v1/ledger/entries", handle_entries, 0, LEDGER_READ_ROLES},
    {"POST", "/api/v1/ledger/entries", handle_create_entry, 0, LEDGER_WRITE_ROLES},
    {"GET", "/api/v1/ledger/entries/{id}", handle_entry, 0, LEDGER_READ_ROLES},
    {"PATCH", "/api/v1/ledger/entries/{id}", handle_update_entry, 0, LEDGER_WRITE_ROLES},
    {"DELETE", "/api/v1/ledger/entries/{id}", handle_delete_entry, 0, LEDGER_WRITE_ROLES},
    {"GET", "/api/v1/ledger/entries/{id}/history", handle_history, 0, LEDGER_READ_ROLES},
    {"POST", "/api/v1/ledger/entries/{id}/track", handle_track, 0, LEDGER_WRITE_ROLES},
    {"GET", "/api/v1/ledger/totals", handle_totals, 0, LEDGER_READ_ROLES},
    {"GET", "/api/v1/ledger/warnings", handle_warnings, 0, LEDGER_READ_ROLES},
    {"GET", "/api/v1/ledger/export", handle_export, 0, LEDGER_READ_ROLES},
    {"POST", "/api/v1/ledger/import", handle_import, 0, LEDGER_WRITE_ROLES},
};

const struct module ledger_module = {
    .name = "ledger",
    .routes = {ledger_route_list, ARRAY_SIZE(ledger_route_list)},
    .pages = &ledger_pages,
    .dashboard = ledger_pages_dashboard,
    .start = ledger_start,
    .metrics = ledger_metrics,
    .nmetrics = LEDGER_NMETRICS,
    .demo = ledger_demo,
    .findings = ledger_findings,
};
