/*
 * test_report_pdf.c - the paged writers of the report (report/pdf.c,
 * report/docx.c) over a document built by hand: a title, two "一、"
 * headings, a "（一）" heading and long paragraphs with figures.
 *
 * PDF: pdfinfo (A4, 2+ pages, the stand-in faces named in the subject),
 * pdffonts (Noto Serif CJK and Noto Sans CJK embedded), pdftotext (the
 * figures and headings, "— 1 —" and "— 2 —"), pdftotext -bbox (the page
 * number on the right of odd pages and on the left of even ones).
 * DOCX: opened with libzip, [Content_Types].xml first, every part valid XML
 * (expat), the text holds the figures, styles.xml defines Heading1-3, the
 * section is A4 with the GB/T 9704 margins.
 */
#include "core/compat.h"
#include "core/str.h"
#include "report/report.h"

#include <expat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <unistd.h>
#include <zip.h>
#include <cmocka.h>

#define PARA                                                                                                                                  \
    "全年共办理行政执法案件，涉及金额万元，群众满意率达到，较上年有明显提升。街道坚持依法行政，" \
    "完善执法程序，规范执法行为，落实行政执法公示、执法全过程记录和重大执法决定法制审核制度，"    \
    "推动严格规范公正文明执法。"

static struct report_run title_runs[] = {
    {REPORT_RUN_TEXT, "城西街道关于2022年度法治政府建设情况的报告", NULL, NULL}};
static struct report_run h1_runs[] = {{REPORT_RUN_TEXT, "一、主要举措", NULL, NULL}};
static struct report_run h2_runs[] = {{REPORT_RUN_TEXT, "（一）责任落实，领导重视", NULL, NULL}};
static struct report_run h3_runs[] = {{REPORT_RUN_TEXT, "二、不足及原因 & <改进>", NULL, NULL}};
static struct report_run para_runs[] = {
    {REPORT_RUN_TEXT, "全年巡查里程", NULL, NULL},
    {REPORT_RUN_FIGURE, "1050500", NULL, "/api/v1/metrics/a.km/records"},
    {REPORT_RUN_TEXT, "公里，群众满意率", NULL, NULL},
    {REPORT_RUN_FIGURE, "99.5%", NULL, NULL},
    {REPORT_RUN_TEXT, "。" PARA PARA, NULL, NULL},
};
static struct report_run item_runs[] = {{REPORT_RUN_TEXT, "组长：张三", NULL, NULL}};

static struct report_doc *sample(size_t paragraphs)
{
    static struct report_node nodes[64];
    static struct report_doc doc;
    size_t n = 0;

    assert_true(paragraphs + 5 <= ARRAY_SIZE(nodes));
    nodes[n++] = (struct report_node){REPORT_HEADING, 1, title_runs, 1};
    nodes[n++] = (struct report_node){REPORT_HEADING, 2, h1_runs, 1};
    nodes[n++] = (struct report_node){REPORT_HEADING, 3, h2_runs, 1};
    for (size_t i = 0; i < paragraphs; i++)
        nodes[n++] = (struct report_node){REPORT_PARAGRAPH, 0, para_runs, ARRAY_SIZE(para_runs)};
    nodes[n++] = (struct report_node){REPORT_HEADING, 2, h3_runs, 1};
    nodes[n++] = (struct report_node){REPORT_LIST_ITEM, 0, item_runs, 1};
    doc = (struct report_doc){title_runs[0].text, nodes, n};
    return &doc;
}

/* The standard output of 'cmd' (a shell command line). */
static void run(const char *cmd, struct strbuf *out)
{
    char buf[4096];
    size_t n;
    FILE *p = popen(cmd, "r");

    assert_non_null(p);
    strbuf_reset(out);
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        strbuf_add(out, buf, n);
    assert_int_equal(pclose(p), 0);
}

static bool have_poppler(void)
{
    return system("command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null && "
                  "command -v pdffonts >/dev/null") == 0;
}

/* The xMin of the page number's first em dash on every page, in order. */
static size_t folio_x(const char *bbox, double *x, size_t max)
{
    size_t n = 0;
    const char *page = strstr(bbox, "<page");

    while (page && n < max) {
        const char *next = strstr(page + 5, "<page");
        const char *w = page, *last = NULL;
        /* The last "—" word of the page, then the one before it (the first). */
        const char *prev = NULL;
        while ((w = strstr(w + 1, "<word")) && (!next || w < next)) {
            const char *gt = strchr(w, '>');
            if (gt && strncmp(gt + 1, "—<", 4) == 0) {
                prev = last;
                last = w;
            }
        }
        assert_non_null(prev);
        x[n++] = strtod(strstr(prev, "xMin=\"") + 6, NULL);
        page = next;
    }
    return n;
}

static void test_pdf(void **state)
{
    (void)state;
    char path[] = "/tmp/fazhi-report-XXXXXX.pdf";
    char cmd[512];
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec = {0};
    double x[8];
    size_t pages;
    int fd;

    if (!have_poppler())
        skip();
    fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(report_write_pdf(sample(12), path, &ec), 0);

    snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
    run(cmd, &out);
    assert_non_null(strstr(out.buf, "595.276 x 841.89 pts (A4)"));
    assert_non_null(strstr(out.buf, "Noto Sans CJK SC"));
    assert_non_null(strstr(out.buf, "GB/T 9704-2012"));
    pages = strtoul(strstr(out.buf, "Pages:") + 6, NULL, 10);
    assert_true(pages >= 2);

    snprintf(cmd, sizeof(cmd), "pdffonts '%s'", path);
    run(cmd, &out);
    assert_non_null(strstr(out.buf, "NotoSerifCJK"));
    assert_non_null(strstr(out.buf, "NotoSansCJK"));
    assert_null(strstr(out.buf, " no  ")); /* every font embedded */

    snprintf(cmd, sizeof(cmd), "pdftotext -layout '%s' -", path);
    run(cmd, &out);
    /* The 22 pt title wraps after 20 characters. */
    assert_non_null(strstr(out.buf, "城西街道关于2022年度法治政府建设情况的"));
    assert_non_null(strstr(out.buf, "一、主要举措"));
    assert_non_null(strstr(out.buf, "（一）责任落实，领导重视"));
    assert_non_null(strstr(out.buf, "二、不足及原因 & <改进>"));
    assert_non_null(strstr(out.buf, "1050500"));
    assert_non_null(strstr(out.buf, "99.5%"));
    assert_non_null(strstr(out.buf, "— 1 —"));
    assert_non_null(strstr(out.buf, "— 2 —"));

    /* Odd pages: the number on the right of the page; even: on the left. */
    snprintf(cmd, sizeof(cmd), "pdftotext -bbox '%s' -", path);
    run(cmd, &out);
    assert_int_equal(folio_x(out.buf, x, ARRAY_SIZE(x)), pages < 8 ? pages : 8);
    for (size_t i = 0; i < pages && i < 8; i++) {
        if (i % 2 == 0)
            assert_true(x[i] > 595.276 / 2);
        else
            assert_true(x[i] < 595.276 / 2);
    }
    strbuf_release(&out);
    unlink(path);
}

/* 28 CJK characters fill a line: a paragraph of 26 + the two-character
 * indent is one line, and pdftotext finds 22 body lines on a full page. */
static void test_pdf_grid(void **state)
{
    (void)state;
    static struct report_run runs[] = {{REPORT_RUN_TEXT, NULL, NULL, NULL}};
    static struct report_node nodes[40];
    struct report_doc doc = {"网格", nodes, ARRAY_SIZE(nodes)};
    char path[] = "/tmp/fazhi-grid-XXXXXX.pdf";
    char cmd[512];
    struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
    struct err_ctx ec = {0};
    size_t lines = 0;
    int fd;

    if (!have_poppler())
        skip();
    for (int i = 0; i < 26; i++)
        strbuf_adds(&text, "法");
    runs[0].text = text.buf;
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
        nodes[i] = (struct report_node){REPORT_PARAGRAPH, 0, runs, 1};
    fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(report_write_pdf(&doc, path, &ec), 0);
    snprintf(cmd, sizeof(cmd), "pdftotext -f 1 -l 1 '%s' -", path);
    run(cmd, &out);
    for (const char *s = out.buf; (s = strstr(s, text.buf)); s += text.len)
        lines++;
    assert_int_equal(lines, 22);
    strbuf_release(&text);
    strbuf_release(&out);
    unlink(path);
}

struct xml_check {
    struct strbuf text;
    bool in_t;
};

static void XMLCALL xml_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    struct xml_check *c = arg;
    (void)atts;
    c->in_t = strcmp(name, "w:t") == 0;
}

static void XMLCALL xml_end(void *arg, const XML_Char *name)
{
    struct xml_check *c = arg;
    (void)name;
    c->in_t = false;
}

static void XMLCALL xml_chars(void *arg, const XML_Char *s, int len)
{
    struct xml_check *c = arg;
    if (c->in_t)
        strbuf_add(&c->text, s, (size_t)len);
}

/* The part 'name' of the archive, parsed with expat; its w:t text in *text. */
static void read_part(zip_t *za, const char *name, struct strbuf *raw, struct strbuf *text)
{
    zip_stat_t st;
    zip_file_t *f;
    struct xml_check c = {STRBUF_INIT, false};
    XML_Parser p;

    assert_int_equal(zip_stat(za, name, 0, &st), 0);
    assert_non_null(f = zip_fopen(za, name, 0));
    strbuf_reset(raw);
    strbuf_grow(raw, (size_t)st.size);
    assert_int_equal(zip_fread(f, raw->buf, st.size), (zip_int64_t)st.size);
    raw->len = (size_t)st.size;
    raw->buf[raw->len] = '\0';
    zip_fclose(f);

    p = XML_ParserCreate("UTF-8");
    XML_SetUserData(p, &c);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_chars);
    if (XML_Parse(p, raw->buf, (int)raw->len, 1) != XML_STATUS_OK)
        fail_msg("%s: %s at line %lu", name, XML_ErrorString(XML_GetErrorCode(p)),
                 (unsigned long)XML_GetCurrentLineNumber(p));
    XML_ParserFree(p);
    strbuf_reset(text);
    strbuf_add(text, c.text.buf, c.text.len);
    strbuf_release(&c.text);
}

static void test_docx(void **state)
{
    (void)state;
    char path[] = "/tmp/fazhi-report-XXXXXX.docx";
    struct strbuf raw = STRBUF_INIT, text = STRBUF_INIT;
    struct err_ctx ec = {0};
    zip_t *za;
    int fd, zerr = 0;

    fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(report_write_docx(sample(3), path, &ec), 0);
    assert_non_null(za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr));
    assert_string_equal(zip_get_name(za, 0, 0), "[Content_Types].xml");
    for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); i++)
        read_part(za, zip_get_name(za, (zip_uint64_t)i, 0), &raw, &text);

    read_part(za, "word/document.xml", &raw, &text);
    assert_non_null(strstr(text.buf, "城西街道关于2022年度法治政府建设情况的报告"));
    assert_non_null(strstr(text.buf, "1050500"));
    assert_non_null(strstr(text.buf, "99.5%"));
    assert_non_null(strstr(text.buf, "二、不足及原因 & <改进>"));
    assert_non_null(strstr(text.buf, "组长：张三"));
    assert_non_null(strstr(raw.buf, "<w:pStyle w:val=\"Heading1\"/>"));
    assert_non_null(strstr(raw.buf, "<w:pStyle w:val=\"Heading2\"/>"));
    assert_non_null(strstr(raw.buf, "<w:pStyle w:val=\"Heading3\"/>"));
    assert_non_null(strstr(raw.buf, "<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"));
    assert_non_null(strstr(raw.buf, "w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" "
                                    "w:left=\"1587\""));

    read_part(za, "word/styles.xml", &raw, &text);
    assert_non_null(strstr(raw.buf, "w:styleId=\"Heading1\""));
    assert_non_null(strstr(raw.buf, "w:styleId=\"Heading2\""));
    assert_non_null(strstr(raw.buf, "w:styleId=\"Heading3\""));
    assert_non_null(strstr(raw.buf, "w:firstLineChars=\"200\""));
    assert_non_null(strstr(raw.buf, "Noto Sans CJK SC"));

    read_part(za, "word/footer1.xml", &raw, &text);
    assert_string_equal(text.buf, "— 1 —");
    assert_non_null(strstr(raw.buf, "PAGE"));
    read_part(za, "docProps/core.xml", &raw, &text);
    assert_non_null(strstr(raw.buf, "Noto Serif CJK SC"));
    zip_close(za);
    strbuf_release(&raw);
    strbuf_release(&text);
    unlink(path);
}

/* The whole document in memory too, and an unwritable path is ERR_IO. */
static void test_render_and_errors(void **state)
{
    (void)state;
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec = {0};

    assert_int_equal(report_render_pdf(sample(1), &out, &ec), 0);
    assert_true(out.len > 1000 && memcmp(out.buf, "%PDF-", 5) == 0);
    strbuf_reset(&out);
    assert_int_equal(report_render_docx(sample(1), &out, &ec), 0);
    assert_true(out.len > 1000 && memcmp(out.buf, "PK", 2) == 0);
    strbuf_release(&out);
    assert_int_equal(report_write_docx(sample(1), "/nonexistent/dir/x.docx", &ec), ERR_IO);
    assert_non_null(strstr(ec.message, "无法写入"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_pdf_grid),
        cmocka_unit_test(test_docx),
        cmocka_unit_test(test_render_and_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    report_pdf_shutdown();
    return rc;
}
