/*
 * report.h - report templates (conf/reports/) and their writers.
 *
 * A template is Markdown, parsed with md4c into a small document model:
 * headings with their level, paragraphs and list items made of runs of
 * text and figures. Placeholders:
 *
 *   {{metric.name}}              the figure as metric_format() writes it
 *   {{metric.name | FILTER}}     pct, wan, approx (approx:多), yoy
 *   {{unit.name}} {{year}} {{next_year}}
 *                                the report's unit and year (not figures)
 *   {{block:shortcomings}} {{block:plans}}
 *                                free text staff write (a paragraph of its
 *                                own; "（待填写）" while there is none)
 *   {{block:leading_group}}      the leading group's members, from the
 *                                caller's report_group_fn
 *
 * Every placeholder is checked when the template is loaded: an unknown
 * metric, filter or block, or a filter that does not fit the metric, is
 * ERR_INVALID with the message "FILE:LINE: 未知指标 x.y" (and the like).
 *
 * Filters (report_filter_format(), table-tested in tests/unit/test_report.c):
 *   pct     a rate as a percentage with one decimal and "%", a trailing
 *           ".0" dropped as the reports write it: "99.5%", "100%"; "—"
 *           when undefined. Rates only.
 *   wan     a sum in 元 as 万元: value / 10^(scale+4), rounded half away
 *           from zero to two decimals, trailing zeros dropped: 8000000 元
 *           -> "800", 125000 元 -> "12.5". Metrics whose unit is 元 only.
 *   approx  the report style for counts ("36余次", "2000余辆"): below 10 the
 *           exact number; from 10 up the number cut down (never rounded up)
 *           to three significant digits, followed by "余" ("approx:多" for
 *           "10多起"): 36 -> "36余", 1425 -> "1420余", 32000 -> "32000余".
 *           The text never claims more than the records hold. Counts and
 *           sums of scale 0 only.
 *   yoy     the change against the previous period of the same length
 *           (metric_period_previous()): "比上年增长12.5%", "比上年下降3%"
 *           (one decimal, trailing ".0" dropped), "与上年持平"; from 0 the
 *           absolute change, "比上年增加5"; a rate compares percentage
 *           points, "比上年提高0.5个百分点" / "降低"; "上年无可比数据" when
 *           either rate is undefined.
 *
 * report/ does not include modules/: the caller prepares the metric query
 * (unit subtree and year) and supplies the leading group through a
 * callback (main.c reads it with the org module's org_group_members_on()).
 */
#ifndef FAZHI_REPORT_REPORT_H
#define FAZHI_REPORT_REPORT_H

#include "core/err.h"
#include "core/str.h"
#include "report/metric.h"

struct arena;

#define REPORT_TEMPLATE_ANNUAL "reports/fazhi-annual.md"
#define REPORT_PENDING         "（待填写）"

enum report_filter {
    REPORT_FILTER_NONE,
    REPORT_FILTER_PCT,
    REPORT_FILTER_WAN,
    REPORT_FILTER_APPROX,
    REPORT_FILTER_YOY
};

/*
 * Writes the value of m (and, for yoy, the previous period's 'prev') through
 * 'filter' into buf. 'arg' is the filter's argument or NULL (approx: "余",
 * the default, or "多"). Returns 0, or ERR_INVALID when the filter does not
 * fit the metric (the load-time check, report_filter_check()).
 */
int report_filter_format(const struct metric *m, enum report_filter filter, const char *arg,
                         const struct metric_value *v, const struct metric_value *prev, char *buf,
                         size_t size);

/* Whether 'filter' with 'arg' applies to m; ERR_INVALID with a message otherwise. */
int report_filter_check(const struct metric *m, enum report_filter filter, const char *arg,
                        struct err_ctx *ec);

/* ================================================================
 * Templates
 * ================================================================ */

struct report_template;

/*
 * Parses 'text' (len bytes; 'name' is what errors print, e.g.
 * "reports/fazhi-annual.md") against registry 'reg'. The template lives in
 * 'a'. ERR_INVALID "NAME:LINE: ..." for a bad placeholder.
 */
int report_template_parse(const char *name, const char *text, size_t len,
                          const struct metric_registry *reg, struct arena *a,
                          struct report_template **out, struct err_ctx *ec);

/* report_template_parse() of the embedded conf/ file 'name'; ERR_NOT_FOUND
 * when there is none. */
int report_template_load(const char *name, const struct metric_registry *reg, struct arena *a,
                         struct report_template **out, struct err_ctx *ec);

/* The metrics the template names, each once, in order of first use. */
size_t report_template_metrics(const struct report_template *t, const struct metric **out,
                               size_t max);

/* ================================================================
 * Documents
 * ================================================================ */

enum report_run_kind { REPORT_RUN_TEXT, REPORT_RUN_FIGURE };

struct report_run {
    enum report_run_kind kind;
    const char *text;            /* NUL-terminated */
    const struct metric *metric; /* figures */
    const char *href;            /* figures: the records behind it */
};

enum report_node_kind { REPORT_HEADING, REPORT_PARAGRAPH, REPORT_LIST_ITEM };

struct report_node {
    enum report_node_kind kind;
    int level; /* headings: 1..6 */
    struct report_run *runs;
    size_t nruns;
};

struct report_doc {
    const char *title; /* the text of the first level-1 heading */
    struct report_node *nodes;
    size_t n;
};

/* One member of the leading group, as the caller reads it. */
struct report_member {
    const char *position; /* "leader" (组长), "deputy" (副组长), "member" (成员) */
    const char *name;
};

struct report_group {
    const char *name; /* 城西街道依法行政工作领导小组; NULL: no group */
    struct report_member *members;
    size_t n;
};

/* Fills *out (in 'a') for the report's unit and period. */
typedef int (*report_group_fn)(void *arg, struct arena *a, struct report_group *out,
                               struct err_ctx *ec);

struct report_params {
    struct metric_query *q;           /* unit subtree and period, inside the caller's read */
    const char *unit_name;            /* 城西街道 */
    const char *shortcomings, *plans; /* free text, or NULL: REPORT_PENDING */
    report_group_fn leading_group;    /* may be NULL */
    void *group_arg;
};

/* Evaluates every figure of t for p (the yoy ones also over the previous
 * period) into a document in p->q->arena. */
int report_build(const struct report_template *t, const struct report_params *p,
                 struct report_doc **out, struct err_ctx *ec);

/* ================================================================
 * Writers: one per format behind one struct of functions
 * ================================================================ */

struct report_writer {
    const char *format;    /* "md", "html" */
    const char *mime_type; /* "text/markdown; charset=utf-8" */
    void (*write)(const struct report_doc *doc, struct strbuf *out);
};

/* The blocks of the html writer without the page around them (headings,
 * paragraphs, lists; figures linked to their records), for a page that
 * shows the report inside its own layout. */
void report_html_body(const struct report_doc *doc, struct strbuf *out);

/* The writer of 'format', or NULL. */
const struct report_writer *report_writer_find(const char *format);

/*
 * The paged formats (report/pdf.c, report/docx.c), outside the table above
 * because they can fail (fonts, zip) and are binary.
 *
 * PDF: GB/T 9704-2012 layout (A4, margins 37/35/28/26 mm, 22 lines of 28
 * characters, title 22 pt, body 16 pt, "— N —" page numbers at the foot,
 * odd pages right, even pages left), drawn with cairo + pango in the Noto
 * CJK faces that stand in for 小标宋/仿宋/黑体/楷体 (named in the PDF's
 * subject and keywords). ERR_UNAVAILABLE when those faces are not installed.
 *
 * DOCX: WordprocessingML zipped with libzip: headings 1-4 as Word heading
 * styles, paragraphs indented two characters, the same page and margins,
 * "— PAGE —" footers; the stand-in faces named in docProps/core.xml.
 *
 * report_render_*() append the file to 'out'; report_write_*() write it to
 * 'path' (ERR_IO).
 */
int report_render_pdf(const struct report_doc *doc, struct strbuf *out, struct err_ctx *ec);
int report_render_docx(const struct report_doc *doc, struct strbuf *out, struct err_ctx *ec);
int report_write_pdf(const struct report_doc *doc, const char *path, struct err_ctx *ec);
int report_write_docx(const struct report_doc *doc, const char *path, struct err_ctx *ec);

/* Frees what pango, cairo and fontconfig keep for the life of the process
 * (their font caches), so that a leak checker sees none; for the end of a
 * command or a test, never while another thread draws. */
void report_pdf_shutdown(void);

#endif
