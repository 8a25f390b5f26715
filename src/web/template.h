/*
 * template.h - the HTML template engine: Mustache syntax, escaping chosen by
 * where each tag stands in the HTML.
 *
 * A template set is compiled once (at start-up, or in --dev mode again when a
 * file changed) and is read-only afterwards, so any number of threads may
 * render from it at once. Compiling runs a small HTML tokenizer over the
 * template text and decides, for every {{tag}}, how its value is escaped:
 *
 *   HTML text, RCDATA (<title>, <textarea>)   HTML-escaped (& < > " ')
 *   quoted attribute value                   attribute-escaped (the same set)
 *   URL attribute (href, src, action, ...),  the scheme is checked: "/x", "?x",
 *     tag at the start of the value          "#x", http:, https:, mailto:, tel:
 *                                            pass (normalised), anything else
 *                                            becomes "about:invalid#blocked"
 *   URL attribute, tag after literal text    percent-encoded as one component
 *
 * and refuses, with "file:line: message", every place where no escaping is
 * safe: inside <script> or <style>, in an unquoted attribute value, in a tag
 * or attribute name, in an event-handler, style or srcdoc attribute, inside
 * an HTML comment. Partials are resolved and checked for recursion at compile
 * time too, so a page can fail only by naming a template that does not
 * exist (or by asking, through nested loops, for more work than the budget
 * below allows). src/web/README.md is the manual of the syntax.
 */
#ifndef FAZHI_WEB_TEMPLATE_H
#define FAZHI_WEB_TEMPLATE_H

#include <jansson.h>

#include "core/err.h"
#include "core/str.h"

/* Most context frames a caller may pass to template_render(). */
#define TEMPLATE_MAX_FRAMES 8

/* Deepest nesting of sections, partials included (a compile error beyond). */
#define TEMPLATE_MAX_DEPTH 48

/*
 * What one render may do: nested loops multiply, so a template could ask for
 * more work than any page needs. A 500-row table is about 10,000 steps and
 * 150 KB.
 */
#define TEMPLATE_MAX_STEPS  (20u * 1000 * 1000)
#define TEMPLATE_MAX_OUTPUT (64u << 20)

struct template_set;

/* One template to compile. */
struct template_source {
    const char *name; /* "layout/console": what pages and {{>partials}} call it */
    const char *path; /* "assets/templates/layout/console.html": for error messages */
    const char *text; /* UTF-8, need not be NUL-terminated; copied */
    size_t len;
};

/*
 * Compiles the n templates of 'src' into a new set. Every template is
 * compiled and every partial resolved before anything renders: the first
 * error fails the whole set with ERR_INVALID (no field) and the
 * message "path:line: 说明" (zh-CN). On success *out is the set; free it with
 * template_set_free().
 */
int template_set_new(const struct template_source *src, size_t n, struct template_set **out,
                     struct err_ctx *ec);

/* Frees the set. NULL is a no-op. */
void template_set_free(struct template_set *set);

/* True if the set holds a template of that name. */
bool template_exists(const struct template_set *set, const char *name);

/*
 * Renders template 'name' with the context stack frames[0..nframes) (frames[0]
 * outermost; a name is looked up innermost first) and appends the HTML to
 * 'out'. The frames are borrowed. Fails with ERR_INTERNAL when there is no
 * such template or more than TEMPLATE_MAX_FRAMES frames are given, and with
 * ERR_TOO_LARGE past TEMPLATE_MAX_STEPS or TEMPLATE_MAX_OUTPUT (what was
 * written stays in 'out').
 */
int template_render(const struct template_set *set, const char *name, json_t *const *frames,
                    size_t nframes, struct strbuf *out, struct err_ctx *ec);

/* The escapers the engine uses, for code that builds HTML by hand (charts). */
void template_escape_html(struct strbuf *out, const char *s, size_t len);

/*
 * Appends 's' as a URL attribute value would hold it: a URL of an allowed
 * form ("/x" but not "//x", "?x", "#x", http:, https:, mailto:, tel:)
 * normalised and attribute-escaped, anything else "about:invalid#blocked".
 */
void template_escape_url(struct strbuf *out, const char *s, size_t len);

#endif
