/*
 * page.h - small helpers the modules' page handlers (*_pages.c) share:
 * reading form fields, writing instants for people, building links with a
 * query string, and the same-origin check of a form posted before sign-in.
 *
 * Validation is not here: a page hands what it read to the same rule
 * functions as the JSON API, and shows their error beside the field.
 */
#ifndef FAZHI_WEB_PAGE_H
#define FAZHI_WEB_PAGE_H

#include "core/str.h"
#include "http/http.h"

/* "2026-03-01 09:30" and NUL: an instant in China Standard Time, to the minute. */
#define PAGE_INSTANT_LEN 17

/*
 * The form field 'name' with surrounding white space removed, copied into
 * the request's arena; NULL when absent or empty, so that an optional field
 * left blank reads as "not given".
 */
const char *page_field(struct http_request *req, const struct http_form *f, const char *name);

/* True when the checkbox 'name' was posted (any non-empty value). */
bool page_checked(const struct http_form *f, const char *name);

/* Writes instant 'ms' as "2026-03-01 09:30" (CST) into buf[PAGE_INSTANT_LEN]. */
void page_instant(int64_t ms, char *buf);

/*
 * Appends "&name=value" (or "?name=value" when 'sb' holds no '?' yet) with
 * the value percent-encoded; nothing when value is NULL or empty.
 */
void page_query_add(struct strbuf *sb, const char *name, const char *value);

/*
 * True when a form posted without a session comes from a page of this site:
 * the Origin header (or, without one, the Referer) names the host of the
 * Host header. A request carrying neither (not a browser, or one that
 * strips both) passes: the session cookie is SameSite=Lax, and such a client
 * is not being steered by another site.
 */
bool page_same_origin(const struct http_request *req);

#endif
