/*
 * gpx.c - summarises an uploaded GPX track with expat.
 *
 * A streaming parse: the handlers follow one path, gpx > trk > trkseg >
 * trkpt > time, by counting how deep the matched part of that path reaches
 * ('level') against the element depth, so anything else (metadata, wpt, rte,
 * extensions of any namespace) is skipped without being stored. The first
 * error stops the parser; handlers check st->rc because expat may still
 * deliver a call-back or two after XML_StopParser().
 */
#include "core/compat.h"
#include "core/gpx.h"
#include "core/time.h"

#include <expat.h>
#include <math.h>

#define NS_SEP        '|'
#define GPX_NS_10     "http://www.topografix.com/GPX/1/0"
#define GPX_NS_11     "http://www.topografix.com/GPX/1/1"
#define TIME_TEXT_MAX 64
#define FEED_CHUNK    (1 << 20) /* XML_Parse takes an int length */

/* How deep the matched path reaches. */
enum level { L_NONE, L_GPX, L_TRK, L_TRKSEG, L_TRKPT, L_TIME };

struct gpx_state {
    XML_Parser parser;
    struct err_ctx *ec;
    int rc;
    size_t max_points;
    size_t depth; /* elements open */
    size_t level; /* enum level: the first 'level' open elements are the path */
    char ns[64];  /* the root's namespace: "", GPX 1.0 or GPX 1.1 */
    bool have_prev, have_time;
    double prev_lat, prev_lon;
    char time_text[TIME_TEXT_MAX + 1];
    size_t time_len;
    bool time_overflow;
    struct gpx_summary *out;
};

static const char *const path_names[] = {"", "gpx", "trk", "trkseg", "trkpt", "time"};

static unsigned long cur_line(const struct gpx_state *st)
{
    return (unsigned long)XML_GetCurrentLineNumber(st->parser);
}

/* Records the first error and stops the parser. */
static void fail(struct gpx_state *st, enum err code, const char *msg)
{
    if (st->rc)
        return;
    st->rc = err_set(st->ec, code, "file", "GPX 文件第 %lu 行：%s", cur_line(st), msg);
    XML_StopParser(st->parser, XML_FALSE);
}

/* Splits an expat name "uri|local" (or "local") into the namespace and local name. */
static const char *split_name(const char *name, const char **ns, size_t *ns_len)
{
    const char *sep = strrchr(name, NS_SEP);

    if (!sep) {
        *ns = "";
        *ns_len = 0;
        return name;
    }
    *ns = name;
    *ns_len = (size_t)(sep - name);
    return sep + 1;
}

/*
 * Parses a coordinate: optional sign, digits with an optional fraction and
 * exponent, surrounded by optional XML white space. Anything strtod would
 * also take (hex, inf, nan) is refused.
 */
static int parse_coord(const char *s, double *out)
{
    const char *p = s;
    char *end;
    bool digits = false;

    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    s = p;
    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, digits = true;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits = true;
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    *out = strtod(s, &end);
    if (end != p || !isfinite(*out))
        return -1;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return *p ? -1 : 0;
}

static int two_digits(const char *s, int *out)
{
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/*
 * Parses an xsd:dateTime as GPX writes it: "YYYY-MM-DDThh:mm:ss", an
 * optional fraction (milliseconds kept), and "Z", "+hh:mm" / "-hh:mm" or no
 * zone (GPX times are UTC, so none means UTC).
 */
static int parse_time(const char *s, int64_t *ms)
{
    char date_text[11];
    struct date d;
    int hh, mi, ss, frac = 0, off = 0;
    const char *p;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (strlen(s) < 19)
        return -1;
    memcpy(date_text, s, 10);
    date_text[10] = '\0';
    if (date_parse(date_text, &d) != 0)
        return -1;
    if ((s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return -1;
    if (two_digits(s + 11, &hh) || two_digits(s + 14, &mi) || two_digits(s + 17, &ss))
        return -1;
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    p = s + 19;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                frac = frac * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        int sign = *p == '-' ? -1 : 1;
        if (two_digits(p + 1, &oh))
            return -1;
        p += 3;
        if (*p == ':')
            p++;
        if (two_digits(p, &om) || oh > 14 || om > 59)
            return -1;
        p += 2;
        off = sign * (oh * 60 + om);
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p)
        return -1;
    *ms = date_to_days(&d) * 86400000LL + (((int64_t)hh * 60 + mi) * 60 + ss) * 1000 + frac -
          (int64_t)off * 60000;
    return 0;
}

double gpx_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double s1 = sin(dlat / 2), s2 = sin(dlon / 2);
    double h = s1 * s1 + cos(lat1 * rad) * cos(lat2 * rad) * s2 * s2;

    /* Rounding can push h a hair past 1 for antipodal points. */
    if (h > 1.0)
        h = 1.0;
    return 2.0 * GPX_EARTH_RADIUS_KM * asin(sqrt(h));
}

static void start_point(struct gpx_state *st, const XML_Char **attrs)
{
    const char *lat_text = NULL, *lon_text = NULL;
    double lat, lon;

    for (size_t i = 0; attrs[i]; i += 2) {
        if (strcmp(attrs[i], "lat") == 0)
            lat_text = attrs[i + 1];
        else if (strcmp(attrs[i], "lon") == 0)
            lon_text = attrs[i + 1];
    }
    if (!lat_text || !lon_text) {
        fail(st, ERR_BAD_REQUEST, "轨迹点缺少 lat 或 lon 属性");
        return;
    }
    if (parse_coord(lat_text, &lat) != 0 || lat < -90.0 || lat > 90.0) {
        fail(st, ERR_BAD_REQUEST, "纬度 lat 应为 -90 到 90 之间的数");
        return;
    }
    if (parse_coord(lon_text, &lon) != 0 || lon < -180.0 || lon > 180.0) {
        fail(st, ERR_BAD_REQUEST, "经度 lon 应为 -180 到 180 之间的数");
        return;
    }
    if (st->out->points == st->max_points) {
        if (!st->rc)
            st->rc = err_set(st->ec, ERR_TOO_LARGE, "file", "GPX 轨迹点超过 %zu 个的上限",
                             st->max_points);
        XML_StopParser(st->parser, XML_FALSE);
        return;
    }
    st->out->points++;
    if (st->have_prev)
        st->out->km += gpx_distance_km(st->prev_lat, st->prev_lon, lat, lon);
    st->have_prev = true;
    st->prev_lat = lat;
    st->prev_lon = lon;
    st->time_len = 0;
    st->time_overflow = false;
}

static void end_time(struct gpx_state *st)
{
    int64_t ms;

    st->time_text[st->time_len] = '\0';
    if (st->time_overflow || parse_time(st->time_text, &ms) != 0) {
        fail(st, ERR_BAD_REQUEST, "时间应为 UTC 时间，如 2022-05-01T08:30:00Z");
        return;
    }
    if (!st->have_time) {
        st->have_time = true;
        st->out->start_ms = st->out->end_ms = ms;
    } else {
        if (ms < st->out->start_ms)
            st->out->start_ms = ms;
        if (ms > st->out->end_ms)
            st->out->end_ms = ms;
    }
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct gpx_state *st = data;
    const char *ns;
    size_t ns_len;
    const char *local = split_name(name, &ns, &ns_len);

    if (st->rc)
        return;
    if (st->depth == 0) {
        if (strcmp(local, "gpx") != 0) {
            fail(st, ERR_BAD_REQUEST, "不是 GPX 文件（根元素应为 gpx）");
            return;
        }
        if (ns_len && !((ns_len == strlen(GPX_NS_10) && memcmp(ns, GPX_NS_10, ns_len) == 0) ||
                        (ns_len == strlen(GPX_NS_11) && memcmp(ns, GPX_NS_11, ns_len) == 0))) {
            fail(st, ERR_BAD_REQUEST, "不是 GPX 1.0 或 1.1 文件（命名空间不符）");
            return;
        }
        memcpy(st->ns, ns, ns_len);
        st->ns[ns_len] = '\0';
        st->level = L_GPX;
    } else if (st->depth == st->level && st->level < L_TIME &&
               strcmp(local, path_names[st->level + 1]) == 0 && strlen(st->ns) == ns_len &&
               memcmp(st->ns, ns, ns_len) == 0) {
        st->level++;
        if (st->level == L_TRKSEG) {
            st->out->segments++;
            st->have_prev = false;
        } else if (st->level == L_TRKPT) {
            start_point(st, attrs);
        } else if (st->level == L_TIME) {
            st->time_len = 0;
            st->time_overflow = false;
        }
    }
    st->depth++;
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    struct gpx_state *st = data;

    (void)name;
    if (st->rc)
        return;
    if (st->depth == st->level) {
        if (st->level == L_TIME)
            end_time(st);
        st->level--;
    }
    st->depth--;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    struct gpx_state *st = data;

    if (st->rc || st->level != L_TIME || st->depth != L_TIME)
        return;
    if ((size_t)len > TIME_TEXT_MAX - st->time_len) {
        st->time_overflow = true;
        return;
    }
    memcpy(st->time_text + st->time_len, s, (size_t)len);
    st->time_len += (size_t)len;
}

static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(data, ERR_BAD_REQUEST, "不接受含 DOCTYPE 声明的文件");
}

static void XMLCALL on_entity(void *data, const XML_Char *name, int is_param, const XML_Char *value,
                              int value_len, const XML_Char *base, const XML_Char *sysid,
                              const XML_Char *pubid, const XML_Char *notation)
{
    /* Unreachable while DOCTYPE is refused; kept so that entities stay refused if that changes. */
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    fail(data, ERR_BAD_REQUEST, "不接受实体声明");
}

int gpx_summarise(const char *data, size_t len, size_t max_points, struct gpx_summary *out,
                  struct err_ctx *ec)
{
    struct gpx_state st;
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    memset(&st, 0, sizeof(st));
    st.ec = ec;
    st.max_points = max_points;
    st.out = out;
    st.parser = XML_ParserCreateNS(NULL, NS_SEP);
    if (!st.parser)
        return err_set(ec, ERR_NOMEM, "file", "内存不足，无法读取 GPX 文件");
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity);
    XML_SetParamEntityParsing(st.parser, XML_PARAM_ENTITY_PARSING_NEVER);

    do {
        size_t n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
        int final = off + n == len;

        if (XML_Parse(st.parser, data + off, (int)n, final) != XML_STATUS_OK) {
            if (!st.rc) {
                enum XML_Error code = XML_GetErrorCode(st.parser);
                st.rc = err_set(ec, ERR_BAD_REQUEST, "file", "GPX 文件第 %lu 行：XML 格式错误",
                                cur_line(&st));
                err_detail(ec, "expat: %s (line %lu, column %lu)", XML_ErrorString(code),
                           cur_line(&st), (unsigned long)XML_GetCurrentColumnNumber(st.parser));
            }
            break;
        }
        off += n;
    } while (off < len);

    XML_ParserFree(st.parser);
    if (st.rc)
        memset(out, 0, sizeof(*out));
    return st.rc;
}
