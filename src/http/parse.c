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
