/*
 * pdf.c - the report as a PDF in the layout of official documents
 * (GB/T 9704-2012), drawn with cairo and pango.
 *
 * The page: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm,
 * so a text block of 156 x 225 mm holding 22 lines of 28 characters. Every
 * line sits on that grid: the line pitch is 225 mm / 22 (about 28.99 pt)
 * and a 16 pt body character advances 156 mm / 28 (15.79 pt, a letter
 * spacing of -0.21 pt), so that 28 CJK characters fill a line. Paragraphs
 * and headings 2-4 start two characters in and are justified; the title
 * (heading 1) is centred at 22 pt with a blank line after it. A heading
 * never ends a page: it moves on to the next one with its text.
 *
 * The faces of GB/T 9704 are not free; these stand in for them (the PDF
 * says so in its subject and keywords):
 *
 *   title   小标宋  Noto Serif CJK SC Bold, 22 pt
 *   "一、"  黑体    Noto Sans CJK SC, 16 pt
 *   "（一）" 楷体   Noto Serif CJK SC Bold, 16 pt (no KaiTi-like face is
 *                   packaged in Debian's fonts-noto-cjk)
 *   body, "1."  仿宋  Noto Serif CJK SC, 16 pt
 *   page numbers    Noto Serif CJK SC, 14 pt (4号), "— N —" 7 mm below the
 *                   text block, odd pages right and even pages left, one
 *                   character in from the edge of the block
 *
 * One cairo surface, one pango layout and the font descriptions serve the
 * whole document; each block is laid out once and drawn line by line.
 */
#include "core/compat.h"
#include "report/report.h"

#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include <errno.h>
#include <strings.h>

#define MM(x) ((x)*72.0 / 25.4)

#define PAGE_W     MM(210.0)
#define PAGE_H     MM(297.0)
#define BLOCK_X    MM(28.0)
#define BLOCK_Y    MM(37.0)
#define BLOCK_W    MM(156.0)
#define BLOCK_H    MM(225.0)
#define GRID_LINES 22
#define GRID_CHARS 28
#define LINE_PITCH (BLOCK_H / GRID_LINES)
#define CHAR_PITCH (BLOCK_W / GRID_CHARS)
#define BODY_PT    16.0
#define TITLE_PT   22.0
#define FOLIO_PT   14.0
#define FOLIO_GAP  MM(7.0)

#define PDF_SUBJECT                                                                                                         \
    "版式依 GB/T 9704-2012（A4，上 37 mm、下 35 mm、左 28 mm、右 26 mm，每页 22 行、每行 28 "            \
    "字）。字体代用：标题小标宋以 Noto Serif CJK SC Bold 代，正文及“1.”仿宋以 Noto Serif CJK SC " \
    "代，“一、”黑体以 Noto Sans CJK SC 代，“（一）”楷体以 Noto Serif CJK SC Bold 代。"
#define PDF_KEYWORDS "法治政府建设; GB/T 9704-2012; 字体代用; Noto Serif CJK SC; Noto Sans CJK SC"

enum face { FACE_TITLE, FACE_HEI, FACE_KAI, FACE_BODY, FACE_FOLIO, FACE_COUNT };

static const struct {
    const char *family;
    PangoWeight weight;
    double size;
} faces[FACE_COUNT] = {
    [FACE_TITLE] = {"Noto Serif CJK SC", PANGO_WEIGHT_BOLD, TITLE_PT},
    [FACE_HEI] = {"Noto Sans CJK SC", PANGO_WEIGHT_NORMAL, BODY_PT},
    [FACE_KAI] = {"Noto Serif CJK SC", PANGO_WEIGHT_BOLD, BODY_PT},
    [FACE_BODY] = {"Noto Serif CJK SC", PANGO_WEIGHT_NORMAL, BODY_PT},
    [FACE_FOLIO] = {"Noto Serif CJK SC", PANGO_WEIGHT_NORMAL, FOLIO_PT},
};

struct pdf {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout, *folio;
    PangoFontDescription *font[FACE_COUNT];
    PangoAttrList *spacing; /* the body's letter spacing */
    int page;               /* pages begun */
    int line;               /* the next grid line of the page */
    struct strbuf text;
};

static cairo_status_t pdf_append(void *closure, const unsigned char *data, unsigned int len)
{
    strbuf_add(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static int pu(double pt)
{
    return (int)(pt * PANGO_SCALE + (pt < 0 ? -0.5 : 0.5));
}

/* The width of 'text' in the folio layout, in points. */
static double folio_width(struct pdf *p, const char *text)
{
    PangoRectangle logical;

    pango_layout_set_text(p->folio, text, -1);
    pango_layout_get_extents(p->folio, NULL, &logical);
    return (double)logical.width / PANGO_SCALE;
}

/* The page number of the current page, "— N —" with a half-character gap
 * either side of N (drawn in three pieces so that text extraction sees the
 * gaps); then the page is done. */
static void finish_page(struct pdf *p)
{
    const double gap = FOLIO_PT / 2;
    char num[16];
    double dash, w, x;

    snprintf(num, sizeof(num), "%d", p->page);
    dash = folio_width(p, "—");
    w = folio_width(p, num);
    if (p->page % 2)
        x = BLOCK_X + BLOCK_W - FOLIO_PT - (2 * dash + 2 * gap + w);
    else
        x = BLOCK_X + FOLIO_PT;
    cairo_move_to(p->cr, x + dash + gap, BLOCK_Y + BLOCK_H + FOLIO_GAP);
    pango_cairo_show_layout(p->cr, p->folio); /* the number, still set */
    pango_layout_set_text(p->folio, "—", -1);
    cairo_move_to(p->cr, x, BLOCK_Y + BLOCK_H + FOLIO_GAP);
    pango_cairo_show_layout(p->cr, p->folio);
    cairo_move_to(p->cr, x + dash + gap + w + gap, BLOCK_Y + BLOCK_H + FOLIO_GAP);
    pango_cairo_show_layout(p->cr, p->folio);
    cairo_show_page(p->cr);
}

/* Makes room for one more grid line, on a new page when this one is full. */
static void next_line(struct pdf *p)
{
    if (p->page > 0 && p->line < GRID_LINES)
        return;
    if (p->page > 0)
        finish_page(p);
    p->page++;
    p->line = 0;
}

/* Lays out 'text' in face f across the text block and draws it line by line. */
static void put_block(struct pdf *p, const char *text, enum face f, bool indent, bool centre,
                      bool keep_with_next)
{
    PangoLayout *l = p->layout;
    PangoLayoutIter *it;

    pango_layout_set_attributes(l, f == FACE_TITLE ? NULL : p->spacing);
    pango_layout_set_font_description(l, p->font[f]);
    /* A tenth of a point of slack: rounding never pushes the 28th character on. */
    pango_layout_set_width(l, pu(BLOCK_W + 0.1));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_indent(l, indent ? pu(2 * CHAR_PITCH) : 0);
    pango_layout_set_alignment(l, centre ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
    pango_layout_set_justify(l, !centre);
    pango_layout_set_text(l, text, -1);

    if (keep_with_next && p->page > 0 && p->line + pango_layout_get_line_count(l) >= GRID_LINES)
        p->line = GRID_LINES;
    it = pango_layout_get_iter(l);
    do {
        PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
        PangoRectangle logical;
        double ascent, descent, base;

        pango_layout_iter_get_line_extents(it, NULL, &logical);
        ascent = (double)(pango_layout_iter_get_baseline(it) - logical.y) / PANGO_SCALE;
        descent = (double)logical.height / PANGO_SCALE - ascent;
        next_line(p);
        /* The line's box centred in its grid line. */
        base = BLOCK_Y + p->line * LINE_PITCH + (LINE_PITCH - ascent - descent) / 2 + ascent;
        cairo_move_to(p->cr, BLOCK_X + (double)logical.x / PANGO_SCALE, base);
        pango_cairo_show_layout_line(p->cr, line);
        p->line++;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
}

static void node_text(const struct report_node *n, struct strbuf *out)
{
    strbuf_reset(out);
    for (size_t i = 0; i < n->nruns; i++)
        strbuf_adds(out, n->runs[i].text ? n->runs[i].text : "");
}

/* Whether face f resolves to its Noto family rather than a fallback. */
static bool face_installed(PangoContext *ctx, const PangoFontDescription *desc)
{
    PangoFont *font = pango_context_load_font(ctx, desc);
    PangoFontDescription *got;
    bool ok;

    if (!font)
        return false;
    got = pango_font_describe(font);
    ok = got && pango_font_description_get_family(got) &&
         strcasecmp(pango_font_description_get_family(got),
                    pango_font_description_get_family(desc)) == 0;
    if (got)
        pango_font_description_free(got);
    g_object_unref(font);
    return ok;
}

static void pdf_free(struct pdf *p)
{
    for (int i = 0; i < FACE_COUNT; i++)
        if (p->font[i])
            pango_font_description_free(p->font[i]);
    if (p->spacing)
        pango_attr_list_unref(p->spacing);
    if (p->layout)
        g_object_unref(p->layout);
    if (p->folio)
        g_object_unref(p->folio);
    if (p->cr)
        cairo_destroy(p->cr);
    if (p->surface)
        cairo_surface_destroy(p->surface);
    strbuf_release(&p->text);
}

int report_render_pdf(const struct report_doc *doc, struct strbuf *out, struct err_ctx *ec)
{
    struct pdf p = {0};
    cairo_font_options_t *fo;
    PangoContext *ctx;
    PangoAttribute *ls;
    cairo_status_t st;
    int rc = 0;

    strbuf_init(&p.text, 1024);
    p.surface = cairo_pdf_surface_create_for_stream(pdf_append, out, PAGE_W, PAGE_H);
    p.cr = cairo_create(p.surface);
    if (cairo_status(p.cr) != CAIRO_STATUS_SUCCESS) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法创建 PDF");
        err_detail(ec, "cairo: %s", cairo_status_to_string(cairo_status(p.cr)));
        goto out;
    }
    cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_TITLE,
                                   doc->title ? doc->title : "法治政府建设情况报告");
    cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_SUBJECT, PDF_SUBJECT);
    cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_KEYWORDS, PDF_KEYWORDS);
    cairo_pdf_surface_set_metadata(p.surface, CAIRO_PDF_METADATA_CREATOR, "fazhi");

    /* Points as user units, unhinted metrics: the grid above is exact. */
    p.layout = pango_cairo_create_layout(p.cr);
    ctx = pango_layout_get_context(p.layout);
    pango_cairo_context_set_resolution(ctx, 72.0);
    fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(ctx, fo);
    cairo_font_options_destroy(fo);
    pango_layout_context_changed(p.layout);

    for (int i = 0; i < FACE_COUNT; i++) {
        p.font[i] = pango_font_description_new();
        pango_font_description_set_family_static(p.font[i], faces[i].family);
        pango_font_description_set_weight(p.font[i], faces[i].weight);
        pango_font_description_set_absolute_size(p.font[i], faces[i].size * PANGO_SCALE);
        if (!face_installed(ctx, p.font[i])) {
            rc = err_set(ec, ERR_UNAVAILABLE, NULL,
                         "未安装字体 %s，无法生成 PDF（请安装 fonts-noto-cjk）", faces[i].family);
            goto out;
        }
    }
    /* The page numbers have a layout of their own: a page can end while a
     * paragraph's lines are being drawn. */
    p.folio = pango_layout_new(ctx);
    pango_layout_set_font_description(p.folio, p.font[FACE_FOLIO]);
    p.spacing = pango_attr_list_new();
    ls = pango_attr_letter_spacing_new(pu(CHAR_PITCH - BODY_PT));
    pango_attr_list_insert(p.spacing, ls);

    for (size_t i = 0; i < doc->n; i++) {
        const struct report_node *n = &doc->nodes[i];
        node_text(n, &p.text);
        if (n->kind != REPORT_HEADING) {
            put_block(&p, p.text.buf, FACE_BODY, true, false, false);
        } else if (n->level <= 1) {
            put_block(&p, p.text.buf, FACE_TITLE, false, true, false);
            next_line(&p);
            p.line++; /* a blank line after the title */
        } else {
            enum face f = n->level == 2 ? FACE_HEI : n->level == 3 ? FACE_KAI : FACE_BODY;
            put_block(&p, p.text.buf, f, true, false, true);
        }
    }
    next_line(&p); /* at least one page */
    finish_page(&p);
    cairo_surface_finish(p.surface);
    st = cairo_surface_status(p.surface);
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 PDF");
        err_detail(ec, "cairo: %s", cairo_status_to_string(st));
    }
out:
    pdf_free(&p);
    return rc;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * cairo 1.16 (Debian 12) loses a few small arrays of its PDF surface with
 * every document (7 objects, about 5 KB, not ours): a known leak fixed
 * upstream in 1.17, kept out of the sanitizer build's leak report.
 * Everything pango and fontconfig keep is freed by report_pdf_shutdown().
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcairo.so\n";
}
#endif

void report_pdf_shutdown(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}

/* Writes the n bytes at data to 'path'. */
static int write_file(const char *path, const char *data, size_t n, struct err_ctx *ec)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (!f)
        return err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
    if (fwrite(data, 1, n, f) != n)
        rc = err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
    return rc;
}

int report_write_pdf(const struct report_doc *doc, const char *path, struct err_ctx *ec)
{
    struct strbuf sb;
    int rc;

    strbuf_init(&sb, 65536);
    rc = report_render_pdf(doc, &sb, ec);
    if (rc == 0)
        rc = write_file(path, sb.buf, sb.len, ec);
    strbuf_release(&sb);
    return rc;
}
