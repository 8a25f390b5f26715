/*
 * page.c - the helpers of page.h.
 */
#include "core/compat.h"
#include "web/page.h"
#include "core/arena.h"
#include "core/str.h"
#include "core/time.h"

#include <strings.h>

const char *page_field(struct http_request *req, const struct http_form *f, const char *name)
{
    const char *s = f ? http_form_get(f, name) : NULL;
    size_t n;

    if (!s)
        return NULL;
    s = str_trim(s, &n);
    return n ? arena_strndup(req->arena, s, n) : NULL;
}

bool page_checked(const struct http_form *f, const char *name)
{
    const char *s = f ? http_form_get(f, name) : NULL;
    return s && *s;
}

void page_instant(int64_t ms, char *buf)
{
    char full[TIME_INSTANT_LEN];

    time_format_instant(ms, full, sizeof(full));
    /* "2026-03-01T09:30:00.123+08:00" -> "2026-03-01 09:30" */
    memcpy(buf, full, PAGE_INSTANT_LEN - 1);
    buf[10] = ' ';
    buf[PAGE_INSTANT_LEN - 1] = '\0';
}

void page_query_add(struct strbuf *sb, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";

    if (!value || !*value)
        return;
    strbuf_addch(sb, sb->buf && strchr(sb->buf, '?') ? '&' : '?');
    strbuf_adds(sb, name);
    strbuf_addch(sb, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            strbuf_addch(sb, *p);
        } else {
            strbuf_addch(sb, '%');
            strbuf_addch(sb, hex[*p >> 4]);
            strbuf_addch(sb, hex[*p & 15]);
        }
    }
}

/* The "host[:port]" of "scheme://host[:port]/...", as a pointer and length. */
static bool url_host(const char *url, const char **host, size_t *len)
{
    const char *p = strstr(url, "://");

    if (!p)
        return false;
    p += 3;
    *host = p;
    *len = strcspn(p, "/?#");
    return *len > 0;
}

bool page_same_origin(const struct http_request *req)
{
    const char *origin = http_header(req, "Origin");
    const char *referer = http_header(req, "Referer");
    const char *host = http_header(req, "Host");
    const char *from = origin ? origin : referer;
    const char *h;
    size_t n;

    if (!from)
        return true;
    /* "Origin: null" (a sandboxed frame, a file) is never this site. */
    if (!host || !url_host(from, &h, &n))
        return false;
    return strlen(host) == n && strncasecmp(host, h, n) == 0;
}
