/*
 * parse.h - the pure parsers of untrusted HTTP text (internal to http/).
 *
 * Percent-decoding, query strings and application/x-www-form-urlencoded
 * bodies, the Cookie header and Content-Type media types. Each function reads
 * bytes with an explicit length (bodies may hold NUL), writes only into the
 * arena it is given and keeps no state, so that unit tests and the libFuzzer
 * targets in fuzz/ can call them without a server.
 *
 * Decoded names and values are NUL-terminated arena strings. A query or form
 * value must decode to clean UTF-8 (str_is_clean_utf8: no NUL, no control
 * character other than tab, CR and LF); anything else is ERR_BAD_REQUEST
 * naming the field, because a handler must never see bytes it cannot store.
 */
#ifndef FAZHI_HTTP_PARSE_H
#define FAZHI_HTTP_PARSE_H

#include "core/arena.h"
#include "core/err.h"

/* One name=value pair; both are NUL-terminated, lengths exclude the NUL. */
struct parse_pair {
    const char *name;
    const char *value;
    size_t name_len, value_len;
};

/* Pairs in the order they appeared; repeated names are all kept. */
struct parse_pairs {
    struct parse_pair *items;
    size_t count;
};

/* Longest media type parse_media_type() writes ("type/subtype" and NUL). */
#define PARSE_MEDIA_TYPE_MAX 128

/*
 * Decodes %XX escapes of s[0..n) into a new arena string (*out, *out_len
 * without the NUL); with 'plus_is_space' a '+' becomes a space, as in query
 * strings and forms. Returns 0, or ERR_BAD_REQUEST when a '%' is not followed
 * by two hex digits. The result may contain NUL or invalid UTF-8: the caller
 * decides what it accepts.
 */
int parse_percent_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out,
                         size_t *out_len);

/*
 * Parses "a=1&b=x+y&c" (a query string without its '?', or a form body) into
 * *out. '+' is a space, empty pieces between '&' are skipped, a piece without
 * '=' has the value "". Fails with ERR_BAD_REQUEST naming the field when a
 * name or value has a bad escape or does not decode to clean UTF-8.
 */
int parse_urlencoded(struct arena *a, const char *s, size_t n, struct parse_pairs *out,
                     struct err_ctx *ec);

/*
 * Parses a Cookie header ("a=1; b=2") into *out. Browsers send whatever
 * other sites and scripts left behind, so this never fails: malformed
 * pieces (no '=', empty name, control or non-ASCII bytes) are skipped.
 * Values are not decoded; one pair of surrounding double quotes is removed.
 */
void parse_cookies(struct arena *a, const char *s, size_t n, struct parse_pairs *out);

/* The value of the first pair named 'name', or NULL. */
const char *parse_pairs_get(const struct parse_pairs *p, const char *name);

/*
 * Extracts the media type of a Content-Type value ("Application/JSON;
 * charset=utf-8" gives "application/json") into buf, lower-cased, without
 * parameters. Returns 0, or -1 when 'ct' is NULL or not "token/token"
 * optionally followed by ';' and parameters (or when buf is too small).
 */
int parse_media_type(const char *ct, char *buf, size_t size);

/* True if the media type of 'ct' is 'want' (lower-case "type/subtype"). */
bool parse_media_type_is(const char *ct, const char *want);

#endif
