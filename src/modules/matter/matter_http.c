/*
 * matter_http.c - the JSON API of resident matters (see matter_http.h) and
 * the module's table.
 */
#include "core/compat.h"
#include "modules/matter/matter_http.h"

#include <math.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/limiter.h"
#include "core/media.h"
#include "core/str.h"
#include "core/time.h"
#include "http/sse.h"
#include "modules/matter/matter_pages.h"
#include "modules/matter/matter_report.h"
#include "store/blob.h"
#include "store/store.h"

static struct blob_store *photo_store;
static int submit_limit;

/*
 * Anonymous submissions counted by address (core/limiter.h): a flood from
 * one address stops at the limit without touching the database; behind a
 * reverse proxy the address is the resident's (serve --trusted-proxy).
 */
#define SUBMIT_WINDOW_MS (15LL * 60 * 1000)

static struct limiter submit_limiter = LIMITER_INIT(SUBMIT_WINDOW_MS, SUBMIT_WINDOW_MS);

void matter_configure(const struct matter_config *cfg)
{
    photo_store = cfg ? cfg->photos : NULL;
    submit_limit = cfg ? cfg->submit_limit : 0;
}

/* ================================================================
 * Submission
 * ================================================================ */

struct submit_op {
    const struct principal *p;
    struct matter_new in;
    const struct http_file *files; /* photos, checked but not stored yet */
    size_t nfiles;
    struct matter *out;
    struct arena *arena;
    json_t *view; /* the public view with its history */
};

static int check_submit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct submit_op *o = arg;
    return matter_submit_check(c, o->arena, &o->in, ec);
}

static int do_submit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct submit_op *o = arg;
    struct matter_step *steps;
    size_t n;
    int rc = matter_submit(c, o->arena, o->p, &o->in, o->out, ec);

    if (rc == 0 && (rc = matter_history(c, o->arena, o->out, &steps, &n, ec)) == 0)
        o->view = matter_track_json(o->out, steps, n);
    return rc;
}

struct type_op {
    struct arena *arena;
    const char *code;
    struct matter_type t;
    bool found;
};

static int read_type(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct type_op *o = arg;
    int rc = matter_type_get(c, o->arena, o->code, &o->t, ec);

    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        return 0;
    }
    o->found = rc == 0;
    return rc;
}

/* The words for "lat" and "lon" in messages. */
static const char *coordinate_label(const char *name)
{
    return strcmp(name, "lat") == 0 ? "纬度" : "经度";
}

/* A coordinate from a form field; absent is NAN. */
static int form_coordinate(const struct http_form *f, const char *name, double *out,
                           struct err_ctx *ec)
{
    const char *s = http_form_get(f, name);
    char *end;

    *out = NAN;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    if (end == s || *end || !isfinite(*out))
        return err_set(ec, ERR_INVALID, name, "%s应为数字", coordinate_label(name));
    return 0;
}

/* The attributes of a form: "attribute[CODE]" for each field of the type. */
static int form_attributes(struct http_request *req, const struct http_form *f, const char *type,
                           json_t **out, struct err_ctx *ec)
{
    struct type_op o = {.arena = req->arena, .code = type};
    json_t *defs, *def;
    size_t i;
    int rc;

    *out = NULL;
    if (!type || !*type)
        return 0;
    if ((rc = store_read(req->store, read_type, &o, ec)) < 0)
        return rc;
    if (!o.found)
        return 0; /* matter_submit names the type */
    defs = json_loads(o.t.fields, 0, NULL);
    *out = json_object();
    json_array_foreach(defs, i, def)
    {
        const char *code = json_string_value(json_object_get(def, "code"));
        const char *dt = json_string_value(json_object_get(def, "datatype"));
        const char **values;
        size_t n;

        if (!code)
            continue;
        /* A list of checkboxes repeats its name, with or without "[]". */
        n = http_form_get_all(f, req->arena, arena_printf(req->arena, "attribute[%s]", code),
                              &values);
        if (n == 0)
            n = http_form_get_all(f, req->arena, arena_printf(req->arena, "attribute[%s][]", code),
                                  &values);
        if (n == 0)
            continue;
        if (dt && strcmp(dt, "multivaluelist") == 0) {
            json_t *list = json_array();
            for (size_t k = 0; k < n; k++)
                if (*values[k])
                    json_array_append_new(list, json_string(values[k]));
            json_object_set_new(*out, code, list);
        } else {
            json_object_set_new(*out, code, json_string(values[0]));
        }
    }
    json_decref(defs);
    return 0;
}

/* Checks the photos of a form: how many, how big, images by content. */
static int check_photos(const struct http_form *f, struct submit_op *o, struct err_ctx *ec)
{
    const struct http_file *files;
    size_t n = http_form_files(f, "photo", &files);

    if (n > MATTER_PHOTOS_MAX)
        return err_set(ec, ERR_INVALID, "photo", "照片最多 %d 张", MATTER_PHOTOS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (files[i].len > MATTER_PHOTO_BYTES)
            return err_set(ec, ERR_INVALID, "photo", "第 %zu 张照片超过 5 MB", i + 1);
        if (!media_image_type(files[i].data, files[i].len))
            return err_set(ec, ERR_INVALID, "photo", "第 %zu 张照片不是 JPEG 或 PNG 图片", i + 1);
    }
    if (n && !photo_store)
        return err_set(ec, ERR_UNAVAILABLE, "photo", "暂不能上传照片");
    o->files = files;
    o->nfiles = n;
    o->in.nphotos = n; /* counted by the checks; stored by store_photos() */
    return 0;
}

/* Stores the checked photos by content: each file is on disk before the
 * unit of work that names it commits. */
static int store_photos(struct submit_op *o, struct err_ctx *ec)
{
    struct matter_photo *photos = arena_calloc(o->arena, o->nfiles, sizeof(*photos));

    for (size_t i = 0; i < o->nfiles; i++) {
        int rc = blob_put(photo_store, o->files[i].data, o->files[i].len, photos[i].sha256, ec);
        if (rc < 0)
            return rc;
        photos[i].seq = (int)i + 1;
        photos[i].content_type = media_image_type(o->files[i].data, o->files[i].len);
        photos[i].bytes = (int64_t)o->files[i].len;
    }
    o->in.photos = photos;
    o->in.nphotos = o->nfiles;
    return 0;
}

static int submission_from_json(struct http_request *req, struct matter_new *in, struct err_ctx *ec)
{
    static const char *const allowed[] = {"type",  "description", "address",    "lat", "lon",
                                          "phone", "name",        "attributes", NULL};
    json_t *body, *lat, *lon;
    int rc;

    if ((rc = http_json_body(req, &body, ec)) < 0 ||
        (rc = json_fields_allowed(body, allowed, ec)) < 0)
        return rc;
    in->type = json_string_value(json_object_get(body, "type"));
    in->description = json_string_value(json_object_get(body, "description"));
    in->address = json_string_value(json_object_get(body, "address"));
    in->phone = json_string_value(json_object_get(body, "phone"));
    in->name = json_string_value(json_object_get(body, "name"));
    in->attributes = json_object_get(body, "attributes");
    lat = json_object_get(body, "lat");
    lon = json_object_get(body, "lon");
    if (lat && !json_is_null(lat) && !json_is_number(lat))
        return err_set(ec, ERR_INVALID, "lat", "纬度应为数字");
    if (lon && !json_is_null(lon) && !json_is_number(lon))
        return err_set(ec, ERR_INVALID, "lon", "经度应为数字");
    if (json_is_number(lat) != json_is_number(lon))
        return err_set(ec, ERR_INVALID, json_is_number(lat) ? "lon" : "lat", "经纬度须同时填写");
    in->has_location = json_is_number(lat);
    in->lat = json_number_value(lat);
    in->lon = json_number_value(lon);
    return 0;
}

static int submission_from_form(struct http_request *req, struct submit_op *o, struct err_ctx *ec)
{
    struct matter_new *in = &o->in;
    struct http_form *f;
    double lat, lon;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    in->type = http_form_get(f, "type");
    in->description = http_form_get(f, "description");
    in->address = http_form_get(f, "address");
    in->phone = http_form_get(f, "phone");
    in->name = http_form_get(f, "name");
    if ((rc = form_coordinate(f, "lat", &lat, ec)) < 0 ||
        (rc = form_coordinate(f, "lon", &lon, ec)) < 0)
        return rc;
    if (isnan(lat) != isnan(lon))
        return err_set(ec, ERR_INVALID, isnan(lat) ? "lat" : "lon", "经纬度须同时填写");
    in->has_location = !isnan(lat);
    in->lat = in->has_location ? lat : 0;
    in->lon = in->has_location ? lon : 0;
    if ((rc = form_attributes(req, f, in->type, &in->attributes, ec)) < 0)
        return rc;
    arena_on_free(req->arena, (arena_cleanup_fn)json_decref, in->attributes);
    return check_photos(f, o, ec);
}

/*
 * Reads, checks and submits. Photos are stored only for a submission that
 * passes every check (a read first), so a refused one writes nothing.
 */
static int submit(struct http_request *req, const char *source, bool anonymous, struct submit_op *o,
                  struct err_ctx *ec)
{
    const char *ct = http_header(req, "Content-Type");
    int rc;

    o->p = anonymous ? NULL : req->principal;
    o->arena = req->arena;
    o->in.source = source;
    if (!o->p && submit_limit > 0 &&
        limiter_locked(&submit_limiter, limiter_address_key('s', req->client_ip), time_now_ms(), 0))
        return err_set(ec, ERR_RATE_LIMIT, NULL, "提交过于频繁，请 15 分钟后再试");
    if (ct && strncasecmp(ct, "application/json", 16) == 0)
        rc = submission_from_json(req, &o->in, ec);
    else
        rc = submission_from_form(req, o, ec);
    if (rc == 0 && o->nfiles > 0 && (rc = store_read(req->store, check_submit, o, ec)) == 0)
        rc = store_photos(o, ec);
    if (rc == 0 && (rc = store_write(req->store, do_submit, o, ec)) == 0)
        arena_on_free(req->arena, (arena_cleanup_fn)json_decref, o->view);
    if (rc == 0 && !o->p && submit_limit > 0)
        limiter_fail(&submit_limiter, limiter_address_key('s', req->client_ip), submit_limit,
                     time_now_ms());
    return rc;
}

int matter_http_submit(struct http_request *req, const char *source, bool anonymous,
                       struct matter *out, struct err_ctx *ec)
{
    struct submit_op o = {.out = out};
    return submit(req, source, anonymous, &o, ec);
}

/* POST /api/v1/matters */
static int handle_submit(struct http_request *req, struct err_ctx *ec)
{
    struct matter m;
    struct submit_op o = {.out = &m};
    int rc = submit(req, "api", false, &o, ec);

    if (rc < 0)
        return rc;
    return http_reply_json(req, 201,
                           json_pack("{s:s, s:s, s:s, s:O}", "code", m.code, "track_url",
                                     arena_printf(req->arena, "/track/%s", m.code), "qr_url",
                                     arena_printf(req->arena, "/track/%s/qr.svg", m.code), "matter",
                                     o.view));
}

/* ================================================================
 * The catalog
 * ================================================================ */

struct types_op {
    struct arena *arena;
    struct matter_type *types;
    size_t n;
};

static int read_types(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct types_op *o = arg;
    return matter_types_list(c, o->arena, true, &o->types, &o->n, ec);
}

/* GET /api/v1/matter-types */
static int handle_types(struct http_request *req, struct err_ctx *ec)
{
    struct types_op o = {.arena = req->arena};
    json_t *items;
    int rc = store_read(req->store, read_types, &o, ec);

    if (rc < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++) {
        json_t *fields = json_loads(o.types[i].fields, 0, NULL);
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "code", o.types[i].code, "name",
                             o.types[i].name, "description", o.types[i].description, "group",
                             o.types[i].group, "deadline_days", o.types[i].deadline_days, "fields",
                             fields ? fields : json_array()));
    }
    http_add_header(req, "Cache-Control", "public, max-age=300");
    return http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}

struct type_update_op {
    struct http_request *req;
    const char *code;
    json_t *changes;
    struct matter_type t;
};

static int do_type_update(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct type_update_op *o = arg;
    return matter_type_update(c, o->req->arena, o->req->principal, o->code, o->changes, &o->t, ec);
}

/* PATCH /api/v1/matter-types/{code} {"unit_id"?, "deadline_days"?, "active"?} */
static int handle_type_update(struct http_request *req, struct err_ctx *ec)
{
    struct type_update_op o = {.req = req, .code = http_param(req, "code")};
    int rc;

    if ((rc = http_json_body(req, &o.changes, ec)) < 0 ||
        (rc = store_write(req->store, do_type_update, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s, s:s, s:i, s:b}", "code", o.t.code, "name",
                                     o.t.name, "unit_code", o.t.unit_code, "deadline_days",
                                     o.t.deadline_days, "active", o.t.active));
}

/* ================================================================
 * The staff's queue and actions
 * ================================================================ */

/* The instant local midnight of "YYYY-MM-DD" begins, plus 'days'. */
static int local_day_ms(const char *s, const char *field, int days, int64_t *out,
                        struct err_ctx *ec)
{
    struct date d;

    if (date_parse(s, &d) != 0)
        return err_set(ec, ERR_BAD_REQUEST, field, "%s 应为日期 YYYY-MM-DD", field);
    *out = date_start_ms(&d, days);
    return 0;
}

struct list_op {
    struct arena *arena;
    struct matter_filter f;
    struct matter *items;
    size_t n;
    bool more;
};

static int read_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_op *o = arg;
    return matter_list(c, o->arena, &o->f, &o->items, &o->n, &o->more, ec);
}

int matter_http_filter(struct http_request *req, struct matter_filter *f, struct err_ctx *ec)
{
    const char *from = http_query_text(req, "from"), *to = http_query_text(req, "to");
    int64_t open, overdue, limit;
    int rc;

    memset(f, 0, sizeof(*f));
    f->scope_path = req->principal->unit_path;
    f->type = http_query_text(req, "type");
    f->state = http_query_text(req, "state");
    f->q = http_query_text(req, "q");
    if (f->state && !case_state_find(&matter_case_type, f->state))
        return err_set(ec, ERR_BAD_REQUEST, "state", "没有这一状态：%s", f->state);
    if ((rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &f->unit_id, ec)) < 0 ||
        (rc = http_query_int(req, "open", -1, 1, -1, &open, ec)) < 0 ||
        (rc = http_query_int(req, "overdue", 0, 1, 0, &overdue, ec)) < 0 ||
        (rc = http_query_int(req, "cursor", 0, INT64_MAX, 0, &f->before_id, ec)) < 0 ||
        (rc = http_query_int(req, "limit", 1, MATTER_LIST_MAX, 50, &limit, ec)) < 0)
        return rc;
    if ((from && (rc = local_day_ms(from, "from", 0, &f->from_ms, ec)) < 0) ||
        (to && (rc = local_day_ms(to, "to", 1, &f->to_ms, ec)) < 0))
        return rc;
    if (f->from_ms && f->to_ms && f->to_ms <= f->from_ms)
        return err_set(ec, ERR_BAD_REQUEST, "to", "结束日期不能早于开始日期");
    f->open = (int)open;
    f->overdue = overdue != 0;
    f->limit = (size_t)limit;
    return 0;
}

/* GET /api/v1/matters */
static int handle_list(struct http_request *req, struct err_ctx *ec)
{
    struct list_op o = {.arena = req->arena};
    json_t *items;
    int rc;

    if ((rc = matter_http_filter(req, &o.f, ec)) < 0 ||
        (rc = store_read(req->store, read_list, &o, ec)) < 0)
        return rc;
    items = json_array();
    for (size_t i = 0; i < o.n; i++)
        json_array_append_new(items, matter_json(&o.items[i], req->principal));
    return http_reply_json(
        req, 200,
        json_pack("{s:o, s:o}", "items", items, "next_cursor",
                  o.more && o.n ? json_integer(o.items[o.n - 1].id) : json_null()));
}

struct one_op {
    struct http_request *req;
    int64_t id;
    const char *code; /* by tracking code instead of id */
    struct matter m;
    struct matter_step *steps;
    size_t nsteps;
};

static int read_one(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct one_op *o = arg;
    int rc = o->code ? matter_by_code(c, o->req->arena, o->code, &o->m, ec)
                     : matter_get(c, o->req->arena, o->req->principal, o->id, &o->m, ec);

    if (rc < 0)
        return rc;
    return matter_history(c, o->req->arena, &o->m, &o->steps, &o->nsteps, ec);
}

static json_t *staff_history(const struct matter_step *steps, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        char at[TIME_INSTANT_LEN];
        time_format_instant(steps[i].at_ms, at, sizeof(at));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "at", at,
                                             "transition", steps[i].transition, "label",
                                             steps[i].label, "state", steps[i].state, "state_label",
                                             steps[i].state_label, "actor", steps[i].actor, "text",
                                             steps[i].text));
    }
    return arr;
}

/* GET /api/v1/matters/{id} */
static int handle_get(struct http_request *req, struct err_ctx *ec)
{
    struct one_op o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_one, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:o, s:o}", "matter", matter_json(&o.m, req->principal),
                                     "history", staff_history(o.steps, o.nsteps)));
}

struct act_op {
    struct http_request *req;
    int64_t id;
    const char *code;
    const char *transition;
    json_t *fields;
    int64_t version;
    struct matter m;
};

static int do_act(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct act_op *o = arg;

    if (o->code)
        return matter_resident_act(c, o->req->arena, o->code, o->transition, o->fields, 0, &o->m,
                                   ec);
    return matter_act(c, o->req->arena, o->req->principal, o->id, o->transition, o->fields,
                      o->version, 0, &o->m, ec);
}

/* POST /api/v1/matters/{id}/actions/{transition} */
static int handle_act(struct http_request *req, struct err_ctx *ec)
{
    struct act_op o = {.req = req, .transition = http_param(req, "transition")};
    json_t *version;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = http_json_body(req, &o.fields, ec)) < 0)
        return rc;
    version = json_object_get(o.fields, "version");
    if (version && !json_is_integer(version))
        return err_set(ec, ERR_INVALID, "version", "version 应为整数");
    o.version = version ? (int64_t)json_integer_value(version) : 0;
    if ((rc = store_write(req->store, do_act, &o, ec)) < 0)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:o}", "matter", matter_json(&o.m, req->principal)));
}

/* ================================================================
 * The resident's tracking
 * ================================================================ */

/*
 * The tracking code is a resident's only key, so guessing is slowed down:
 * an address that gives CODE_MISSES codes naming no matter within 15
 * minutes is refused for 15 minutes (per process; see core/limiter.h).
 * With 40-bit codes that leaves a guesser about one hit per ten thousand
 * locked-out windows even with 100,000 matters on file.
 */
#define CODE_MISSES    20
#define CODE_WINDOW_MS (15LL * 60 * 1000)

static struct limiter code_limiter = LIMITER_INIT(CODE_WINDOW_MS, CODE_WINDOW_MS);

int matter_http_code_guard(struct http_request *req, struct err_ctx *ec)
{
    if (limiter_locked(&code_limiter, limiter_address_key('t', req->client_ip), time_now_ms(), 0))
        return err_set(ec, ERR_RATE_LIMIT, "code", "查询码输入错误次数过多，请 15 分钟后再试");
    return 0;
}

int matter_http_code_checked(struct http_request *req, int rc, struct err_ctx *ec)
{
    if (rc == ERR_NOT_FOUND && ec && strcmp(ec->field, "code") == 0)
        limiter_fail(&code_limiter, limiter_address_key('t', req->client_ip), CODE_MISSES,
                     time_now_ms());
    return rc;
}

int matter_http_track_read(struct http_request *req, const char *code, struct matter *m,
                           struct matter_step **steps, size_t *n, struct err_ctx *ec)
{
    struct one_op o = {.req = req, .code = code};
    int rc = matter_http_code_guard(req, ec);

    if (rc < 0 ||
        (rc = matter_http_code_checked(req, store_read(req->store, read_one, &o, ec), ec)) < 0)
        return rc;
    *m = o.m;
    *steps = o.steps;
    *n = o.nsteps;
    return 0;
}

int matter_http_resident_act(struct http_request *req, const char *code, const char *transition,
                             json_t *fields, struct matter *out, struct err_ctx *ec)
{
    struct act_op o = {.req = req, .code = code, .transition = transition, .fields = fields};
    int rc = matter_http_code_guard(req, ec);

    if (rc < 0 ||
        (rc = matter_http_code_checked(req, store_write(req->store, do_act, &o, ec), ec)) < 0)
        return rc;
    *out = o.m;
    return 0;
}

/* GET /api/v1/track/{code} */
static int handle_track(struct http_request *req, struct err_ctx *ec)
{
    struct matter m;
    struct matter_step *steps;
    size_t n;
    int rc = matter_http_track_read(req, http_param(req, "code"), &m, &steps, &n, ec);

    if (rc < 0)
        return rc;
    return http_reply_json(req, 200, matter_track_json(&m, steps, n));
}

/* The body of a resident's action: JSON, or a form with the same names. */
static int resident_fields(struct http_request *req, json_t **out, struct err_ctx *ec)
{
    const char *ct = http_header(req, "Content-Type");
    struct http_form *f;
    const char *rating;
    int64_t n;
    int rc;

    if (ct && strncasecmp(ct, "application/json", 16) == 0)
        return http_json_body(req, out, ec);
    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    *out = json_object();
    arena_on_free(req->arena, (arena_cleanup_fn)json_decref, *out);
    if ((rating = http_form_get(f, "rating")) && *rating) {
        if (str_to_int64(rating, 1, 5, &n) < 0)
            return err_set(ec, ERR_INVALID, "rating", "请选择 1 到 5 星");
        json_object_set_new(*out, "rating", json_integer(n));
    }
    if (http_form_get(f, "comment"))
        json_object_set_new(*out, "comment", json_string(http_form_get(f, "comment")));
    if (http_form_get(f, "reason"))
        json_object_set_new(*out, "reason", json_string(http_form_get(f, "reason")));
    return 0;
}

static int resident_act(struct http_request *req, const char *transition, struct err_ctx *ec)
{
    const char *code = http_param(req, "code");
    struct matter m;
    struct matter_step *steps;
    size_t n;
    json_t *fields;
    int rc;

    if ((rc = resident_fields(req, &fields, ec)) < 0 ||
        (rc = matter_http_resident_act(req, code, transition, fields, &m, ec)) < 0 ||
        (rc = matter_http_track_read(req, code, &m, &steps, &n, ec)) < 0)
        return rc;
    return http_reply_json(req, 200, matter_track_json(&m, steps, n));
}

/* POST /api/v1/track/{code}/rate */
static int handle_rate(struct http_request *req, struct err_ctx *ec)
{
    return resident_act(req, "rate", ec);
}

/* POST /api/v1/track/{code}/reopen */
static int handle_reopen(struct http_request *req, struct err_ctx *ec)
{
    return resident_act(req, "reopen", ec);
}

int matter_http_last_event_id(struct http_request *req, int64_t *out, struct err_ctx *ec)
{
    const char *h = http_header(req, "Last-Event-ID");

    *out = 0;
    if (h) {
        if (str_to_int64(h, 0, INT64_MAX, out) < 0)
            *out = 0;
        return 0;
    }
    return http_query_int(req, "last_event_id", 0, INT64_MAX, 0, out, ec);
}

static int exists_by_code(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct one_op *o = arg;
    return matter_by_code(c, o->req->arena, o->code, &o->m, ec);
}

/* GET /api/v1/track/{code}/events: "matter.changed" events of one matter. */
static int handle_track_events(struct http_request *req, struct err_ctx *ec)
{
    struct one_op o = {.req = req, .code = http_param(req, "code")};
    int64_t last;
    int rc;

    if ((rc = matter_http_last_event_id(req, &last, ec)) < 0 ||
        (rc = matter_http_code_guard(req, ec)) < 0 ||
        (rc = matter_http_code_checked(req, store_read(req->store, exists_by_code, &o, ec), ec)) <
            0)
        return rc;
    return sse_serve(req, "", arena_printf(req->arena, "track:%s", o.m.code), last, ec);
}

/* ================================================================
 * Photos
 * ================================================================ */

struct media_op {
    const char *sha;
    struct arena *arena;
    const char *content_type;
};

static int read_media(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct media_op *o = arg;
    struct store_stmt *st;
    int rc =
        store_query(c, &st, ec, "SELECT content_type FROM matter_photos WHERE sha256 = $1 LIMIT 1",
                    "t", o->sha);
    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1)
        o->content_type = arena_strdup(o->arena, store_col_text(st, 0));
    store_done(st);
    if (rc == 0)
        return err_set(ec, ERR_NOT_FOUND, NULL, "照片不存在");
    return rc < 0 ? rc : 0;
}

/* GET /media/{sha256}: named by content, so cached for good. */
static int handle_media(struct http_request *req, struct err_ctx *ec)
{
    struct media_op o = {.sha = http_param(req, "sha"), .arena = req->arena};
    const void *data;
    size_t len;
    int rc;

    if (!o.sha || strlen(o.sha) != 64 || !photo_store)
        return err_set(ec, ERR_NOT_FOUND, NULL, "照片不存在");
    if ((rc = store_read(req->store, read_media, &o, ec)) < 0 ||
        (rc = blob_get(photo_store, o.sha, req->arena, &data, &len, ec)) < 0)
        return rc;
    http_add_header(req, "Cache-Control", "public, max-age=31536000, immutable");
    return http_reply_bytes(req, 200, o.content_type, data, len);
}

static const struct http_route routes[] = {
    {"GET", "/api/v1/matter-types", handle_types, HTTP_PUBLIC, 0, 0},
    {"PATCH", "/api/v1/matter-types/{code}", handle_type_update, 0, ROLE_ADMIN, 0},
    {"POST", "/api/v1/matters", handle_submit, HTTP_PUBLIC, 0, HTTP_MAX_BODY_UPLOAD},
    {"GET", "/api/v1/matters", handle_list, 0, MATTER_READ_ROLES, 0},
    {"GET", "/api/v1/matters/{id}", handle_get, 0, MATTER_READ_ROLES, 0},
    {"POST", "/api/v1/matters/{id}/actions/{transition}", handle_act, 0, MATTER_STAFF_ROLES, 0},
    /* A tracking code is a resident's key: logged as the pattern. */
    {"GET", "/api/v1/track/{code}", handle_track, HTTP_PUBLIC | HTTP_LOG_PATTERN, 0, 0},
    {"POST", "/api/v1/track/{code}/rate", handle_rate,
     HTTP_PUBLIC | HTTP_NO_CSRF | HTTP_LOG_PATTERN, 0, 0},
    {"POST", "/api/v1/track/{code}/reopen", handle_reopen,
     HTTP_PUBLIC | HTTP_NO_CSRF | HTTP_LOG_PATTERN, 0, 0},
    {"GET", "/api/v1/track/{code}/events", handle_track_events, HTTP_PUBLIC | HTTP_LOG_PATTERN, 0,
     0},
    {"GET", "/media/{sha}", handle_media, HTTP_PUBLIC, 0, 0},
};

const struct module matter_module = {
    .name = "matter",
    .routes = {routes, sizeof(routes) / sizeof(routes[0])},
    .pages = &matter_pages,
    .dashboard = matter_pages_dashboard,
    .start = matter_start,
    .metrics = matter_metrics,
    .nmetrics = MATTER_NMETRICS,
    .demo = matter_demo,
};
