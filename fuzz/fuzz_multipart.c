/*
 * fuzz_multipart.c - libFuzzer target: a multipart/form-data post,
 * Content-Type and body.
 *
 * The input's first line is the Content-Type header (its boundary parameter
 * goes through parse_multipart_boundary) and the rest the body, any bytes.
 * Without a usable boundary the body is parsed with the boundary "b", so
 * that every input reaches parse_multipart().
 */
#include "core/compat.h"
#include "core/str.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t hlen = nl ? (size_t)(nl - s) : size;
    const char *body = nl ? nl + 1 : s + size;
    size_t blen = size - (size_t)(body - s);
    struct arena *a = arena_new();
    char *ct = arena_strndup(a, s, hlen); /* a header value stops at its first NUL */
    char boundary[PARSE_BOUNDARY_MAX + 1];
    struct parse_parts parts;
    struct err_ctx ec;

    if (parse_multipart_boundary(ct, boundary, sizeof(boundary)) == 0) {
        size_t n = strlen(boundary);
        if (n == 0 || n > PARSE_BOUNDARY_MAX || boundary[n - 1] == ' ' || strchr(boundary, '\r') ||
            strchr(boundary, '\n'))
            abort();
    } else {
        boundary[0] = 'b';
        boundary[1] = '\0';
    }
    err_clear(&ec);
    if (parse_multipart(a, body, blen, boundary, &parts, &ec) == 0) {
        if (parts.count > PARSE_MULTIPART_MAX_PARTS || (parts.count && !parts.items))
            abort();
        for (size_t i = 0; i < parts.count; i++) {
            const struct parse_part *p = &parts.items[i];
            if (!p->name || !str_is_clean_utf8(p->name, strlen(p->name)))
                abort();
            if (p->filename) {
                /* File bytes stay inside the body. */
                if (!str_is_clean_utf8(p->filename, strlen(p->filename)) || p->data < body ||
                    p->len > blen || p->data + p->len > body + blen)
                    abort();
            } else if (!str_is_clean_utf8(p->data, p->len) || p->data[p->len] != '\0') {
                abort();
            }
        }
    } else if (ec.code != ERR_BAD_REQUEST || !ec.message[0]) {
        abort();
    }
    arena_free(a);
    return 0;
}
