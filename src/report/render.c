/*
 * render.c - the report writers: one per format behind struct
 * report_writer (report/report.h).
 *
 *   md    the template's Markdown with every value in place: headings as
 *         "#" lines, paragraphs and "- " list items, a blank line between.
 *   html  a standalone page (UTF-8, zh-CN) with the stylesheet of the
 *         console; every figure is a link to the records behind it
 *         (GET /api/v1/metrics/{name}/records?unit=&year=), escaped with
 *         the web layer's escapers.
 *
 * PDF (pdf.c) and DOCX (docx.c) build whole files, not text, so they are
 * functions of their own (report_render_pdf/docx in report.h).
 */
#include "core/compat.h"
#include "report/report.h"

#include "web/template.h"

static void runs_text(const struct report_node *n, struct strbuf *out)
{
    for (size_t i = 0; i < n->nruns; i++)
        strbuf_adds(out, n->runs[i].text);
}

static void write_md(const struct report_doc *doc, struct strbuf *out)
{
    for (size_t i = 0; i < doc->n; i++) {
        const struct report_node *n = &doc->nodes[i];
        /* A blank line between blocks; list items stay together (a tight list). */
        if (i && !(n->kind == REPORT_LIST_ITEM && doc->nodes[i - 1].kind == REPORT_LIST_ITEM))
            strbuf_addch(out, '\n');
        if (n->kind == REPORT_HEADING) {
            for (int k = 0; k < n->level; k++)
                strbuf_addch(out, '#');
            strbuf_addch(out, ' ');
        } else if (n->kind == REPORT_LIST_ITEM) {
            strbuf_adds(out, "- ");
        }
        runs_text(n, out);
        strbuf_addch(out, '\n');
    }
}

static void html_text(struct strbuf *out, const char *s)
{
    template_escape_html(out, s, strlen(s));
}

static void html_runs(const struct report_node *n, struct strbuf *out)
{
    for (size_t i = 0; i < n->nruns; i++) {
        const struct report_run *r = &n->runs[i];
        if (r->kind == REPORT_RUN_FIGURE && r->href) {
            strbuf_adds(out, "<a class=\"figure\" href=\"");
            html_text(out, r->href);
            strbuf_adds(out, "\" title=\"");
            html_text(out, r->metric->label);
            strbuf_adds(out, "\" data-metric=\"");
            html_text(out, r->metric->name);
            strbuf_adds(out, "\">");
            html_text(out, r->text);
            strbuf_adds(out, "</a>");
        } else {
            /* Hard breaks of free text. */
            for (const char *s = r->text; *s;) {
                const char *nl = strchr(s, '\n');
                size_t len = nl ? (size_t)(nl - s) : strlen(s);
                template_escape_html(out, s, len);
                if (!nl)
                    break;
                strbuf_adds(out, "<br>");
                s = nl + 1;
            }
        }
    }
}

void report_html_body(const struct report_doc *doc, struct strbuf *out)
{
    bool in_list = false;

    for (size_t i = 0; i < doc->n; i++) {
        const struct report_node *n = &doc->nodes[i];
        if (in_list && n->kind != REPORT_LIST_ITEM) {
            strbuf_adds(out, "</ul>\n");
            in_list = false;
        }
        switch (n->kind) {
        case REPORT_HEADING:
            strbuf_addf(out, "<h%d>", n->level);
            html_runs(n, out);
            strbuf_addf(out, "</h%d>\n", n->level);
            break;
        case REPORT_PARAGRAPH:
            strbuf_adds(out, "<p>");
            html_runs(n, out);
            strbuf_adds(out, "</p>\n");
            break;
        case REPORT_LIST_ITEM:
            if (!in_list)
                strbuf_adds(out, "<ul>\n");
            in_list = true;
            strbuf_adds(out, "<li>");
            html_runs(n, out);
            strbuf_adds(out, "</li>\n");
            break;
        }
    }
    if (in_list)
        strbuf_adds(out, "</ul>\n");
}

static void write_html(const struct report_doc *doc, struct strbuf *out)
{
    strbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    html_text(out, doc->title);
    strbuf_adds(out, "</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n</head>\n"
                     "<body>\n<main class=\"report\">\n");
    report_html_body(doc, out);
    strbuf_adds(out, "</main>\n</body>\n</html>\n");
}

static const struct report_writer writers[] = {
    {"md", "text/markdown; charset=utf-8", write_md},
    {"html", "text/html; charset=utf-8", write_html},
};

const struct report_writer *report_writer_find(const char *format)
{
    for (size_t i = 0; i < ARRAY_SIZE(writers); i++)
        if (strcmp(writers[i].format, format) == 0)
            return &writers[i];
    return NULL;
}
