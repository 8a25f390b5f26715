/*
 * fuzz_cookie.c - libFuzzer target: the Cookie header.
 *
 * parse_cookies() never fails; it must keep only visible-ASCII names and
 * values and never read outside the input.
 */
#include "core/compat.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct parse_pairs p;

    parse_cookies(a, (const char *)data, size, &p);
    for (size_t i = 0; i < p.count; i++) {
        const struct parse_pair *c = &p.items[i];
        if (c->name_len == 0 || strlen(c->name) != c->name_len || strlen(c->value) != c->value_len)
            abort();
        for (size_t j = 0; j < c->value_len; j++)
            if ((unsigned char)c->value[j] <= 0x20 || (unsigned char)c->value[j] >= 0x7f)
                abort();
    }
    (void)parse_pairs_get(&p, "fazhi_session");
    arena_free(a);
    return 0;
}
