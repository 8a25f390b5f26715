/*
 * ledger_pages.c - the ledgers as pages: the kinds, a kind's list with
 * filters, totals, paging and downloads, the form that records or corrects
 * an entry, an entry with its history, the CSV import, the dashboard's
 * sections and the administrator's catalog of kinds, with the form that
 * adds or edits a kind.
 *
 * Every check is the rules' own (ledger.h): a form is read into a struct
 * ledger_input with the counter values as text, exactly as a CSV row is,
 * and handed to ledger_entry_create / ledger_entry_update. A create collects
 * every fault (the import's mode), so the form shows each one beside its
 * field; the rules name a counter "counters.<code>", and the form's input of
 * that counter has that name.
 *
 * Totals always come from ledger_totals(), which reads the roll-up tables
 * (no text filter) - what keeps the dashboard and a list's totals row fast
 * for a scope of any size.
 */
#include "core/compat.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/time.h"
#include "modules/ledger/ledger.h"
#include "modules/ledger/ledger_http.h"
#include "modules/ledger/ledger_io.h"
#include "modules/org/org_pages.h"
#include "store/store.h"
#include "web/chart.h"
#include "web/page.h"
#include "web/web.h"

#define LIST_PAGE 50

/* The areas of the dashboard: kinds grouped by the first part of their code. */
static const struct {
    const char *prefix, *title;
} areas[] = {
    {"study", "学法培训"},      {"publicity", "普法宣传"},  {"traffic", "道路交通安全"},
    {"safety", "重点领域执法"}, {"sanitation", "环境卫生"}, {"river", "河道整治"},
};

#define OTHER_AREA "其他台账"

/* The area index of a kind code; ARRAY_SIZE(areas) for "other". */
static size_t area_of(const char *code)
{
    size_t n = strcspn(code, ".");

    for (size_t i = 0; i < ARRAY_SIZE(areas); i++)
        if (strlen(areas[i].prefix) == n && strncmp(areas[i].prefix, code, n) == 0)
            return i;
    return ARRAY_SIZE(areas);
}

static const char *area_title(size_t i)
{
    return i < ARRAY_SIZE(areas) ? areas[i].title : OTHER_AREA;
}

static const char *area_id(size_t i)
{
    return i < ARRAY_SIZE(areas) ? areas[i].prefix : "other";
}

/* "受训人次（人次）": a counter's label on forms and column heads. */
static const char *counter_label(struct arena *a, const struct ledger_counter *c)
{
    return c->unit && *c->unit ? arena_printf(a, "%s（%s）", c->name, c->unit)
                               : arena_strdup(a, c->name);
}

static const char *value_text(struct arena *a, int64_t v, int scale)
{
    char buf[48];
    ledger_value_format(v, scale, buf, sizeof(buf));
    return arena_strdup(a, buf);
}

static const char *history_label(const char *action)
{
    return strcmp(action, "create") == 0   ? "登记"
           : strcmp(action, "update") == 0 ? "修改"
           : strcmp(action, "track") == 0  ? "上传轨迹"
           : strcmp(action, "delete") == 0 ? "删除"
           : strcmp(action, "import") == 0 ? "导入"
                                           : action;
}

/* The first and last day of this month and of this year, local time. */
struct periods {
    char month_from[TIME_DATE_LEN], month_to[TIME_DATE_LEN];
    char year_from[TIME_DATE_LEN], year_to[TIME_DATE_LEN];
    int year, month;
};

static void periods_now(struct periods *pr)
{
    struct date d = date_of_instant(time_now_ms()), last;
    struct date first = {d.year, d.month, 1};
    struct date next = {d.month == 12 ? d.year + 1 : d.year, d.month == 12 ? 1 : d.month + 1, 1};

    last = date_from_days(date_to_days(&next) - 1);
    date_format(&first, pr->month_from, sizeof(pr->month_from));
    date_format(&last, pr->month_to, sizeof(pr->month_to));
    snprintf(pr->year_from, sizeof(pr->year_from), "%04d-01-01", d.year);
    snprintf(pr->year_to, sizeof(pr->year_to), "%04d-12-31", d.year);
    pr->year = d.year;
    pr->month = d.month;
}

/* ================================================================
 * Kinds, totals of this month and year: the dashboard and the index
 * ================================================================ */

struct overview {
    struct http_request *req;
    struct periods pr;
    struct ledger_kind *kinds;
    size_t nkinds;
    struct unit *units;
    size_t nunits;
    struct ledger_totals month, year;
};

static int read_overview(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct overview *o = arg;
    struct ledger_filter f = {0};
    int rc;

    if ((rc = ledger_kind_list(c, o->req->arena, &o->kinds, &o->nkinds, ec)) < 0 ||
        (rc = org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->nunits, ec)) < 0)
        return rc;
    f.from = o->pr.month_from;
    f.to = o->pr.month_to;
    if ((rc = ledger_totals(c, o->req->arena, o->req->principal, &f, &o->month, ec)) < 0)
        return rc;
    f.from = o->pr.year_from;
    f.to = o->pr.year_to;
    return ledger_totals(c, o->req->arena, o->req->principal, &f, &o->year, ec);
}

static const struct ledger_total_kind *total_of(const struct ledger_totals *t, const char *code)
{
    for (size_t i = 0; i < t->nkinds; i++)
        if (strcmp(t->kinds[i].kind->code, code) == 0)
            return &t->kinds[i];
    return NULL;
}

/* True when kind k belongs on the caller's pages: a unit type in scope records
 * it, or its entries are in this year's totals. */
static bool kind_relevant(const struct overview *o, const struct ledger_kind *k)
{
    if (total_of(&o->year, k->code))
        return true;
    if (!k->active)
        return false;
    for (size_t i = 0; i < o->nunits; i++)
        if (ledger_kind_allows(k, o->units[i].type))
            return true;
    return false;
}

/* "受训人次 1234 人次；讲座时长 30.5 小时": a kind's counter totals. */
static const char *totals_note(struct arena *a, const struct ledger_total_kind *t)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;

    for (size_t i = 0; t && i < t->ncounters; i++) {
        const struct ledger_counter *d = t->counters[i].def;
        if (sb.len)
            strbuf_adds(&sb, "；");
        strbuf_addf(&sb, "%s %s%s%s", d->name, value_text(a, t->counters[i].total, d->scale),
                    d->unit && *d->unit ? " " : "", d->unit ? d->unit : "");
    }
    s = arena_strdup(a, sb.buf ? sb.buf : "");
    strbuf_release(&sb);
    return s;
}

/* The sections of the overview, one per area with at least one relevant kind. */
static json_t *overview_sections(struct overview *o, bool charts)
{
    struct arena *a = o->req->arena;
    json_t *sections = json_array();

    for (size_t ai = 0; ai <= ARRAY_SIZE(areas); ai++) {
        struct chart_bar *bars = arena_calloc(a, o->nkinds + 1, sizeof(*bars));
        json_t *rows = json_array();
        int64_t month = 0, year = 0;
        size_t nbars = 0;

        for (size_t i = 0; i < o->nkinds; i++) {
            const struct ledger_kind *k = &o->kinds[i];
            const struct ledger_total_kind *tm, *ty;
            if (area_of(k->code) != ai || !kind_relevant(o, k))
                continue;
            tm = total_of(&o->month, k->code);
            ty = total_of(&o->year, k->code);
            month += tm ? tm->entries : 0;
            year += ty ? ty->entries : 0;
            json_array_append_new(
                rows,
                json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b}", "label", k->name, "code",
                          k->code, "href", arena_printf(a, "/console/ledger/%s", k->code),
                          "new_href", arena_printf(a, "/console/ledger/%s/new", k->code), "month",
                          (json_int_t)(tm ? tm->entries : 0), "year",
                          (json_int_t)(ty ? ty->entries : 0), "note", totals_note(a, ty), "active",
                          k->active));
            bars[nbars++] =
                (struct chart_bar){k->name, ty ? (double)ty->entries : 0,
                                   arena_printf(a, "%lld 条", (long long)(ty ? ty->entries : 0))};
        }
        if (json_array_size(rows) == 0) {
            json_decref(rows);
            continue;
        }
        json_t *sec = json_pack("{s:s, s:s, s:o, s:I, s:I}", "id",
                                arena_printf(a, "ledger-%s", area_id(ai)), "title", area_title(ai),
                                "rows", rows, "month", (json_int_t)month, "year", (json_int_t)year);
        if (charts) {
            struct strbuf svg = STRBUF_INIT;
            chart_bars_svg(&svg,
                           arena_printf(a, "%s：%d年各类台账登记条数", area_title(ai), o->pr.year),
                           bars, nbars);
            json_object_set_new(sec, "chart_html", json_string(svg.buf));
            strbuf_release(&svg);
        }
        json_array_append_new(sections, sec);
    }
    return sections;
}

/* The dashboard hook: the caller's ledgers of this month and year, per area. */
int ledger_pages_dashboard(struct http_request *req, json_t *sections, struct err_ctx *ec)
{
    struct overview o = {.req = req};
    json_t *mine;
    int rc;

    if (!access_has_role(req->principal, LEDGER_READ_ROLES))
        return 0; /* mediators and advisers keep no ledgers */
    periods_now(&o.pr);
    if ((rc = store_read(req->store, read_overview, &o, ec)) < 0)
        return rc;
    mine = overview_sections(&o, true);
    for (size_t i = 0; i < json_array_size(mine); i++) {
        json_t *s = json_array_get(mine, i);
        json_object_set_new(s, "period_month", json_integer(o.pr.month));
        json_object_set_new(s, "period_year", json_integer(o.pr.year));
        json_object_set_new(s, "ledger", json_true());
        json_array_append(sections, s);
    }
    json_decref(mine);
    return 0;
}

/* GET /console/ledger -> 200 the kinds the caller's units keep, by area, with this year's counts */
static int page_index(struct http_request *req, struct err_ctx *ec)
{
    struct overview o = {.req = req};
    int rc;

    periods_now(&o.pr);
    if ((rc = store_read(req->store, read_overview, &o, ec)) < 0)
        return rc;
    return web_render(req, 200, "console/ledger/index",
                      json_pack("{s:s, s:o, s:i, s:i, s:b}", "title", "台账", "sections",
                                overview_sections(&o, false), "year", o.pr.year, "month",
                                o.pr.month, "can_write",
                                access_has_role(req->principal, LEDGER_WRITE_ROLES)),
                      ec);
}

/* ================================================================
 * A kind's list
 * ================================================================ */

struct list_read {
    struct http_request *req;
    struct ledger_filter f;
    struct ledger_kind kind;
    struct unit *units;
    size_t nunits;
    struct ledger_entry *items;
    size_t n;
    const char *next;
    struct ledger_totals totals;
};

static int read_list(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_read *o = arg;
    struct arena *a = o->req->arena;
    int rc;

    if ((rc = ledger_kind_get(c, a, o->f.kind, "kind", &o->kind, ec)) < 0 ||
        (rc = org_unit_list(c, a, o->req->principal, &o->units, &o->nunits, ec)) < 0 ||
        (rc = ledger_entry_list(c, a, o->req->principal, &o->f, &o->items, &o->n, &o->next, ec)) <
            0)
        return rc;
    return ledger_totals(c, a, o->req->principal, &o->f, &o->totals, ec);
}

static int read_kind_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct list_read *o = arg;
    int rc = ledger_kind_get(c, o->req->arena, o->f.kind, "kind", &o->kind, ec);
    return rc < 0 ? rc
                  : org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->nunits, ec);
}

/* A filter's link: 'base' with the filters of 'f' (and 'extra'=value). */
static const char *filter_href(struct arena *a, const char *base, const struct ledger_filter *f,
                               const char *extra, const char *value)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    strbuf_adds(&sb, base);
    if (extra && strcmp(extra, "format") == 0) {
        page_query_add(&sb, "format", value);
        page_query_add(&sb, "kind", f->kind);
    }
    if (f->unit_id)
        page_query_add(&sb, "unit", arena_printf(a, "%lld", (long long)f->unit_id));
    page_query_add(&sb, "from", f->from);
    page_query_add(&sb, "to", f->to);
    page_query_add(&sb, "q", f->q);
    if (extra && strcmp(extra, "format") != 0)
        page_query_add(&sb, extra, value);
    s = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return s;
}

/* The query's filters; empty ones are absent. */
static int list_filter(struct http_request *req, struct ledger_filter *f, struct err_ctx *ec)
{
    const char *s;
    int rc;

    memset(f, 0, sizeof(*f));
    f->kind = http_param(req, "kind");
    f->limit = LIST_PAGE;
    s = http_query(req, "unit");
    if (s && *s && (rc = http_query_int(req, "unit", 1, INT64_MAX, 0, &f->unit_id, ec)) < 0)
        return rc;
    f->from = http_query(req, "from");
    f->to = http_query(req, "to");
    f->q = http_query(req, "q");
    f->cursor = http_query(req, "cursor");
    if (f->from && !*f->from)
        f->from = NULL;
    if (f->to && !*f->to)
        f->to = NULL;
    if (f->q && !*f->q)
        f->q = NULL;
    if (f->cursor && !*f->cursor)
        f->cursor = NULL;
    return 0;
}

/* The column heads of a kind's counters. */
static json_t *counter_heads(struct arena *a, const struct ledger_kind *k)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < k->ncounters; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "code", k->counters[i].code, "label",
                                             counter_label(a, &k->counters[i])));
    return arr;
}

/* The value of counter 'code' in entry e, as text, or "". */
static const char *entry_value(struct arena *a, const struct ledger_entry *e,
                               const struct ledger_counter *c)
{
    for (size_t i = 0; i < e->nvalues; i++)
        if (strcmp(e->values[i].counter, c->code) == 0)
            return value_text(a, e->values[i].value, c->scale);
    return "";
}

/* GET /console/ledger/{kind}?unit=&from=&to=&q=&cursor= -> 200 the entries, newest first,
 *   with the totals row from the roll-up | 404 unknown kind or a unit outside scope
 *   | 422 bad dates, shown beside the filter */
static int page_list(struct http_request *req, struct err_ctx *ec)
{
    struct list_read o = {.req = req};
    struct arena *a = req->arena;
    json_t *ctx, *items, *totals, *filters;
    int rc;

    if ((rc = list_filter(req, &o.f, ec)) < 0)
        return rc;
    rc = store_read(req->store, read_list, &o, ec);
    if (rc == ERR_INVALID && o.kind.code) {
        /* A filter at fault (dates): the page with the error beside it. */
        struct err_ctx fe = *ec;
        err_clear(ec);
        o.f.from = o.f.to = NULL;
        memset(&o.totals, 0, sizeof(o.totals));
        o.n = 0;
        filters =
            json_pack("{s:o, s:o, s:o}", "from", json_text_or_null(http_query(req, "from")), "to",
                      json_text_or_null(http_query(req, "to")), "q", json_text_or_null(o.f.q));
        ctx = json_pack("{s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:b, s:b}", "title", o.kind.name,
                        "kind", "code", o.kind.code, "name", o.kind.name, "form", filters, "units",
                        org_unit_options(o.units, o.nunits, o.f.unit_id), "counters",
                        counter_heads(a, &o.kind), "has_items", 0, "can_write",
                        access_has_role(req->principal, LEDGER_WRITE_ROLES));
        return web_render_invalid(req, "console/ledger/list", ctx, &fe);
    }
    if (rc < 0)
        return rc;

    items = json_array();
    for (size_t i = 0; i < o.n; i++) {
        const struct ledger_entry *e = &o.items[i];
        json_t *vals = json_array();
        for (size_t k = 0; k < o.kind.ncounters; k++)
            json_array_append_new(
                vals, json_pack("{s:s}", "text", entry_value(a, e, &o.kind.counters[k])));
        json_array_append_new(
            items,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)e->id, "href",
                      arena_printf(a, "/console/ledger/entries/%lld", (long long)e->id), "date",
                      e->date, "title", e->title, "unit", e->unit.name, "place",
                      e->place ? e->place : "", "values", vals, "warn", e->nwarnings > 0));
    }
    totals = json_array();
    {
        const struct ledger_total_kind *t = total_of(&o.totals, o.kind.code);
        for (size_t k = 0; k < o.kind.ncounters; k++)
            json_array_append_new(
                totals,
                json_pack("{s:s}", "text",
                          t ? value_text(a, t->counters[k].total, o.kind.counters[k].scale) : "0"));
    }
    filters = json_pack("{s:o, s:o, s:o}", "from", json_text_or_null(o.f.from), "to",
                        json_text_or_null(o.f.to), "q", json_text_or_null(o.f.q));
    ctx = json_pack("{s:s, s:{s:s, s:s, s:o}, s:o, s:o, s:o, s:o, s:b, s:I, s:o, s:s, s:s, s:s, "
                    "s:b, s:b, s:s}",
                    "title", o.kind.name, "kind", "code", o.kind.code, "name", o.kind.name,
                    "description", json_text_or_null(o.kind.description), "form", filters, "units",
                    org_unit_options(o.units, o.nunits, o.f.unit_id), "counters",
                    counter_heads(a, &o.kind), "items", items, "has_items", o.n > 0,
                    "total_entries", (json_int_t)o.totals.entries, "totals", totals, "scope_name",
                    o.totals.unit.name ? o.totals.unit.name : "", "xlsx_href",
                    filter_href(a, "/api/v1/ledger/export", &o.f, "format", "xlsx"), "csv_href",
                    filter_href(a, "/api/v1/ledger/export", &o.f, "format", "csv"), "can_write",
                    access_has_role(req->principal, LEDGER_WRITE_ROLES), "filtered",
                    o.f.unit_id || o.f.from || o.f.to || o.f.q, "new_href",
                    arena_printf(a, "/console/ledger/%s/new", o.kind.code));
    if (o.next)
        json_object_set_new(
            ctx, "next_href",
            json_string(filter_href(a, arena_printf(a, "/console/ledger/%s", o.kind.code), &o.f,
                                    "cursor", o.next)));
    if (o.f.cursor)
        json_object_set_new(
            ctx, "first_href",
            json_string(filter_href(a, arena_printf(a, "/console/ledger/%s", o.kind.code), &o.f,
                                    NULL, NULL)));
    return web_render(req, 200, "console/ledger/list", ctx, ec);
}

/* ================================================================
 * The entry form
 * ================================================================ */

/* What the form shows: an entry's values, or what was posted. */
struct form_values {
    const char *unit_id, *date, *title, *place, *notes;
    const char **counters; /* per counter of the kind, or NULL */
    int64_t version;
};

/* The units that may record kind k: in scope, open, of a type that keeps it. */
static json_t *recording_units(const struct unit *units, size_t n, const struct ledger_kind *k,
                               int64_t selected, struct arena *a)
{
    struct unit *ok = arena_calloc(a, n + 1, sizeof(*ok));
    size_t m = 0;

    for (size_t i = 0; i < n; i++)
        if (!units[i].closed_on && ledger_kind_allows(k, units[i].type))
            ok[m++] = units[i];
    return org_unit_options(ok, m, selected);
}

/*
 * The context of the form for kind k. 'errors' (borrowed, may be NULL) maps
 * fields to messages; a counter's "counters.<code>" goes beside its input.
 */
static json_t *form_ctx(struct http_request *req, const struct ledger_kind *k,
                        const struct unit *units, size_t nunits, const struct form_values *v,
                        json_t *errors, bool edit, int64_t entry_id)
{
    struct arena *a = req->arena;
    json_t *counters = json_array(), *errs = json_object(), *ctx;
    const char *key;
    json_t *msg;
    int64_t unit_sel = req->principal->unit_id;

    if (v->unit_id)
        str_to_int64(v->unit_id, 1, INT64_MAX, &unit_sel);
    json_object_foreach(errors, key, msg)
    {
        if (!str_starts_with(key, "counters."))
            json_object_set(errs, key, msg);
    }
    for (size_t i = 0; i < k->ncounters; i++) {
        const struct ledger_counter *c = &k->counters[i];
        const char *field = arena_printf(a, "counters.%s", c->code);
        const char *step = "1";
        json_t *err = json_object_get(errors, field), *o;

        if (c->scale > 0)
            step = arena_printf(a, "0.%0*d", c->scale, 1);
        o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "name", field, "id",
                      arena_printf(a, "counter-%s", c->code), "label", counter_label(a, c), "unit",
                      c->unit ? c->unit : "", "required", c->required, "step", step, "value",
                      v->counters && v->counters[i] ? v->counters[i] : "");
        json_object_set_new(o, "hint",
                            json_string(c->max < 0 ? ""
                                                   : arena_printf(a, "超过 %s %s 时会提示核实",
                                                                  value_text(a, c->max, c->scale),
                                                                  c->unit ? c->unit : "")));
        json_object_set_new(o, "error", json_string(""));
        if (err)
            json_object_set(o, "error", err);
        json_array_append_new(counters, o);
    }
    ctx = json_pack(
        "{s:s, s:{s:s, s:s, s:o}, s:o, s:o, s:o, s:b, s:b, s:o, s:{s:s, s:s, s:s, "
        "s:s}, s:s, s:s}",
        "title", edit ? arena_printf(a, "修改%s", k->name) : arena_printf(a, "登记%s", k->name),
        "kind", "code", k->code, "name", k->name, "description", json_text_or_null(k->description),
        "units", recording_units(units, nunits, k, unit_sel, a), "counters", counters, "errors",
        errs, "edit", edit, "has_counters", k->ncounters > 0, "version", json_integer(v->version),
        "form", "date", v->date ? v->date : "", "title", v->title ? v->title : "", "place",
        v->place ? v->place : "", "notes", v->notes ? v->notes : "", "action",
        edit ? arena_printf(a, "/console/ledger/entries/%lld/edit", (long long)entry_id)
             : arena_printf(a, "/console/ledger/%s", k->code),
        "cancel_href",
        edit ? arena_printf(a, "/console/ledger/entries/%lld", (long long)entry_id)
             : arena_printf(a, "/console/ledger/%s", k->code));
    return ctx;
}

/* GET /console/ledger/{kind}/new -> 200 the form, today's date and the caller's unit chosen */
static int page_new(struct http_request *req, struct err_ctx *ec)
{
    struct list_read o = {.req = req};
    struct form_values v = {0};
    char today[TIME_DATE_LEN];
    struct date d = date_of_instant(time_now_ms());
    int rc;

    o.f.kind = http_param(req, "kind");
    if ((rc = store_read(req->store, read_kind_units, &o, ec)) < 0)
        return rc;
    if (!o.kind.active)
        return err_set(ec, ERR_NOT_FOUND, "kind", "台账种类“%s”已停用，不能登记新记录",
                       o.kind.name);
    date_format(&d, today, sizeof(today));
    v.date = today;
    return web_render(req, 200, "console/ledger/form",
                      form_ctx(req, &o.kind, o.units, o.nunits, &v, NULL, false, 0), ec);
}

/* Reads the posted form into 'in' (values as text, checked by the rules) and 'v'. */
static int read_form(struct http_request *req, const struct ledger_kind *k, bool edit,
                     struct ledger_input *in, struct form_values *v, struct err_ctx *ec)
{
    struct http_form *f;
    struct ledger_input_value *vals;
    const char *version;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    memset(in, 0, sizeof(*in));
    memset(v, 0, sizeof(*v));
    v->unit_id = page_field(req, f, "unit_id");
    v->date = page_field(req, f, "date");
    v->title = page_field(req, f, "title");
    v->place = page_field(req, f, "place");
    v->notes = page_field(req, f, "notes");
    version = page_field(req, f, "version");
    if (version)
        str_to_int64(version, 1, INT64_MAX, &v->version);
    v->counters = arena_calloc(req->arena, k->ncounters + 1, sizeof(*v->counters));
    vals = arena_calloc(req->arena, k->ncounters + 1, sizeof(*vals));

    in->kind = k->code;
    if (v->unit_id) {
        in->set_unit = true;
        if (str_to_int64(v->unit_id, 1, INT64_MAX, &in->unit_id) < 0)
            in->unit_id = 0; /* the rules answer "单位不存在" */
    }
    in->date = v->date;
    in->title = v->title;
    /* On a form an emptied text field means "none", not "unchanged". */
    in->place = v->place ? v->place : "";
    in->notes = v->notes ? v->notes : "";
    in->expected_version = v->version;
    for (size_t i = 0; i < k->ncounters; i++) {
        const char *code = k->counters[i].code;
        v->counters[i] = page_field(req, f, arena_printf(req->arena, "counters.%s", code));
        if (v->counters[i])
            vals[in->nvalues++] = (struct ledger_input_value){code, NULL, v->counters[i], false};
        else if (edit)
            vals[in->nvalues++] = (struct ledger_input_value){code, NULL, NULL, true};
    }
    in->values = vals;
    return 0;
}

struct save_op {
    struct http_request *req;
    const char *code;
    int64_t id;
    struct ledger_input in;
    struct ledger_faults faults;
    struct ledger_entry entry;
    struct ledger_kind kind;
    struct unit *units;
    size_t nunits;
};

static int write_create(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct save_op *o = arg;
    o->faults.n = 0; /* the faults of this attempt only */
    o->faults.truncated = false;
    return ledger_entry_create(c, o->req->arena, o->req->principal, &o->in, 0, &o->faults,
                               &o->entry, ec);
}

/* The flash after a save: plausibility warnings ask for a check. */
static void saved_flash(struct http_request *req, const struct ledger_entry *e, const char *what)
{
    struct strbuf sb = STRBUF_INIT;
    char msg[256];

    strbuf_addf(&sb, "%s“%s”。", what, e->title);
    for (size_t i = 0; e->kind && i < e->nwarnings; i++) {
        ledger_warning_message(e->kind, &e->warnings[i], msg, sizeof(msg));
        strbuf_addf(&sb, "%s%s", i ? "；" : "注意：", msg);
    }
    web_flash(req, e->nwarnings ? WEB_FLASH_INFO : WEB_FLASH_SUCCESS, sb.buf);
    strbuf_release(&sb);
}

/* Renders the form again with 'errors' (taken) and status for 'code'. */
static int form_again(struct http_request *req, const struct ledger_kind *k,
                      const struct unit *units, size_t nunits, const struct form_values *v,
                      json_t *errors, const char *summary, enum err code, bool edit,
                      int64_t entry_id, struct err_ctx *ec)
{
    json_t *ctx = form_ctx(req, k, units, nunits, v, errors, edit, entry_id);

    json_decref(errors);
    json_object_set_new(ctx, "error", json_string(summary));
    return web_render(req, http_error_status(code), "console/ledger/form", ctx, ec);
}

/* POST /console/ledger/{kind}  unit_id=&date=&title=&place=&notes=&counters.CODE=
 *   -> 303 /console/ledger/{kind} with a flash (warnings to check in it)
 *    | 422 the form again, every fault beside its field | 404 unknown kind */
static int page_create(struct http_request *req, struct err_ctx *ec)
{
    struct save_op o = {.req = req};
    struct list_read lr = {.req = req};
    struct form_values v;
    int rc;

    lr.f.kind = http_param(req, "kind");
    if ((rc = store_read(req->store, read_kind_units, &lr, ec)) < 0)
        return rc;
    if ((rc = read_form(req, &lr.kind, false, &o.in, &v, ec)) < 0)
        return rc;
    o.faults.arena = req->arena;
    rc = store_write(req->store, write_create, &o, ec);
    if (rc < 0 && o.faults.n > 0) {
        json_t *errors = json_object();
        for (size_t i = 0; i < o.faults.n; i++)
            if (!json_object_get(errors, o.faults.items[i].field))
                json_object_set_new(errors, o.faults.items[i].field,
                                    json_string(o.faults.items[i].message));
        err_clear(ec);
        return form_again(req, &lr.kind, lr.units, lr.nunits, &v, errors,
                          "请修改下面标出的项目后重新提交", ERR_INVALID, false, 0, ec);
    }
    if (rc < 0)
        return rc;
    saved_flash(req, &o.entry, "已登记");
    return web_redirect_see_other(req,
                                  arena_printf(req->arena, "/console/ledger/%s", lr.kind.code));
}

/* ================================================================
 * One entry: page, edit, delete
 * ================================================================ */

struct entry_read {
    struct http_request *req;
    int64_t id;
    struct ledger_entry entry;
    struct ledger_version *versions;
    size_t nversions;
    struct unit *units;
    size_t nunits;
};

static int read_entry(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_read *o = arg;
    int rc = ledger_entry_get(c, o->req->arena, o->req->principal, o->id, &o->entry, ec);
    return rc < 0 ? rc
                  : ledger_entry_history(c, o->req->arena, o->req->principal, o->id, &o->versions,
                                         &o->nversions, ec);
}

/* GET /console/ledger/entries/{id} -> 200 the entry, its warnings and history
 *   | 404 also when outside the caller's scope */
static int page_entry(struct http_request *req, struct err_ctx *ec)
{
    struct entry_read o = {.req = req};
    struct arena *a = req->arena;
    json_t *values, *warnings, *history, *ctx;
    char created[PAGE_INSTANT_LEN], updated[PAGE_INSTANT_LEN];
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_entry, &o, ec)) < 0)
        return rc;
    if (!o.entry.kind)
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    values = json_array();
    for (size_t i = 0; i < o.entry.kind->ncounters; i++) {
        const struct ledger_counter *c = &o.entry.kind->counters[i];
        const char *t = entry_value(a, &o.entry, c);
        json_array_append_new(values,
                              json_pack("{s:s, s:s, s:s}", "label", c->name, "value", *t ? t : "—",
                                        "unit", *t && c->unit ? c->unit : ""));
    }
    warnings = json_array();
    for (size_t i = 0; i < o.entry.nwarnings; i++) {
        char msg[256];
        ledger_warning_message(o.entry.kind, &o.entry.warnings[i], msg, sizeof(msg));
        json_array_append_new(warnings, json_string(msg));
    }
    history = json_array();
    for (size_t i = 0; i < o.nversions; i++) {
        char at[PAGE_INSTANT_LEN];
        page_instant(o.versions[i].at_ms, at);
        json_array_append_new(
            history, json_pack("{s:I, s:s, s:s, s:s}", "version", (json_int_t)o.versions[i].version,
                               "action", history_label(o.versions[i].action), "actor",
                               web_actor_label(req, o.versions[i].actor), "at", at));
    }
    page_instant(o.entry.created_at_ms, created);
    page_instant(o.entry.updated_at_ms, updated);
    ctx = json_pack(
        "{s:s, s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}, "
        "s:o, s:o, s:b, s:o, s:b, s:s, s:s, s:s}",
        "title", o.entry.title, "entry", "id", (json_int_t)o.entry.id, "date", o.entry.date,
        "title", o.entry.title, "place", o.entry.place ? o.entry.place : "", "notes",
        o.entry.notes ? o.entry.notes : "", "unit", o.entry.unit.name, "unit_code",
        o.entry.unit.code, "version", (json_int_t)o.entry.version, "created_by",
        web_actor_label(req, o.entry.created_by), "created_at", created, "updated_by",
        web_actor_label(req, o.entry.updated_by), "updated_at", updated, "kind", "code",
        o.entry.kind->code, "name", o.entry.kind->name, "href",
        arena_printf(a, "/console/ledger/%s", o.entry.kind->code), "values", values, "warnings",
        warnings, "has_warnings", o.entry.nwarnings > 0, "history", history, "can_write",
        access_has_role(req->principal, LEDGER_WRITE_ROLES), "edit_href",
        arena_printf(a, "/console/ledger/entries/%lld/edit", (long long)o.entry.id), "delete_href",
        arena_printf(a, "/console/ledger/entries/%lld/delete", (long long)o.entry.id), "confirm",
        arena_printf(a, "确定删除“%s”（%s）吗？删除后不再计入统计，历史记录仍会保留。",
                     o.entry.title, o.entry.date));
    return web_render(req, 200, "console/ledger/entry", ctx, ec);
}

static int read_entry_units(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct entry_read *o = arg;
    int rc = ledger_entry_get(c, o->req->arena, o->req->principal, o->id, &o->entry, ec);
    return rc < 0 ? rc
                  : org_unit_list(c, o->req->arena, o->req->principal, &o->units, &o->nunits, ec);
}

/* GET /console/ledger/entries/{id}/edit -> 200 the form with the entry's values and version
 *   | 404 */
static int page_edit(struct http_request *req, struct err_ctx *ec)
{
    struct entry_read o = {.req = req};
    struct form_values v = {0};
    const struct ledger_kind *k;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 ||
        (rc = store_read(req->store, read_entry_units, &o, ec)) < 0)
        return rc;
    if (!(k = o.entry.kind))
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    v.unit_id = arena_printf(req->arena, "%lld", (long long)o.entry.unit.id);
    v.date = o.entry.date;
    v.title = o.entry.title;
    v.place = o.entry.place;
    v.notes = o.entry.notes;
    v.version = o.entry.version;
    v.counters = arena_calloc(req->arena, k->ncounters + 1, sizeof(*v.counters));
    for (size_t i = 0; i < k->ncounters; i++) {
        const char *t = entry_value(req->arena, &o.entry, &k->counters[i]);
        v.counters[i] = *t ? t : NULL;
    }
    return web_render(req, 200, "console/ledger/form",
                      form_ctx(req, k, o.units, o.nunits, &v, NULL, true, o.id), ec);
}

static int write_update(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct save_op *o = arg;
    return ledger_entry_update(c, o->req->arena, o->req->principal, o->id, &o->in, &o->entry, ec);
}

/* POST /console/ledger/entries/{id}/edit  version=&(the fields of the form); an emptied
 *   counter drops its value -> 303 the entry page | 409 stale version, 422: the form again
 *   | 404 */
static int page_edit_post(struct http_request *req, struct err_ctx *ec)
{
    struct entry_read er = {.req = req};
    struct save_op o = {.req = req};
    struct form_values v;
    int rc;

    if ((rc = http_param_id(req, "id", &er.id, ec)) < 0 ||
        (rc = store_read(req->store, read_entry_units, &er, ec)) < 0)
        return rc;
    if (!er.entry.kind)
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    if ((rc = read_form(req, er.entry.kind, true, &o.in, &v, ec)) < 0)
        return rc;
    o.in.kind = NULL; /* the kind cannot change */
    o.id = er.id;
    rc = store_write(req->store, write_update, &o, ec);
    if (rc == ERR_INVALID || rc == ERR_CONFLICT || (rc == ERR_FORBIDDEN && ec->field[0])) {
        json_t *errors = json_object();
        const char *summary = rc == ERR_CONFLICT && strcmp(ec->field, "version") == 0
                                  ? "这条记录已被他人修改，请打开最新内容后再改"
                                  : "请修改下面标出的项目后重新提交";
        enum err code = ec->code;
        if (ec->field[0])
            json_object_set_new(errors, ec->field, json_string(ec->message));
        err_clear(ec);
        return form_again(req, er.entry.kind, er.units, er.nunits, &v, errors, summary, code, true,
                          er.id, ec);
    }
    if (rc < 0)
        return rc;
    saved_flash(req, &o.entry, "已保存修改");
    return web_redirect_see_other(
        req, arena_printf(req->arena, "/console/ledger/entries/%lld", (long long)er.id));
}

static int write_delete(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct save_op *o = arg;
    int rc = ledger_entry_get(c, o->req->arena, o->req->principal, o->id, &o->entry, ec);
    return rc < 0 ? rc
                  : ledger_entry_delete(c, o->req->arena, o->req->principal, o->id,
                                        o->in.expected_version, ec);
}

/* POST /console/ledger/entries/{id}/delete  version= -> 303 the kind's list | 404 | 409 */
static int page_delete(struct http_request *req, struct err_ctx *ec)
{
    struct save_op o = {.req = req};
    struct http_form *f;
    const char *version;
    int rc;

    if ((rc = http_param_id(req, "id", &o.id, ec)) < 0 || (rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    version = page_field(req, f, "version");
    if (version && str_to_int64(version, 1, INT64_MAX, &o.in.expected_version) < 0)
        o.in.expected_version = 0;
    if ((rc = store_write(req->store, write_delete, &o, ec)) < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS, arena_printf(req->arena, "已删除“%s”。", o.entry.title));
    return web_redirect_see_other(
        req, arena_printf(req->arena, "/console/ledger/%s", o.entry.kind_code));
}

/* ================================================================
 * Import
 * ================================================================ */

struct import_op {
    struct http_request *req;
    struct ledger_import im;
    struct ledger_kind *kinds;
    size_t nkinds;
};

static int read_kinds(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct import_op *o = arg;
    return ledger_kind_list(c, o->req->arena, &o->kinds, &o->nkinds, ec);
}

/* The import page; 'ctx' may carry the faults of a refused file. */
static int import_page(struct http_request *req, int status, json_t *ctx, const char *kind,
                       struct err_ctx *ec)
{
    struct import_op o = {.req = req};
    json_t *kinds = json_array();
    int rc;

    if ((rc = store_read(req->store, read_kinds, &o, ec)) < 0) {
        json_decref(ctx);
        json_decref(kinds);
        return rc;
    }
    for (size_t i = 0; i < o.nkinds; i++)
        if (o.kinds[i].active)
            json_array_append_new(kinds, json_pack("{s:s, s:s, s:b}", "code", o.kinds[i].code,
                                                   "name", o.kinds[i].name, "selected",
                                                   kind && strcmp(kind, o.kinds[i].code) == 0));
    if (!ctx)
        ctx = json_object();
    json_object_set_new(ctx, "title", json_string("导入台账"));
    json_object_set_new(ctx, "kinds", kinds);
    return web_render(req, status, "console/ledger/import", ctx, ec);
}

/* GET /console/ledger/import -> 200 the form: paste the CSV (or pick a file, read by app.js) */
static int page_import(struct http_request *req, struct err_ctx *ec)
{
    return import_page(req, 200, NULL, NULL, ec);
}

static int run_import(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct import_op *o = arg;
    o->im.faults.n = 0;
    return ledger_io_import(c, o->req->arena, o->req->principal, &o->im, ec);
}

/* POST /console/ledger/import  csv=TEXT&kind=CODE -> 303 /console/ledger with the counts
 *   | 422 the page again with every fault by line and field, nothing saved */
static int page_import_post(struct http_request *req, struct err_ctx *ec)
{
    struct import_op o = {.req = req};
    struct http_form *f;
    struct csv_doc doc;
    const char *text, *kind;
    json_t *ctx;
    int rc;

    if ((rc = http_form_body(req, &f, ec)) < 0)
        return rc;
    text = http_form_get(f, "csv");
    kind = page_field(req, f, "kind");
    o.im.kind = kind;
    if (!text || !*text)
        rc = err_set(ec, ERR_INVALID, "csv", "请粘贴 CSV 内容或选择文件");
    else if ((rc = csv_parse(text, strlen(text), req->arena, LEDGER_IMPORT_ROWS_MAX,
                             LEDGER_IMPORT_FIELDS_MAX, &doc, ec)) == 0) {
        o.im.doc = &doc;
        rc = store_write(req->store, run_import, &o, ec);
    }
    if (rc < 0 && (rc == ERR_INVALID || rc == ERR_BAD_REQUEST || rc == ERR_FORBIDDEN)) {
        json_t *rows = json_array();
        for (size_t i = 0; i < o.im.faults.n; i++) {
            const struct ledger_fault *ft = &o.im.faults.items[i];
            json_array_append_new(rows, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)ft->line,
                                                  "field", ft->field, "message", ft->message));
        }
        ctx = json_pack("{s:s, s:o, s:b, s:b, s:{s:s}}", "error", ec->message, "rows", rows,
                        "has_rows", o.im.faults.n > 0, "truncated", o.im.faults.truncated, "form",
                        "csv", text ? text : "");
        if (strcmp(ec->field, "csv") == 0)
            json_object_set_new(ctx, "errors", json_pack("{s:s}", "csv", ec->message));
        rc = ec->code;
        err_clear(ec);
        return import_page(req, http_error_status((enum err)rc), ctx, kind, ec);
    }
    if (rc < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS,
              arena_printf(req->arena, "导入完成：共 %zu 行，新增 %zu 条，已存在而跳过 %zu 条。",
                           o.im.rows, o.im.created, o.im.skipped));
    return web_redirect_see_other(req, "/console/ledger");
}

/* ================================================================
 * The catalog: a kind's form (administrator at a root unit)
 * ================================================================ */

/*
 * The form is read into the JSON object PUT /api/v1/ledger/kinds/{code}
 * (or POST /api/v1/ledger/kinds) takes and handed to the same
 * ledger_kind_from_json() and ledger_kind_update() / ledger_kind_create():
 * every check is the rules'. A counter row i of the form is
 * counters.<i>.code, .name, .type, .unit, .scale, .max, .required, with
 * .existing for a counter the kind had and .remove to drop it; blank rows
 * are left out, so the rules' "counters[j].scale" is mapped back to the row
 * it came from and shown beside that row's input.
 */

/* The unit types a kind may name, in the order the form lists them. */
static const char *const kind_unit_types[] = {"city",    "district",  "subdistrict", "department",
                                              "station", "community", "village"};

#define KIND_ROWS_MAX   (LEDGER_COUNTERS_MAX + 8) /* counter rows read from a form */
#define KIND_ROWS_BLANK 3                         /* empty rows offered to add counters */

/*
 * True when p may edit the catalog: an administrator placed at a root unit
 * ("/N/"). Only decides whether the pages offer the forms; every write is
 * checked again, with the same rule, by ledger_kind_create/update.
 */
static bool catalog_editor(const struct principal *p)
{
    const char *path = p ? p->unit_path : "";
    const char *second = *path ? strchr(path + 1, '/') : NULL;

    return access_has_role(p, ROLE_ADMIN) &&
           (strcmp(path, "/") == 0 || (second && second[1] == '\0'));
}

static int require_editor(struct http_request *req, struct err_ctx *ec)
{
    if (!catalog_editor(req->principal))
        return err_set(ec, ERR_FORBIDDEN, NULL, "只有根单位的系统管理员可以修改台账种类目录");
    return 0;
}

/* One counter row of the form, as typed (NULL: left empty). */
struct kind_row {
    const char *code, *name, *type, *unit, *scale, *max;
    bool required, existing, remove;
};

/* What the kind form shows: a stored kind, or what was posted. */
struct kind_form {
    bool create;
    const char *code, *name, *description, *track_counter;
    bool active;
    bool unit_types[ARRAY_SIZE(kind_unit_types)];
    struct kind_row *rows;
    size_t nrows;
    int64_t version;
};

/* The form of stored kind k. */
static void kind_form_of(struct arena *a, const struct ledger_kind *k, struct kind_form *f)
{
    memset(f, 0, sizeof(*f));
    f->code = k->code;
    f->name = k->name;
    f->description = k->description;
    f->track_counter = k->track_counter;
    f->active = k->active;
    f->version = k->version;
    for (size_t i = 0; i < ARRAY_SIZE(kind_unit_types); i++)
        f->unit_types[i] = ledger_kind_allows(k, kind_unit_types[i]);
    f->rows = arena_calloc(a, k->ncounters + 1, sizeof(*f->rows));
    for (size_t i = 0; i < k->ncounters; i++) {
        const struct ledger_counter *c = &k->counters[i];
        f->rows[i] = (struct kind_row){
            .code = c->code,
            .name = c->name,
            .type = c->type == LEDGER_DECIMAL ? "decimal" : "integer",
            .unit = c->unit,
            .scale = arena_printf(a, "%d", c->scale),
            .max = c->max >= 0 ? value_text(a, c->max, c->scale) : NULL,
            .required = c->required,
            .existing = true,
        };
    }
    f->nrows = k->ncounters;
}

/* Reads the posted form into 'f'; rows left blank are dropped. */
static int kind_form_read(struct http_request *req, bool create, struct kind_form *f,
                          struct err_ctx *ec)
{
    struct arena *a = req->arena;
    struct http_form *form;
    const char *version;
    int rc;

    if ((rc = http_form_body(req, &form, ec)) < 0)
        return rc;
    memset(f, 0, sizeof(*f));
    f->create = create;
    f->code = create ? page_field(req, form, "code") : http_param(req, "code");
    f->name = page_field(req, form, "name");
    f->description = page_field(req, form, "description");
    f->track_counter = page_field(req, form, "track_counter");
    f->active = page_checked(form, "active");
    version = page_field(req, form, "version");
    if (version && str_to_int64(version, 1, INT64_MAX, &f->version) < 0)
        f->version = 0;
    for (size_t i = 0; i < ARRAY_SIZE(kind_unit_types); i++)
        f->unit_types[i] = page_checked(form, arena_printf(a, "unit_types.%s", kind_unit_types[i]));
    f->rows = arena_calloc(a, KIND_ROWS_MAX, sizeof(*f->rows));
    for (size_t i = 0; i < KIND_ROWS_MAX; i++) {
        struct kind_row r;
#define ROW(m) arena_printf(a, "counters.%zu." m, i)
        r.code = page_field(req, form, ROW("code"));
        r.name = page_field(req, form, ROW("name"));
        r.type = page_field(req, form, ROW("type"));
        r.unit = page_field(req, form, ROW("unit"));
        r.scale = page_field(req, form, ROW("scale"));
        r.max = page_field(req, form, ROW("max"));
        r.required = page_checked(form, ROW("required"));
        r.existing = page_checked(form, ROW("existing"));
        r.remove = page_checked(form, ROW("remove"));
#undef ROW
        if (!r.existing && !r.code && !r.name && !r.unit && !r.scale && !r.max && !r.required)
            continue; /* an empty row offered for a new counter */
        f->rows[f->nrows++] = r;
    }
    return 0;
}

/* A typed number as JSON: the number when it is one, else the text (which
 * the rules refuse with their own message). */
static json_t *typed_number(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    if (v && json_is_number(v))
        return v;
    json_decref(v);
    return json_string(text);
}

/*
 * The kind of form 'f' as the API's JSON. rows[j] gets the form row of the
 * JSON's counter j (rows removed or blank have none).
 */
static json_t *kind_form_json(const struct kind_form *f, size_t *rows)
{
    json_t *types = json_array(), *counters = json_array(), *obj;

    for (size_t i = 0; i < ARRAY_SIZE(kind_unit_types); i++)
        if (f->unit_types[i])
            json_array_append_new(types, json_string(kind_unit_types[i]));
    for (size_t i = 0; i < f->nrows; i++) {
        const struct kind_row *r = &f->rows[i];
        json_t *c;
        if (r->remove)
            continue;
        c = json_pack("{s:s, s:s, s:s, s:s, s:b}", "code", r->code ? r->code : "", "name",
                      r->name ? r->name : "", "type", r->type ? r->type : "", "unit",
                      r->unit ? r->unit : "", "required", r->required);
        if (r->scale)
            json_object_set_new(c, "scale", typed_number(r->scale));
        if (r->max)
            json_object_set_new(c, "max", typed_number(r->max));
        rows[json_array_size(counters)] = i;
        json_array_append_new(counters, c);
    }
    obj = json_pack("{s:s, s:s, s:o, s:o, s:s, s:b}", "name", f->name ? f->name : "", "description",
                    f->description ? f->description : "", "unit_types", types, "counters", counters,
                    "track_counter", f->track_counter ? f->track_counter : "", "active", f->active);
    if (f->create)
        json_object_set_new(obj, "code", json_string(f->code ? f->code : ""));
    return obj;
}

/* The context of the kind form. */
static json_t *kind_form_ctx(struct http_request *req, const struct kind_form *f)
{
    struct arena *a = req->arena;
    json_t *types = json_array(), *rows = json_array(), *tracks = json_array(), *ctx;
    bool track_listed = false;
    size_t blank = 0;

    for (size_t i = 0; i < ARRAY_SIZE(kind_unit_types); i++)
        json_array_append_new(types, json_pack("{s:s, s:s, s:b}", "code", kind_unit_types[i],
                                               "label", org_unit_type_label(kind_unit_types[i]),
                                               "checked", f->unit_types[i]));
    for (size_t i = 0; i < f->nrows + KIND_ROWS_BLANK && i < KIND_ROWS_MAX; i++) {
        static const struct kind_row empty = {.type = "integer"};
        const struct kind_row *r = i < f->nrows ? &f->rows[i] : &empty;
        const char *type = r->type ? r->type : "";
        blank += i >= f->nrows;
        json_array_append_new(
            rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:o}",
                            "n", (json_int_t)i, "code", r->code ? r->code : "", "name",
                            r->name ? r->name : "", "unit", r->unit ? r->unit : "", "scale",
                            r->scale ? r->scale : "", "max", r->max ? r->max : "", "legend",
                            i < f->nrows && r->existing
                                ? arena_printf(a, "计数项 %zu：%s", i + 1, r->code ? r->code : "")
                                : arena_printf(a, "新增计数项 %zu", i + 1),
                            "is_integer", strcmp(type, "decimal") != 0, "is_decimal",
                            strcmp(type, "decimal") == 0, "required", r->required, "existing",
                            r->existing, "remove", r->remove, "errors", json_object()));
        if (i < f->nrows && r->code && !r->remove) {
            bool sel = f->track_counter && strcmp(f->track_counter, r->code) == 0;
            track_listed |= sel;
            json_array_append_new(
                tracks, json_pack("{s:s, s:s, s:b}", "code", r->code, "label",
                                  arena_printf(a, "%s（%s）", r->name ? r->name : r->code, r->code),
                                  "selected", sel));
        }
    }
    if (f->track_counter && !track_listed) /* keep what was chosen, for the rules to judge */
        json_array_append_new(tracks, json_pack("{s:s, s:s, s:b}", "code", f->track_counter,
                                                "label", f->track_counter, "selected", 1));
    ctx = json_pack(
        "{s:s, s:b, s:{s:s, s:s, s:s, s:b}, s:I, s:o, s:o, s:o, s:b, s:o, s:s, "
        "s:s}",
        "title",
        f->create ? "新增台账种类"
                  : arena_printf(a, "编辑台账种类：%s", f->name ? f->name : f->code),
        "create", f->create, "form", "code", f->code ? f->code : "", "name", f->name ? f->name : "",
        "description", f->description ? f->description : "", "active", f->active, "version",
        (json_int_t)f->version, "unit_types", types, "counters", rows, "tracks", tracks,
        "has_blank", blank > 0, "errors", json_object(), "action",
        f->create ? "/console/admin/kinds" : arena_printf(a, "/console/admin/kinds/%s", f->code),
        "edit_href",
        f->create ? "/console/admin/kinds/new"
                  : arena_printf(a, "/console/admin/kinds/%s/edit", f->code));
    return ctx;
}

/*
 * Puts the rules' fault 'fe' beside its input: "counters[j].scale" beside
 * the scale of the form row of counter j, "unit_types[2]" beside the unit
 * types, a refused removal ("counters", 409) beside the row of the counter
 * it names. Sets the summary at the top of the form.
 */
static void kind_form_fault(struct arena *a, json_t *ctx, const struct kind_form *f,
                            const size_t *rows, size_t nrows, const struct err_ctx *fe)
{
    json_t *errors = json_object_get(ctx, "errors"), *counters = json_object_get(ctx, "counters");
    json_t *msg = json_string(fe->message);
    const char *field = fe->field;
    const char *summary = "请修改下面标出的项目后重新提交";

    if (str_starts_with(field, "counters[")) {
        char *end;
        unsigned long j = strtoul(field + strlen("counters["), &end, 10);
        if (*end == ']' && end[1] == '.' && j < nrows)
            json_object_set(json_object_get(json_array_get(counters, rows[j]), "errors"), end + 2,
                            msg);
        else
            json_object_set(errors, "counters", msg);
    } else if (strcmp(field, "counters") == 0) {
        bool placed = false;
        summary = fe->message;
        for (size_t i = 0; i < f->nrows; i++) {
            const char *code = f->rows[i].code;
            if (code && strstr(fe->message, arena_printf(a, "计数项 %s ", code))) {
                json_object_set(json_object_get(json_array_get(counters, i), "errors"), "row", msg);
                placed = true;
            }
        }
        if (!placed)
            json_object_set(errors, "counters", msg);
    } else if (str_starts_with(field, "unit_types")) {
        json_object_set(errors, "unit_types", msg);
    } else if (strcmp(field, "version") == 0) {
        summary = fe->message;
        json_object_set_new(ctx, "stale", json_true());
    } else if (*field) {
        json_object_set(errors, field, msg);
    } else {
        summary = fe->message;
    }
    json_decref(msg);
    json_object_set_new(ctx, "error", json_string(summary));
}

struct kind_save {
    struct http_request *req;
    const char *code;
    struct ledger_kind kind;
    int64_t version;
    bool create;
};

static int read_kind_edit(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_save *o = arg;
    return ledger_kind_get(c, o->req->arena, o->code, "code", &o->kind, ec);
}

static int write_kind(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct kind_save *o = arg;
    struct arena *a = o->req->arena;
    int rc = o->create ? ledger_kind_create(c, a, o->req->principal, &o->kind, ec)
                       : ledger_kind_update(c, a, o->req->principal, &o->kind, o->version, ec);
    return rc < 0 ? rc : ledger_kind_get(c, a, o->kind.code, "code", &o->kind, ec);
}

/* GET /console/admin/kinds/new -> 200 the empty form | 403 not an administrator at a root unit */
static int page_kind_new(struct http_request *req, struct err_ctx *ec)
{
    struct kind_form f = {.create = true, .active = true};
    int rc;

    if ((rc = require_editor(req, ec)) < 0)
        return rc;
    return web_render(req, 200, "console/admin/kind_form", kind_form_ctx(req, &f), ec);
}

/* GET /console/admin/kinds/{code}/edit -> 200 the form with the kind, its counters, its
 *   version and empty rows for new counters | 403 | 404 */
static int page_kind_edit(struct http_request *req, struct err_ctx *ec)
{
    struct kind_save o = {.req = req, .code = http_param(req, "code")};
    struct kind_form f;
    int rc;

    if ((rc = require_editor(req, ec)) < 0 ||
        (rc = store_read(req->store, read_kind_edit, &o, ec)) < 0)
        return rc;
    kind_form_of(req->arena, &o.kind, &f);
    return web_render(req, 200, "console/admin/kind_form", kind_form_ctx(req, &f), ec);
}

/* Saves the posted kind form (create or update) through the rules. */
static int kind_form_save(struct http_request *req, bool create, struct err_ctx *ec)
{
    struct kind_save o = {.req = req, .create = create};
    struct kind_form f;
    size_t rows[KIND_ROWS_MAX + 1];
    json_t *body, *ctx;
    int rc;

    if ((rc = require_editor(req, ec)) < 0 || (rc = kind_form_read(req, create, &f, ec)) < 0)
        return rc;
    body = kind_form_json(&f, rows);
    o.version = f.version;
    rc = ledger_kind_from_json(req->arena, body, create ? NULL : f.code, "", &o.kind, ec);
    if (rc == 0)
        rc = store_write(req->store, write_kind, &o, ec);
    if (rc == ERR_INVALID || rc == ERR_CONFLICT) {
        struct err_ctx fe = *ec;
        size_t n = json_array_size(json_object_get(body, "counters"));
        json_decref(body);
        err_clear(ec);
        ctx = kind_form_ctx(req, &f);
        kind_form_fault(req->arena, ctx, &f, rows, n, &fe);
        return web_render(req, http_error_status(fe.code), "console/admin/kind_form", ctx, ec);
    }
    json_decref(body);
    if (rc < 0)
        return rc;
    web_flash(req, WEB_FLASH_SUCCESS,
              create ? arena_printf(req->arena, "已新增台账种类“%s”。", o.kind.name)
                     : arena_printf(req->arena, "已保存台账种类“%s”（第 %lld 版）。", o.kind.name,
                                    (long long)o.kind.version));
    return web_redirect_see_other(req, "/console/admin/kinds");
}

/* POST /console/admin/kinds  code=&name=&description=&unit_types.TYPE=on&active=on
 *   &track_counter=&counters.N.{code,name,type,unit,scale,max,required}
 *   -> 303 /console/admin/kinds with a flash | 409 code taken, 422: the form again,
 *      the fault beside its field | 403 */
static int page_kind_create(struct http_request *req, struct err_ctx *ec)
{
    return kind_form_save(req, true, ec);
}

/* POST /console/admin/kinds/{code}  version=&(the fields of the create form, without
 *   code)&counters.N.existing=on&counters.N.remove=on
 *   -> 303 /console/admin/kinds with a flash | 409 stale version, or a removed counter
 *      that entries use; 422: the form again, the fault beside its field | 403 | 404 */
static int page_kind_update(struct http_request *req, struct err_ctx *ec)
{
    return kind_form_save(req, false, ec);
}

/* ================================================================
 * The catalog (administrator): the list
 * ================================================================ */

/* GET /console/admin/kinds -> 200 every kind with its counters, with links to edit them
 *   and to add one for an administrator at a root unit */
static int page_kinds(struct http_request *req, struct err_ctx *ec)
{
    struct import_op o = {.req = req};
    struct arena *a = req->arena;
    json_t *kinds = json_array();
    int rc;

    if ((rc = store_read(req->store, read_kinds, &o, ec)) < 0) {
        json_decref(kinds);
        return rc;
    }
    for (size_t i = 0; i < o.nkinds; i++) {
        const struct ledger_kind *k = &o.kinds[i];
        struct strbuf types = STRBUF_INIT;
        json_t *counters = json_array();
        for (size_t t = 0; t < k->nunit_types; t++) {
            if (types.len)
                strbuf_adds(&types, "、");
            strbuf_adds(&types, org_unit_type_label(k->unit_types[t]));
        }
        for (size_t c = 0; c < k->ncounters; c++) {
            const struct ledger_counter *d = &k->counters[c];
            json_array_append_new(counters,
                                  json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "code", d->code,
                                            "name", d->name, "unit", d->unit ? d->unit : "", "type",
                                            d->type == LEDGER_INTEGER
                                                ? "整数"
                                                : arena_printf(a, "%d 位小数", d->scale),
                                            "required", d->required, "max",
                                            d->max >= 0 ? value_text(a, d->max, d->scale) : "—"));
        }
        json_array_append_new(
            kinds,
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:s, s:I, s:s}", "code", k->code, "name",
                      k->name, "area", area_title(area_of(k->code)), "unit_types",
                      types.buf ? types.buf : "", "counters", counters, "active", k->active,
                      "origin", strcmp(k->origin, "catalog") == 0 ? "随系统发布" : "管理员添加",
                      "version", (json_int_t)k->version, "href",
                      arena_printf(a, "/console/ledger/%s", k->code)));
        json_object_set_new(json_array_get(kinds, i), "edit_href",
                            json_string(arena_printf(a, "/console/admin/kinds/%s/edit", k->code)));
        strbuf_release(&types);
    }
    return web_render(req, 200, "console/admin/kinds",
                      json_pack("{s:s, s:o, s:b}", "title", "台账种类目录", "kinds", kinds,
                                "can_edit", catalog_editor(req->principal)),
                      ec);
}

#define R (HTTP_PAGE)

static const struct http_route ledger_page_list[] = {
    {"GET", "/console/ledger", page_index, R, LEDGER_READ_ROLES},
    {"GET", "/console/ledger/import", page_import, R, LEDGER_WRITE_ROLES},
    {"POST", "/console/ledger/import", page_import_post, R, LEDGER_WRITE_ROLES},
    {"GET", "/console/ledger/entries/{id}", page_entry, R, LEDGER_READ_ROLES},
    {"GET", "/console/ledger/entries/{id}/edit", page_edit, R, LEDGER_WRITE_ROLES},
    {"POST", "/console/ledger/entries/{id}/edit", page_edit_post, R, LEDGER_WRITE_ROLES},
    {"POST", "/console/ledger/entries/{id}/delete", page_delete, R, LEDGER_WRITE_ROLES},
    {"GET", "/console/ledger/{kind}", page_list, R, LEDGER_READ_ROLES},
    {"POST", "/console/ledger/{kind}", page_create, R, LEDGER_WRITE_ROLES},
    {"GET", "/console/ledger/{kind}/new", page_new, R, LEDGER_WRITE_ROLES},
    {"GET", "/console/admin/kinds", page_kinds, R, ROLE_ADMIN},
    {"POST", "/console/admin/kinds", page_kind_create, R, ROLE_ADMIN},
    {"GET", "/console/admin/kinds/new", page_kind_new, R, ROLE_ADMIN},
    {"POST", "/console/admin/kinds/{code}", page_kind_update, R, ROLE_ADMIN},
    {"GET", "/console/admin/kinds/{code}/edit", page_kind_edit, R, ROLE_ADMIN},
};

#undef R

const struct http_route_table ledger_pages = {ledger_page_list, ARRAY_SIZE(ledger_page_list)};
