/*
 * fuzz_form.c - libFuzzer target: a form post, Content-Type and body.
 *
 * The input's first line is the Content-Type header and the rest the body,
 * so that one corpus covers parse_media_type() and a form body containing
 * any byte, NUL included.
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
    char media[PARSE_MEDIA_TYPE_MAX];
    struct parse_pairs p;
    struct err_ctx ec;

    if (parse_media_type(ct, media, sizeof(media)) == 0) {
        /* Lower-case "type/subtype", and the predicate agrees. */
        if (!strchr(media, '/') || !parse_media_type_is(ct, media))
            abort();
        for (const char *m = media; *m; m++)
            if (*m >= 'A' && *m <= 'Z')
                abort();
    }
    err_clear(&ec);
    if (parse_urlencoded(a, body, blen, &p, &ec) == 0) {
        for (size_t i = 0; i < p.count; i++)
            if (!str_is_clean_utf8(p.items[i].value, p.items[i].value_len))
                abort();
        (void)parse_pairs_get(&p, "csrf_token");
    } else if (ec.code != ERR_BAD_REQUEST) {
        abort();
    }
    arena_free(a);
    return 0;
}
