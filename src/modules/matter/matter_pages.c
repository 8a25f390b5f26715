/*
 * matter_pages.c - resident matters as pages.
 *
 * Portal (public, for a phone, working without JavaScript):
 *   GET  /submit                 the form: type, the type's fields, description,
 *                                place, location, phone, name, photos
 *   POST /submit                 multipart -> 303 /track/{code}?new=1 | the form again
 *   GET  /track[?code=]          a box for the code; with a code, 303 to its page
 *   GET  /track/{code}           the tracking page: state as steps, history, the
 *                                rating and reopening forms; app.js follows the
 *                                matter's event stream and updates it in place
 *   GET  /track/{code}/qr.svg    the tracking page's address as a QR code
 *   POST /track/{code}/rate      rating=1..5&comment= -> 303 back
 *   POST /track/{code}/reopen    reason= -> 303 back
 * Console (staff):
 *   GET  /console/matters        the queue: counts per state, filters, paging
 *   GET  /console/matters/{id}   a matter, its history and the action forms
 *   POST /console/matters/{id}/{transition}  -> 303 back with a flash | the page
 *                                again with the error beside the field
 *
 * The portal's forms and sessions. A resident has no account, so the
 * portal's POSTs cannot carry a session's CSRF token. They
 * are therefore routed HTTP_NO_CSRF and ignore the session entirely: the
 * handler drops the principal before doing anything, so a staff member who
 * is signed in and uses the portal submits, rates or reopens as an
 * anonymous resident, and a form another site posts with that member's
 * cookie (which SameSite=Lax withholds anyway) cannot act with the member's
 * rights. What such a post can do is what any resident can do; the rating
 * and reopening forms also need the tracking code, the resident's key. A
 * post whose Origin (or Referer) names another host is refused as well
 * (page_same_origin(), as the sign-in form).
 *
 * The QR code's address is built from the request's Host header and scheme
 * (req->secure): a deployment behind a reverse proxy must pass the public
 * Host through (nginx: proxy_set_header Host $host; and
 * X-Forwarded-Proto), or the code would point at the internal address.
 *
 * Submission parsing (fields, attributes, photos into the blob store) is
 * matter_http_submit() of the JSON API, so that both paths validate alike.
 */
#include "core/compat.h"
#include "core/checksum.h"
#include "core/json.h"
#include "core/time.h"
#include "modules/matter/matter.h"
#include "modules/matter/matter_admin_pages.h"
#include "modules/matter/matter_http.h"
#include "modules/matter/matter_pages.h"
#include "modules/org/org.h"
#include "modules/org/org_pages.h"
#include "store/store.h"
#include "web/page.h"
#include "web/qr.h"
#include "web/web.h"

#define QUEUE_PAGE    30
#define SUMMARY_CHARS 40

/* ================================================================
 * Small helpers
 * ================================================================ */

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v ? v : ""));
}

static const char *instant_text(struct arena *a, int64_t ms)
{
    char buf[PAGE_INSTANT_LEN];
    if (ms <= 0)
        return "";
    page_instant(ms, buf);
    return arena_strdup(a, buf);
}

/* The badge class of a state. */
static const char *state_badge(const char *state)
{
    if (!state)
        return "badge-info";
    if (strcmp(state, "submitted") == 0)
        return "badge-info";
    if (strcmp(state, "resolved") == 0 || strcmp(state, "closed") == 0)
        return "badge-success";
    if (strcmp(state, "rejected") == 0)
        return "badge-danger";
    return "badge-warning";
}

/* The steps a resident sees, in order. */
static const char *const step_states[] = {"submitted",   "accepted", "assigned",
                                          "in_progress", "resolved", "closed"};

/* [{label, done, current}]: the step bar of 'state'; a rejected matter is
 * 已提交 then 不予受理. */
static json_t *step_bar(const char *state)
{
    json_t *steps = json_array();
    size_t cur = 0;

    if (state && strcmp(state, "rejected") == 0) {
        json_array_append_new(steps, json_pack("{s:s, s:b, s:b, s:b}", "label", "已提交", "done", 1,
                                               "current", 0, "stop", 0));
        json_array_append_new(steps, json_pack("{s:s, s:b, s:b, s:b}", "label", "不予受理", "done",
                                               1, "current", 1, "stop", 1));
        return steps;
    }
    for (size_t i = 0; i < ARRAY_SIZE(step_states); i++)
        if (state && strcmp(state, step_states[i]) == 0)
            cur = i;
    for (size_t i = 0; i < ARRAY_SIZE(step_states); i++)
        json_array_append_new(steps, json_pack("{s:s, s:b, s:b, s:b}", "label",
                                               matter_state_label(step_states[i]), "done", i <= cur,
                                               "current", i == cur, "stop", 0));
    return steps;
}

static json_t *photos_json(struct arena *a, const struct matter *m)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < m->nphotos; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "href",
                                             arena_printf(a, "/media/%s", m->photos[i].sha256),
                                             "alt", arena_printf(a, "现场照片 %zu", i + 1)));
    return arr;
}

/* The type's fields (JSON array text), parsed; an empty array when absent or bad. */
static json_t *type_fields(const struct matter_type *t)
{
    json_t *f = t && t->fields ? json_loads(t->fields, 0, NULL) : NULL;
    if (!json_is_array(f)) {
        json_decref(f);
        f = json_array();
    }
    return f;
}

/* [{label, value}] of a matter's attributes, labelled by its type's fields. */
static json_t *attributes_display(struct arena *a, const struct matter_type *t,
                                  const char *attributes)
{
    json_t *out = json_array(), *fields = type_fields(t);
    json_t *vals = attributes ? json_loads(attributes, 0, NULL) : NULL;
    json_t *fd;
    size_t i;

    if (!json_is_object(vals))
        goto done;
    json_array_foreach(fields, i, fd)
    {
        const char *code = json_string_value(json_object_get(fd, "code"));
        const char *label = json_string_value(json_object_get(fd, "description"));
        json_t *v = code ? json_object_get(vals, code) : NULL;
        json_t *options = json_object_get(fd, "values");
        struct strbuf sb = STRBUF_INIT;
        json_t *items;
        size_t k;
        json_t *item;

        if (!v || json_is_null(v))
            continue;
        items = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
        json_array_foreach(items, k, item)
        {
            const char *text = json_string_value(item);
            char num[64];
            if (json_is_number(item)) {
                snprintf(num, sizeof(num), "%g", json_number_value(item));
                text = num;
            }
            if (!text)
                continue;
            /* a list's key shows as its name */
            for (size_t o = 0; o < json_array_size(options); o++) {
                json_t *opt = json_array_get(options, o);
                const char *key = json_string_value(json_object_get(opt, "key"));
                if (key && strcmp(key, text) == 0)
                    text = json_string_value(json_object_get(opt, "name"));
            }
            if (sb.len)
                strbuf_adds(&sb, "、");
            strbuf_adds(&sb, text ? text : "");
        }
        json_decref(items);
        json_array_append_new(out, json_pack("{s:s, s:s}", "label", label ? label : code, "value",
                                             arena_strdup(a, sb.buf ? sb.buf : "")));
        strbuf_release(&sb);
    }
done:
    json_decref(vals);
    json_decref(fields);
    return out;
}

/* Who took a step, for staff: a resident reads 群众, staff by name. */
static const char *actor_text(struct http_request *req, const char *actor)
{
    if (!actor || !*actor)
        return "";
    if (strcmp(actor, MATTER_RESIDENT_ACTOR) == 0)
        return "群众";
    return web_actor_label(req, actor);
}

/* True for the errors a form shows beside a field (bad input), not a page of its own. */
static bool input_error(enum err code)
{
    return code == ERR_INVALID || code == ERR_BAD_REQUEST || code == ERR_CONFLICT ||
           code == ERR_TOO_LARGE || code == ERR_MEDIA_TYPE || code == ERR_RATE_LIMIT;
}

/*
 * The portal's POSTs act for an anonymous resident whatever session the
 * browser holds (see the top of the file), and only when posted from a page
 * of this site.
 */
static int as_resident(struct http_request *req, struct err_ctx *ec)
{
    req->principal = NULL;
    req->via_cookie = false;
    if (!page_same_origin(req))
        return err_set(ec, ERR_FORBIDDEN, NULL, "请求不是从本站页面提交的");
    return 0;
}

/* ================================================================
 * Portal: the submit form
 * ================================================================ */

struct types_read {
    struct http_request *req;
    struct matter_type *types;
    size_t n;
};

static int read_types(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct types_read *o = arg;
    return matter_types_list(c, o->req->arena, true, &o->types, &o->n, ec);
}

/* The code of an attribute's error field: "attributes.x", "attribute[x]",
 * "attributes[x]" give "x"; NULL for another field. */
static const char *attribute_code(struct arena *a, const char *field)
{
    const char *p = NULL;
    size_t n;

    if (str_starts_with(field, "attributes."))
        return field + strlen("attributes.");
    if (str_starts_with(field, "attribute["))
        p = field + strlen("attribute[");
    else if (str_starts_with(field, "attributes["))
        p = field + strlen("attributes[");
    if (!p)
        return NULL;
    n = strcspn(p, "]");
    return arena_strndup(a, p, n);
}

/*
 * One input per field of type t: {name, id, label, required, hint, value,
 * error, is_<datatype>, options:[{key, name, selected, id}]}. 'f' (may be
 * NULL) holds what was posted; 'err_code' the attribute at fault, if any.
 */
static json_t *attribute_inputs(struct arena *a, const struct matter_type *t,
                                const struct http_form *f, const char *err_code,
                                const char *err_msg)
{
    json_t *out = json_array(), *fields = type_fields(t), *fd;
    size_t i;

    json_array_foreach(fields, i, fd)
    {
        const char *code = json_string_value(json_object_get(fd, "code"));
        const char *dt = json_string_value(json_object_get(fd, "datatype"));
        const char *label = json_string_value(json_object_get(fd, "description"));
        json_t *values = json_object_get(fd, "values"), *opts = json_array(), *o;
        const char *name, *id, *value, **chosen = NULL;
        size_t k, nchosen;
        json_t *v;

        if (!code || !dt)
            continue;
        name = arena_printf(a, "attribute[%s]", code);
        id = arena_printf(a, "attr-%s-%s", t->code, code);
        value = f ? http_form_get(f, name) : NULL;
        nchosen = f ? http_form_get_all(f, a, name, &chosen) : 0;
        json_array_foreach(values, k, v)
        {
            const char *key = json_string_value(json_object_get(v, "key"));
            const char *vname = json_string_value(json_object_get(v, "name"));
            bool selected = false;
            if (!key)
                continue;
            for (size_t j = 0; j < nchosen; j++)
                selected |= strcmp(chosen[j], key) == 0;
            /* "field": the input's name, for a checkbox of a list */
            json_array_append_new(opts,
                                  json_pack("{s:s, s:s, s:s, s:b, s:s}", "key", key, "name",
                                            vname ? vname : key, "field", name, "selected",
                                            selected, "id", arena_printf(a, "%s-%zu", id, k + 1)));
        }
        o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o}", "name", name, "id", id, "label",
                      label ? label : code, "required",
                      json_is_true(json_object_get(fd, "required")), "value", value ? value : "",
                      "options", opts);
        set_str(o, "error", err_code && strcmp(err_code, code) == 0 ? err_msg : "");
        json_object_set_new(o, "is_text", json_boolean(strcmp(dt, "text") == 0));
        json_object_set_new(o, "is_number", json_boolean(strcmp(dt, "number") == 0));
        json_object_set_new(o, "is_datetime", json_boolean(strcmp(dt, "datetime") == 0));
        json_object_set_new(o, "is_single", json_boolean(strcmp(dt, "singlevaluelist") == 0));
        json_object_set_new(o, "is_multi", json_boolean(strcmp(dt, "multivaluelist") == 0));
        json_object_set_new(
            o, "is_string",
            json_boolean(strcmp(dt, "string") == 0 ||
                         (strcmp(dt, "text") != 0 && strcmp(dt, "number") != 0 &&
                          strcmp(dt, "datetime") != 0 && strcmp(dt, "singlevaluelist") != 0 &&
                          strcmp(dt, "multivaluelist") != 0)));
        json_array_append_new(out, o);
    }
    json_decref(fields);
    return out;
}

/*
 * The form's context: the types with their fields, what was posted (f may
 * be NULL) and the error of ec (may be NULL) beside its field.
 */
static json_t *submit_ctx(struct http_request *req, const struct types_read *tr,
                          const struct http_form *f, const struct err_ctx *ec)
{
    static const char *const keep[] = {"type", "description", "address", "lat",
                                       "lon",  "phone",       "name",    NULL};
    struct arena *a = req->arena;
    json_t *ctx = json_pack("{s:s}", "title", "反映事项"), *types = json_array(), *errors;
    const char *chosen = f ? http_form_get(f, "type") : http_query(req, "type");
    const char *err_field = ec && ec->code != ERR_OK ? ec->field : "";
    const char *err_code = *err_field ? attribute_code(a, err_field) : NULL;
    const char *chosen_desc = "";
    bool shown = false;

    for (size_t i = 0; i < tr->n; i++) {
        const struct matter_type *t = &tr->types[i];
        bool sel = chosen && strcmp(chosen, t->code) == 0;
        json_t *inputs = attribute_inputs(a, t, f, sel ? err_code : NULL, ec ? ec->message : "");
        if (sel)
            chosen_desc = t->description ? t->description : "";
        json_array_append_new(
            types, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o}", "code", t->code, "name",
                             t->name, "description", t->description ? t->description : "", "group",
                             t->group ? t->group : "", "selected", sel, "has_fields",
                             json_array_size(inputs) > 0, "fields", inputs));
    }
    json_object_set_new(ctx, "types", types);
    set_str(ctx, "type_description", chosen_desc);
    json_object_set_new(ctx, "form", json_object());
    if (f)
        web_form_values(ctx, f, keep);
    errors = json_object();
    if (*err_field) {
        const char *msg = ec->message;
        if (err_code) {
            shown = chosen != NULL;
        } else if (strcmp(err_field, "lat") == 0 || strcmp(err_field, "lon") == 0 ||
                   strcmp(err_field, "location") == 0) {
            set_str(errors, "location", msg);
            shown = true;
        } else if (strcmp(err_field, "photo") == 0 || strcmp(err_field, "photos") == 0 ||
                   str_starts_with(err_field, "photo")) {
            set_str(errors, "photo", msg);
            shown = true;
        } else {
            static const char *const known[] = {"type",  "description", "address",
                                                "phone", "name",        NULL};
            for (size_t i = 0; known[i]; i++)
                if (strcmp(err_field, known[i]) == 0)
                    shown = true;
            set_str(errors, err_field, msg);
        }
    }
    json_object_set_new(ctx, "errors", errors);
    if (ec && ec->code != ERR_OK)
        set_str(ctx, "error", shown ? "请修改下面标出的项目后重新提交" : ec->message);
    json_object_set_new(ctx, "photos_max", json_integer(MATTER_PHOTOS_MAX));
    json_object_set_new(ctx, "photo_mb", json_integer(MATTER_PHOTO_BYTES / (1024 * 1024)));
    return ctx;
}

/* GET /submit[?type=] -> 200 the form */
static int page_submit_form(struct http_request *req, struct err_ctx *ec)
{
    struct types_read tr = {.req = req};
    int rc;

    if ((rc = store_read(req->store, read_types, &tr, ec)) < 0)
        return rc;
    return web_render(req, 200, "portal/matter-submit", submit_ctx(req, &tr, NULL, NULL), ec);
}

/* GET /matters/new -> 303 /submit (the address the portal's home links to) */
static int page_matters_new(struct http_request *req, struct err_ctx *ec)
{
    (void)ec;
    return web_redirect_see_other(req, "/submit");
}

/* POST /submit (multipart/form-data or url-encoded: type, description, address,
 *   lat, lon, phone, name, attribute[CODE], photo x5)
 *   -> 303 /track/{code}?new=1 | 4xx the form again, the error beside its field */
static int page_submit(struct http_request *req, struct err_ctx *ec)
{
    struct types_read tr = {.req = req};
    struct http_form *f = NULL;
    struct matter m;
    struct err_ctx fe;
    int rc;

    if ((rc = as_resident(req, ec)) < 0)
        return rc;
    memset(&m, 0, sizeof(m));
    rc = matter_http_submit(req, "portal", true, &m, ec);
    if (rc == 0)
        return web_redirect_see_other(req, arena_printf(req->arena, "/track/%s?new=1", m.code));
    if (!input_error(ec->code))
        return rc;
    fe = *ec;
    err_clear(ec);
    if (http_form_body(req, &f, ec) < 0) {
        f = NULL; /* a body that is not a form: the empty form, the error on top */
        err_clear(ec);
    }
    if ((rc = store_read(req->store, read_types, &tr, ec)) < 0)
        return rc;
    return web_render(req, http_error_status(fe.code), "portal/matter-submit",
                      submit_ctx(req, &tr, f, &fe), ec);
}

/* ================================================================
 * Portal: tracking
 * ================================================================ */

struct track_read {
    struct http_request *req;
    const char *code;
    struct matter m;
    struct matter_type type;
    bool has_type;
    struct matter_step *steps;
    size_t n;
};

static int read_track(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct track_read *o = arg;
    struct arena *a = o->req->arena;
    int rc;

    if ((rc = matter_by_code(c, a, o->code, &o->m, ec)) < 0 ||
        (rc = matter_history(c, a, &o->m, &o->steps, &o->n, ec)) < 0)
        return rc;
    if (matter_type_get(c, a, o->m.type, &o->type, ec) == 0)
        o->has_type = true;
    err_clear(ec);
    return 0;
}

static const char *const star_labels[] = {
    "", "1 星（很不满意）", "2 星（不满意）", "3 星（一般）", "4 星（满意）", "5 星（非常满意）"};

/* The tracking page's context; 'errors' (taken, may be NULL) by field. */
static json_t *track_ctx(struct http_request *req, const struct track_read *o, json_t *errors,
                         const struct http_form *f)
{
    struct arena *a = req->arena;
    const struct matter *m = &o->m;
    json_t *ctx = json_object(), *mj = json_object(), *history = json_array(), *stars;
    char phone[64];
    bool resolved = m->state && strcmp(m->state, "resolved") == 0;
    int64_t now = time_now_ms();
    int64_t reopen_until;
    bool can_reopen = matter_can_reopen(m, now, &reopen_until);
    const char *rating = f ? http_form_get(f, "rating") : NULL;

    checksum_mask_phone(m->phone ? m->phone : "", phone, sizeof(phone));
    set_str(ctx, "title", arena_printf(a, "办理进度 %s", m->code));
    set_str(mj, "code", m->code);
    set_str(mj, "type_name", m->type_name);
    set_str(mj, "state", m->state);
    set_str(mj, "state_label", m->state_label);
    set_str(mj, "badge", state_badge(m->state));
    set_str(mj, "due_on", m->due_on);
    json_object_set_new(mj, "overdue", json_boolean(m->overdue));
    set_str(mj, "description", m->description);
    set_str(mj, "address", m->address);
    set_str(mj, "phone", phone);
    set_str(mj, "submitted_at", instant_text(a, m->submitted_at_ms));
    set_str(mj, "resolved_at", instant_text(a, m->resolved_at_ms));
    set_str(mj, "reply", m->reply);
    set_str(mj, "reject_reason", m->reject_reason);
    json_object_set_new(mj, "rating", json_integer(m->rating));
    set_str(mj, "rating_text", m->rating >= 1 && m->rating <= 5 ? star_labels[m->rating] : "");
    set_str(mj, "rating_comment", m->rating_comment);
    json_object_set_new(mj, "photos", photos_json(a, m));
    json_object_set_new(mj, "has_photos", json_boolean(m->nphotos > 0));
    json_object_set_new(mj, "attributes",
                        attributes_display(a, o->has_type ? &o->type : NULL, m->attributes));
    json_object_set_new(ctx, "matter", mj);
    json_object_set_new(ctx, "steps", step_bar(m->state));
    for (size_t i = o->n; i-- > 0;) {
        const struct matter_step *s = &o->steps[i];
        json_array_append_new(history,
                              json_pack("{s:s, s:s, s:s, s:s}", "at", instant_text(a, s->at_ms),
                                        "label", s->label ? s->label : "", "state_label",
                                        s->state_label ? s->state_label : "", "text",
                                        s->text ? s->text : ""));
    }
    json_object_set_new(ctx, "history", history);
    json_object_set_new(ctx, "is_new", json_boolean(http_query(req, "new") != NULL));
    set_str(ctx, "qr_src", arena_printf(a, "/track/%s/qr.svg", m->code));
    set_str(ctx, "events_src", arena_printf(a, "/api/v1/track/%s/events", m->code));
    set_str(ctx, "rate_action", arena_printf(a, "/track/%s/rate", m->code));
    set_str(ctx, "reopen_action", arena_printf(a, "/track/%s/reopen", m->code));
    json_object_set_new(ctx, "can_rate", json_boolean(resolved));
    json_object_set_new(ctx, "can_reopen", json_boolean(can_reopen));
    if (can_reopen) {
        struct date until = date_of_instant(reopen_until);
        char buf[TIME_DATE_LEN];
        date_format(&until, buf, sizeof(buf));
        set_str(ctx, "reopen_until", buf);
    }
    stars = json_array();
    for (int i = 5; i >= 1; i--)
        json_array_append_new(stars,
                              json_pack("{s:i, s:s, s:b}", "value", i, "label", star_labels[i],
                                        "checked", rating && rating[0] == '0' + i && !rating[1]));
    json_object_set_new(ctx, "stars", stars);
    json_object_set_new(ctx, "form", json_object());
    if (f) {
        static const char *const keep[] = {"comment", "reason", NULL};
        web_form_values(ctx, f, keep);
    }
    json_object_set_new(ctx, "errors", errors ? errors : json_object());
    return ctx;
}

/* GET /track/{code} -> 200 the tracking page | 404 no such code */
static int page_track(struct http_request *req, struct err_ctx *ec)
{
    struct track_read o = {.req = req};
    int rc;

    o.code = http_param(req, "code");
    if ((rc = matter_http_code_guard(req, ec)) < 0 ||
        (rc = matter_http_code_checked(req, store_read(req->store, read_track, &o, ec), ec)) < 0)
        return rc;
    /* the page's address in the canonical form of the code */
    if (strcmp(o.code, o.m.code) != 0)
        return web_redirect_see_other(req, arena_printf(req->arena, "/track/%s", o.m.code));
    return web_render(req, 200, "portal/matter-track", track_ctx(req, &o, NULL, NULL), ec);
}

/* GET /track[?code=] -> 200 the box | 303 /track/{code} | 404/422 the box with the error */
static int page_track_lookup(struct http_request *req, struct err_ctx *ec)
{
    const char *code = http_query_text(req, "code");
    char norm[MATTER_CODE_LEN];
    struct track_read o = {.req = req};
    json_t *ctx = json_pack("{s:s, s:{}, s:{}}", "title", "进度查询", "form", "errors");
    int rc;

    if (!code)
        return web_render(req, 200, "portal/matter-lookup", ctx, ec);
    set_str(json_object_get(ctx, "form"), "code", code);
    if (!matter_code_normalize(code, norm)) {
        err_set(ec, ERR_INVALID, "code", "查询码格式不正确，应类似 CX-7KQ2-9MWD");
        return web_render_invalid(req, "portal/matter-lookup", ctx, ec);
    }
    o.code = norm;
    if ((rc = matter_http_code_guard(req, ec)) == 0)
        rc = matter_http_code_checked(req, store_read(req->store, read_track, &o, ec), ec);
    if (rc == ERR_NOT_FOUND) {
        err_clear(ec);
        set_str(json_object_get(ctx, "errors"), "code",
                "没有找到这个查询码对应的事项，请核对后重新输入");
        set_str(ctx, "error", "请修改下面标出的项目后重新提交");
        return web_render(req, 404, "portal/matter-lookup", ctx, ec);
    }
    json_decref(ctx);
    if (rc < 0)
        return rc;
    return web_redirect_see_other(req, arena_printf(req->arena, "/track/%s", o.m.code));
}

/* True for a Host header that can stand in a URL: letters, digits, '.', '-',
 * ':' and the brackets of an IPv6 address. */
static bool host_ok(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > 100)
        return false;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(".-:[]", *p)))
            return false;
    return true;
}

struct code_read {
    struct http_request *req;
    const char *code;
    struct matter m;
};

static int read_code(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct code_read *o = arg;
    return matter_by_code(c, o->req->arena, o->code, &o->m, ec);
}

/* GET /track/{code}/qr.svg -> 200 image/svg+xml: the tracking page's absolute
 *   address (scheme of req->secure, the Host header) | 404 no such code
 *   | 400 a Host header that cannot stand in an address */
static int page_qr(struct http_request *req, struct err_ctx *ec)
{
    struct code_read o = {.req = req};
    const char *host = http_header(req, "Host"), *svg;
    size_t len;
    int rc;

    o.code = http_param(req, "code");
    if ((rc = matter_http_code_guard(req, ec)) < 0 ||
        (rc = matter_http_code_checked(req, store_read(req->store, read_code, &o, ec), ec)) < 0)
        return rc;
    if (!host_ok(host))
        return err_set(ec, ERR_BAD_REQUEST, "Host", "请求头 Host 不正确");
    if ((rc = qr_svg(req->arena,
                     arena_printf(req->arena, "%s://%s/track/%s", req->secure ? "https" : "http",
                                  host, o.m.code),
                     &svg, &len, ec)) < 0)
        return rc;
    http_add_header(req, "Cache-Control", "private, max-age=3600");
    return http_reply_bytes(req, 200, "image/svg+xml", svg, len);
}

struct resident_op {
    struct http_request *req;
    const char *code;
    const char *transition;
    json_t *fields;
    struct matter m;
};

static int write_resident(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct resident_op *o = arg;
    return matter_resident_act(c, o->req->arena, o->code, o->transition, o->fields, 0, &o->m, ec);
}

/* POST /track/{code}/rate (rating=1..5&comment=) and /reopen (reason=)
 *   -> 303 /track/{code} with a flash | 4xx the tracking page, the error beside its field */
static int resident_post(struct http_request *req, const char *transition, struct err_ctx *ec)
{
    struct resident_op op = {.req = req, .transition = transition};
    struct http_form *f;
    struct err_ctx fe;
    int rc;

    if ((rc = as_resident(req, ec)) < 0 || (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    op.code = http_param(req, "code");
    op.fields = json_object();
    if (strcmp(transition, "rate") == 0) {
        const char *rating = page_field(req, f, "rating"), *comment = page_field(req, f, "comment");
        int64_t v;
        if (rating && str_to_int64(rating, 1, 5, &v) == 0)
            json_object_set_new(op.fields, "rating", json_integer(v));
        else if (rating)
            json_object_set_new(op.fields, "rating", json_string(rating));
        if (comment)
            json_object_set_new(op.fields, "comment", json_string(comment));
    } else {
        const char *reason = page_field(req, f, "reason");
        if (reason)
            json_object_set_new(op.fields, "reason", json_string(reason));
    }
    if ((rc = matter_http_code_guard(req, ec)) == 0)
        rc = matter_http_code_checked(req, store_write(req->store, write_resident, &op, ec), ec);
    json_decref(op.fields);
    if (rc == 0) {
        web_flash(req, WEB_FLASH_SUCCESS,
                  strcmp(transition, "rate") == 0 ? "感谢您的评价！"
                                                  : "已申请重新办理，我们会尽快处理。");
        return web_redirect_see_other(req, arena_printf(req->arena, "/track/%s", op.m.code));
    }
    if (!input_error(ec->code))
        return rc;
    fe = *ec;
    err_clear(ec);
    {
        struct track_read o = {.req = req, .code = op.code};
        json_t *errors = json_object(), *ctx;
        if ((rc = store_read(req->store, read_track, &o, ec)) < 0)
            return rc;
        if (*fe.field)
            set_str(errors, fe.field, fe.message);
        ctx = track_ctx(req, &o, errors, f);
        set_str(ctx, "error", *fe.field ? "请修改下面标出的项目后重新提交" : fe.message);
        return web_render(req, http_error_status(fe.code), "portal/matter-track", ctx, ec);
    }
}

static int page_rate(struct http_request *req, struct err_ctx *ec)
{
    return resident_post(req, "rate", ec);
}

static int page_reopen(struct http_request *req, struct err_ctx *ec)
{
    return resident_post(req, "reopen", ec);
}

/* ================================================================
 * Console: the queue
 * ================================================================ */

static const char *const queue_states[] = {"submitted", "accepted", "assigned", "in_progress",
                                           "resolved",  "closed",   "rejected"};

struct queue_read {
    struct http_request *req;
    struct matter_filter f;
    struct matter *items;
    size_t n;
    bool more;
    struct matter_type *types;
    size_t ntypes;
    struct unit *units;
    size_t nunits;
    struct matter_counts counts;
    const char *unit_path; /* of the unit filter, when set */
};

static int read_queue(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct queue_read *o = arg;
    struct arena *a = o->req->arena;
    int rc;

    if ((rc = matter_types_list(c, a, false, &o->types, &o->ntypes, ec)) < 0 ||
        (rc = org_unit_list(c, a, o->req->principal, &o->units, &o->nunits, ec)) < 0)
        return rc;
    if (o->f.unit_id) {
        bool found = false;
        for (size_t i = 0; i < o->nunits; i++)
            if (o->units[i].id == o->f.unit_id)
                found = true;
        if (!found)
            return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在");
    }
    if ((rc = matter_count(c, o->req->principal->unit_path, date_of_instant(time_now_ms()),
                           &o->counts, ec)) < 0)
        return rc;
    return matter_list(c, a, &o->f, &o->items, &o->n, &o->more, ec);
}

/* Local midnight of date text 's' in ms; -1 when it is not a date. */
static int64_t day_start_ms(const char *s, int plus_days)
{
    struct date d;
    if (date_parse(s, &d) < 0)
        return -1;
    return date_start_ms(&d, plus_days);
}

/* The queue's link with the filters of the request, 'extra'=value replacing its own. */
static const char *queue_href(struct http_request *req, const char *extra, const char *value)
{
    static const char *const names[] = {"state", "type", "unit", "status", "from", "to", "q"};
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    strbuf_adds(&sb, "/console/matters");
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!extra || strcmp(extra, names[i]) != 0)
            page_query_add(&sb, names[i], http_query_text(req, names[i]));
    if (extra)
        page_query_add(&sb, extra, value);
    s = arena_strdup(req->arena, sb.buf);
    strbuf_release(&sb);
    return s;
}

/* The count of an open state; -1 for a concluded one (not counted). */
static int64_t count_of(const struct matter_counts *c, const char *state)
{
    return strcmp(state, "submitted") == 0     ? c->submitted
           : strcmp(state, "accepted") == 0    ? c->accepted
           : strcmp(state, "assigned") == 0    ? c->assigned
           : strcmp(state, "in_progress") == 0 ? c->in_progress
                                               : -1;
}

/* GET /console/matters?state=&type=&unit=&status=open|closed|overdue&from=&to=&q=&cursor=
 *   -> 200 the queue, newest first | 404 a unit outside scope | 422 a bad filter beside it */
static int page_queue(struct http_request *req, struct err_ctx *ec)
{
    struct queue_read o = {.req = req};
    struct arena *a = req->arena;
    const char *state = http_query_text(req, "state"), *status = http_query_text(req, "status");
    const char *from = http_query_text(req, "from"), *to = http_query_text(req, "to");
    json_t *ctx, *items, *counts, *opts;
    int64_t cursor = 0;
    const char *bad = NULL, *bad_msg = NULL;
    int rc;

    o.f.scope_path = req->principal->unit_path;
    o.f.open = -1;
    o.f.limit = QUEUE_PAGE;
    o.f.type = http_query_text(req, "type");
    o.f.q = http_query_text(req, "q");
    if (http_query_text(req, "unit") &&
        (rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &o.f.unit_id, ec)) < 0)
        return rc;
    if (http_query_text(req, "cursor") &&
        (rc = http_query_int(req, "cursor", 1, INT64_MAX, 0, &cursor, ec)) < 0)
        return rc;
    o.f.before_id = cursor;
    if (state) {
        if (!case_state_find(&matter_case_type, state))
            bad = "state", bad_msg = "状态不正确";
        o.f.state = state;
    }
    if (status) {
        if (strcmp(status, "open") == 0)
            o.f.open = 1;
        else if (strcmp(status, "closed") == 0)
            o.f.open = 0;
        else if (strcmp(status, "overdue") == 0)
            o.f.overdue = true;
        else
            bad = "status", bad_msg = "办理情况不正确";
    }
    if (from && (o.f.from_ms = day_start_ms(from, 0)) < 0)
        bad = "from", bad_msg = "日期格式应为 YYYY-MM-DD";
    if (to && (o.f.to_ms = day_start_ms(to, 1)) < 0)
        bad = "to", bad_msg = "日期格式应为 YYYY-MM-DD";
    if (!bad && from && to && o.f.to_ms <= o.f.from_ms)
        bad = "to", bad_msg = "截止日期不能早于起始日期";
    if (bad) {
        /* the page with no rows and the error beside the filter */
        o.f.state = NULL;
        o.f.open = -1;
        o.f.overdue = false;
        o.f.from_ms = o.f.to_ms = 0;
        o.f.limit = 1;
    }
    if ((rc = store_read(req->store, read_queue, &o, ec)) < 0)
        return rc;
    if (bad)
        o.n = 0, o.more = false;

    items = json_array();
    for (size_t i = 0; i < o.n; i++) {
        const struct matter *m = &o.items[i];
        json_t *it = json_object();
        json_object_set_new(it, "id", json_integer(m->id));
        set_str(it, "href", arena_printf(a, "/console/matters/%lld", (long long)m->id));
        set_str(it, "submitted_at", instant_text(a, m->submitted_at_ms));
        set_str(it, "type_name", m->type_name);
        set_str(it, "summary", matter_summary(a, m->description, SUMMARY_CHARS));
        set_str(it, "address", m->address);
        set_str(it, "unit", m->unit_name);
        set_str(it, "state_label", m->state_label);
        set_str(it, "badge", state_badge(m->state));
        set_str(it, "due_on", m->due_on);
        json_object_set_new(it, "overdue", json_boolean(m->overdue));
        json_object_set_new(it, "photos", json_integer((json_int_t)m->nphotos));
        json_array_append_new(items, it);
    }
    counts = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(queue_states); i++) {
        int64_t n = count_of(&o.counts, queue_states[i]);
        json_t *it =
            json_pack("{s:s, s:s, s:b}", "label", matter_state_label(queue_states[i]), "href",
                      arena_printf(a, "/console/matters?state=%s", queue_states[i]), "current",
                      state && strcmp(state, queue_states[i]) == 0);
        if (n >= 0) { /* concluded states are links without a count */
            json_object_set_new(it, "counted", json_true());
            json_object_set_new(it, "count", json_integer(n));
        }
        json_array_append_new(counts, it);
    }
    ctx = json_pack("{s:s, s:o, s:o, s:b, s:I, s:s}", "title", "事项办理", "items", items, "counts",
                    counts, "has_items", o.n > 0, "overdue", (json_int_t)o.counts.overdue,
                    "overdue_href", "/console/matters?status=overdue");
    /* the filters' options */
    opts = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(queue_states); i++)
        json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", queue_states[i], "label",
                                              matter_state_label(queue_states[i]), "selected",
                                              state && strcmp(state, queue_states[i]) == 0));
    json_object_set_new(ctx, "states", opts);
    opts = json_array();
    for (size_t i = 0; i < o.ntypes; i++)
        json_array_append_new(opts, json_pack("{s:s, s:s, s:b}", "value", o.types[i].code, "label",
                                              o.types[i].name, "selected",
                                              o.f.type && strcmp(o.f.type, o.types[i].code) == 0));
    json_object_set_new(ctx, "types", opts);
    json_object_set_new(ctx, "units", org_unit_options(o.units, o.nunits, o.f.unit_id));
    json_object_set_new(
        ctx, "statuses",
        json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s, s:b}]", "value", "open", "label",
                  "未办结", "selected", status && strcmp(status, "open") == 0, "value", "overdue",
                  "label", "已逾期", "selected", status && strcmp(status, "overdue") == 0, "value",
                  "closed", "label", "已办结（含不予受理、已评价）", "selected",
                  status && strcmp(status, "closed") == 0));
    json_object_set_new(ctx, "form",
                        json_pack("{s:o, s:o, s:o}", "from", json_text_or_null(from), "to",
                                  json_text_or_null(to), "q", json_text_or_null(o.f.q)));
    json_object_set_new(
        ctx, "filtered",
        json_boolean(state || status || from || to || o.f.q || o.f.type || o.f.unit_id));
    if (o.more && o.n > 0)
        set_str(ctx, "next_href",
                queue_href(req, "cursor", arena_printf(a, "%lld", (long long)o.items[o.n - 1].id)));
    if (cursor)
        set_str(ctx, "first_href", queue_href(req, "cursor", NULL));
    if (bad) {
        err_set(ec, ERR_INVALID, bad, "%s", bad_msg);
        return web_render_invalid(req, "console/matters/queue", ctx, ec);
    }
    return web_render(req, 200, "console/matters/queue", ctx, ec);
}

/* ================================================================
 * Console: one matter and its actions
 * ================================================================ */

struct detail_read {
    struct http_request *req;
    int64_t id;
    struct matter m;
    struct matter_type type;
    bool has_type;
    struct matter_step *steps;
    size_t n;
    struct unit *units;
    size_t nunits;
};

static int read_detail(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct detail_read *o = arg;
    struct arena *a = o->req->arena;
    int rc;

    if ((rc = matter_get(c, a, o->req->principal, o->id, &o->m, ec)) < 0 ||
        (rc = matter_history(c, a, &o->m, &o->steps, &o->n, ec)) < 0 ||
        (rc = org_unit_list(c, a, o->req->principal, &o->units, &o->nunits, ec)) < 0)
        return rc;
    if (matter_type_get(c, a, o->m.type, &o->type, ec) == 0)
        o->has_type = true;
    err_clear(ec);
    return 0;
}

static json_t *detail_ctx(struct http_request *req, const struct detail_read *o, json_t *errors,
                          const struct http_form *f)
{
    struct arena *a = req->arena;
    const struct matter *m = &o->m;
    const struct principal *p = req->principal;
    json_t *ctx = json_object(), *mj = json_object(), *history = json_array(), *actions;
    const char *const *allowed = matter_actions(m->state);
    bool can_act = access_has_role(p, MATTER_STAFF_ROLES), any = false;
    char phone[64];
    struct unit *open_units = arena_calloc(a, o->nunits + 1, sizeof(*open_units));
    size_t nopen = 0;

    if (access_sees_personal_ids(p))
        snprintf(phone, sizeof(phone), "%s", m->phone ? m->phone : "");
    else
        checksum_mask_phone(m->phone ? m->phone : "", phone, sizeof(phone));
    set_str(ctx, "title",
            arena_printf(a, "事项 %lld：%s", (long long)m->id, m->type_name ? m->type_name : ""));
    json_object_set_new(mj, "id", json_integer(m->id));
    set_str(mj, "type_name", m->type_name);
    set_str(mj, "state_label", m->state_label);
    set_str(mj, "badge", state_badge(m->state));
    set_str(mj, "unit", m->unit_name);
    set_str(mj, "description", m->description);
    set_str(mj, "address", m->address);
    if (m->has_location)
        set_str(mj, "location", arena_printf(a, "北纬 %.6f，东经 %.6f", m->lat, m->lon));
    set_str(mj, "phone", phone);
    set_str(mj, "name", m->name);
    set_str(mj, "source", m->source);
    set_str(mj, "submitted_at", instant_text(a, m->submitted_at_ms));
    set_str(mj, "updated_at", instant_text(a, m->updated_at_ms));
    set_str(mj, "due_on", m->due_on);
    json_object_set_new(mj, "overdue", json_boolean(m->overdue));
    set_str(mj, "resolved_at", instant_text(a, m->resolved_at_ms));
    json_object_set_new(mj, "on_time", json_boolean(m->resolved_at_ms > 0 && m->on_time));
    json_object_set_new(mj, "late", json_boolean(m->resolved_at_ms > 0 && !m->on_time));
    set_str(mj, "reply", m->reply);
    set_str(mj, "reject_reason", m->reject_reason);
    set_str(mj, "rating_text", m->rating >= 1 && m->rating <= 5 ? star_labels[m->rating] : "");
    set_str(mj, "rating_comment", m->rating_comment);
    json_object_set_new(mj, "version", json_integer(m->version));
    json_object_set_new(mj, "photos", photos_json(a, m));
    json_object_set_new(mj, "has_photos", json_boolean(m->nphotos > 0));
    json_object_set_new(mj, "attributes",
                        attributes_display(a, o->has_type ? &o->type : NULL, m->attributes));
    json_object_set_new(ctx, "matter", mj);
    for (size_t i = 0; i < o->n; i++) {
        const struct matter_step *s = &o->steps[i];
        json_array_append_new(
            history,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "at", instant_text(a, s->at_ms), "label",
                      s->label ? s->label : "", "state_label", s->state_label ? s->state_label : "",
                      "actor", actor_text(req, s->actor), "text", s->text ? s->text : ""));
    }
    json_object_set_new(ctx, "history", history);
    actions = json_object();
    for (size_t i = 0; can_act && allowed && allowed[i]; i++) {
        json_object_set_new(actions, allowed[i], json_true());
        any = true;
    }
    json_object_set_new(ctx, "actions", actions);
    json_object_set_new(ctx, "has_actions", json_boolean(any));
    json_object_set_new(ctx, "can_act", json_boolean(can_act));
    set_str(ctx, "action_base", arena_printf(a, "/console/matters/%lld/", (long long)m->id));
    for (size_t i = 0; i < o->nunits; i++)
        if (!o->units[i].closed_on)
            open_units[nopen++] = o->units[i];
    {
        int64_t sel = m->unit_id;
        const char *posted = f ? http_form_get(f, "unit_id") : NULL;
        if (posted)
            str_to_int64(posted, 1, INT64_MAX, &sel);
        json_object_set_new(ctx, "units", org_unit_options(open_units, nopen, sel));
    }
    json_object_set_new(ctx, "form", json_object());
    if (f) {
        static const char *const keep[] = {"reason", "reply", NULL};
        web_form_values(ctx, f, keep);
    }
    json_object_set_new(ctx, "errors", errors ? errors : json_object());
    return ctx;
}

/* GET /console/matters/{id} -> 200 the matter | 404 also outside the caller's scope */
static int page_detail(struct http_request *req, struct err_ctx *ec)
{
    struct detail_read o = {.req = req};
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_detail, &o, ec)) < 0)
        return rc;
    return web_render(req, 200, "console/matters/show", detail_ctx(req, &o, NULL, NULL), ec);
}

struct act_op {
    struct http_request *req;
    int64_t id;
    const char *transition;
    json_t *fields;
    int64_t version;
    struct matter m;
};

static int write_act(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct act_op *o = arg;
    return matter_act(c, o->req->arena, o->req->principal, o->id, o->transition, o->fields,
                      o->version, 0, &o->m, ec);
}

/* POST /console/matters/{id}/{transition}  csrf_token=&version=&reason=|unit_id=|reply=
 *   -> 303 /console/matters/{id} with a flash | 4xx the page again, the error beside
 *   the field | 404 */
static int page_act(struct http_request *req, struct err_ctx *ec)
{
    struct act_op op = {.req = req};
    struct http_form *f;
    const char *s;
    struct err_ctx fe;
    int rc;

    if ((rc = http_param_id(req, "id", &op.id, ec)) < 0 || (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    op.transition = http_param(req, "transition");
    if ((s = page_field(req, f, "version")) && str_to_int64(s, 1, INT64_MAX, &op.version) < 0)
        return err_set(ec, ERR_BAD_REQUEST, "version", "表单已损坏，请刷新页面后重试");
    op.fields = json_object();
    if ((s = page_field(req, f, "reason")))
        json_object_set_new(op.fields, "reason", json_string(s));
    if ((s = page_field(req, f, "reply")))
        json_object_set_new(op.fields, "reply", json_string(s));
    if ((s = page_field(req, f, "unit_id"))) {
        int64_t uid;
        json_object_set_new(op.fields, "unit_id",
                            str_to_int64(s, 1, INT64_MAX, &uid) == 0 ? json_integer(uid)
                                                                     : json_string(s));
    }
    rc = store_write(req->store, write_act, &op, ec);
    json_decref(op.fields);
    if (rc == 0) {
        const char *label = matter_transition_label(op.transition);
        web_flash(req, WEB_FLASH_SUCCESS,
                  arena_printf(req->arena, "已%s。当前状态：%s", label ? label : op.transition,
                               op.m.state_label ? op.m.state_label : ""));
        return web_redirect_see_other(
            req, arena_printf(req->arena, "/console/matters/%lld", (long long)op.id));
    }
    if (!input_error(ec->code))
        return rc;
    fe = *ec;
    err_clear(ec);
    {
        struct detail_read o = {.req = req, .id = op.id};
        json_t *errors = json_object(), *ctx;
        if ((rc = store_read(req->store, read_detail, &o, ec)) < 0)
            return rc;
        if (*fe.field)
            set_str(errors, fe.field, fe.message);
        ctx = detail_ctx(req, &o, errors, f);
        set_str(ctx, "error", fe.message);
        set_str(ctx, "error_action", op.transition);
        return web_render(req, http_error_status(fe.code), "console/matters/show", ctx, ec);
    }
}

/* ================================================================
 * The dashboard
 * ================================================================ */

struct count_read {
    const char *scope;
    struct matter_counts counts;
};

static int read_counts(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct count_read *o = arg;
    return matter_count(c, o->scope, date_of_instant(time_now_ms()), &o->counts, ec);
}

int matter_pages_dashboard(struct http_request *req, json_t *sections, struct err_ctx *ec)
{
    struct count_read o = {.scope = req->principal->unit_path};
    int rc;

    if (!access_has_role(req->principal, MATTER_READ_ROLES))
        return 0;
    if ((rc = store_read(req->store, read_counts, &o, ec)) < 0)
        return rc;
    json_array_append_new(
        sections,
        json_pack("{s:s, s:s, s:{s:I, s:I, s:I, s:s, s:s, s:s, s:s}}", "id", "matters", "title",
                  "事项办理", "matters", "new", (json_int_t)o.counts.submitted, "in_progress",
                  (json_int_t)(o.counts.accepted + o.counts.assigned + o.counts.in_progress),
                  "overdue", (json_int_t)o.counts.overdue, "new_href",
                  "/console/matters?state=submitted", "progress_href",
                  "/console/matters?status=open", "overdue_href", "/console/matters?status=overdue",
                  "href", "/console/matters"));
    return 0;
}

/* ================================================================
 * Routes
 * ================================================================ */

#define PUB  (HTTP_PUBLIC | HTTP_PAGE)
#define FORM (HTTP_PUBLIC | HTTP_PAGE | HTTP_NO_CSRF) /* see the top: no session involved */

static const struct http_route matter_page_list[] = {
    {"GET", "/submit", page_submit_form, PUB, 0},
    {"POST", "/submit", page_submit, FORM, 0, HTTP_MAX_BODY_UPLOAD},
    {"GET", "/matters/new", page_matters_new, PUB, 0},
    {"GET", "/track", page_track_lookup, PUB, 0},
    /* A tracking code is a resident's key: these are logged as the pattern. */
    {"GET", "/track/{code}", page_track, PUB | HTTP_LOG_PATTERN, 0},
    {"GET", "/track/{code}/qr.svg", page_qr, PUB | HTTP_LOG_PATTERN, 0},
    {"POST", "/track/{code}/rate", page_rate, FORM | HTTP_LOG_PATTERN, 0},
    {"POST", "/track/{code}/reopen", page_reopen, FORM | HTTP_LOG_PATTERN, 0},
    {"GET", "/console/matters", page_queue, HTTP_PAGE, MATTER_READ_ROLES},
    {"GET", "/console/matters/{id}", page_detail, HTTP_PAGE, MATTER_READ_ROLES},
    {"POST", "/console/matters/{id}/{transition}", page_act, HTTP_PAGE, MATTER_STAFF_ROLES},
    /* The catalog, for administrators at a root unit (matter_admin_pages.c). */
    {"GET", "/console/admin/matter-types", matter_admin_page_types, HTTP_PAGE, ROLE_ADMIN},
    {"POST", "/console/admin/matter-types/{code}", matter_admin_page_type_update, HTTP_PAGE,
     ROLE_ADMIN},
};

#undef PUB
#undef FORM

const struct http_route_table matter_pages = {matter_page_list, ARRAY_SIZE(matter_page_list)};
