/*
 * open311_xml.c - the pure parts of Open311: W3C datetimes and the XML
 * writer (open311.h).
 */
#include "core/compat.h"
#include "modules/open311/open311.h"

#include "core/arena.h"
#include "core/str.h"
#include "core/time.h"

#define DAY_MS (86400000LL)

/* ================================================================
 * Datetimes
 * ================================================================ */

void open311_format_datetime(int64_t ms, char *buf, size_t size)
{
    int64_t local = ms + TIME_CST_OFFSET_MS;
    int64_t days = local / DAY_MS - (local % DAY_MS < 0);
    int64_t rest = local - days * DAY_MS;
    struct date d = date_from_days(days);

    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", d.year, d.month, d.day,
             (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60));
}

/* Reads exactly n digits at *p into *out and advances; false otherwise. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return true;
}

int open311_parse_datetime(const char *s, bool end_of_day, int64_t *ms)
{
    const char *p = s;
    struct date d;
    int h = 0, mi = 0, sec = 0, frac_ms = 0, oh = 0, om = 0, sign = 1;
    int64_t t;

    if (!s || !digits(&p, 4, &d.year) || *p++ != '-' || !digits(&p, 2, &d.month) || *p++ != '-' ||
        !digits(&p, 2, &d.day) || !date_valid(&d))
        return -1;
    if (*p == '\0') {
        t = date_start_ms(&d, 0);
        *ms = end_of_day ? t + DAY_MS - 1 : t;
        return 0;
    }
    if (*p++ != 'T' || !digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
        return -1;
    if (*p == ':') {
        p++;
        if (!digits(&p, 2, &sec))
            return -1;
        if (*p == '.') {
            int scale = 100, n = 0;
            p++;
            for (; *p >= '0' && *p <= '9'; p++, n++) {
                frac_ms += (*p - '0') * scale;
                scale /= 10;
            }
            if (n == 0)
                return -1;
        }
    }
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == ' ' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 14 || om > 59)
            return -1;
    } else {
        return -1; /* a time needs its zone: the spec requires it */
    }
    if (*p != '\0')
        return -1;
    t = ((date_to_days(&d) * 24 + h) * 60 + mi) * 60 + sec;
    t = t * 1000 + frac_ms - sign * ((int64_t)oh * 60 + om) * 60000;
    *ms = t;
    return 0;
}

/* ================================================================
 * XML
 * ================================================================ */

/* The element of each item of an array member. */
static const char *item_name(const char *member)
{
    static const char *const names[][2] = {
        {"attributes", "attribute"},     {"values", "value"}, {"endpoints", "endpoint"},
        {"formats", "format"},           {"errors", "error"}, {"services", "service"},
        {"service_requests", "request"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(names[i][0], member) == 0)
            return names[i][1];
    return "item";
}

/* Text with the XML specials escaped and what XML 1.0 cannot hold dropped
 * (the input is UTF-8: only C0 controls other than tab and LF need care). */
static void add_text(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '&':
            strbuf_adds(sb, "&amp;");
            break;
        case '<':
            strbuf_adds(sb, "&lt;");
            break;
        case '>':
            strbuf_adds(sb, "&gt;");
            break;
        case '"':
            strbuf_adds(sb, "&quot;");
            break;
        case '\r':
            strbuf_adds(sb, "&#13;"); /* kept: a parser would turn a raw CR into LF */
            break;
        default:
            if (ch >= 0x20 || ch == '\t' || ch == '\n')
                strbuf_addch(sb, ch);
            break;
        }
    }
}

static void add_value(struct strbuf *sb, const char *name, const json_t *v);

static void add_members(struct strbuf *sb, const json_t *obj)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        add_value(sb, key, v);
    }
}

static void add_items(struct strbuf *sb, const json_t *arr, const char *item)
{
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v)
    {
        add_value(sb, item, v);
    }
}

static void add_value(struct strbuf *sb, const char *name, const json_t *v)
{
    strbuf_addf(sb, "<%s>", name);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        add_members(sb, v);
        break;
    case JSON_ARRAY:
        add_items(sb, v, item_name(name));
        break;
    case JSON_STRING:
        add_text(sb, json_string_value(v));
        break;
    case JSON_INTEGER:
        strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        strbuf_addf(sb, "%.10g", json_real_value(v));
        break;
    case JSON_TRUE:
        strbuf_adds(sb, "true");
        break;
    case JSON_FALSE:
        strbuf_adds(sb, "false");
        break;
    case JSON_NULL:
        break;
    }
    strbuf_addf(sb, "</%s>", name);
}

char *open311_xml(struct arena *a, const json_t *doc, const char *root, const char *item,
                  size_t *len)
{
    struct strbuf sb;
    char *out;

    strbuf_init(&sb, 1024);
    strbuf_adds(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    strbuf_addf(&sb, "<%s>", root);
    if (json_is_array(doc))
        add_items(&sb, doc, item);
    else if (json_is_object(doc))
        add_members(&sb, doc);
    strbuf_addf(&sb, "</%s>\n", root);
    out = arena_memdup(a, sb.buf, sb.len + 1);
    *len = sb.len;
    strbuf_release(&sb);
    return out;
}
