/*
 * parse.c - percent-decoding, urlencoded pairs, cookies and media types.
 *
 * Everything here reads attacker-controlled bytes with explicit lengths and
 * is fuzzed (fuzz/fuzz_query.c, fuzz_form.c, fuzz_cookie.c). Allocation is
 * from the caller's arena only; pair arrays are sized once by counting the
 * separators, so a request with many pairs costs one allocation for them.
 */
#include "core/compat.h"
#include "http/parse.h"
#include "core/str.h"

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int parse_percent_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out,
                         size_t *out_len)
{
    char *d;
    size_t j = 0;

    /* Most names and values need no decoding: copy them in one go. */
    if (!memchr(s, '%', n) && !(plus_is_space && memchr(s, '+', n))) {
        *out = arena_strndup(a, s, n);
        *out_len = n;
        return 0;
    }
    d = arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi, lo;
            if (n - i < 3 || (hi = hex_value((unsigned char)s[i + 1])) < 0 ||
                (lo = hex_value((unsigned char)s[i + 2])) < 0)
                return ERR_BAD_REQUEST;
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            d[j++] = ' ';
        } else {
            d[j++] = (char)c;
        }
    }
    d[j] = '\0';
    *out = d;
    *out_len = j;
    return 0;
}

/* Counts the pieces between separators, an upper bound of the pairs. */
static size_t count_pieces(const char *s, size_t n, char sep)
{
    size_t count = 1;
    const char *p = s, *end = s + n;

    while ((p = memchr(p, sep, (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

int parse_urlencoded(struct arena *a, const char *s, size_t n, struct parse_pairs *out,
                     struct err_ctx *ec)
{
    const char *p = s, *end = s + n;

    out->items = NULL;
    out->count = 0;
    if (n == 0)
        return 0;
    out->items = arena_alloc(a, count_pieces(s, n, '&') * sizeof(*out->items));
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *name_end = eq ? eq : stop;
        struct parse_pair *pair = &out->items[out->count];
        char *name, *value;

        if (stop == p)
            goto next; /* "a=1&&b=2": nothing between the separators */
        if (parse_percent_decode(a, p, (size_t)(name_end - p), true, &name, &pair->name_len) < 0 ||
            !str_is_clean_utf8(name, pair->name_len))
            return err_set(ec, ERR_BAD_REQUEST, NULL, "参数名包含无效的编码");
        if (eq) {
            if (parse_percent_decode(a, eq + 1, (size_t)(stop - eq - 1), true, &value,
                                     &pair->value_len) < 0)
                return err_set(ec, ERR_BAD_REQUEST, name, "“%s”包含无效的百分号编码", name);
            if (!str_is_clean_utf8(value, pair->value_len))
                return err_set(ec, ERR_BAD_REQUEST, name, "“%s”不是有效的 UTF-8 文本", name);
        } else {
            value = arena_strndup(a, "", 0);
            pair->value_len = 0;
        }
        pair->name = name;
        pair->value = value;
        out->count++;
    next:
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Cookie names and values we keep: visible ASCII only (RFC 6265 is stricter). */
static bool cookie_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

void parse_cookies(struct arena *a, const char *s, size_t n, struct parse_pairs *out)
{
    const char *p = s, *end = s + n;

    out->items = NULL;
    out->count = 0;
    if (n == 0)
        return;
    out->items = arena_alloc(a, count_pieces(s, n, ';') * sizeof(*out->items));
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *ns = p, *ne, *vs, *ve;

        if (!eq)
            goto next;
        ne = eq;
        vs = eq + 1;
        ve = stop;
        while (ns < ne && is_ows(*ns))
            ns++;
        while (ne > ns && is_ows(ne[-1]))
            ne--;
        while (vs < ve && is_ows(*vs))
            vs++;
        while (ve > vs && is_ows(ve[-1]))
            ve--;
        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
            vs++;
            ve--;
        }
        if (ne == ns || !cookie_text_ok(ns, (size_t)(ne - ns)) ||
            !cookie_text_ok(vs, (size_t)(ve - vs)))
            goto next;
        out->items[out->count].name = arena_strndup(a, ns, (size_t)(ne - ns));
        out->items[out->count].name_len = (size_t)(ne - ns);
        out->items[out->count].value = arena_strndup(a, vs, (size_t)(ve - vs));
        out->items[out->count].value_len = (size_t)(ve - vs);
        out->count++;
    next:
        if (!semi)
            break;
        p = semi + 1;
    }
}

const char *parse_pairs_get(const struct parse_pairs *p, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < p->count; i++)
        if (p->items[i].name_len == len && memcmp(p->items[i].name, name, len) == 0)
            return p->items[i].value;
    return NULL;
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static size_t token_len(const char *s)
{
    size_t n = 0;
    while (is_tchar((unsigned char)s[n]))
        n++;
    return n;
}

int parse_media_type(const char *ct, char *buf, size_t size)
{
    const char *p = ct;
    size_t tlen, slen, total;

    if (!ct)
        return -1;
    while (is_ows(*p))
        p++;
    tlen = token_len(p);
    if (tlen == 0 || p[tlen] != '/')
        return -1;
    slen = token_len(p + tlen + 1);
    if (slen == 0)
        return -1;
    total = tlen + 1 + slen;
    /* After the subtype: nothing, or optional whitespace and ';' parameters. */
    for (const char *q = p + total; *q && *q != ';'; q++)
        if (!is_ows(*q))
            return -1;
    if (total >= size)
        return -1;
    for (size_t i = 0; i < total; i++) {
        char c = p[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[total] = '\0';
    return 0;
}

bool parse_media_type_is(const char *ct, const char *want)
{
    char buf[PARSE_MEDIA_TYPE_MAX];

    return parse_media_type(ct, buf, sizeof(buf)) == 0 && strcmp(buf, want) == 0;
}

/* ---- multipart/form-data ---- */

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* True if s[0..n) equals the lower-case literal 'lit', ignoring ASCII case. */
static bool ascii_ieq(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(s[i]) != lit[i])
            return false;
    return true;
}

/* RFC 2046 bchars: what a boundary is made of (a space, but not at the end). */
static bool is_bchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("'()+_,-./:=? ", c) != NULL;
}

/* One "; name=value" parameter of a header value, as found in the text. */
struct param {
    const char *name, *value; /* a quoted value: between the quotes, escapes kept */
    size_t name_len, value_len;
    bool quoted;
};

/*
 * Reads the parameter at *pp (before end): optional whitespace, ';', a token,
 * '=', a token or a quoted string. Returns 1 with *pm filled and *pp moved
 * past it, 0 when only whitespace (or a last ';') is left, -1 when malformed.
 */
static int next_param(const char **pp, const char *end, struct param *pm)
{
    const char *p = *pp;

    while (p < end && is_ows(*p))
        p++;
    if (p == end)
        return 0;
    if (*p != ';')
        return -1;
    p++;
    while (p < end && is_ows(*p))
        p++;
    if (p == end)
        return 0;
    pm->name = p;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    pm->name_len = (size_t)(p - pm->name);
    while (p < end && is_ows(*p))
        p++;
    if (pm->name_len == 0 || p == end || *p != '=')
        return -1;
    p++;
    while (p < end && is_ows(*p))
        p++;
    if (p < end && *p == '"') {
        pm->quoted = true;
        pm->value = ++p;
        while (p < end && *p != '"') {
            if (*p == '\\' && end - p >= 2)
                p++; /* the escaped byte cannot end the string */
            p++;
        }
        if (p >= end)
            return -1; /* no closing quote */
        pm->value_len = (size_t)(p - pm->value);
        p++;
    } else {
        pm->quoted = false;
        pm->value = p;
        while (p < end && is_tchar((unsigned char)*p))
            p++;
        pm->value_len = (size_t)(p - pm->value);
        if (pm->value_len == 0)
            return -1;
    }
    *pp = p;
    return 1;
}

/*
 * Copies pm's value into d (room for cap bytes and a NUL), undoing the
 * escapes \" and \\ of a quoted string; any other backslash is kept, because
 * browsers send Windows paths unescaped. Returns the length, or -1 when the
 * value does not fit.
 */
static ptrdiff_t param_value_to(const struct param *pm, char *d, size_t cap)
{
    size_t j = 0;

    for (size_t i = 0; i < pm->value_len; i++) {
        char c = pm->value[i];
        if (pm->quoted && c == '\\' && i + 1 < pm->value_len &&
            (pm->value[i + 1] == '"' || pm->value[i + 1] == '\\'))
            c = pm->value[++i];
        if (j == cap)
            return -1;
        d[j++] = c;
    }
    d[j] = '\0';
    return (ptrdiff_t)j;
}

static char *param_value(struct arena *a, const struct param *pm, size_t *len)
{
    char *d = arena_alloc(a, pm->value_len + 1);

    *len = (size_t)param_value_to(pm, d, pm->value_len); /* always fits */
    return d;
}

/*
 * Browsers (the HTML standard) send a '"' in a field name or filename as
 * %22; the Fetch standard's parser turns it back. %0A and %0D stay as they
 * are: a name with a line break is better shown escaped than handed out.
 */
static void unescape_quotes(char *s, size_t *len)
{
    size_t j = 0;

    for (size_t i = 0; i < *len; i++) {
        if (s[i] == '%' && *len - i >= 3 && s[i + 1] == '2' && s[i + 2] == '2') {
            s[j++] = '"';
            i += 2;
        } else {
            s[j++] = s[i];
        }
    }
    s[j] = '\0';
    *len = j;
}

int parse_multipart_boundary(const char *ct, char *buf, size_t size)
{
    const char *p, *end;
    struct param pm;
    size_t tlen, slen;
    bool found = false;
    int rc;

    if (!ct)
        return -1;
    p = ct;
    end = ct + strlen(ct);
    while (is_ows(*p))
        p++;
    tlen = token_len(p);
    if (tlen == 0 || p[tlen] != '/' || (slen = token_len(p + tlen + 1)) == 0)
        return -1;
    p += tlen + 1 + slen;
    while ((rc = next_param(&p, end, &pm)) == 1) {
        ptrdiff_t n;
        if (!ascii_ieq(pm.name, pm.name_len, "boundary"))
            continue;
        if (found || size == 0)
            return -1;
        n = param_value_to(&pm, buf, size - 1 < PARSE_BOUNDARY_MAX ? size - 1 : PARSE_BOUNDARY_MAX);
        if (n <= 0 || buf[n - 1] == ' ')
            return -1;
        for (ptrdiff_t i = 0; i < n; i++)
            if (!is_bchar((unsigned char)buf[i]))
                return -1;
        found = true;
    }
    return rc == 0 && found ? 0 : -1;
}

/*
 * What follows "--boundary" at q: "--" (the close delimiter: *close), or
 * transport padding (spaces, tabs) and CRLF. Returns the position after it,
 * or NULL when it is neither: then the bytes were data, not a delimiter.
 */
static const char *delimiter_tail(const char *q, const char *end, bool *close)
{
    if (end - q >= 2 && q[0] == '-' && q[1] == '-') {
        *close = true;
        return q + 2;
    }
    while (q < end && is_ows(*q))
        q++;
    if (end - q >= 2 && q[0] == '\r' && q[1] == '\n') {
        *close = false;
        return q + 2;
    }
    return NULL;
}

/*
 * The first delimiter (CRLF "--" boundary, then a valid tail) at or after s;
 * with 'at_start', "--" boundary right at s counts too (no CRLF before the
 * first delimiter of a body, or before the next one of an empty part).
 * Returns its start, or NULL; *next is the position after its tail.
 */
static const char *find_delimiter(const char *s, const char *end, const char *delim, size_t dlen,
                                  bool at_start, const char **next, bool *close)
{
    if (at_start && (size_t)(end - s) >= dlen - 2 && memcmp(s, delim + 2, dlen - 2) == 0 &&
        (*next = delimiter_tail(s + dlen - 2, end, close)) != NULL)
        return s;
    while ((size_t)(end - s) >= dlen) {
        const char *d = memmem(s, (size_t)(end - s), delim, dlen);
        if (!d)
            return NULL;
        if ((*next = delimiter_tail(d + dlen, end, close)) != NULL)
            return d;
        s = d + 1;
    }
    return NULL;
}

/* Decodes an RFC 8187 ext-value, "UTF-8'lang'percent-encoded" (filename*). */
static int ext_value(struct arena *a, const char *v, size_t n, char **out, size_t *out_len)
{
    const char *end = v + n;
    const char *q1 = memchr(v, '\'', n), *q2;

    if (!q1 || !ascii_ieq(v, (size_t)(q1 - v), "utf-8"))
        return -1;
    q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
    if (!q2)
        return -1;
    return parse_percent_decode(a, q2 + 1, (size_t)(end - q2 - 1), false, out, out_len);
}

/* Content-Disposition: form-data; name="..."[; filename="..." | filename*=UTF-8''...] */
static int parse_disposition(struct arena *a, const char *v, size_t n, struct parse_part *part,
                             struct err_ctx *ec)
{
    const char *p = v, *end = v + n;
    char *name = NULL, *filename = NULL, *filename_ext = NULL;
    size_t name_len = 0, filename_len = 0, ext_len = 0, tl = 0;
    struct param pm;
    int rc;

    while (p + tl < end && is_tchar((unsigned char)p[tl]))
        tl++;
    if (!ascii_ieq(p, tl, "form-data"))
        return err_set(ec, ERR_BAD_REQUEST, NULL,
                       "表单各部分的 Content-Disposition 应为 form-data");
    p += tl;
    while ((rc = next_param(&p, end, &pm)) == 1) {
        if (ascii_ieq(pm.name, pm.name_len, "name")) {
            if (name)
                goto bad;
            name = param_value(a, &pm, &name_len);
            unescape_quotes(name, &name_len);
        } else if (ascii_ieq(pm.name, pm.name_len, "filename")) {
            if (filename)
                goto bad;
            filename = param_value(a, &pm, &filename_len);
            unescape_quotes(filename, &filename_len);
        } else if (ascii_ieq(pm.name, pm.name_len, "filename*")) {
            size_t raw_len;
            char *raw;
            if (filename_ext)
                goto bad;
            raw = param_value(a, &pm, &raw_len);
            if (ext_value(a, raw, raw_len, &filename_ext, &ext_len) < 0)
                goto bad;
        }
        /* Other parameters are ignored. */
    }
    if (rc < 0)
        goto bad;
    if (!name)
        return err_set(ec, ERR_BAD_REQUEST, NULL, "表单的一个部分缺少字段名（name）");
    if (!str_is_clean_utf8(name, name_len))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "表单字段名不是有效的 UTF-8 文本");
    if (filename_ext) {
        filename = filename_ext;
        filename_len = ext_len;
    }
    if (filename && !str_is_clean_utf8(filename, filename_len))
        return err_set(ec, ERR_BAD_REQUEST, name, "“%s”的文件名不是有效的 UTF-8 文本", name);
    part->name = name;
    part->filename = filename;
    return 0;
bad:
    return err_set(ec, ERR_BAD_REQUEST, name, "表单部分的 Content-Disposition 头格式错误");
}

/*
 * Reads the header block of a part at p, up to and including its empty
 * line; *data is where the part's bytes begin.
 */
static int parse_part_headers(struct arena *a, const char *p, const char *end,
                              struct parse_part *part, const char **data, struct err_ctx *ec)
{
    const char *start = p;
    bool have_cd = false;
    int rc;

    for (;;) {
        size_t used = (size_t)(p - start), avail = (size_t)(end - p);
        size_t room = PARSE_PART_HEADER_MAX - used;
        const char *lf = memchr(p, '\n', avail < room ? avail : room);
        const char *line = p, *le, *colon, *vs, *ve;

        if (!lf) {
            if (avail >= room)
                return err_set(ec, ERR_BAD_REQUEST, part->name, "表单部分的头部超过 %d 字节的上限",
                               PARSE_PART_HEADER_MAX);
            return err_set(ec, ERR_BAD_REQUEST, part->name, "multipart 表单不完整：部分头部被截断");
        }
        if (lf == p || lf[-1] != '\r' || memchr(p, '\r', (size_t)(lf - 1 - p)))
            return err_set(ec, ERR_BAD_REQUEST, part->name,
                           "表单部分的头部含有无效的换行（应为 CRLF）");
        le = lf - 1;
        p = lf + 1;
        if (le == line)
            break; /* the empty line ends the headers */
        if (is_ows(*line))
            return err_set(ec, ERR_BAD_REQUEST, part->name, "表单部分的头部不能折行");
        colon = memchr(line, ':', (size_t)(le - line));
        if (!colon || colon == line)
            goto bad;
        for (const char *q = line; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                goto bad;
        vs = colon + 1;
        ve = le;
        for (const char *q = vs; q < ve; q++)
            if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
                goto bad;
        while (vs < ve && is_ows(*vs))
            vs++;
        while (ve > vs && is_ows(ve[-1]))
            ve--;
        if (ascii_ieq(line, (size_t)(colon - line), "content-disposition")) {
            if (have_cd)
                return err_set(ec, ERR_BAD_REQUEST, part->name,
                               "表单部分含有重复的 Content-Disposition 头");
            have_cd = true;
            if ((rc = parse_disposition(a, vs, (size_t)(ve - vs), part, ec)) < 0)
                return rc;
        } else if (ascii_ieq(line, (size_t)(colon - line), "content-type")) {
            if (part->content_type || vs == ve)
                goto bad;
            part->content_type = arena_strndup(a, vs, (size_t)(ve - vs));
        } else if (ascii_ieq(line, (size_t)(colon - line), "content-transfer-encoding")) {
            size_t n = (size_t)(ve - vs);
            if (!ascii_ieq(vs, n, "7bit") && !ascii_ieq(vs, n, "8bit") &&
                !ascii_ieq(vs, n, "binary"))
                return err_set(ec, ERR_BAD_REQUEST, part->name,
                               "不支持表单部分的传输编码（Content-Transfer-Encoding）");
        }
        /* Other headers are ignored. */
    }
    if (!have_cd)
        return err_set(ec, ERR_BAD_REQUEST, NULL, "表单的一个部分缺少 Content-Disposition 头");
    *data = p;
    return 0;
bad:
    return err_set(ec, ERR_BAD_REQUEST, part->name, "表单部分的头部格式错误");
}

int parse_multipart(struct arena *a, const char *body, size_t n, const char *boundary,
                    struct parse_parts *out, struct err_ctx *ec)
{
    size_t blen = boundary ? strlen(boundary) : 0, dlen = 4 + blen;
    char delim[4 + PARSE_BOUNDARY_MAX]; /* CRLF "--" boundary */
    const char *end = body + n, *p, *next;
    struct parse_part *items;
    bool close = false;
    int rc;

    out->items = NULL;
    out->count = 0;
    if (blen == 0 || blen > PARSE_BOUNDARY_MAX)
        return err_set(ec, ERR_BAD_REQUEST, NULL, "multipart 表单缺少有效的边界（boundary）");
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen);
    /* The preamble, if any, ends at the first delimiter. */
    if (!find_delimiter(body, end, delim, dlen, true, &next, &close))
        return err_set(ec, ERR_BAD_REQUEST, NULL, "multipart 表单中找不到分隔边界");
    p = next;
    items = arena_calloc(a, PARSE_MULTIPART_MAX_PARTS, sizeof(*items));
    while (!close) {
        struct parse_part *part;
        const char *data = NULL, *dend;

        if (out->count == PARSE_MULTIPART_MAX_PARTS)
            return err_set(ec, ERR_BAD_REQUEST, NULL, "表单的部分过多（最多 %d 个）",
                           PARSE_MULTIPART_MAX_PARTS);
        part = &items[out->count];
        if ((rc = parse_part_headers(a, p, end, part, &data, ec)) < 0)
            return rc;
        dend = find_delimiter(data, end, delim, dlen, true, &next, &close);
        if (!dend)
            return err_set(ec, ERR_BAD_REQUEST, part->name, "multipart 表单不完整：缺少结束边界");
        part->len = (size_t)(dend - data);
        if (part->filename) {
            part->data = data;
        } else {
            char *copy;
            if (!str_is_clean_utf8(data, part->len))
                return err_set(ec, ERR_BAD_REQUEST, part->name, "“%s”不是有效的 UTF-8 文本",
                               part->name);
            copy = arena_alloc(a, part->len + 1);
            memcpy(copy, data, part->len);
            copy[part->len] = '\0';
            part->data = copy;
        }
        out->count++;
        p = next;
    }
    /* The epilogue after the close delimiter is ignored. */
    out->items = items;
    return 0;
}
