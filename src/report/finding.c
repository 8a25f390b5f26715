/*
 * finding.c - findings: the list modules append to, and their JSON.
 */
#include "core/compat.h"
#include "report/finding.h"

#include "core/arena.h"

#include <math.h>
#include <stdarg.h>

void finding_list_init(struct finding_list *l, struct arena *a)
{
    memset(l, 0, sizeof(*l));
    l->arena = a;
}

void finding_list_release(struct finding_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        json_decref(l->items[i].subject);
        l->items[i].subject = NULL;
    }
}

struct finding *finding_add(struct finding_list *l, const char *code,
                            enum finding_severity severity, const char *module, const char *fmt,
                            ...)
{
    struct finding *f;
    va_list ap;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        struct finding *items = arena_calloc(l->arena, cap, sizeof(*items));
        if (l->n)
            memcpy(items, l->items, l->n * sizeof(*items));
        l->items = items;
        l->cap = cap;
    }
    f = &l->items[l->n++];
    memset(f, 0, sizeof(*f));
    f->code = code;
    f->severity = severity;
    f->module = module;
    va_start(ap, fmt);
    f->text = arena_vprintf(l->arena, fmt, ap);
    va_end(ap);
    return f;
}

void finding_record_add(struct finding_list *l, struct finding *f, const char *type, int64_t id,
                        const char *title, const char *date, const char *href)
{
    struct finding_record *r;

    f->records_total++;
    if (f->nrecords == FINDING_RECORDS_MAX)
        return;
    if (!f->records)
        f->records = arena_calloc(l->arena, FINDING_RECORDS_MAX, sizeof(*f->records));
    r = &f->records[f->nrecords++];
    r->type = type;
    r->id = id;
    r->title = title ? arena_strdup(l->arena, title) : NULL;
    r->date = date && *date ? arena_strdup(l->arena, date) : NULL;
    r->href = href ? arena_strdup(l->arena, href) : NULL;
}

void finding_list_sort(struct finding_list *l)
{
    /* Insertion sort: stable, and lists are short. */
    for (size_t i = 1; i < l->n; i++) {
        struct finding f = l->items[i];
        size_t j = i;
        while (j > 0 && l->items[j - 1].severity < f.severity) {
            l->items[j] = l->items[j - 1];
            j--;
        }
        l->items[j] = f;
    }
}

const char *finding_severity_code(enum finding_severity s)
{
    switch (s) {
    case FINDING_SERIOUS:
        return "serious";
    case FINDING_WARNING:
        return "warning";
    case FINDING_NOTICE:
        break;
    }
    return "notice";
}

const char *finding_severity_label(enum finding_severity s)
{
    switch (s) {
    case FINDING_SERIOUS:
        return "严重";
    case FINDING_WARNING:
        return "警示";
    case FINDING_NOTICE:
        break;
    }
    return "提示";
}

json_t *finding_json(const struct finding *f)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", f->code, "severity",
                  finding_severity_code(f->severity), "severity_label",
                  finding_severity_label(f->severity), "module", f->module, "text", f->text);
    json_t *list = json_array();

    if (f->subject)
        json_object_set(o, "subject", f->subject);
    for (size_t i = 0; i < f->nrecords; i++) {
        const struct finding_record *r = &f->records[i];
        json_t *rj = json_pack("{s:s, s:I, s:s}", "type", r->type, "id", (json_int_t)r->id, "title",
                               r->title ? r->title : "");
        if (r->date)
            json_object_set_new(rj, "date", json_string(r->date));
        if (r->href)
            json_object_set_new(rj, "href", json_string(r->href));
        json_array_append_new(list, rj);
    }
    json_object_set_new(o, "records", list);
    json_object_set_new(o, "records_total", json_integer((json_int_t)f->records_total));
    if (f->records_href)
        json_object_set_new(o, "records_href", json_string(f->records_href));
    return o;
}

void finding_approx(double v, char *buf, size_t size)
{
    double mag, r;

    if (!(v > 0) || !isfinite(v)) {
        snprintf(buf, size, "0");
        return;
    }
    mag = pow(10.0, floor(log10(v)) - 2.0); /* the third significant digit */
    r = floor(v / mag + 0.5) * mag;
    if (r >= 100)
        snprintf(buf, size, "%.0f", r);
    else if (r >= 10)
        snprintf(buf, size, "%.1f", r);
    else
        snprintf(buf, size, "%.2f", r);
    /* No trailing fractional zeros: "12.0" -> "12". */
    if (strchr(buf, '.')) {
        size_t n = strlen(buf);
        while (n && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
}
