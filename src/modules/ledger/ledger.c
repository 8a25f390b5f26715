/*
 * ledger.c - the ledgers: kinds and their catalog, exact counter values,
 * entries with their history, the roll-up tables, lists and totals.
 *
 * Every check of an entry happens inside the unit of work that writes it,
 * against the kind and the unit as they are at that moment, so an entry can
 * never be saved against a kind or a unit that changed under it. The checks
 * collect faults (struct ledger_faults) rather than stop at the first: the
 * API reports the first one, a CSV import reports them all, row by row.
 */
#include "core/compat.h"
#include "modules/ledger/ledger.h"
#include "core/arena.h"
#include "core/embedded.h"
#include "core/gpx.h"
#include "core/json.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "store/store.h"

#include <math.h>
#include <stdarg.h>

/* ================================================================
 * Small helpers
 * ================================================================ */

static const int64_t pow10_table[] = {1,
                                      10,
                                      100,
                                      1000,
                                      10000,
                                      100000,
                                      1000000,
                                      10000000,
                                      100000000,
                                      1000000000,
                                      10000000000LL,
                                      100000000000LL,
                                      1000000000000LL,
                                      10000000000000LL,
                                      100000000000000LL,
                                      1000000000000000LL,
                                      10000000000000000LL,
                                      100000000000000000LL,
                                      1000000000000000000LL};

/* An identifier part: [a-z][a-z0-9_]*. */
static bool ident_part_ok(const char *s, size_t n)
{
    if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* A counter code: one part of at most 32 characters. */
static bool counter_code_ok(const char *s)
{
    size_t n = strlen(s);
    return n <= 32 && ident_part_ok(s, n);
}

/* A kind code: dot-separated parts, at most 64 characters. */
static bool kind_code_ok(const char *s)
{
    size_t n = strlen(s);
    const char *p = s;

    if (n == 0 || n > 64)
        return false;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!ident_part_ok(p, len))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

/* Clean UTF-8 text of at most max_chars characters (empty allowed). */
static bool text_ok(const char *s, size_t max_chars)
{
    return str_is_clean_utf8(s, strlen(s)) && str_utf8_len(s) <= max_chars;
}

/* Today's local date, "YYYY-MM-DD". */
static void today(char *buf, size_t size)
{
    struct date d = date_of_instant(time_now_ms());
    date_format(&d, buf, size);
}

/* A growable arena array: doubles 'cap' when full and returns the new base. */
static void *grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size)
{
    void *bigger;

    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 16;
    bigger = arena_alloc(a, *cap * size);
    if (n)
        memcpy(bigger, items, n * size);
    return bigger;
}

/* The upper bound of a subtree's path range ("/1/4/" -> "/1/4/~"). */
static char *path_upper(struct arena *a, const char *path)
{
    return arena_printf(a, "%s~", path);
}

/* ================================================================
 * Counter values: exact decimals
 * ================================================================ */

enum dec_result {
    DEC_OK,
    DEC_SYNTAX,
    DEC_NEGATIVE,
    DEC_FRACTION,
    DEC_PLACES,
    DEC_DIGITS,
    DEC_LARGE
};

/*
 * Reads decimal text ("12", "1050.500", "+3", "1.5e3", " 7 ") as a value
 * scaled by 10^scale, exactly: digits beyond the scale must be zeros.
 */
static enum dec_result decimal_scan(const char *s, int scale, int64_t *out)
{
    char digits[64];
    size_t nd = 0, nfrac = 0;
    bool negative = false, any = false, nonzero = false;
    long exp = 0;
    int64_t v = 0;
    long shift;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '+' || *s == '-')
        negative = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++) {
        any = true;
        if (nd == 0 && *s == '0')
            continue; /* leading zeros carry nothing */
        if (nd == sizeof(digits))
            return DEC_LARGE;
        digits[nd++] = *s;
    }
    if (*s == '.') {
        const char *end = ++s, *last;
        while (*end >= '0' && *end <= '9')
            end++;
        any |= end > s;
        /* Trailing zeros of the fraction say nothing ("1.500" is 1.5). */
        for (last = end; last > s && last[-1] == '0'; last--)
            ;
        for (; s < last; s++) {
            nfrac++; /* leading zeros are skipped as digits but count as places */
            if (nd == 0 && *s == '0')
                continue;
            if (nd == sizeof(digits))
                return DEC_DIGITS;
            digits[nd++] = *s;
        }
        s = end;
    }
    if (!any)
        return DEC_SYNTAX;
    if (*s == 'e' || *s == 'E') {
        bool eneg = false, edig = false;
        s++;
        if (*s == '+' || *s == '-')
            eneg = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++) {
            edig = true;
            if (exp < 10000)
                exp = exp * 10 + (*s - '0');
        }
        if (!edig)
            return DEC_SYNTAX;
        if (eneg)
            exp = -exp;
    }
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s)
        return DEC_SYNTAX;
    for (size_t i = 0; i < nd; i++)
        nonzero |= digits[i] != '0';
    if (!nonzero) {
        *out = 0; /* "-0" and "0.000" are zero, not negative */
        return DEC_OK;
    }
    if (negative)
        return DEC_NEGATIVE;
    /* value = digits * 10^(exp - nfrac); scaled = value * 10^scale. */
    shift = exp - (long)nfrac + scale;
    while (shift < 0 && nd > 0) {
        if (digits[nd - 1] != '0')
            return scale == 0 ? DEC_FRACTION : DEC_PLACES;
        nd--;
        shift++;
    }
    if (nd == 0) {
        *out = 0;
        return DEC_OK;
    }
    if ((long)nd + shift > 15)
        return DEC_LARGE;
    for (size_t i = 0; i < nd; i++)
        v = v * 10 + (digits[i] - '0');
    v *= pow10_table[shift];
    if (v > LEDGER_VALUE_MAX)
        return DEC_LARGE;
    *out = v;
    return DEC_OK;
}

static int dec_error(enum dec_result r, const struct ledger_counter *def, const char *field,
                     struct err_ctx *ec)
{
    char max[40];

    switch (r) {
    case DEC_OK:
        return 0;
    case DEC_SYNTAX:
        return err_set(ec, ERR_INVALID, field, "应为数字");
    case DEC_NEGATIVE:
        return err_set(ec, ERR_INVALID, field, "不能为负数");
    case DEC_FRACTION:
        return err_set(ec, ERR_INVALID, field, "应为整数");
    case DEC_PLACES:
        return err_set(ec, ERR_INVALID, field, "最多保留 %d 位小数", def->scale);
    case DEC_DIGITS:
        return err_set(ec, ERR_INVALID, field, "有效数字不能超过 15 位");
    case DEC_LARGE:
        ledger_value_format(LEDGER_VALUE_MAX / pow10_table[def->scale] * pow10_table[def->scale],
                            def->scale, max, sizeof(max));
        return err_set(ec, ERR_INVALID, field, "数值过大（不能超过 %s）", max);
    }
    return err_set(ec, ERR_INVALID, field, "应为数字");
}

int ledger_value_parse(const struct ledger_counter *def, const char *text, const char *field,
                       int64_t *out, struct err_ctx *ec)
{
    return dec_error(decimal_scan(text, def->scale, out), def, field, ec);
}

int ledger_value_from_json(const struct ledger_counter *def, const json_t *v, const char *field,
                           int64_t *out, struct err_ctx *ec)
{
    char buf[64];
    double d;

    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0)
            return err_set(ec, ERR_INVALID, field, "不能为负数");
        if (n > LEDGER_VALUE_MAX / pow10_table[def->scale])
            return dec_error(DEC_LARGE, def, field, ec);
        *out = (int64_t)n * pow10_table[def->scale];
        return 0;
    }
    if (!json_is_real(v))
        return err_set(ec, ERR_INVALID, field, "应为数字");
    d = json_real_value(v);
    if (!isfinite(d))
        return err_set(ec, ERR_INVALID, field, "应为数字");
    /*
     * A JSON number reaches us as the nearest double. Its shortest decimal
     * form with at most 15 significant digits is the number that was sent
     * (a double holds every 15-digit decimal exactly enough to round-trip);
     * a double that needs more digits came from a number with more than 15.
     */
    snprintf(buf, sizeof(buf), "%.15g", d);
    if (strtod(buf, NULL) != d)
        return dec_error(d < 0 ? DEC_NEGATIVE : DEC_DIGITS, def, field, ec);
    return dec_error(decimal_scan(buf, def->scale, out), def, field, ec);
}

void ledger_value_format(int64_t scaled, int scale, char *buf, size_t size)
{
    uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    char rev[24], out[32];
    size_t n = 0, o = 0, skip = 0;

    if (scale < 0 || scale > LEDGER_SCALE_MAX)
        scale = scale < 0 ? 0 : LEDGER_SCALE_MAX;
    /* The digits, least significant first, at least one before the point. */
    do {
        rev[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    while (n < (size_t)scale + 1)
        rev[n++] = '0';
    /* Trailing zeros of the fraction are dropped: 1050.500 prints 1050.5. */
    while (skip < (size_t)scale && rev[skip] == '0')
        skip++;
    if (scaled < 0)
        out[o++] = '-';
    for (size_t i = n; i > (size_t)scale; i--)
        out[o++] = rev[i - 1];
    if (skip < (size_t)scale) {
        out[o++] = '.';
        for (size_t i = (size_t)scale; i > skip; i--)
            out[o++] = rev[i - 1];
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
}

json_t *ledger_value_json(int64_t scaled, int scale)
{
    int64_t p = pow10_table[scale];

    if (scaled % p == 0)
        return json_integer(scaled / p);
    /* Correctly rounded division: the nearest double to the decimal, which
     * ledger_json_dump() prints back exactly. */
    return json_real((double)scaled / (double)p);
}

char *ledger_json_dump(struct arena *a, const json_t *v)
{
    char *s, *copy;

    if (!v)
        return NULL;
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!s)
        return NULL;
    copy = arena_strdup(a, s);
    free(s);
    return copy;
}

/* ================================================================
 * Kinds: definitions
 * ================================================================ */

const struct ledger_counter *ledger_kind_counter(const struct ledger_kind *k, const char *code)
{
    for (size_t i = 0; i < k->ncounters; i++)
        if (strcmp(k->counters[i].code, code) == 0)
            return &k->counters[i];
    return NULL;
}

static int counter_index(const struct ledger_kind *k, const char *code)
{
    for (size_t i = 0; i < k->ncounters; i++)
        if (strcmp(k->counters[i].code, code) == 0)
            return (int)i;
    return -1;
}

bool ledger_kind_allows(const struct ledger_kind *k, const char *unit_type)
{
    for (size_t i = 0; i < k->nunit_types; i++)
        if (strcmp(k->unit_types[i], unit_type) == 0)
            return true;
    return false;
}

static bool is_km(const char *unit)
{
    return strcmp(unit, "公里") == 0 || strcmp(unit, "km") == 0 || strcmp(unit, "千米") == 0;
}

/* A text member: required or not, 'max' characters; *out "" when absent. */
static int member_text(json_t *obj, const char *key, const char *field, bool required, size_t max,
                       const char **out, struct err_ctx *ec)
{
    json_t *v = json_object_get(obj, key);

    *out = "";
    if (!v || json_is_null(v)) {
        if (required)
            return err_set(ec, ERR_INVALID, field, "缺少必填项");
        return 0;
    }
    if (!json_is_string(v))
        return err_set(ec, ERR_INVALID, field, "应为文本");
    if (required && json_string_length(v) == 0)
        return err_set(ec, ERR_INVALID, field, "不能为空");
    if (!str_is_clean_utf8(json_string_value(v), json_string_length(v)))
        return err_set(ec, ERR_INVALID, field, "含有不允许的控制字符");
    if (str_utf8_len(json_string_value(v)) > max)
        return err_set(ec, ERR_INVALID, field, "不能超过 %zu 个字", max);
    *out = json_string_value(v);
    return 0;
}

static int members_allowed(json_t *obj, const char *const *allowed, const char *prefix,
                           struct arena *a, struct err_ctx *ec)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        (void)v;
        for (const char *const *k = allowed; *k; k++)
            ok |= strcmp(*k, key) == 0;
        if (!ok)
            return err_set(ec, ERR_INVALID, arena_printf(a, "%s%s", prefix, key), "不支持的字段");
    }
    return 0;
}

static int counter_from_json(struct arena *a, json_t *obj, const char *prefix,
                             struct ledger_counter *out, struct err_ctx *ec)
{
    static const char *const fields[] = {"code", "name",     "type", "scale",
                                         "unit", "required", "max",  NULL};
    const char *type;
    json_t *v;
    int rc;

#define F(name) arena_printf(a, "%s" name, prefix)
    if (!json_is_object(obj))
        return err_set(ec, ERR_INVALID, arena_printf(a, "%.*s", (int)strlen(prefix) - 1, prefix),
                       "应为对象");
    if ((rc = members_allowed(obj, fields, prefix, a, ec)) < 0 ||
        (rc = member_text(obj, "code", F("code"), true, 32, &out->code, ec)) < 0)
        return rc;
    if (!counter_code_ok(out->code))
        return err_set(ec, ERR_INVALID, F("code"),
                       "计数项代码应为小写字母开头的小写字母、数字或下划线，不超过 32 个字符");
    if ((rc = member_text(obj, "name", F("name"), true, 30, &out->name, ec)) < 0 ||
        (rc = member_text(obj, "type", F("type"), true, 16, &type, ec)) < 0 ||
        (rc = member_text(obj, "unit", F("unit"), true, 10, &out->unit, ec)) < 0)
        return rc;
    out->code = arena_strdup(a, out->code);
    out->name = arena_strdup(a, out->name);
    out->unit = arena_strdup(a, out->unit);
    v = json_object_get(obj, "scale");
    if (strcmp(type, "integer") == 0) {
        out->type = LEDGER_INTEGER;
        out->scale = 0;
        if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0))
            return err_set(ec, ERR_INVALID, F("scale"), "整数计数项没有小数位");
    } else if (strcmp(type, "decimal") == 0) {
        out->type = LEDGER_DECIMAL;
        if (!v || !json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > LEDGER_SCALE_MAX)
            return err_set(ec, ERR_INVALID, F("scale"), "小数计数项应指定 1 到 %d 位小数",
                           LEDGER_SCALE_MAX);
        out->scale = (int)json_integer_value(v);
    } else {
        return err_set(ec, ERR_INVALID, F("type"), "类型应为 integer 或 decimal");
    }
    v = json_object_get(obj, "required");
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return err_set(ec, ERR_INVALID, F("required"), "应为 true 或 false");
    out->required = v && json_is_true(v);
    v = json_object_get(obj, "max");
    out->max = -1;
    if (v && !json_is_null(v)) {
        if ((rc = ledger_value_from_json(out, v, F("max"), &out->max, ec)) < 0)
            return rc;
    }
#undef F
    return 0;
}

int ledger_kind_from_json(struct arena *a, json_t *obj, const char *code, const char *prefix,
                          struct ledger_kind *out, struct err_ctx *ec)
{
    static const char *const fields[] = {"code",     "name",          "description", "unit_types",
                                         "counters", "track_counter", "active",      "version",
                                         "origin",   "created_at",    "updated_at",  NULL};
    json_t *v, *item;
    size_t i;
    int rc;

#define F(name) arena_printf(a, "%s" name, prefix)
    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj))
        return err_set(ec, ERR_INVALID, *prefix ? arena_strndup(a, prefix, strlen(prefix) - 1) : "",
                       "应为对象");
    if ((rc = members_allowed(obj, fields, prefix, a, ec)) < 0)
        return rc;
    v = json_object_get(obj, "code");
    if (code) {
        if (v && !json_is_null(v) &&
            !(json_is_string(v) && strcmp(json_string_value(v), code) == 0))
            return err_set(ec, ERR_INVALID, F("code"), "台账种类代码不能修改");
        out->code = arena_strdup(a, code);
    } else {
        if ((rc = member_text(obj, "code", F("code"), true, 64, &out->code, ec)) < 0)
            return rc;
        out->code = arena_strdup(a, out->code);
    }
    if (!kind_code_ok(out->code))
        return err_set(ec, ERR_INVALID, F("code"),
                       "种类代码应为以点分隔的小写字母、数字或下划线（如 study.lecture），"
                       "不超过 64 个字符");
    if ((rc = member_text(obj, "name", F("name"), true, 30, &out->name, ec)) < 0 ||
        (rc = member_text(obj, "description", F("description"), false, 200, &out->description,
                          ec)) < 0 ||
        (rc = member_text(obj, "track_counter", F("track_counter"), false, 32, &out->track_counter,
                          ec)) < 0)
        return rc;
    out->name = arena_strdup(a, out->name);
    out->description = arena_strdup(a, out->description);
    out->track_counter = arena_strdup(a, out->track_counter);

    v = json_object_get(obj, "unit_types");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return err_set(ec, ERR_INVALID, F("unit_types"), "应为非空的单位类型列表");
    if (json_array_size(v) > LEDGER_UNIT_TYPES_MAX)
        return err_set(ec, ERR_INVALID, F("unit_types"), "单位类型过多");
    out->unit_types = arena_calloc(a, json_array_size(v), sizeof(*out->unit_types));
    json_array_foreach(v, i, item)
    {
        const char *t = json_string_value(item);
        if (!t || !org_unit_type_valid(t))
            return err_set(ec, ERR_INVALID, arena_printf(a, "%sunit_types[%zu]", prefix, i),
                           "单位类型应为 city、district、subdistrict、department、station、"
                           "community 或 village");
        for (size_t j = 0; j < out->nunit_types; j++)
            if (strcmp(out->unit_types[j], t) == 0)
                return err_set(ec, ERR_INVALID, arena_printf(a, "%sunit_types[%zu]", prefix, i),
                               "单位类型重复");
        out->unit_types[out->nunit_types++] = arena_strdup(a, t);
    }

    v = json_object_get(obj, "counters");
    if (v && !json_is_null(v) && !json_is_array(v))
        return err_set(ec, ERR_INVALID, F("counters"), "应为计数项列表");
    if (json_array_size(v) > LEDGER_COUNTERS_MAX)
        return err_set(ec, ERR_INVALID, F("counters"), "计数项不能超过 %d 个", LEDGER_COUNTERS_MAX);
    out->counters = arena_calloc(a, json_array_size(v) + 1, sizeof(*out->counters));
    json_array_foreach(v, i, item)
    {
        const char *p = arena_printf(a, "%scounters[%zu].", prefix, i);
        if ((rc = counter_from_json(a, item, p, &out->counters[i], ec)) < 0)
            return rc;
        if (ledger_kind_counter(out, out->counters[i].code))
            return err_set(ec, ERR_INVALID, arena_printf(a, "%scode", p), "计数项代码重复");
        out->ncounters++;
    }
    if (*out->track_counter) {
        const struct ledger_counter *t = ledger_kind_counter(out, out->track_counter);
        if (!t || t->type != LEDGER_DECIMAL || !is_km(t->unit))
            return err_set(ec, ERR_INVALID, F("track_counter"),
                           "轨迹里程应指向一个以“公里”为单位的小数计数项");
    }
    v = json_object_get(obj, "active");
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return err_set(ec, ERR_INVALID, F("active"), "应为 true 或 false");
    out->active = !v || json_is_null(v) || json_is_true(v);
#undef F
    return 0;
}

static json_t *counter_json(const struct ledger_counter *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "code", c->code, "name", c->name, "type",
                          c->type == LEDGER_DECIMAL ? "decimal" : "integer", "unit", c->unit,
                          "required", c->required);
    if (c->type == LEDGER_DECIMAL)
        json_object_set_new(o, "scale", json_integer(c->scale));
    json_object_set_new(o, "max", c->max >= 0 ? ledger_value_json(c->max, c->scale) : json_null());
    return o;
}

json_t *ledger_kind_json(const struct ledger_kind *k)
{
    json_t *types = json_array(), *counters = json_array(), *o;
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];

    for (size_t i = 0; i < k->nunit_types; i++)
        json_array_append_new(types, json_string(k->unit_types[i]));
    for (size_t i = 0; i < k->ncounters; i++)
        json_array_append_new(counters, counter_json(&k->counters[i]));
    o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:b}", "code", k->code, "name", k->name,
                  "description", k->description ? k->description : "", "unit_types", types,
                  "counters", counters, "track_counter", k->track_counter ? k->track_counter : "",
                  "active", k->active);
    if (k->version) {
        time_format_instant(k->created_at_ms, created, sizeof(created));
        time_format_instant(k->updated_at_ms, updated, sizeof(updated));
        json_object_set_new(o, "version", json_integer(k->version));
        json_object_set_new(o, "origin", json_string(k->origin ? k->origin : ""));
        json_object_set_new(o, "created_at", json_string(created));
        json_object_set_new(o, "updated_at", json_string(updated));
    }
    return o;
}

int ledger_catalog_parse(struct arena *a, const char *text, size_t len, struct ledger_kind **kinds,
                         size_t *n, struct err_ctx *ec)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *list, *item;
    const char *format;
    struct ledger_kind *out;
    size_t i;
    int rc = 0;

    if (!root)
        return err_set(ec, ERR_INVALID, "", "台账种类目录不是有效的 JSON（第 %d 行第 %d 列：%s）",
                       jerr.line, jerr.column, jerr.text);
    arena_on_free(a, (arena_cleanup_fn)json_decref, root);
    format = json_string_value(json_object_get(root, "format"));
    if (!format || strcmp(format, "fazhi.ledger-kinds.v1") != 0)
        return err_set(ec, ERR_INVALID, "format",
                       "台账种类目录的 format 应为 fazhi.ledger-kinds.v1");
    list = json_object_get(root, "kinds");
    if (!json_is_array(list))
        return err_set(ec, ERR_INVALID, "kinds", "应为台账种类列表");
    out = arena_calloc(a, json_array_size(list) + 1, sizeof(*out));
    json_array_foreach(list, i, item)
    {
        const char *prefix = arena_printf(a, "kinds[%zu].", i);
        if ((rc = ledger_kind_from_json(a, item, NULL, prefix, &out[i], ec)) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].code, out[i].code) == 0)
                return err_set(ec, ERR_INVALID, arena_printf(a, "%scode", prefix),
                               "种类代码 %s 重复", out[i].code);
    }
    *kinds = out;
    *n = json_array_size(list);
    return 0;
}

/* ================================================================
 * Kinds: storage
 * ================================================================ */

/*
 * ledger_kinds keeps unit_types and counters as JSON text. The counters'
 * "max" is stored scaled (an integer), never as a double.
 */
static char *unit_types_text(struct arena *a, const struct ledger_kind *k)
{
    json_t *arr = json_array();
    char *s;

    for (size_t i = 0; i < k->nunit_types; i++)
        json_array_append_new(arr, json_string(k->unit_types[i]));
    s = json_dump_arena(a, arr);
    json_decref(arr);
    return s;
}

static char *counters_text(struct arena *a, const struct ledger_kind *k)
{
    json_t *arr = json_array();
    char *s;

    for (size_t i = 0; i < k->ncounters; i++) {
        const struct ledger_counter *c = &k->counters[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:o}", "code", c->code,
                                             "name", c->name, "unit", c->unit, "type",
                                             c->type == LEDGER_DECIMAL ? "decimal" : "integer",
                                             "scale", c->scale, "required", c->required, "max",
                                             c->max >= 0 ? json_integer(c->max) : json_null()));
    }
    s = json_dump_arena(a, arr);
    json_decref(arr);
    return s;
}

#define KIND_COLUMNS                                                                               \
    "code, name, description, unit_types, counters, track_counter, active, version, origin, "      \
    "created_at_ms, updated_at_ms"

/* Fills a kind from a row of KIND_COLUMNS. ERR_DB when the stored JSON is damaged. */
static int kind_from_row(struct store_stmt *st, struct arena *a, struct ledger_kind *k,
                         struct err_ctx *ec)
{
    json_t *types, *counters, *item;
    size_t i;

    memset(k, 0, sizeof(*k));
    k->code = arena_strdup(a, store_col_text(st, 0));
    k->name = arena_strdup(a, store_col_text(st, 1));
    k->description = arena_strdup(a, store_col_text(st, 2));
    k->track_counter = arena_strdup(a, store_col_text(st, 5));
    k->active = store_col_int(st, 6) != 0;
    k->version = store_col_int(st, 7);
    k->origin = arena_strdup(a, store_col_text(st, 8));
    k->created_at_ms = store_col_int(st, 9);
    k->updated_at_ms = store_col_int(st, 10);
    types = json_loads(store_col_text(st, 3), 0, NULL);
    counters = json_loads(store_col_text(st, 4), 0, NULL);
    if (!json_is_array(types) || !json_is_array(counters)) {
        json_decref(types);
        json_decref(counters);
        return err_set(ec, ERR_DB, NULL, "台账种类 %s 的定义已损坏", k->code);
    }
    k->unit_types = arena_calloc(a, json_array_size(types) + 1, sizeof(*k->unit_types));
    json_array_foreach(types, i, item)
    {
        if (json_is_string(item))
            k->unit_types[k->nunit_types++] = arena_strdup(a, json_string_value(item));
    }
    k->counters = arena_calloc(a, json_array_size(counters) + 1, sizeof(*k->counters));
    json_array_foreach(counters, i, item)
    {
        struct ledger_counter *c = &k->counters[k->ncounters];
        const char *code = json_string_value(json_object_get(item, "code"));
        json_t *max = json_object_get(item, "max");
        if (!code)
            continue;
        c->code = arena_strdup(a, code);
        c->name = arena_strdup(a, json_string_value(json_object_get(item, "name")));
        c->unit = arena_strdup(a, json_string_value(json_object_get(item, "unit")));
        const char *type = json_string_value(json_object_get(item, "type"));
        c->type = type && strcmp(type, "decimal") == 0 ? LEDGER_DECIMAL : LEDGER_INTEGER;
        c->scale = (int)json_integer_value(json_object_get(item, "scale"));
        if (c->scale < 0 || c->scale > LEDGER_SCALE_MAX)
            c->scale = 0;
        c->required = json_is_true(json_object_get(item, "required"));
        c->max = json_is_integer(max) ? json_integer_value(max) : -1;
        if (!c->name)
            c->name = c->code;
        if (!c->unit)
            c->unit = "";
        k->ncounters++;
    }
    json_decref(types);
    json_decref(counters);
    return 0;
}

int ledger_kind_get(struct store_conn *c, struct arena *a, const char *code, const char *field,
                    struct ledger_kind *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT " KIND_COLUMNS " FROM ledger_kinds WHERE code = $1",
                         "t", code);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        rc = kind_from_row(st, a, out, ec);
    else if (rc == 0)
        rc = err_set(ec, ERR_NOT_FOUND, field, "未知的台账种类");
    store_done(st);
    return rc;
}

int ledger_kind_list(struct store_conn *c, struct arena *a, struct ledger_kind **items, size_t *n,
                     struct err_ctx *ec)
{
    struct store_stmt *st;
    struct ledger_kind *list = NULL;
    size_t cap = 0, count = 0;
    int rc = store_query(c, &st, ec, "SELECT " KIND_COLUMNS " FROM ledger_kinds ORDER BY code", "");

    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        list = grow(a, list, count, &cap, sizeof(*list));
        if ((rc = kind_from_row(st, a, &list[count], ec)) < 0)
            break;
        count++;
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

/* A small cache of kinds read in one callback (lists touch a few kinds). */
struct kind_cache {
    struct ledger_kind *items;
    size_t n, cap;
};

static const struct ledger_kind *kind_cached(struct store_conn *c, struct arena *a,
                                             struct kind_cache *kc, const char *code,
                                             struct err_ctx *ec)
{
    struct err_ctx local;
    struct ledger_kind k;

    for (size_t i = 0; i < kc->n; i++)
        if (strcmp(kc->items[i].code, code) == 0)
            return &kc->items[i];
    err_clear(&local);
    if (ledger_kind_get(c, a, code, "kind", &k, &local) < 0) {
        if (local.code != ERR_NOT_FOUND)
            *ec = local;
        return NULL;
    }
    kc->items = grow(a, kc->items, kc->n, &kc->cap, sizeof(*kc->items));
    kc->items[kc->n] = k;
    return &kc->items[kc->n++];
}

static int kind_insert(struct store_conn *c, struct arena *a, const struct ledger_kind *k,
                       const char *origin, int64_t now, struct err_ctx *ec)
{
    return store_exec(c, ec,
                      "INSERT INTO ledger_kinds (" KIND_COLUMNS ") "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9)",
                      "ttttttiti", k->code, k->name, k->description ? k->description : "",
                      unit_types_text(a, k), counters_text(a, k),
                      k->track_counter ? k->track_counter : "", (int64_t)k->active, origin, now);
}

static int kind_audit(struct store_conn *c, struct arena *a, const char *actor, const char *action,
                      const struct ledger_kind *before, const struct ledger_kind *after,
                      struct err_ctx *ec)
{
    json_t *jb = before ? ledger_kind_json(before) : NULL;
    json_t *ja = after ? ledger_kind_json(after) : NULL;
    int rc = store_audit(c,
                         &(struct audit_rec){actor, action, "ledger_kind",
                                             (after ? after : before)->code, 0,
                                             ledger_json_dump(a, jb), ledger_json_dump(a, ja)},
                         ec);
    json_decref(jb);
    json_decref(ja);
    return rc;
}

int ledger_catalog_load(struct store_conn *c, struct arena *a, const struct ledger_kind *kinds,
                        size_t n, int *added, struct err_ctx *ec)
{
    int64_t now = time_now_ms(), exists;
    int rc;

    *added = 0;
    for (size_t i = 0; i < n; i++) {
        struct ledger_kind stored;
        rc = store_query_int(c, &exists, ec, "SELECT COUNT(*) FROM ledger_kinds WHERE code = $1",
                             "t", kinds[i].code);
        if (rc < 0)
            return rc;
        if (exists)
            continue;
        if ((rc = kind_insert(c, a, &kinds[i], "catalog", now, ec)) < 0 ||
            (rc = ledger_kind_get(c, a, kinds[i].code, "kind", &stored, ec)) < 0 ||
            (rc = kind_audit(c, a, "system", "create", NULL, &stored, ec)) < 0)
            return rc;
        (*added)++;
    }
    return 0;
}

struct catalog_job {
    struct arena *arena;
    struct ledger_kind *kinds;
    size_t n;
    size_t missing;
    int added;
};

static int catalog_count_missing(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct catalog_job *j = arg;
    int64_t exists;
    int rc;

    j->missing = 0;
    for (size_t i = 0; i < j->n; i++) {
        rc = store_query_int(c, &exists, ec, "SELECT COUNT(*) FROM ledger_kinds WHERE code = $1",
                             "t", j->kinds[i].code);
        if (rc < 0)
            return rc;
        j->missing += exists == 0;
    }
    return 0;
}

static int catalog_write(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct catalog_job *j = arg;
    return ledger_catalog_load(c, j->arena, j->kinds, j->n, &j->added, ec);
}

int ledger_start(struct store *s, struct err_ctx *ec)
{
    const struct embedded_file *f = embedded_file_find(LEDGER_CATALOG_FILE);
    struct catalog_job j = {0};
    int rc;

    if (!f)
        return err_set(ec, ERR_INTERNAL, NULL, "程序中缺少台账种类目录 conf/%s",
                       LEDGER_CATALOG_FILE);
    j.arena = arena_new();
    rc = ledger_catalog_parse(j.arena, f->data, f->len, &j.kinds, &j.n, ec);
    if (rc < 0) {
        err_detail(ec, "conf/%s", LEDGER_CATALOG_FILE);
        goto out;
    }
    /* Read first: most starts find every kind in place and write nothing. */
    rc = store_read(s, catalog_count_missing, &j, ec);
    if (rc == 0 && j.missing > 0) {
        rc = store_write(s, catalog_write, &j, ec);
        if (rc == 0 && j.added > 0)
            log_info("ledger: %d kinds loaded from the catalog", j.added);
    }
out:
    arena_free(j.arena);
    return rc;
}

static int kind_event(struct store_conn *c, struct arena *a, const struct principal *p,
                      const char *type, const struct ledger_kind *k, struct err_ctx *ec)
{
    json_t *j = json_pack("{s:s, s:s, s:I}", "code", k->code, "name", k->name, "version",
                          (json_int_t)k->version);
    int rc = store_event(c, type, p->unit_path, NULL, ledger_json_dump(a, j), ec);
    json_decref(j);
    return rc;
}

int ledger_kind_create(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct ledger_kind *in, struct err_ctx *ec)
{
    struct ledger_kind stored;
    char actor[ACTOR_MAX];
    int rc;

    if ((rc = access_require_root_admin(p, "修改台账种类目录", ec)) < 0)
        return rc;
    rc = kind_insert(c, a, in, "admin", time_now_ms(), ec);
    if (rc == ERR_CONFLICT) {
        err_clear(ec);
        return err_set(ec, ERR_CONFLICT, "code", "台账种类 %s 已存在", in->code);
    }
    if (rc < 0 || (rc = ledger_kind_get(c, a, in->code, "code", &stored, ec)) < 0)
        return rc;
    access_actor(p, actor, sizeof(actor));
    if ((rc = kind_audit(c, a, actor, "create", NULL, &stored, ec)) < 0)
        return rc;
    return kind_event(c, a, p, "ledger.kind.created", &stored, ec);
}

/* True when live entries of 'kind' hold a value of 'counter'. */
static int counter_in_use(struct store_conn *c, const char *kind, const char *counter, bool *used,
                          struct err_ctx *ec)
{
    int64_t n = 0;
    int rc = store_query_int(c, &n, ec,
                             "SELECT COUNT(*) FROM (SELECT 1 FROM ledger_values v "
                             "JOIN ledger_entries e ON e.id = v.entry_id "
                             "WHERE e.kind = $1 AND v.counter = $2 AND e.deleted_at_ms IS NULL "
                             "LIMIT 1) x",
                             "tt", kind, counter);
    *used = n > 0;
    return rc;
}

int ledger_kind_update(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct ledger_kind *in, int64_t expected_version, struct err_ctx *ec)
{
    struct ledger_kind before, after;
    char actor[ACTOR_MAX];
    int rc;

    if ((rc = access_require_root_admin(p, "修改台账种类目录", ec)) < 0 ||
        (rc = ledger_kind_get(c, a, in->code, "code", &before, ec)) < 0)
        return rc;
    if (expected_version > 0 && expected_version != before.version)
        return err_set(ec, ERR_CONFLICT, "version",
                       "台账种类已被他人修改（当前版本 %lld），请刷新后重试",
                       (long long)before.version);
    for (size_t i = 0; i < before.ncounters; i++) {
        const struct ledger_counter *old = &before.counters[i];
        const struct ledger_counter *now = ledger_kind_counter(in, old->code);
        bool used;
        if (now && now->type == old->type && now->scale == old->scale)
            continue;
        if ((rc = counter_in_use(c, in->code, old->code, &used, ec)) < 0)
            return rc;
        if (used)
            return err_set(ec, ERR_CONFLICT, "counters",
                           now ? "计数项 %s 已有台账数据，不能修改其类型或小数位数"
                               : "计数项 %s 已有台账数据，不能删除",
                           old->code);
    }
    rc = store_exec(c, ec,
                    "UPDATE ledger_kinds SET name = $1, description = $2, unit_types = $3, "
                    "counters = $4, track_counter = $5, active = $6, version = version + 1, "
                    "updated_at_ms = $7 WHERE code = $8",
                    "tttttiit", in->name, in->description ? in->description : "",
                    unit_types_text(a, in), counters_text(a, in),
                    in->track_counter ? in->track_counter : "", (int64_t)in->active, time_now_ms(),
                    in->code);
    if (rc < 0 || (rc = ledger_kind_get(c, a, in->code, "code", &after, ec)) < 0)
        return rc;
    access_actor(p, actor, sizeof(actor));
    if ((rc = kind_audit(c, a, actor, "update", &before, &after, ec)) < 0)
        return rc;
    return kind_event(c, a, p, "ledger.kind.updated", &after, ec);
}

/* ================================================================
 * Faults
 * ================================================================ */

static void faults_addv(struct ledger_faults *f, struct arena *a, size_t line, enum err code,
                        const char *field, const char *fmt, va_list ap)
{
    if (f->arena)
        a = f->arena;
    /* One fault per field of a CSV row: the first says what to fix. */
    for (size_t i = f->n; line && i > 0 && f->items[i - 1].line == line; i--)
        if (strcmp(f->items[i - 1].field, field) == 0)
            return;
    if (f->limit && f->n >= f->limit) {
        f->truncated = true;
        return;
    }
    f->items = grow(a, f->items, f->n, &f->cap, sizeof(*f->items));
    f->items[f->n++] =
        (struct ledger_fault){line, code, arena_strdup(a, field), arena_vprintf(a, fmt, ap)};
}

void ledger_faults_add(struct ledger_faults *f, struct arena *a, size_t line, const char *field,
                       const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    faults_addv(f, a, line, ERR_INVALID, field, fmt, ap);
    va_end(ap);
}

/* The checks of one input: where faults go. */
struct checker {
    struct arena *a;
    struct ledger_faults *faults;
    size_t line;
};

static void fault(struct checker *k, enum err code, const char *field, const char *fmt, ...)
    FZ_PRINTF(4, 5);

static void fault(struct checker *k, enum err code, const char *field, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    faults_addv(k->faults, k->a, k->line, code, field, fmt, ap);
    va_end(ap);
}

/* Moves an err_ctx (from a field reader) into the faults. */
static void fault_from(struct checker *k, const struct err_ctx *e)
{
    fault(k, e->code, e->field, "%s", e->message);
}

/* ================================================================
 * Entries: reading
 * ================================================================ */

#define ENTRY_COLUMNS                                                                              \
    "e.id, e.kind, e.unit_id, e.date, e.title, e.place, e.notes, e.version, e.created_by, "        \
    "e.created_at_ms, e.updated_by, e.updated_at_ms, e.deleted_at_ms, u.parent_id, u.type, "       \
    "u.code, u.name, u.path, u.established_on, u.closed_on"
#define ENTRY_NCOLUMNS 20
#define ENTRY_FROM     " FROM ledger_entries e JOIN units u ON u.id = e.unit_id "

/* The scalar part of an entry from a row of ENTRY_COLUMNS starting at column 'base'. */
static void entry_from_row(struct store_stmt *st, int base, struct arena *a, struct ledger_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->id = store_col_int(st, base + 0);
    e->kind_code = arena_strdup(a, store_col_text(st, base + 1));
    e->unit.id = store_col_int(st, base + 2);
    e->date = arena_strdup(a, store_col_text(st, base + 3));
    e->title = arena_strdup(a, store_col_text(st, base + 4));
    e->place = arena_strdup(a, store_col_text(st, base + 5));
    e->notes = arena_strdup(a, store_col_text(st, base + 6));
    e->version = store_col_int(st, base + 7);
    e->created_by = arena_strdup(a, store_col_text(st, base + 8));
    e->created_at_ms = store_col_int(st, base + 9);
    e->updated_by = arena_strdup(a, store_col_text(st, base + 10));
    e->updated_at_ms = store_col_int(st, base + 11);
    e->deleted_at_ms = store_col_int(st, base + 12);
    e->unit.parent_id = store_col_int(st, base + 13);
    e->unit.type = arena_strdup(a, store_col_text(st, base + 14));
    e->unit.code = arena_strdup(a, store_col_text(st, base + 15));
    e->unit.name = arena_strdup(a, store_col_text(st, base + 16));
    e->unit.path = arena_strdup(a, store_col_text(st, base + 17));
    e->unit.established_on = arena_strdup(a, store_col_text(st, base + 18));
    e->unit.closed_on = arena_strdup(a, store_col_text(st, base + 19));
}

/* Sorts values into the order of the kind's counters (unknown ones last). */
static void values_sort(const struct ledger_kind *k, struct ledger_value *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct ledger_value x = v[i];
        int xi = k ? counter_index(k, x.counter) : -1;
        size_t j = i;
        if (xi < 0)
            xi = INT32_MAX;
        while (j > 0) {
            int yi = k ? counter_index(k, v[j - 1].counter) : -1;
            if (yi < 0)
                yi = INT32_MAX;
            if (yi <= xi)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Reads an entry's values, participants, warnings and track, and its kind. */
static int entry_fill(struct store_conn *c, struct arena *a, struct kind_cache *kc,
                      struct ledger_entry *e, struct err_ctx *ec)
{
    struct store_stmt *st;
    size_t cap;
    int rc;

    e->kind = kind_cached(c, a, kc, e->kind_code, ec);
    if (!e->kind && ec->code != ERR_OK)
        return ec->code;

    cap = 0;
    rc = store_query(c, &st, ec, "SELECT counter, value FROM ledger_values WHERE entry_id = $1",
                     "i", e->id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        e->values = grow(a, e->values, e->nvalues, &cap, sizeof(*e->values));
        e->values[e->nvalues++] =
            (struct ledger_value){arena_strdup(a, store_col_text(st, 0)), store_col_int(st, 1)};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    values_sort(e->kind, e->values, e->nvalues);

    cap = 0;
    rc = store_query(c, &st, ec,
                     "SELECT person_id FROM ledger_participants WHERE entry_id = $1 ORDER BY pos",
                     "i", e->id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        e->participants =
            grow(a, e->participants, e->nparticipants, &cap, sizeof(*e->participants));
        e->participants[e->nparticipants++] =
            (struct ledger_participant){store_col_int(st, 0), NULL};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < e->nparticipants; i++) {
        struct person person;
        struct err_ctx local;
        err_clear(&local);
        rc = org_person_get(c, a, e->participants[i].id, &person, &local);
        if (rc == 0)
            e->participants[i].name = person.name;
        else if (rc != ERR_NOT_FOUND)
            return err_set(ec, (enum err)rc, NULL, "%s", local.message);
    }

    cap = 0;
    rc = store_query(c, &st, ec,
                     "SELECT counter, value, bound FROM ledger_warnings WHERE entry_id = $1 "
                     "ORDER BY id",
                     "i", e->id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        e->warnings = grow(a, e->warnings, e->nwarnings, &cap, sizeof(*e->warnings));
        e->warnings[e->nwarnings++] = (struct ledger_warning){
            arena_strdup(a, store_col_text(st, 0)), store_col_int(st, 1), store_col_int(st, 2)};
    }
    store_done(st);
    if (rc < 0)
        return rc;

    rc = store_query(c, &st, ec,
                     "SELECT points, meters, start_ms, end_ms, uploaded_at_ms FROM ledger_tracks "
                     "WHERE entry_id = $1",
                     "i", e->id);
    if (rc < 0)
        return rc;
    if ((rc = store_step(st, ec)) == 1) {
        e->has_track = true;
        e->track =
            (struct ledger_track){store_col_int(st, 0), store_col_int(st, 1), store_col_int(st, 2),
                                  store_col_int(st, 3), store_col_int(st, 4)};
        rc = 0;
    }
    store_done(st);
    return rc;
}

/* Reads entry 'id' (deleted ones too); ERR_NOT_FOUND naming "id" when none
 * or outside p's scope. */
static int entry_load(struct store_conn *c, struct arena *a, const struct principal *p,
                      struct kind_cache *kc, int64_t id, struct ledger_entry *e, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec, "SELECT " ENTRY_COLUMNS ENTRY_FROM "WHERE e.id = $1", "i", id);

    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    if (rc == 1)
        entry_from_row(st, 0, a, e);
    store_done(st);
    if (rc < 0)
        return rc;
    if (rc == 0 || (p && !access_in_scope(p, e->unit.path)))
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    return entry_fill(c, a, kc, e, ec);
}

int ledger_entry_get(struct store_conn *c, struct arena *a, const struct principal *p, int64_t id,
                     struct ledger_entry *out, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    int rc = entry_load(c, a, p, &kc, id, out, ec);

    if (rc == 0 && out->deleted_at_ms)
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    return rc;
}

/* ================================================================
 * Entries: JSON
 * ================================================================ */

void ledger_warning_message(const struct ledger_kind *k, const struct ledger_warning *w, char *buf,
                            size_t size)
{
    const struct ledger_counter *def = k ? ledger_kind_counter(k, w->counter) : NULL;
    char value[40], bound[40];
    int scale = def ? def->scale : 0;

    ledger_value_format(w->value, scale, value, sizeof(value));
    ledger_value_format(w->bound, scale, bound, sizeof(bound));
    snprintf(buf, size, "%s %s %s超过合理上限 %s %s，请核实", def ? def->name : w->counter, value,
             def ? def->unit : "", bound, def ? def->unit : "");
}

static json_t *warning_json(const struct ledger_kind *k, const struct ledger_warning *w)
{
    const struct ledger_counter *def = k ? ledger_kind_counter(k, w->counter) : NULL;
    int scale = def ? def->scale : 0;
    char field[48], message[256];

    snprintf(field, sizeof(field), "counters.%s", w->counter);
    ledger_warning_message(k, w, message, sizeof(message));
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "field", field, "counter", w->counter,
                     "value", ledger_value_json(w->value, scale), "max",
                     ledger_value_json(w->bound, scale), "unit", def ? def->unit : "", "message",
                     message);
}

static json_t *unit_ref_json(const struct unit *u)
{
    return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u->id, "code", u->code ? u->code : "",
                     "name", u->name ? u->name : "");
}

json_t *ledger_entry_json(const struct ledger_entry *e)
{
    json_t *o, *parts = json_array(), *counters = json_object(), *warnings = json_array();
    char created[TIME_INSTANT_LEN], updated[TIME_INSTANT_LEN];

    for (size_t i = 0; i < e->nparticipants; i++)
        json_array_append_new(parts,
                              json_pack("{s:I, s:o}", "id", (json_int_t)e->participants[i].id,
                                        "name", json_text_or_null(e->participants[i].name)));
    for (size_t i = 0; i < e->nvalues; i++) {
        const struct ledger_counter *def =
            e->kind ? ledger_kind_counter(e->kind, e->values[i].counter) : NULL;
        json_object_set_new(counters, e->values[i].counter,
                            ledger_value_json(e->values[i].value, def ? def->scale : 0));
    }
    for (size_t i = 0; i < e->nwarnings; i++)
        json_array_append_new(warnings, warning_json(e->kind, &e->warnings[i]));
    time_format_instant(e->created_at_ms, created, sizeof(created));
    time_format_instant(e->updated_at_ms, updated, sizeof(updated));
    o = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:s, s:s, s:s, "
                  "s:s}",
                  "id", (json_int_t)e->id, "kind", e->kind_code, "kind_name",
                  e->kind ? e->kind->name : e->kind_code, "unit", unit_ref_json(&e->unit), "date",
                  e->date, "title", e->title, "place", e->place, "notes", e->notes, "participants",
                  parts, "counters", counters, "warnings", warnings, "version",
                  (json_int_t)e->version, "created_by", e->created_by, "created_at", created,
                  "updated_by", e->updated_by, "updated_at", updated);
    if (e->has_track) {
        json_t *t = json_pack("{s:I, s:o}", "points", (json_int_t)e->track.points, "km",
                              ledger_value_json(e->track.meters, 3));
        char when[TIME_INSTANT_LEN];
        if (e->track.start_ms) {
            time_format_instant(e->track.start_ms, when, sizeof(when));
            json_object_set_new(t, "started_at", json_string(when));
            time_format_instant(e->track.end_ms, when, sizeof(when));
            json_object_set_new(t, "ended_at", json_string(when));
        }
        time_format_instant(e->track.uploaded_at_ms, when, sizeof(when));
        json_object_set_new(t, "uploaded_at", json_string(when));
        json_object_set_new(o, "track", t);
    } else {
        json_object_set_new(o, "track", json_null());
    }
    if (e->deleted_at_ms) {
        char deleted[TIME_INSTANT_LEN];
        time_format_instant(e->deleted_at_ms, deleted, sizeof(deleted));
        json_object_set_new(o, "deleted_at", json_string(deleted));
    }
    return o;
}

/* ================================================================
 * Entries: checking an input
 * ================================================================ */

/* An entry as it will be written: the stored one with the input applied. */
struct draft {
    const struct ledger_kind *kind;
    struct unit unit;
    bool unit_ok;
    const char *date, *title, *place, *notes;
    int64_t *participants;
    size_t nparticipants;
    int64_t *values; /* per counter of the kind */
    bool *present;
};

static void draft_from_entry(struct arena *a, const struct ledger_entry *e, struct draft *d)
{
    d->kind = e->kind;
    d->unit = e->unit;
    d->unit_ok = true;
    d->date = e->date;
    d->title = e->title;
    d->place = e->place;
    d->notes = e->notes;
    d->nparticipants = e->nparticipants;
    d->participants = arena_calloc(a, e->nparticipants + 1, sizeof(*d->participants));
    for (size_t i = 0; i < e->nparticipants; i++)
        d->participants[i] = e->participants[i].id;
    d->values = arena_calloc(a, e->kind->ncounters + 1, sizeof(*d->values));
    d->present = arena_calloc(a, e->kind->ncounters + 1, sizeof(*d->present));
    for (size_t i = 0; i < e->nvalues; i++) {
        int ci = counter_index(e->kind, e->values[i].counter);
        if (ci >= 0) {
            d->values[ci] = e->values[i].value;
            d->present[ci] = true;
        }
    }
}

static void check_text(struct checker *k, const char *field, const char *value, bool required,
                       size_t max, const char **out)
{
    if (!value)
        return;
    if (required && !*value) {
        fault(k, ERR_INVALID, field, "不能为空");
        return;
    }
    if (!str_is_clean_utf8(value, strlen(value))) {
        fault(k, ERR_INVALID, field, "含有不允许的控制字符");
        return;
    }
    if (str_utf8_len(value) > max) {
        fault(k, ERR_INVALID, field, "不能超过 %zu 个字", max);
        return;
    }
    *out = value;
}

/*
 * Applies 'in' to draft 'd' and checks the result (see ledger_entry_create).
 * 'creating' makes kind, unit, date and title required. The checks that
 * depend on a field run only when that field changed, except the required
 * counters, which every write must satisfy.
 */
static int check_input(struct store_conn *c, struct arena *a, const struct principal *p,
                       const struct ledger_input *in, bool creating, struct checker *k,
                       struct draft *d, struct err_ctx *ec)
{
    const char *unit_field = in->unit_field ? in->unit_field : "unit_id";
    bool unit_changed = false, date_changed = false;
    char now[TIME_DATE_LEN];
    int rc;

    if (!d->kind)
        return 0; /* a create whose kind is unknown: nothing else can be checked */

    /* The unit: exists, in scope, records this kind. */
    if (in->set_unit && (!d->unit_ok || in->unit_id != d->unit.id)) {
        struct err_ctx local;
        err_clear(&local);
        unit_changed = true;
        d->unit_ok = false;
        rc = org_unit_get(c, a, in->unit_id, &d->unit, &local);
        if (rc == ERR_NOT_FOUND) {
            fault(k, ERR_INVALID, unit_field, "单位不存在");
        } else if (rc < 0) {
            *ec = local;
            return rc;
        } else if (!access_in_scope(p, d->unit.path) || !access_has_role(p, LEDGER_WRITE_ROLES)) {
            fault(k, ERR_FORBIDDEN, unit_field, "%s不在您的管辖范围内，不能登记台账", d->unit.name);
        } else if (!ledger_kind_allows(d->kind, d->unit.type)) {
            fault(k, ERR_INVALID, unit_field, "%s（%s）不登记“%s”台账", d->unit.name,
                  org_unit_type_label(d->unit.type), d->kind->name);
        } else {
            d->unit_ok = true;
        }
    } else if (creating && !in->set_unit) {
        fault(k, ERR_INVALID, unit_field, "缺少必填项");
    }

    /* The date: real, not in the future, within the unit's life. */
    if (in->date && (creating || strcmp(in->date, d->date) != 0)) {
        struct date dt;
        date_changed = true;
        today(now, sizeof(now));
        if (date_parse(in->date, &dt) < 0)
            fault(k, ERR_INVALID, "date", "日期格式应为 YYYY-MM-DD，且是真实的日期");
        else if (strcmp(in->date, now) > 0)
            fault(k, ERR_INVALID, "date", "日期不能晚于今天（%s）", now);
        else
            d->date = in->date;
    } else if (creating) {
        fault(k, ERR_INVALID, "date", "缺少必填项");
    }
    if ((unit_changed || date_changed) && d->unit_ok && d->date &&
        !org_unit_active_on(&d->unit, d->date)) {
        if (d->unit.closed_on && strcmp(d->date, d->unit.closed_on) >= 0)
            fault(k, ERR_INVALID, "date", "%s已于 %s 撤销，不能登记此后的台账", d->unit.name,
                  d->unit.closed_on);
        else
            fault(k, ERR_INVALID, "date", "%s成立于 %s，不能登记此前的台账", d->unit.name,
                  d->unit.established_on ? d->unit.established_on : "");
    }

    if (creating && !in->title)
        fault(k, ERR_INVALID, "title", "缺少必填项");
    check_text(k, "title", in->title, true, LEDGER_TITLE_MAX, &d->title);
    check_text(k, "place", in->place, false, LEDGER_PLACE_MAX, &d->place);
    check_text(k, "notes", in->notes, false, LEDGER_NOTES_MAX, &d->notes);

    /* Participants: people of the registers, in the caller's scope, once each. */
    if (in->set_participants) {
        if (in->nparticipants > LEDGER_PARTICIPANTS_MAX) {
            fault(k, ERR_INVALID, "participants", "参与人员不能超过 %d 人",
                  LEDGER_PARTICIPANTS_MAX);
        } else {
            d->participants = arena_calloc(a, in->nparticipants + 1, sizeof(*d->participants));
            d->nparticipants = 0;
            for (size_t i = 0; i < in->nparticipants; i++) {
                const char *field = arena_printf(a, "participants[%zu]", i);
                struct person person;
                struct err_ctx local;
                bool dup = false;
                for (size_t j = 0; j < d->nparticipants; j++)
                    dup |= d->participants[j] == in->participants[i];
                if (dup) {
                    fault(k, ERR_INVALID, field, "参与人员重复");
                    continue;
                }
                err_clear(&local);
                rc = in->participants[i] > 0
                         ? org_person_get(c, a, in->participants[i], &person, &local)
                         : ERR_NOT_FOUND;
                if (rc < 0 && rc != ERR_NOT_FOUND) {
                    *ec = local;
                    return rc;
                }
                if (rc == ERR_NOT_FOUND || !access_in_scope(p, person.unit_path)) {
                    fault(k, ERR_INVALID, field, "人员 %lld 不存在或不在您的管辖范围内",
                          (long long)in->participants[i]);
                    continue;
                }
                d->participants[d->nparticipants++] = in->participants[i];
            }
        }
    }

    /* Counters: the kind's, well typed; the required ones present. */
    for (size_t i = 0; i < in->nvalues; i++) {
        const struct ledger_input_value *v = &in->values[i];
        const char *field = arena_printf(a, "counters.%s", v->code);
        int ci = counter_index(d->kind, v->code);
        struct err_ctx local;
        int64_t value;

        if (ci < 0) {
            fault(k, ERR_INVALID, field, "“%s”台账没有计数项 %s", d->kind->name, v->code);
            continue;
        }
        if (v->remove) {
            d->present[ci] = false;
            continue;
        }
        err_clear(&local);
        rc = v->json
                 ? ledger_value_from_json(&d->kind->counters[ci], v->json, field, &value, &local)
                 : ledger_value_parse(&d->kind->counters[ci], v->text ? v->text : "", field, &value,
                                      &local);
        if (rc < 0) {
            fault_from(k, &local);
            continue;
        }
        d->values[ci] = value;
        d->present[ci] = true;
    }
    for (size_t i = 0; i < d->kind->ncounters; i++)
        if (d->kind->counters[i].required && !d->present[i])
            fault(k, ERR_INVALID, arena_printf(a, "counters.%s", d->kind->counters[i].code),
                  "缺少必填项（%s）", d->kind->counters[i].name);
    return 0;
}

/* The faults of a check as the function's error: the first, when any. */
static int faults_result(const struct ledger_faults *f, size_t before, struct err_ctx *ec)
{
    if (f->n == before)
        return 0;
    return err_set(ec, f->items[before].code, f->items[before].field, "%s",
                   f->items[before].message);
}

/* ================================================================
 * Entries: writing
 * ================================================================ */

/* Adds (sign +1) or removes (-1) an entry's part of the roll-up tables. */
static int rollup_row(struct store_conn *c, const char *table_day, int64_t unit_id,
                      const char *period, const char *kind, const char *counter, int64_t total,
                      int64_t n, struct err_ctx *ec)
{
    bool daily = table_day[0] == 'd';
    int rc;

    rc = daily ? store_exec(c, ec,
                            "UPDATE ledger_daily SET total = total + $1, n = n + $2 "
                            "WHERE unit_id = $3 AND day = $4 AND kind = $5 AND counter = $6",
                            "iiitt"
                            "t",
                            total, n, unit_id, period, kind, counter)
               : store_exec(c, ec,
                            "UPDATE ledger_monthly SET total = total + $1, n = n + $2 "
                            "WHERE unit_id = $3 AND month = $4 AND kind = $5 AND counter = $6",
                            "iiitt"
                            "t",
                            total, n, unit_id, period, kind, counter);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return daily
                   ? store_exec(c, ec,
                                "INSERT INTO ledger_daily (unit_id, day, kind, counter, total, n) "
                                "VALUES ($1, $2, $3, $4, $5, $6)",
                                "ittt"
                                "ii",
                                unit_id, period, kind, counter, total, n)
                   : store_exec(c, ec,
                                "INSERT INTO ledger_monthly (unit_id, month, kind, counter, "
                                "total, n) VALUES ($1, $2, $3, $4, $5, $6)",
                                "ittt"
                                "ii",
                                unit_id, period, kind, counter, total, n);
    if (n < 0) /* keep the tables to rows that count something */
        rc = daily ? store_exec(c, ec,
                                "DELETE FROM ledger_daily WHERE unit_id = $1 AND day = $2 "
                                "AND kind = $3 AND counter = $4 AND n <= 0",
                                "ittt", unit_id, period, kind, counter)
                   : store_exec(c, ec,
                                "DELETE FROM ledger_monthly WHERE unit_id = $1 AND month = $2 "
                                "AND kind = $3 AND counter = $4 AND n <= 0",
                                "ittt", unit_id, period, kind, counter);
    return rc < 0 ? rc : 0;
}

static int rollup_apply(struct store_conn *c, struct arena *a, int64_t unit_id, const char *date,
                        const char *kind, const struct ledger_value *values, size_t n, int sign,
                        struct err_ctx *ec)
{
    const char *month = arena_strndup(a, date, 7);
    int rc;

    for (int t = 0; t < 2; t++) {
        const char *table = t == 0 ? "daily" : "monthly", *period = t == 0 ? date : month;
        if ((rc = rollup_row(c, table, unit_id, period, kind, "", sign, sign, ec)) < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = rollup_row(c, table, unit_id, period, kind, values[i].counter,
                                 sign * values[i].value, sign, ec)) < 0)
                return rc;
    }
    return 0;
}

/* The draft's values as an array in counter order. */
static struct ledger_value *draft_values(struct arena *a, const struct draft *d, size_t *n)
{
    struct ledger_value *v = arena_calloc(a, d->kind->ncounters + 1, sizeof(*v));

    *n = 0;
    for (size_t i = 0; i < d->kind->ncounters; i++)
        if (d->present[i])
            v[(*n)++] = (struct ledger_value){d->kind->counters[i].code, d->values[i]};
    return v;
}

/* Writes the values, participants and warnings of a draft for entry 'id'
 * (replacing what the entry had). */
static int write_details(struct store_conn *c, int64_t id, const struct draft *d, int64_t now,
                         struct err_ctx *ec)
{
    int rc;

    if ((rc = store_exec(c, ec, "DELETE FROM ledger_values WHERE entry_id = $1", "i", id)) < 0 ||
        (rc = store_exec(c, ec, "DELETE FROM ledger_participants WHERE entry_id = $1", "i", id)) <
            0 ||
        (rc = store_exec(c, ec, "DELETE FROM ledger_warnings WHERE entry_id = $1", "i", id)) < 0)
        return rc;
    for (size_t i = 0; i < d->kind->ncounters; i++) {
        const struct ledger_counter *def = &d->kind->counters[i];
        if (!d->present[i])
            continue;
        rc = store_exec(c, ec,
                        "INSERT INTO ledger_values (entry_id, counter, value) VALUES ($1, $2, $3)",
                        "iti", id, def->code, d->values[i]);
        if (rc < 0)
            return rc;
        if (def->max >= 0 && d->values[i] > def->max) {
            rc = store_exec(c, ec,
                            "INSERT INTO ledger_warnings (entry_id, counter, value, bound, "
                            "created_at_ms) VALUES ($1, $2, $3, $4, $5)",
                            "itiii", id, def->code, d->values[i], def->max, now);
            if (rc < 0)
                return rc;
        }
    }
    for (size_t i = 0; i < d->nparticipants; i++) {
        rc = store_exec(c, ec,
                        "INSERT INTO ledger_participants (entry_id, person_id, pos) "
                        "VALUES ($1, $2, $3)",
                        "iii", id, d->participants[i], (int64_t)i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * After a write: the entry as it now is into *out, a history row for this
 * version, the audit entry and the event(s). 'before' is NULL for a create;
 * 'old_path' (may be NULL) is the unit path before a move, which gets the
 * event too.
 */
static int record_write(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const char *action, const char *event,
                        const struct ledger_entry *before, const char *old_path,
                        struct ledger_entry *out, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    char actor[ACTOR_MAX];
    json_t *ja, *jb, *payload;
    const char *after_text, *payload_text;
    int rc;

    if ((rc = entry_load(c, a, NULL, &kc, id, out, ec)) < 0)
        return rc;
    access_actor(p, actor, sizeof(actor));
    ja = ledger_entry_json(out);
    jb = before ? ledger_entry_json(before) : NULL;
    after_text = ledger_json_dump(a, ja);
    rc =
        store_exec(c, ec,
                   "INSERT INTO ledger_history (entry_id, version, action, actor, at_ms, snapshot) "
                   "VALUES ($1, $2, $3, $4, $5, $6)",
                   "iittit", id, out->version, action, actor,
                   out->deleted_at_ms ? out->deleted_at_ms : out->updated_at_ms, after_text);
    if (rc >= 0)
        rc = store_audit(c,
                         &(struct audit_rec){actor, action, "ledger_entry",
                                             arena_printf(a, "%lld", (long long)id), out->unit.id,
                                             ledger_json_dump(a, jb),
                                             out->deleted_at_ms ? NULL : after_text},
                         ec);
    json_decref(ja);
    json_decref(jb);
    if (rc < 0)
        return rc;
    payload = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "kind",
                        out->kind_code, "unit_id", (json_int_t)out->unit.id, "date", out->date,
                        "title", out->title, "version", (json_int_t)out->version);
    payload_text = ledger_json_dump(a, payload);
    json_decref(payload);
    if (strcmp(action, "import") == 0)
        return 0; /* the import emits one event per unit */
    rc = store_event(c, event, out->unit.path, NULL, payload_text, ec);
    if (rc == 0 && old_path && strcmp(old_path, out->unit.path) != 0)
        rc = store_event(c, event, old_path, NULL, payload_text, ec);
    return rc;
}

int ledger_entry_create(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_input *in, size_t line, struct ledger_faults *faults,
                        struct ledger_entry *out, struct err_ctx *ec)
{
    struct ledger_faults local_faults = {.limit = 1};
    struct ledger_faults *f = faults ? faults : &local_faults;
    struct checker k = {a, f, line};
    struct draft d = {0};
    struct ledger_kind *kind;
    struct err_ctx local;
    size_t before = f->n, nvalues;
    struct ledger_value *values;
    char actor[ACTOR_MAX];
    int64_t id, now = time_now_ms();
    int rc;

    if ((rc = access_require(p, LEDGER_WRITE_ROLES, NULL, ec)) < 0)
        return rc;
    if (!in->kind || !*in->kind) {
        fault(&k, ERR_INVALID, "kind", "缺少必填项");
    } else {
        kind = arena_alloc(a, sizeof(*kind));
        err_clear(&local);
        rc = ledger_kind_get(c, a, in->kind, "kind", kind, &local);
        if (rc == ERR_NOT_FOUND) {
            fault(&k, ERR_INVALID, "kind", "未知的台账种类 %s", in->kind);
        } else if (rc < 0) {
            *ec = local;
            return rc;
        } else if (!kind->active) {
            fault(&k, ERR_INVALID, "kind", "台账种类“%s”已停用", kind->name);
        } else {
            d.kind = kind;
            d.values = arena_calloc(a, kind->ncounters + 1, sizeof(*d.values));
            d.present = arena_calloc(a, kind->ncounters + 1, sizeof(*d.present));
            d.place = "";
            d.notes = "";
        }
    }
    if ((rc = check_input(c, a, p, in, true, &k, &d, ec)) < 0)
        return rc;
    if (f->n > before)
        return faults ? err_set(ec, ERR_INVALID, NULL, "导入的数据有误")
                      : faults_result(f, before, ec);

    access_actor(p, actor, sizeof(actor));
    rc = store_query_int(c, &id, ec,
                         "INSERT INTO ledger_entries (kind, unit_id, date, title, place, notes, "
                         "version, import_key, created_by, created_at_ms, updated_by, "
                         "updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $8, $9) "
                         "RETURNING id",
                         "titttttti", d.kind->code, d.unit.id, d.date, d.title, d.place, d.notes,
                         in->import_key, actor, now);
    if (rc == ERR_CONFLICT && in->import_key) {
        err_clear(ec);
        return err_set(ec, ERR_CONFLICT, "import_key", "该行已导入过");
    }
    if (rc < 0 || (rc = write_details(c, id, &d, now, ec)) < 0)
        return rc;
    values = draft_values(a, &d, &nvalues);
    if ((rc = rollup_apply(c, a, d.unit.id, d.date, d.kind->code, values, nvalues, +1, ec)) < 0)
        return rc;
    return record_write(c, a, p, id, in->import_key ? "import" : "create", "ledger.entry.created",
                        NULL, NULL, out, ec);
}

/* Loads a live entry for a change by p: scope (404), role (403), version (409). */
static int load_for_change(struct store_conn *c, struct arena *a, const struct principal *p,
                           int64_t id, int64_t expected_version, struct ledger_entry *e,
                           struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    int rc = entry_load(c, a, p, &kc, id, e, ec);

    if (rc == 0 && e->deleted_at_ms)
        rc = err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    if (rc < 0)
        return rc;
    if ((rc = access_require(p, LEDGER_WRITE_ROLES, e->unit.path, ec)) < 0)
        return rc;
    if (!e->kind)
        return err_set(ec, ERR_CONFLICT, "kind", "台账种类 %s 已不存在", e->kind_code);
    if (expected_version > 0 && expected_version != e->version)
        return err_set(ec, ERR_CONFLICT, "version",
                       "台账记录已被他人修改（当前版本 %lld），请刷新后重试",
                       (long long)e->version);
    return 0;
}

static int entry_update(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const struct ledger_input *in, const char *action,
                        struct ledger_entry *out, struct err_ctx *ec)
{
    struct ledger_faults f = {.limit = 1};
    struct checker k = {a, &f, 0};
    struct ledger_entry before;
    struct draft d = {0};
    struct ledger_value *values;
    size_t nvalues;
    char actor[ACTOR_MAX];
    int64_t now = time_now_ms();
    int rc;

    if ((rc = load_for_change(c, a, p, id, in->expected_version, &before, ec)) < 0)
        return rc;
    if (in->kind && strcmp(in->kind, before.kind_code) != 0)
        return err_set(ec, ERR_INVALID, "kind", "不能修改台账种类；请删除后按新种类重新登记");
    draft_from_entry(a, &before, &d);
    if ((rc = check_input(c, a, p, in, false, &k, &d, ec)) < 0)
        return rc;
    if ((rc = faults_result(&f, 0, ec)) < 0)
        return rc;

    access_actor(p, actor, sizeof(actor));
    if ((rc = rollup_apply(c, a, before.unit.id, before.date, before.kind_code, before.values,
                           before.nvalues, -1, ec)) < 0)
        return rc;
    rc = store_exec(c, ec,
                    "UPDATE ledger_entries SET unit_id = $1, date = $2, title = $3, place = $4, "
                    "notes = $5, version = version + 1, updated_by = $6, updated_at_ms = $7 "
                    "WHERE id = $8",
                    "itttttii", d.unit.id, d.date, d.title, d.place, d.notes, actor, now, id);
    if (rc < 0 || (rc = write_details(c, id, &d, now, ec)) < 0)
        return rc;
    values = draft_values(a, &d, &nvalues);
    if ((rc = rollup_apply(c, a, d.unit.id, d.date, d.kind->code, values, nvalues, +1, ec)) < 0)
        return rc;
    return record_write(c, a, p, id, action, "ledger.entry.updated", &before, before.unit.path, out,
                        ec);
}

int ledger_entry_update(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, const struct ledger_input *in, struct ledger_entry *out,
                        struct err_ctx *ec)
{
    return entry_update(c, a, p, id, in, "update", out, ec);
}

int ledger_entry_delete(struct store_conn *c, struct arena *a, const struct principal *p,
                        int64_t id, int64_t expected_version, struct err_ctx *ec)
{
    struct ledger_entry before, after;
    char actor[ACTOR_MAX];
    int rc;

    if ((rc = load_for_change(c, a, p, id, expected_version, &before, ec)) < 0)
        return rc;
    access_actor(p, actor, sizeof(actor));
    if ((rc = rollup_apply(c, a, before.unit.id, before.date, before.kind_code, before.values,
                           before.nvalues, -1, ec)) < 0)
        return rc;
    rc = store_exec(c, ec,
                    "UPDATE ledger_entries SET deleted_at_ms = $1, version = version + 1, "
                    "updated_by = $2, updated_at_ms = $1 WHERE id = $3",
                    "iti", time_now_ms(), actor, id);
    if (rc < 0)
        return rc;
    return record_write(c, a, p, id, "delete", "ledger.entry.deleted", &before, NULL, &after, ec);
}

int ledger_entry_history(struct store_conn *c, struct arena *a, const struct principal *p,
                         int64_t id, struct ledger_version **items, size_t *n, struct err_ctx *ec)
{
    struct store_stmt *st;
    struct ledger_version *list = NULL;
    size_t cap = 0, count = 0;
    char *path;
    int64_t unit_id;
    int rc;

    /* Deleted entries keep their history; scope is that of the unit. */
    rc = store_query_int(c, &unit_id, ec, "SELECT unit_id FROM ledger_entries WHERE id = $1", "i",
                         id);
    if (rc == ERR_NOT_FOUND)
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");
    if (rc < 0)
        return rc;
    rc = store_query(c, &st, ec, "SELECT path FROM units WHERE id = $1", "i", unit_id);
    if (rc < 0)
        return rc;
    rc = store_step(st, ec);
    path = rc == 1 ? arena_strdup(a, store_col_text(st, 0)) : NULL;
    store_done(st);
    if (rc < 0)
        return rc;
    if (!path || !access_in_scope(p, path))
        return err_set(ec, ERR_NOT_FOUND, "id", "台账记录不存在");

    rc = store_query(c, &st, ec,
                     "SELECT version, action, actor, at_ms, snapshot FROM ledger_history "
                     "WHERE entry_id = $1 ORDER BY id",
                     "i", id);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        list = grow(a, list, count, &cap, sizeof(*list));
        list[count++] =
            (struct ledger_version){store_col_int(st, 0), arena_strdup(a, store_col_text(st, 1)),
                                    arena_strdup(a, store_col_text(st, 2)), store_col_int(st, 3),
                                    arena_strdup(a, store_col_text(st, 4))};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *items = list;
    *n = count;
    return 0;
}

int ledger_entry_set_track(struct store_conn *c, struct arena *a, const struct principal *p,
                           int64_t id, const char *gpx, size_t len, const struct gpx_summary *sum,
                           int64_t expected_version, struct ledger_entry *out, struct err_ctx *ec)
{
    struct ledger_entry e;
    const struct ledger_counter *def;
    struct ledger_input_value v;
    struct ledger_input in = {0};
    char text[40];
    double scaled;
    int rc;

    if ((rc = load_for_change(c, a, p, id, expected_version, &e, ec)) < 0)
        return rc;
    def = *e.kind->track_counter ? ledger_kind_counter(e.kind, e.kind->track_counter) : NULL;
    if (!def)
        return err_set(ec, ERR_INVALID, "kind", "“%s”台账不记录轨迹里程", e.kind->name);
    if (sum->points == 0)
        return err_set(ec, ERR_INVALID, "file", "轨迹文件中没有轨迹点");
    scaled = round(sum->km * (double)pow10_table[def->scale]);
    if (!(scaled >= 0 && scaled <= (double)LEDGER_VALUE_MAX))
        return err_set(ec, ERR_INVALID, "file", "轨迹里程超出范围");
    ledger_value_format((int64_t)scaled, def->scale, text, sizeof(text));

    rc = store_exec(c, ec, "DELETE FROM ledger_tracks WHERE entry_id = $1", "i", id);
    if (rc >= 0)
        rc = store_exec(c, ec,
                        "INSERT INTO ledger_tracks (entry_id, gpx, points, meters, start_ms, "
                        "end_ms, uploaded_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        "ibiiiii", id, gpx, len, (int64_t)sum->points,
                        (int64_t)llround(sum->km * 1000.0), sum->start_ms, sum->end_ms,
                        time_now_ms());
    if (rc < 0)
        return rc;
    v = (struct ledger_input_value){def->code, NULL, text, false};
    in.values = &v;
    in.nvalues = 1;
    return entry_update(c, a, p, id, &in, "track", out, ec);
}

/* ================================================================
 * Filters
 * ================================================================ */

int ledger_filter_check(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_filter *f, struct unit *unit, struct err_ctx *ec)
{
    struct date d;
    int64_t unit_id = f->unit_id ? f->unit_id : p->unit_id;
    int rc;

    if (unit_id == 0) {
        /* The CLI acts on the whole tree and has no unit of its own. */
        memset(unit, 0, sizeof(*unit));
        unit->code = "";
        unit->name = "全部单位";
        unit->path = "/";
        unit->type = "";
    } else {
        struct err_ctx local;
        err_clear(&local);
        rc = org_unit_get(c, a, unit_id, unit, &local);
        if (rc < 0 && rc != ERR_NOT_FOUND) {
            *ec = local;
            return rc;
        }
        if (rc == ERR_NOT_FOUND || !access_in_scope(p, unit->path))
            return err_set(ec, ERR_NOT_FOUND, "unit", "单位不存在");
    }
    if (f->kind) {
        struct ledger_kind k;
        struct err_ctx local;
        err_clear(&local);
        rc = ledger_kind_get(c, a, f->kind, "kind", &k, &local);
        if (rc == ERR_NOT_FOUND)
            return err_set(ec, ERR_INVALID, "kind", "未知的台账种类 %s", f->kind);
        if (rc < 0) {
            *ec = local;
            return rc;
        }
    }
    if (f->from && date_parse(f->from, &d) < 0)
        return err_set(ec, ERR_INVALID, "from", "日期格式应为 YYYY-MM-DD，且是真实的日期");
    if (f->to && date_parse(f->to, &d) < 0)
        return err_set(ec, ERR_INVALID, "to", "日期格式应为 YYYY-MM-DD，且是真实的日期");
    if (f->from && f->to && strcmp(f->from, f->to) > 0)
        return err_set(ec, ERR_INVALID, "to", "结束日期不能早于开始日期");
    if (f->q && !text_ok(f->q, 100))
        return err_set(ec, ERR_INVALID, "q", "搜索文字不能超过 100 个字");
    return 0;
}

/*
 * The bound parameters every filtered query shares, $1..$7:
 *   $1, $2  the unit subtree's path range
 *   $3, $4  the date range ("" and "~" when open: every date sorts between)
 *   $5, $6  the kind range (the kind twice, or "" and "~")
 *   $7      a LIKE pattern for the text, or "" for none
 * Ranges rather than "($5 = '' OR kind = $5)" so that the planner can use an
 * index in both cases.
 */
struct filter_args {
    const char *lo, *hi, *from, *to, *kind_lo, *kind_hi, *like;
};

#define FILTER_WHERE_WITH(kind)                                                                    \
    " e.deleted_at_ms IS NULL AND e.unit_id IN (SELECT id FROM units WHERE path >= $1 AND "        \
    "path < $2) AND e.date >= $3 AND e.date <= $4 AND " kind " AND "                               \
    "($7 = '' OR e.title LIKE $7 ESCAPE '\\' OR e.place LIKE $7 ESCAPE '\\' OR "                   \
    "e.notes LIKE $7 ESCAPE '\\') "
#define FILTER_WHERE FILTER_WHERE_WITH("e.kind >= $5 AND e.kind <= $6")
/* With one kind asked for over a wide scope, an equality lets the planner
 * walk the (kind, date, id) index newest first, so that a rare kind's page
 * does not read the whole scope through the unit index; over a narrow scope
 * (a community) the unit index stays the short walk. bench/pages.sh times
 * both. */
#define FILTER_WHERE_ONE_KIND FILTER_WHERE_WITH("e.kind = $5 AND e.kind = $6")
#define LIST_NARROW_SCOPE     8 /* units: at most this many walk the unit index */
#define FILTER_TYPES          "ttttttt"
#define FILTER_ARGS(x)        (x).lo, (x).hi, (x).from, (x).to, (x).kind_lo, (x).kind_hi, (x).like

static void filter_args(struct arena *a, const struct ledger_filter *f, const struct unit *unit,
                        struct filter_args *x)
{
    x->lo = unit->path;
    x->hi = path_upper(a, unit->path);
    x->from = f->from ? f->from : "";
    x->to = f->to ? f->to : "~";
    x->kind_lo = f->kind ? f->kind : "";
    x->kind_hi = f->kind ? f->kind : "~";
    x->like = "";
    if (f->q && *f->q) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '%');
        for (const char *s = f->q; *s; s++) {
            if (*s == '%' || *s == '_' || *s == '\\')
                strbuf_addch(&sb, '\\');
            strbuf_addch(&sb, *s);
        }
        strbuf_addch(&sb, '%');
        x->like = arena_strdup(a, sb.buf);
        strbuf_release(&sb);
    }
}

/* A cursor "YYYY-MM-DD_ID": where a page sorted by (date DESC, id DESC) ended. */
static int cursor_parse(struct arena *a, const char *cursor, const char **date, int64_t *id,
                        struct err_ctx *ec)
{
    struct date d;
    char buf[TIME_DATE_LEN];

    if (!cursor) {
        *date = "~";
        *id = INT64_MAX;
        return 0;
    }
    if (strlen(cursor) < 12 || cursor[10] != '_')
        goto bad;
    memcpy(buf, cursor, 10);
    buf[10] = '\0';
    if (date_parse(buf, &d) < 0 || str_to_int64(cursor + 11, 1, INT64_MAX, id) < 0)
        goto bad;
    *date = arena_strdup(a, buf);
    return 0;
bad:
    return err_set(ec, ERR_BAD_REQUEST, "cursor", "分页游标无效");
}

/* ================================================================
 * Lists
 * ================================================================ */

int ledger_entry_list(struct store_conn *c, struct arena *a, const struct principal *p,
                      const struct ledger_filter *f, struct ledger_entry **items, size_t *n,
                      const char **next_cursor, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    struct filter_args x;
    struct unit unit;
    struct store_stmt *st;
    struct ledger_entry *list = NULL;
    size_t cap = 0, count = 0;
    const char *cdate;
    int64_t cid, units = 0, limit = f->limit > 0 && f->limit <= LEDGER_PAGE_MAX ? f->limit : 50;
    int rc;

    if ((rc = ledger_filter_check(c, a, p, f, &unit, ec)) < 0 ||
        (rc = cursor_parse(a, f->cursor, &cdate, &cid, ec)) < 0)
        return rc;
    filter_args(a, f, &unit, &x);
    if (f->kind && (rc = store_query_int(c, &units, ec,
                                         "SELECT COUNT(*) FROM units WHERE path >= $1 AND "
                                         "path < $2",
                                         "tt", x.lo, x.hi)) < 0)
        return rc;
    if (f->kind && units > LIST_NARROW_SCOPE)
        rc = store_query(c, &st, ec,
                         "SELECT " ENTRY_COLUMNS ENTRY_FROM "WHERE" FILTER_WHERE_ONE_KIND
                         "AND (e.date < $8 OR (e.date = $8 AND e.id < $9)) "
                         "ORDER BY e.date DESC, e.id DESC LIMIT $10",
                         FILTER_TYPES "tii", FILTER_ARGS(x), cdate, cid, limit + 1);
    else
        rc = store_query(c, &st, ec,
                         "SELECT " ENTRY_COLUMNS ENTRY_FROM "WHERE" FILTER_WHERE
                         "AND (e.date < $8 OR (e.date = $8 AND e.id < $9)) "
                         "ORDER BY e.date DESC, e.id DESC LIMIT $10",
                         FILTER_TYPES "tii", FILTER_ARGS(x), cdate, cid, limit + 1);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        list = grow(a, list, count, &cap, sizeof(*list));
        entry_from_row(st, 0, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *next_cursor = NULL;
    if ((int64_t)count > limit) {
        count = (size_t)limit;
        *next_cursor =
            arena_printf(a, "%s_%lld", list[count - 1].date, (long long)list[count - 1].id);
    }
    for (size_t i = 0; i < count; i++)
        if ((rc = entry_fill(c, a, &kc, &list[i], ec)) < 0)
            return rc;
    *items = list;
    *n = count;
    return 0;
}

int ledger_entry_all(struct store_conn *c, struct arena *a, const struct principal *p,
                     const struct ledger_filter *f, size_t max, struct ledger_entry **items,
                     size_t *n, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    struct filter_args x;
    struct unit unit;
    struct store_stmt *st;
    struct ledger_entry *list = NULL;
    size_t cap = 0, count = 0;
    int rc;

    if ((rc = ledger_filter_check(c, a, p, f, &unit, ec)) < 0)
        return rc;
    filter_args(a, f, &unit, &x);
    rc = store_query(c, &st, ec,
                     "SELECT " ENTRY_COLUMNS ENTRY_FROM "WHERE" FILTER_WHERE
                     "ORDER BY e.kind, e.date, e.id LIMIT $8",
                     FILTER_TYPES "i", FILTER_ARGS(x), (int64_t)max + 1);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        if (count == max) {
            rc = err_set(ec, ERR_INVALID, "to",
                         "符合条件的台账超过 %zu 条，请缩小日期范围或按种类分别导出", max);
            break;
        }
        list = grow(a, list, count, &cap, sizeof(*list));
        entry_from_row(st, 0, a, &list[count++]);
    }
    store_done(st);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < count; i++)
        if ((rc = entry_fill(c, a, &kc, &list[i], ec)) < 0)
            return rc;
    *items = list;
    *n = count;
    return 0;
}

/* ================================================================
 * Totals
 * ================================================================ */

struct acc {
    const char *kind, *counter;
    int64_t total, n;
};

struct accs {
    struct acc *items;
    size_t n, cap;
};

static void acc_add(struct arena *a, struct accs *x, const char *kind, const char *counter,
                    int64_t total, int64_t n)
{
    for (size_t i = 0; i < x->n; i++) {
        if (strcmp(x->items[i].kind, kind) == 0 && strcmp(x->items[i].counter, counter) == 0) {
            x->items[i].total += total;
            x->items[i].n += n;
            return;
        }
    }
    x->items = grow(a, x->items, x->n, &x->cap, sizeof(*x->items));
    x->items[x->n++] = (struct acc){arena_strdup(a, kind), arena_strdup(a, counter), total, n};
}

/* Runs a query returning (kind, counter, total, n) rows into 'x'. */
static int acc_rows(struct store_stmt *st, struct arena *a, struct accs *x, struct err_ctx *ec)
{
    int rc;

    while ((rc = store_step(st, ec)) == 1)
        acc_add(a, x, store_col_text(st, 0), store_col_text(st, 1), store_col_int(st, 2),
                store_col_int(st, 3));
    store_done(st);
    return rc;
}

/* Sums ledger_daily over the days [d1, d2] of the filter's subtree and kind. */
static int sum_days(struct store_conn *c, struct arena *a, const struct filter_args *x,
                    const char *d1, const char *d2, struct accs *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec,
                         "SELECT kind, counter, SUM(total), SUM(n) FROM ledger_daily "
                         "WHERE unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2) "
                         "AND day >= $3 AND day <= $4 AND kind >= $5 AND kind <= $6 "
                         "GROUP BY kind, counter",
                         "tttttt", x->lo, x->hi, d1, d2, x->kind_lo, x->kind_hi);
    return rc < 0 ? rc : acc_rows(st, a, out, ec);
}

static int sum_months(struct store_conn *c, struct arena *a, const struct filter_args *x,
                      const char *m1, const char *m2, struct accs *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc = store_query(c, &st, ec,
                         "SELECT kind, counter, SUM(total), SUM(n) FROM ledger_monthly "
                         "WHERE unit_id IN (SELECT id FROM units WHERE path >= $1 AND path < $2) "
                         "AND month >= $3 AND month <= $4 AND kind >= $5 AND kind <= $6 "
                         "GROUP BY kind, counter",
                         "tttttt", x->lo, x->hi, m1, m2, x->kind_lo, x->kind_hi);
    return rc < 0 ? rc : acc_rows(st, a, out, ec);
}

/* "YYYY-MM" of the month after / before 'm' (out holds 8 bytes). */
static void month_step(const char *m, int delta, char out[8])
{
    int y = (m[0] - '0') * 1000 + (m[1] - '0') * 100 + (m[2] - '0') * 10 + (m[3] - '0');
    int mo = (m[5] - '0') * 10 + (m[6] - '0') + delta;

    if (mo > 12) {
        mo = 1;
        y++;
    } else if (mo < 1) {
        mo = 12;
        y--;
    }
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    snprintf(out, 8, "%04d-%02d", y % 10000, mo % 100);
}

static bool last_of_month(const char *date)
{
    struct date d;
    if (date_parse(date, &d) < 0)
        return false;
    d = date_from_days(date_to_days(&d) + 1);
    return d.day == 1;
}

/*
 * Sums the roll-up over [from, to]: the whole months in between from
 * ledger_monthly (about 30 times fewer rows), the partial months at either
 * end from ledger_daily.
 */
static int totals_rollup(struct store_conn *c, struct arena *a, const struct ledger_filter *f,
                         const struct filter_args *x, struct accs *out, struct err_ctx *ec)
{
    char m1[8] = "", m2[8] = "~", first[TIME_DATE_LEN], fm[8], tm[8];
    bool same_month = f->from && f->to && strncmp(f->from, f->to, 7) == 0;
    int rc;

    if (f->from) {
        snprintf(fm, sizeof(fm), "%.7s", f->from);
        if (strcmp(f->from + 8, "01") == 0) {
            snprintf(m1, sizeof(m1), "%s", fm);
        } else {
            month_step(fm, +1, m1);
            if (same_month) /* one partial month: its days, and no month at all */
                return sum_days(c, a, x, f->from, f->to, out, ec);
            snprintf(first, sizeof(first), "%s-31", fm); /* day 31 sorts after every day */
            if ((rc = sum_days(c, a, x, f->from, first, out, ec)) < 0)
                return rc;
        }
    }
    if (f->to) {
        snprintf(tm, sizeof(tm), "%.7s", f->to);
        if (last_of_month(f->to)) {
            snprintf(m2, sizeof(m2), "%s", tm);
        } else {
            month_step(tm, -1, m2);
            snprintf(first, sizeof(first), "%s-01", tm);
            if (same_month) /* from is the 1st: only these days */
                return sum_days(c, a, x, f->from, f->to, out, ec);
            if ((rc = sum_days(c, a, x, first, f->to, out, ec)) < 0)
                return rc;
        }
    }
    if (strcmp(m1, m2) <= 0)
        return sum_months(c, a, x, m1, m2, out, ec);
    return 0;
}

static int totals_detail(struct store_conn *c, struct arena *a, const struct filter_args *x,
                         struct accs *out, struct err_ctx *ec)
{
    struct store_stmt *st;
    int rc;

    rc =
        store_query(c, &st, ec,
                    "SELECT e.kind, '', COUNT(*), COUNT(*) FROM ledger_entries e WHERE" FILTER_WHERE
                    "GROUP BY e.kind",
                    FILTER_TYPES, FILTER_ARGS(*x));
    if (rc < 0 || (rc = acc_rows(st, a, out, ec)) < 0)
        return rc;
    rc = store_query(c, &st, ec,
                     "SELECT e.kind, v.counter, SUM(v.value), COUNT(*) FROM ledger_entries e "
                     "JOIN ledger_values v ON v.entry_id = e.id WHERE" FILTER_WHERE
                     "GROUP BY e.kind, v.counter",
                     FILTER_TYPES, FILTER_ARGS(*x));
    return rc < 0 ? rc : acc_rows(st, a, out, ec);
}

static void total_kind_init(struct arena *a, const struct ledger_kind *k,
                            struct ledger_total_kind *t)
{
    t->kind = k;
    t->entries = 0;
    t->ncounters = k->ncounters;
    t->counters = arena_calloc(a, k->ncounters + 1, sizeof(*t->counters));
    for (size_t i = 0; i < k->ncounters; i++)
        t->counters[i].def = &k->counters[i];
}

int ledger_totals(struct store_conn *c, struct arena *a, const struct principal *p,
                  const struct ledger_filter *f, struct ledger_totals *out, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    struct filter_args x;
    struct accs sums = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = ledger_filter_check(c, a, p, f, &out->unit, ec)) < 0)
        return rc;
    filter_args(a, f, &out->unit, &x);
    out->from_rollup = !(f->q && *f->q) && !f->detail;
    rc = out->from_rollup ? totals_rollup(c, a, f, &x, &sums, ec)
                          : totals_detail(c, a, &x, &sums, ec);
    if (rc < 0)
        return rc;

    /* One block per kind: the filter's kind, or every kind with entries. */
    out->kinds = arena_calloc(a, sums.n + 2, sizeof(*out->kinds));
    if (f->kind) {
        const struct ledger_kind *k = kind_cached(c, a, &kc, f->kind, ec);
        if (!k)
            return ec->code != ERR_OK ? ec->code
                                      : err_set(ec, ERR_INVALID, "kind", "未知的台账种类");
        total_kind_init(a, k, &out->kinds[out->nkinds++]);
    }
    for (size_t i = 0; i < sums.n; i++) {
        const struct ledger_kind *k;
        bool seen = false;
        if (*sums.items[i].counter || sums.items[i].n <= 0)
            continue;
        for (size_t j = 0; j < out->nkinds; j++)
            seen |= strcmp(out->kinds[j].kind->code, sums.items[i].kind) == 0;
        if (seen)
            continue;
        k = kind_cached(c, a, &kc, sums.items[i].kind, ec);
        if (!k) {
            if (ec->code != ERR_OK)
                return ec->code;
            continue;
        }
        total_kind_init(a, k, &out->kinds[out->nkinds++]);
    }
    /* Kinds by code, as the catalog lists them. */
    for (size_t i = 1; i < out->nkinds; i++)
        for (size_t j = i;
             j > 0 && strcmp(out->kinds[j - 1].kind->code, out->kinds[j].kind->code) > 0; j--) {
            struct ledger_total_kind t = out->kinds[j];
            out->kinds[j] = out->kinds[j - 1];
            out->kinds[j - 1] = t;
        }
    for (size_t i = 0; i < sums.n; i++) {
        const struct acc *s = &sums.items[i];
        for (size_t j = 0; j < out->nkinds; j++) {
            struct ledger_total_kind *t = &out->kinds[j];
            if (strcmp(t->kind->code, s->kind) != 0)
                continue;
            if (!*s->counter) {
                t->entries += s->n;
                out->entries += s->n;
                continue;
            }
            for (size_t k = 0; k < t->ncounters; k++) {
                if (strcmp(t->counters[k].def->code, s->counter) == 0) {
                    t->counters[k].total += s->total;
                    t->counters[k].entries += s->n;
                }
            }
        }
    }
    return 0;
}

static json_t *total_kind_json(const struct ledger_total_kind *t)
{
    json_t *counters = json_object();

    for (size_t i = 0; i < t->ncounters; i++) {
        const struct ledger_total_counter *tc = &t->counters[i];
        json_object_set_new(counters, tc->def->code,
                            json_pack("{s:s, s:o, s:s, s:I}", "name", tc->def->name, "total",
                                      ledger_value_json(tc->total, tc->def->scale), "unit",
                                      tc->def->unit, "entries", (json_int_t)tc->entries));
    }
    return json_pack("{s:s, s:s, s:I, s:o}", "kind", t->kind->code, "name", t->kind->name,
                     "entries", (json_int_t)t->entries, "counters", counters);
}

json_t *ledger_totals_json(const struct ledger_totals *t, const struct ledger_filter *f)
{
    json_t *kinds = json_array();
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:I, s:s}", "unit", unit_ref_json(&t->unit), "from",
                          json_text_or_null(f->from), "to", json_text_or_null(f->to), "q",
                          json_text_or_null(f->q && *f->q ? f->q : NULL), "entries",
                          (json_int_t)t->entries, "source", t->from_rollup ? "rollup" : "detail");

    for (size_t i = 0; i < t->nkinds; i++)
        json_array_append_new(kinds, total_kind_json(&t->kinds[i]));
    if (f->kind && t->nkinds == 1) {
        json_t *one = total_kind_json(&t->kinds[0]);
        json_object_set(o, "kind", json_object_get(one, "kind"));
        json_object_set(o, "name", json_object_get(one, "name"));
        json_object_set(o, "counters", json_object_get(one, "counters"));
        json_decref(one);
    }
    json_object_set_new(o, "kinds", kinds);
    return o;
}

/* ================================================================
 * Warnings
 * ================================================================ */

int ledger_warning_list(struct store_conn *c, struct arena *a, const struct principal *p,
                        const struct ledger_filter *f, struct ledger_warning_item **items,
                        size_t *n, const char **next_cursor, struct err_ctx *ec)
{
    struct kind_cache kc = {0};
    struct filter_args x;
    struct unit unit;
    struct store_stmt *st;
    struct ledger_warning_item *list = NULL;
    size_t cap = 0, count = 0;
    const char *cdate;
    int64_t cid, limit = f->limit > 0 && f->limit <= LEDGER_PAGE_MAX ? f->limit : 50;
    int rc;

    if ((rc = ledger_filter_check(c, a, p, f, &unit, ec)) < 0 ||
        (rc = cursor_parse(a, f->cursor, &cdate, &cid, ec)) < 0)
        return rc;
    filter_args(a, f, &unit, &x);
    rc = store_query(c, &st, ec,
                     "SELECT " ENTRY_COLUMNS ", w.id, w.counter, w.value, w.bound "
                     "FROM ledger_warnings w JOIN ledger_entries e ON e.id = w.entry_id "
                     "JOIN units u ON u.id = e.unit_id WHERE" FILTER_WHERE
                     "AND (e.date < $8 OR (e.date = $8 AND w.id < $9)) "
                     "ORDER BY e.date DESC, w.id DESC LIMIT $10",
                     FILTER_TYPES "tii", FILTER_ARGS(x), cdate, cid, limit + 1);
    if (rc < 0)
        return rc;
    while ((rc = store_step(st, ec)) == 1) {
        struct ledger_warning_item *w;
        list = grow(a, list, count, &cap, sizeof(*list));
        w = &list[count++];
        entry_from_row(st, 0, a, &w->entry);
        w->id = store_col_int(st, ENTRY_NCOLUMNS);
        w->warning = (struct ledger_warning){
            arena_strdup(a, store_col_text(st, ENTRY_NCOLUMNS + 1)),
            store_col_int(st, ENTRY_NCOLUMNS + 2), store_col_int(st, ENTRY_NCOLUMNS + 3)};
    }
    store_done(st);
    if (rc < 0)
        return rc;
    *next_cursor = NULL;
    if ((int64_t)count > limit) {
        count = (size_t)limit;
        *next_cursor =
            arena_printf(a, "%s_%lld", list[count - 1].entry.date, (long long)list[count - 1].id);
    }
    for (size_t i = 0; i < count; i++) {
        list[i].entry.kind = kind_cached(c, a, &kc, list[i].entry.kind_code, ec);
        if (!list[i].entry.kind && ec->code != ERR_OK)
            return ec->code;
    }
    *items = list;
    *n = count;
    return 0;
}

json_t *ledger_warning_item_json(const struct ledger_warning_item *w)
{
    const struct ledger_entry *e = &w->entry;
    const struct ledger_counter *def =
        e->kind ? ledger_kind_counter(e->kind, w->warning.counter) : NULL;
    json_t *o = warning_json(e->kind, &w->warning);

    json_object_set_new(o, "id", json_integer(w->id));
    json_object_set_new(o, "counter_name", json_string(def ? def->name : w->warning.counter));
    json_object_set_new(o, "entry",
                        json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:I}", "id", (json_int_t)e->id,
                                  "kind", e->kind_code, "kind_name",
                                  e->kind ? e->kind->name : e->kind_code, "unit",
                                  unit_ref_json(&e->unit), "date", e->date, "title", e->title,
                                  "version", (json_int_t)e->version));
    return o;
}

/* ================================================================
 * Rebuilding the roll-up
 * ================================================================ */

int ledger_rebuild(struct store_conn *c, const char *actor, int64_t *entries, struct err_ctx *ec)
{
    static const char *const steps[] = {
        "DELETE FROM ledger_daily",
        "DELETE FROM ledger_monthly",
        "INSERT INTO ledger_daily (unit_id, day, kind, counter, total, n) "
        "SELECT unit_id, date, kind, '', COUNT(*), COUNT(*) FROM ledger_entries "
        "WHERE deleted_at_ms IS NULL GROUP BY unit_id, date, kind",
        "INSERT INTO ledger_daily (unit_id, day, kind, counter, total, n) "
        "SELECT e.unit_id, e.date, e.kind, v.counter, SUM(v.value), COUNT(*) "
        "FROM ledger_values v JOIN ledger_entries e ON e.id = v.entry_id "
        "WHERE e.deleted_at_ms IS NULL GROUP BY e.unit_id, e.date, e.kind, v.counter",
        "INSERT INTO ledger_monthly (unit_id, month, kind, counter, total, n) "
        "SELECT unit_id, substr(day, 1, 7), kind, counter, SUM(total), SUM(n) FROM ledger_daily "
        "GROUP BY unit_id, substr(day, 1, 7), kind, counter",
    };
    int rc;

    char after[64];

    for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
        if ((rc = store_exec(c, ec, steps[i], "")) < 0)
            return rc;
    rc = store_query_int(c, entries, ec,
                         "SELECT COUNT(*) FROM ledger_entries WHERE deleted_at_ms IS NULL", "");
    if (rc < 0)
        return rc;
    snprintf(after, sizeof(after), "{\"entries\":%lld}", (long long)*entries);
    return store_audit(
        c, &(struct audit_rec){actor, "rebuild", "ledger_rollup", "all", 0, NULL, after}, ec);
}
