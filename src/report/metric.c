/*
 * metric.c - periods, exact values and their text, and the metric registry.
 *
 * Values never pass through a double on their way to text: sums are scaled
 * integers and rates are rounded from their integer parts, so the report
 * prints what the records hold (1050500 km, 99.5%) and two renderings of
 * one figure cannot disagree.
 */
#include "core/compat.h"
#include "report/metric.h"

#include "core/arena.h"

#include <limits.h>

static const int64_t pow10s[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

/* ================================================================
 * Periods
 * ================================================================ */

static int check_year(int year, struct err_ctx *ec)
{
    if (year < 1900 || year > 9999)
        return err_set(ec, ERR_INVALID, "year", "年份应在 1900 到 9999 之间");
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Months first..last of 'year' (both valid). */
static void set_months(struct metric_period *out, enum metric_period_kind kind, int year, int first,
                       int last)
{
    struct date a = {year, first, 1}, b = {year, last, days_in_month(year, last)};

    out->kind = kind;
    date_format(&a, out->from, sizeof(out->from));
    date_format(&b, out->to, sizeof(out->to));
}

int metric_period_year(int year, struct metric_period *out, struct err_ctx *ec)
{
    int rc = check_year(year, ec);
    if (rc < 0)
        return rc;
    set_months(out, METRIC_PERIOD_YEAR, year, 1, 12);
    return 0;
}

int metric_period_quarter(int year, int quarter, struct metric_period *out, struct err_ctx *ec)
{
    int rc = check_year(year, ec);
    if (rc < 0)
        return rc;
    if (quarter < 1 || quarter > 4)
        return err_set(ec, ERR_INVALID, "quarter", "季度应为 1 到 4");
    set_months(out, METRIC_PERIOD_QUARTER, year, 3 * quarter - 2, 3 * quarter);
    return 0;
}

int metric_period_month(int year, int month, struct metric_period *out, struct err_ctx *ec)
{
    int rc = check_year(year, ec);
    if (rc < 0)
        return rc;
    if (month < 1 || month > 12)
        return err_set(ec, ERR_INVALID, "month", "月份应为 1 到 12");
    set_months(out, METRIC_PERIOD_MONTH, year, month, month);
    return 0;
}

int metric_period_range(const char *from, const char *to, struct metric_period *out,
                        struct err_ctx *ec)
{
    struct date a, b;

    if (!from || date_parse(from, &a) < 0)
        return err_set(ec, ERR_INVALID, "from", "开始日期应为 YYYY-MM-DD 格式的有效日期");
    if (!to || date_parse(to, &b) < 0)
        return err_set(ec, ERR_INVALID, "to", "结束日期应为 YYYY-MM-DD 格式的有效日期");
    if (date_to_days(&b) < date_to_days(&a))
        return err_set(ec, ERR_INVALID, "to", "结束日期不能早于开始日期");
    out->kind = METRIC_PERIOD_RANGE;
    date_format(&a, out->from, sizeof(out->from));
    date_format(&b, out->to, sizeof(out->to));
    return 0;
}

void metric_period_previous(const struct metric_period *p, struct metric_period *out)
{
    static const struct date floor_date = {1900, 1, 1};
    struct date a, b;
    int64_t from, to, len;

    /* Inputs come from the constructors, so the dates parse. */
    if (date_parse(p->from, &a) < 0 || date_parse(p->to, &b) < 0) {
        *out = *p;
        return;
    }
    switch (p->kind) {
    case METRIC_PERIOD_YEAR:
        if (a.year > 1900) {
            set_months(out, p->kind, a.year - 1, 1, 12);
            return;
        }
        break;
    case METRIC_PERIOD_QUARTER:
        if (a.year > 1900 || a.month > 3) {
            int y = a.month > 3 ? a.year : a.year - 1;
            int first = a.month > 3 ? a.month - 3 : 10;
            set_months(out, p->kind, y, first, first + 2);
            return;
        }
        break;
    case METRIC_PERIOD_MONTH:
        if (a.year > 1900 || a.month > 1) {
            int y = a.month > 1 ? a.year : a.year - 1;
            int m = a.month > 1 ? a.month - 1 : 12;
            set_months(out, p->kind, y, m, m);
            return;
        }
        break;
    case METRIC_PERIOD_RANGE:
        break;
    }
    from = date_to_days(&a);
    to = date_to_days(&b);
    len = to - from + 1;
    to = from - 1;
    from -= len;
    if (to < date_to_days(&floor_date))
        to = date_to_days(&floor_date);
    if (from < date_to_days(&floor_date))
        from = date_to_days(&floor_date);
    a = date_from_days(from);
    b = date_from_days(to);
    out->kind = METRIC_PERIOD_RANGE;
    date_format(&a, out->from, sizeof(out->from));
    date_format(&b, out->to, sizeof(out->to));
}

void metric_period_label(const struct metric_period *p, char *buf, size_t size)
{
    static const char *const quarters[] = {"一", "二", "三", "四"};
    struct date a = {0, 1, 1}, b = {0, 1, 1};

    (void)date_parse(p->from, &a);
    (void)date_parse(p->to, &b);
    switch (p->kind) {
    case METRIC_PERIOD_YEAR:
        snprintf(buf, size, "%d年", a.year);
        return;
    case METRIC_PERIOD_QUARTER:
        snprintf(buf, size, "%d年第%s季度", a.year, quarters[(a.month - 1) / 3 % 4]);
        return;
    case METRIC_PERIOD_MONTH:
        snprintf(buf, size, "%d年%d月", a.year, a.month);
        return;
    case METRIC_PERIOD_RANGE:
        break;
    }
    snprintf(buf, size, "%d年%d月%d日至%d年%d月%d日", a.year, a.month, a.day, b.year, b.month,
             b.day);
}

/* ================================================================
 * Values
 * ================================================================ */

struct metric_value metric_rate(int64_t numerator, int64_t denominator)
{
    struct metric_value v = {0, numerator, denominator, false};
    bool negative = (numerator < 0) != (denominator < 0);
    uint64_t num, den, whole, rem, tenths;

    if (denominator == 0)
        return v;
    /* Magnitudes in unsigned arithmetic, so that INT64_MIN cannot overflow. */
    num = numerator < 0 ? 0 - (uint64_t)numerator : (uint64_t)numerator;
    den = denominator < 0 ? 0 - (uint64_t)denominator : (uint64_t)denominator;
    whole = num / den;
    rem = num % den;
    /* 1000 * num / den = 1000 * whole + 1000 * rem / den; rem < den. Counts
     * are far below 2^54, so 2000 * rem cannot overflow in practice; beyond
     * that the remainder is scaled down first, at the cost of exactness in
     * the last tenth only for denominators above 9e15. */
    if (den <= UINT64_MAX / 2000) {
        uint64_t r = rem * 1000, frac = r / den, left = r % den;
        tenths = frac + (2 * left >= den ? 1 : 0);
    } else {
        long double q = (long double)rem * 1000.0L / (long double)den;
        tenths = (uint64_t)(q + 0.5L);
    }
    if (whole > (uint64_t)(INT64_MAX / 1000 - 1))
        whole = (uint64_t)(INT64_MAX / 1000 - 1);
    tenths += whole * 1000;
    v.value = negative ? -(int64_t)tenths : (int64_t)tenths;
    v.defined = true;
    return v;
}

void metric_decimal_format(int64_t scaled, int scale, char *buf, size_t size)
{
    uint64_t mag = scaled < 0 ? 0 - (uint64_t)scaled : (uint64_t)scaled;
    uint64_t p, ip, fp;
    char frac[24];
    int digits;

    if (scale < 0)
        scale = 0;
    if (scale > METRIC_SCALE_MAX)
        scale = METRIC_SCALE_MAX;
    p = (uint64_t)pow10s[scale];
    ip = mag / p;
    fp = mag % p;
    if (fp == 0) {
        snprintf(buf, size, "%s%llu", scaled < 0 ? "-" : "", (unsigned long long)ip);
        return;
    }
    snprintf(frac, sizeof(frac), "%0*llu", scale, (unsigned long long)fp);
    for (digits = scale; digits > 0 && frac[digits - 1] == '0'; digits--)
        frac[digits - 1] = '\0';
    snprintf(buf, size, "%s%llu.%s", scaled < 0 ? "-" : "", (unsigned long long)ip, frac);
}

const char *metric_kind_code(enum metric_kind kind)
{
    switch (kind) {
    case METRIC_COUNT:
        return "count";
    case METRIC_SUM:
        return "sum";
    case METRIC_RATE:
        return "rate";
    }
    return "";
}

void metric_format(const struct metric *m, const struct metric_value *v, char *buf, size_t size)
{
    switch (m->kind) {
    case METRIC_COUNT:
        snprintf(buf, size, "%lld", (long long)v->value);
        return;
    case METRIC_SUM:
        metric_decimal_format(v->value, m->scale, buf, size);
        return;
    case METRIC_RATE:
        if (!v->defined) {
            snprintf(buf, size, "—");
            return;
        }
        {
            uint64_t mag = v->value < 0 ? 0 - (uint64_t)v->value : (uint64_t)v->value;
            snprintf(buf, size, "%s%llu.%llu", v->value < 0 ? "-" : "",
                     (unsigned long long)(mag / 10), (unsigned long long)(mag % 10));
        }
        return;
    }
    snprintf(buf, size, "%lld", (long long)v->value);
}

/* A scaled value as a JSON number: an integer when it has no fraction, else
 * the nearest double, which 15 significant digits print back exactly. */
static json_t *scaled_json(int64_t scaled, int scale)
{
    int64_t p = pow10s[scale < 0 ? 0 : scale > METRIC_SCALE_MAX ? METRIC_SCALE_MAX : scale];
    if (scaled % p == 0)
        return json_integer(scaled / p);
    return json_real((double)scaled / (double)p);
}

json_t *metric_value_json(const struct metric *m, const struct metric_value *v)
{
    char text[64];
    json_t *o;

    metric_format(m, v, text, sizeof(text));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", m->name, "label", m->label, "unit", m->unit,
                  "kind", metric_kind_code(m->kind), "text", text);
    if (m->kind == METRIC_RATE) {
        json_object_set_new(o, "value", v->defined ? scaled_json(v->value, 1) : json_null());
        json_object_set_new(o, "numerator", json_integer(v->numerator));
        json_object_set_new(o, "denominator", json_integer(v->denominator));
    } else {
        json_object_set_new(o, "value",
                            scaled_json(v->value, m->kind == METRIC_SUM ? m->scale : 0));
    }
    return o;
}

json_t *metric_record_json(const struct metric *m, const struct metric_record *r)
{
    json_t *o = json_pack("{s:s, s:I, s:s?, s:{s:I, s:s?, s:s?}, s:s?}", "type", r->type, "id",
                          (json_int_t)r->id, "date", r->date, "unit", "id", (json_int_t)r->unit_id,
                          "code", r->unit_code, "name", r->unit_name, "title", r->title);
    if (r->has_value) {
        char text[64];
        metric_decimal_format(r->value, m->scale, text, sizeof(text));
        json_object_set_new(o, "value", scaled_json(r->value, m->scale));
        json_object_set_new(o, "text", json_string(text));
    }
    if (r->href)
        json_object_set_new(o, "href", json_string(r->href));
    return o;
}

/* ================================================================
 * Query caches
 * ================================================================ */

struct metric_cache {
    const void *key;
    void *data;
    struct metric_cache *next;
};

void *metric_query_cache(struct metric_query *q, const void *key, size_t size, bool *fresh)
{
    struct metric_cache *c;

    /* q->cache is the head of a list of slots; a sentinel heads it so that
     * the list can grow without changing q->cache once set. */
    if (!q->cache)
        q->cache = arena_zalloc(q->arena, sizeof(*q->cache));
    for (c = q->cache->next; c; c = c->next) {
        if (c->key == key) {
            *fresh = false;
            return c->data;
        }
    }
    c = arena_zalloc(q->arena, sizeof(*c));
    c->key = key;
    c->data = arena_zalloc(q->arena, size ? size : 1);
    c->next = q->cache->next;
    q->cache->next = c;
    *fresh = true;
    return c->data;
}

/* ================================================================
 * The registry
 * ================================================================ */

struct metric_registry {
    const struct metric **items; /* by name */
    size_t n, cap;
};

struct metric_registry *metric_registry_new(void)
{
    struct metric_registry *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    return r;
}

void metric_registry_free(struct metric_registry *r)
{
    if (!r)
        return;
    free(r->items);
    free(r);
}

/* Dot-separated parts of [a-z][a-z0-9_]*, at least two, at most METRIC_NAME_MAX bytes. */
static bool name_valid(const char *s)
{
    size_t len = s ? strlen(s) : 0, parts = 0;
    bool start = true;

    if (len == 0 || len > METRIC_NAME_MAX)
        return false;
    for (; *s; s++) {
        if (start) {
            if (*s < 'a' || *s > 'z')
                return false;
            parts++;
            start = false;
        } else if (*s == '.') {
            start = true;
        } else if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) {
            return false;
        }
    }
    return !start && parts >= 2;
}

/* The index where 'name' is or would go. */
static size_t find_index(const struct metric_registry *r, const char *name, bool *found)
{
    size_t lo = 0, hi = r->n;

    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->items[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int metric_registry_add(struct metric_registry *r, const struct metric *table, size_t n,
                        struct err_ctx *ec)
{
    bool found;

    for (size_t i = 0; i < n; i++) {
        const struct metric *m = &table[i];
        if (!name_valid(m->name))
            return err_set(ec, ERR_INVALID, "name", "指标名称 '%s' 格式不正确",
                           m->name ? m->name : "");
        if (!m->label || !*m->label || !m->unit || !*m->unit)
            return err_set(ec, ERR_INVALID, "label", "指标 %s 缺少名称或计量单位", m->name);
        if (!m->compute)
            return err_set(ec, ERR_INVALID, "compute", "指标 %s 没有计算函数", m->name);
        if (m->scale < 0 || m->scale > METRIC_SCALE_MAX || (m->kind != METRIC_SUM && m->scale))
            return err_set(ec, ERR_INVALID, "scale", "指标 %s 的小数位数不正确", m->name);
        if (m->kind != METRIC_COUNT && m->kind != METRIC_SUM && m->kind != METRIC_RATE)
            return err_set(ec, ERR_INVALID, "kind", "指标 %s 的类型不正确", m->name);
        (void)find_index(r, m->name, &found);
        for (size_t j = 0; j < i && !found; j++)
            found = strcmp(table[j].name, m->name) == 0;
        if (found)
            return err_set(ec, ERR_CONFLICT, "name", "指标 %s 重复注册", m->name);
    }
    if (r->n + n > r->cap) {
        size_t cap = r->cap ? r->cap : 64;
        const struct metric **items;
        while (cap < r->n + n)
            cap *= 2;
        items = realloc(r->items, cap * sizeof(*items));
        if (!items)
            abort();
        r->items = items;
        r->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        size_t at = find_index(r, table[i].name, &found);
        memmove(&r->items[at + 1], &r->items[at], (r->n - at) * sizeof(*r->items));
        r->items[at] = &table[i];
        r->n++;
    }
    return 0;
}

const struct metric *metric_registry_find(const struct metric_registry *r, const char *name)
{
    bool found;
    size_t at;

    if (!r || !name)
        return NULL;
    at = find_index(r, name, &found);
    return found ? r->items[at] : NULL;
}

size_t metric_registry_count(const struct metric_registry *r)
{
    return r ? r->n : 0;
}

const struct metric *metric_registry_at(const struct metric_registry *r, size_t i)
{
    return r && i < r->n ? r->items[i] : NULL;
}

int metric_evaluate(const struct metric *m, struct metric_query *q, struct metric_value *out,
                    struct err_ctx *ec)
{
    memset(out, 0, sizeof(*out));
    out->defined = true;
    return m->compute(m, q, out, ec);
}

int metric_evaluate_all(const struct metric_registry *r, struct metric_query *q,
                        struct metric_result **out, struct err_ctx *ec)
{
    size_t n = metric_registry_count(r);
    struct metric_result *res = arena_calloc(q->arena, n ? n : 1, sizeof(*res));
    int rc;

    for (size_t i = 0; i < n; i++) {
        res[i].metric = r->items[i];
        if ((rc = metric_evaluate(r->items[i], q, &res[i].value, ec)) < 0)
            return rc;
    }
    *out = res;
    return 0;
}
