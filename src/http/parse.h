/*
 * parse.h - the pure parsers of untrusted HTTP text (internal to http/).
 *
 * Percent-decoding, query strings and application/x-www-form-urlencoded
 * bodies, multipart/form-data bodies, the Cookie header and Content-Type
 * media types. Each function reads
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

/* ---- multipart/form-data (RFC 7578 over RFC 2046) ---- */

/* Longest boundary (RFC 2046), and the buffer parse_multipart_boundary() needs. */
#define PARSE_BOUNDARY_MAX 70
/* Most parts one body may hold, file inputs left empty included. */
#define PARSE_MULTIPART_MAX_PARTS 64
/* Most bytes of one part's header block (its lines and the empty line). */
#define PARSE_PART_HEADER_MAX 4096

/*
 * Copies the boundary parameter of a multipart Content-Type value
 * ('multipart/form-data; boundary=----x' or 'boundary="a b"') into buf,
 * NUL-terminated. Returns 0, or -1 when 'ct' is NULL, its parameters are
 * malformed, it has no boundary, or the boundary is empty, longer than
 * PARSE_BOUNDARY_MAX, ends in a space or holds a character RFC 2046 does not
 * allow in one (or when buf is too small). The media type is not checked.
 */
int parse_multipart_boundary(const char *ct, char *buf, size_t size);

/* One part of a multipart/form-data body. */
struct parse_part {
    const char *name;         /* from Content-Disposition: form-data; name=...; clean UTF-8 */
    const char *filename;     /* NULL when the part had no filename parameter; may be "" */
    const char *content_type; /* the part's Content-Type value, or NULL when absent */
    const char *data;         /* text part: a NUL-terminated copy; file part: into the body */
    size_t len;
};

/* Parts in the order they appeared. */
struct parse_parts {
    struct parse_part *items;
    size_t count;
};

/*
 * Parses body[0..n) as multipart/form-data with 'boundary' (as returned by
 * parse_multipart_boundary). The preamble before the first delimiter and the
 * epilogue after the close delimiter are ignored; lines end in CRLF exactly.
 * Each part needs a "Content-Disposition: form-data" header with a name
 * parameter ('%22' in a name or filename is a '"', as browsers send it);
 * "filename" (a token or quoted string, \" and \\ unescaped) or
 * "filename*=UTF-8''percent-encoded" (which wins) marks a file part, whose
 * data stays in the body (bytes, not checked). A part without a filename is
 * a text field: its value must be clean UTF-8 (str_is_clean_utf8) and is
 * copied NUL-terminated into the arena. A Content-Transfer-Encoding other than
 * 7bit, 8bit or binary is refused.
 *
 * Every malformed input is ERR_BAD_REQUEST with a message (naming the field
 * once its name is known): no delimiter, a missing close delimiter (a
 * truncated upload), a bare CR or LF or a folded line in a part's headers,
 * headers over PARSE_PART_HEADER_MAX bytes, a missing or repeated
 * Content-Disposition, more than PARSE_MULTIPART_MAX_PARTS parts, a text
 * field that is not clean UTF-8. Never reads outside body[0..n).
 */
int parse_multipart(struct arena *a, const char *body, size_t n, const char *boundary,
                    struct parse_parts *out, struct err_ctx *ec);

#endif
