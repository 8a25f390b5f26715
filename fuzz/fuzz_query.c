/*
 * fuzz_query.c - libFuzzer target: a query string as the server sees it.
 *
 * Decodes the input with parse_urlencoded() and checks what the handlers
 * rely on: every name and value is NUL-terminated clean UTF-8 of the length
 * reported, and an error always names a reason. Also runs the path-style
 * percent-decoder over the whole input.
 */
#include "core/compat.h"
#include "core/str.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct parse_pairs p;
    struct err_ctx ec;
    char *out;
    size_t len;

    err_clear(&ec);
    if (parse_urlencoded(a, (const char *)data, size, &p, &ec) == 0) {
        for (size_t i = 0; i < p.count; i++) {
            const struct parse_pair *pp = &p.items[i];
            if (strlen(pp->name) != pp->name_len || strlen(pp->value) != pp->value_len ||
                !str_is_clean_utf8(pp->name, pp->name_len) ||
                !str_is_clean_utf8(pp->value, pp->value_len))
                abort();
            if (parse_pairs_get(&p, pp->name) == NULL)
                abort();
        }
    } else if (ec.code != ERR_BAD_REQUEST || ec.message[0] == '\0') {
        abort();
    }
    if (parse_percent_decode(a, (const char *)data, size, false, &out, &len) == 0 &&
        (len > size || out[len] != '\0'))
        abort();
    arena_free(a);
    return 0;
}
