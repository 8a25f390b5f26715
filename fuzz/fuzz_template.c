/*
 * fuzz_template.c - libFuzzer target: template text (src/web/template.c).
 *
 * The input is compiled as template "t" beside a fixed partial "p", and,
 * when it compiles, rendered with a context whose every string is hostile
 * ("ZZ<ZZ\"ZZ'ZZ>" and a javascript: URL). Compiling must either succeed or
 * fail with ERR_INVALID and a "t.html:LINE: " message; rendering a compiled
 * template must succeed or stop at the engine's work budget; and wherever
 * the value stands, none of its markup characters may come out unescaped
 * (only *_html members are written raw, and this context's hold no "ZZ").
 */
#include "core/compat.h"
#include "web/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *context(void)
{
    static const char hostile[] = "ZZ<ZZ\"ZZ'ZZ>ZZ&";

    return json_pack("{s:s, s:s, s:s, s:[s, s, {s:s}], s:{s:s, s:[i, i]}, s:b, s:i, s:f, s:n,"
                     " s:s}",
                     "name", hostile, "u", "javascript:alert(1)//ZZ<", "x", hostile, "items",
                     hostile, "/a?b=c", "name", hostile, "user", "name", hostile, "ids", 1, 2, "t",
                     1, "n", 42, "r", 0.5, "z", "chart_html", "<svg><rect/></svg>");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char partial[] = "<b title=\"{{name}}\">{{x}}</b>{{#items}}{{.}}{{/items}}";
    struct template_source src[2] = {{"t", "t.html", (const char *)data, size},
                                     {"p", "p.html", partial, sizeof(partial) - 1}};
    struct template_set *set;
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec;
    json_t *ctx;
    int rc;

    err_clear(&ec);
    if (template_set_new(src, 2, &set, &ec) < 0) {
        if (ec.code != ERR_INVALID || strncmp(ec.message, "t.html:", 7) != 0)
            abort();
        return 0;
    }
    ctx = context();
    rc = template_render(set, "t", &ctx, 1, &out, &ec);
    if (rc != 0 && rc != ERR_TOO_LARGE) /* nested loops multiply: the budget ends them */
        abort();
    if (!memmem(data, size, "ZZ", 2) && (strstr(out.buf, "ZZ<") || strstr(out.buf, "ZZ\"") ||
                                         strstr(out.buf, "ZZ'") || strstr(out.buf, "ZZ>")))
        abort();
    strbuf_release(&out);
    json_decref(ctx);
    template_set_free(set);
    return 0;
}
