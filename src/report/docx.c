/*
 * docx.c - the report as a Word document (WordprocessingML in a zip written
 * with libzip), to be edited further in Word or LibreOffice.
 *
 * The parts: [Content_Types].xml (first), _rels/.rels, docProps/core.xml
 * and app.xml, word/document.xml, word/styles.xml, word/settings.xml (even
 * and odd footers), word/footer1.xml and footer2.xml, word/_rels/
 * document.xml.rels.
 *
 * The layout follows GB/T 9704-2012 as pdf.c does: A4 (11906 x 16838
 * twips), margins top 2098, bottom 1984, left 1587, right 1474 twips
 * (37/35/28/26 mm), a document grid of 22 lines (pitch 579 twips, every
 * paragraph at that exact line height) of 28 characters; body 16 pt with
 * a first-line indent of two characters; headings as Word's built-in
 * heading styles: Heading1 the title (22 pt, centred, a blank line after),
 * Heading2 "一、" (黑体), Heading3 "（一）" (楷体), Heading4 "1." (仿宋).
 * Footers "— PAGE —" at 14 pt, odd pages right and even pages left.
 * Font names are those of the installed stand-ins, the same as the PDF's
 * (Noto Serif CJK SC for 小标宋/仿宋/楷体, Noto Sans CJK SC for 黑体); core.xml
 * says so in its subject, keywords and description.
 */
#include "core/compat.h"
#include "report/report.h"

#include <errno.h>
#include <zip.h>

#define SERIF "Noto Serif CJK SC"
#define SANS  "Noto Sans CJK SC"

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_W     "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R     "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG   "http://schemas.openxmlformats.org/package/2006/relationships"
#define CT_WML   "application/vnd.openxmlformats-officedocument.wordprocessingml."

#define DOCX_SUBJECT                                                                               \
    "版式依 GB/T 9704-2012（A4，上 37 mm、下 35 mm、左 28 mm、右 26 mm，每页 22 行、每行 28 字）"
#define DOCX_KEYWORDS "法治政府建设; GB/T 9704-2012; 字体代用; " SERIF "; " SANS
#define DOCX_DESCRIPTION                                                                           \
    "字体代用：标题小标宋以 " SERIF " 加粗代，正文及“1.”仿宋以 " SERIF " 代，“一、”黑体以 " SANS   \
    " 代，“（一）”楷体以 " SERIF " 加粗代。"

static const char content_types[] = XML_DECL
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" "
    "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"" CT_WML "document.main+xml\"/>"
    "<Override PartName=\"/word/styles.xml\" ContentType=\"" CT_WML "styles+xml\"/>"
    "<Override PartName=\"/word/settings.xml\" ContentType=\"" CT_WML "settings+xml\"/>"
    "<Override PartName=\"/word/footer1.xml\" ContentType=\"" CT_WML "footer+xml\"/>"
    "<Override PartName=\"/word/footer2.xml\" ContentType=\"" CT_WML "footer+xml\"/>"
    "<Override PartName=\"/docProps/core.xml\" "
    "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
    "<Override PartName=\"/docProps/app.xml\" "
    "ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
    "</Types>\n";

static const char package_rels[] =
    XML_DECL "<Relationships xmlns=\"" NS_PKG "\">"
             "<Relationship Id=\"rId1\" Type=\"" NS_R "/officeDocument\" "
             "Target=\"word/document.xml\"/>"
             "<Relationship Id=\"rId2\" "
             "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
             "core-properties\" Target=\"docProps/core.xml\"/>"
             "<Relationship Id=\"rId3\" Type=\"" NS_R "/extended-properties\" "
             "Target=\"docProps/app.xml\"/>"
             "</Relationships>\n";

static const char document_rels[] =
    XML_DECL "<Relationships xmlns=\"" NS_PKG "\">"
             "<Relationship Id=\"rId1\" Type=\"" NS_R "/styles\" Target=\"styles.xml\"/>"
             "<Relationship Id=\"rId2\" Type=\"" NS_R "/settings\" Target=\"settings.xml\"/>"
             "<Relationship Id=\"rId3\" Type=\"" NS_R "/footer\" Target=\"footer1.xml\"/>"
             "<Relationship Id=\"rId4\" Type=\"" NS_R "/footer\" Target=\"footer2.xml\"/>"
             "</Relationships>\n";

static const char app_xml[] =
    XML_DECL "<Properties "
             "xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
             "<Application>fazhi</Application></Properties>\n";

static const char settings_xml[] =
    XML_DECL "<w:settings xmlns:w=\"" NS_W "\">"
             "<w:evenAndOddHeaders/>"
             "<w:defaultTabStop w:val=\"640\"/>"
             "<w:characterSpacingControl w:val=\"compressPunctuation\"/>"
             "</w:settings>\n";

#define FONTS(f)                                                                                   \
    "<w:rFonts w:ascii=\"" f "\" w:eastAsia=\"" f "\" w:hAnsi=\"" f "\" w:cs=\"" f "\"/>"

/* Heading styles: keep with the next paragraph, an outline level each. */
#define HEADING(id, name, lvl, ppr, rpr)                                                           \
    "<w:style w:type=\"paragraph\" w:styleId=\"" id "\"><w:name w:val=\"" name "\"/>"              \
    "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>"                          \
    "<w:pPr><w:keepNext/><w:keepLines/>" ppr "<w:outlineLvl w:val=\"" lvl "\"/></w:pPr>"           \
    "<w:rPr>" rpr "</w:rPr></w:style>"

static const char styles_xml[] = XML_DECL
    "<w:styles xmlns:w=\"" NS_W "\">"
    "<w:docDefaults><w:rPrDefault><w:rPr>" FONTS(
        SERIF) "<w:spacing w:val=\"-5\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>"
               "<w:lang w:val=\"zh-CN\" w:eastAsia=\"zh-CN\" "
               "w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>"
               "<w:pPrDefault><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" "
               "w:line=\"579\" "
               "w:lineRule=\"exact\"/><w:jc "
               "w:val=\"both\"/></w:pPr></w:pPrDefault></w:docDefaults>"
               "<w:style w:type=\"paragraph\" w:default=\"1\" "
               "w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>"
               "<w:qFormat/><w:pPr><w:ind w:firstLineChars=\"200\" "
               "w:firstLine=\"640\"/></w:pPr></w:style>" HEADING(
                   "Heading1", "heading 1", "0",
                   "<w:spacing w:after=\"579\"/><w:ind w:firstLineChars=\"0\" "
                   "w:firstLine=\"0\"/>"
                   "<w:jc w:val=\"center\"/>",
                   FONTS(SERIF) "<w:b/><w:bCs/><w:sz w:val=\"44\"/><w:szCs "
                                "w:val=\"44\"/>")
                   HEADING("Heading2", "heading 2", "1", "",
                           FONTS(SANS) "<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>")
                       HEADING("Heading3", "heading 3", "2", "",
                               FONTS(SERIF) "<w:b/><w:bCs/><w:sz "
                                            "w:val=\"32\"/><w:szCs w:val=\"32\"/>")
                           HEADING("Heading4", "heading 4", "3", "",
                                   FONTS(SERIF) "<w:sz w:val=\"32\"/><w:szCs "
                                                "w:val=\"32\"/>") "<w:style "
                                                                  "w:type=\"paragraph\" "
                                                                  "w:styleId=\"Footer\"><w:"
                                                                  "name w:val=\"footer\"/>"
                                                                  "<w:basedOn "
                                                                  "w:val=\"Normal\"/"
                                                                  "><w:pPr><w:spacing "
                                                                  "w:line=\"240\" "
                                                                  "w:lineRule=\"auto\"/>"
                                                                  "<w:ind "
                                                                  "w:firstLineChars=\"0\" "
                                                                  "w:firstLine=\"0\"/></"
                                                                  "w:pPr>"
                                                                  "<w:rPr>" FONTS(
                                                                      SERIF) "<w:sz "
                                                                             "w:val=\"28\"/"
                                                                             "><w:szCs "
                                                                             "w:val=\"28\"/"
                                                                             "></w:rPr></"
                                                                             "w:style>"
                                                                             "</"
                                                                             "w:styles>\n";

/* "— PAGE —" at 4号, one character (14 pt = 280 twips) in from the edge. */
#define FOOTER(jc, ind)                                                                            \
    XML_DECL "<w:ftr xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\">"                                   \
             "<w:p><w:pPr><w:pStyle w:val=\"Footer\"/><w:ind " ind "/><w:jc w:val=\"" jc "\"/>"    \
             "</w:pPr><w:r><w:t xml:space=\"preserve\">— </w:t></w:r>"                           \
             "<w:fldSimple w:instr=\" PAGE \"><w:r><w:t>1</w:t></w:r></w:fldSimple>"               \
             "<w:r><w:t xml:space=\"preserve\"> —</w:t></w:r></w:p></w:ftr>\n"

static const char footer_odd[] =
    FOOTER("right", "w:right=\"280\" w:firstLineChars=\"0\" w:firstLine=\"0\"");
static const char footer_even[] =
    FOOTER("left", "w:left=\"280\" w:firstLineChars=\"0\" w:firstLine=\"0\"");

/* The section: A4, the margins of GB/T 9704, a grid of 22 lines. The 28
 * characters a line come from the default run spacing (16 pt characters
 * narrowed by 0.25 pt, w:spacing -5 in styles.xml), which Word and
 * LibreOffice both honour; a "linesAndChars" grid's charSpace is read
 * differently by the two and spread LibreOffice's lines to 20 characters. */
static const char section[] =
    "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId3\"/>"
    "<w:footerReference w:type=\"even\" r:id=\"rId4\"/>"
    "<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"
    "<w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\" w:header=\"851\" "
    "w:footer=\"1304\" w:gutter=\"0\"/>"
    "<w:docGrid w:type=\"lines\" w:linePitch=\"579\"/>"
    "</w:sectPr>";

/* s with &, <, > and " escaped; a newline becomes a line break. */
static void xml_text(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            strbuf_adds(out, "&amp;");
            break;
        case '<':
            strbuf_adds(out, "&lt;");
            break;
        case '>':
            strbuf_adds(out, "&gt;");
            break;
        case '"':
            strbuf_adds(out, "&quot;");
            break;
        case '\n':
            strbuf_adds(out, "</w:t><w:br/><w:t xml:space=\"preserve\">");
            break;
        case '\r':
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                strbuf_addch(out, *s);
        }
    }
}

/* Plain text escaped for an attribute-free element (core.xml). */
static void xml_plain(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            strbuf_adds(out, "&amp;");
        else if (*s == '<')
            strbuf_adds(out, "&lt;");
        else if (*s == '>')
            strbuf_adds(out, "&gt;");
        else if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
            strbuf_addch(out, *s);
    }
}

static void document_xml(const struct report_doc *doc, struct strbuf *out)
{
    strbuf_adds(out, XML_DECL "<w:document xmlns:w=\"" NS_W "\" xmlns:r=\"" NS_R "\"><w:body>");
    for (size_t i = 0; i < doc->n; i++) {
        const struct report_node *n = &doc->nodes[i];
        strbuf_adds(out, "<w:p>");
        if (n->kind == REPORT_HEADING)
            strbuf_addf(out, "<w:pPr><w:pStyle w:val=\"Heading%d\"/></w:pPr>",
                        n->level < 1   ? 1
                        : n->level > 4 ? 4
                                       : n->level);
        for (size_t k = 0; k < n->nruns; k++) {
            if (!n->runs[k].text || !*n->runs[k].text)
                continue;
            strbuf_adds(out, "<w:r><w:t xml:space=\"preserve\">");
            xml_text(out, n->runs[k].text);
            strbuf_adds(out, "</w:t></w:r>");
        }
        strbuf_adds(out, "</w:p>");
    }
    strbuf_adds(out, section);
    strbuf_adds(out, "</w:body></w:document>\n");
}

static void core_xml(const struct report_doc *doc, struct strbuf *out)
{
    strbuf_adds(out, XML_DECL "<cp:coreProperties "
                              "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
                              "core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                              "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
                              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>");
    xml_plain(out, doc->title ? doc->title : "法治政府建设情况报告");
    strbuf_adds(out, "</dc:title><dc:subject>" DOCX_SUBJECT "</dc:subject>"
                     "<dc:creator>fazhi</dc:creator>"
                     "<cp:keywords>" DOCX_KEYWORDS "</cp:keywords>"
                     "<dc:description>" DOCX_DESCRIPTION "</dc:description>"
                     "<dc:language>zh-CN</dc:language>"
                     "</cp:coreProperties>\n");
}

/* Adds 'name' holding the n bytes at data (copied) to the archive. */
static int add_part(zip_t *za, const char *name, const char *data, size_t n)
{
    void *copy = malloc(n ? n : 1);
    zip_source_t *src;

    if (!copy)
        return -1;
    memcpy(copy, data, n);
    if (!(src = zip_source_buffer(za, copy, n, 1))) {
        free(copy);
        return -1;
    }
    if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(src);
        return -1;
    }
    return 0;
}

int report_render_docx(const struct report_doc *doc, struct strbuf *out, struct err_ctx *ec)
{
    struct strbuf document, core;
    zip_error_t ze;
    zip_source_t *buf;
    zip_stat_t st;
    zip_t *za;
    int rc = 0;

    zip_error_init(&ze);
    if (!(buf = zip_source_buffer_create(NULL, 0, 0, &ze))) {
        rc = err_set(ec, ERR_NOMEM, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return rc;
    }
    zip_source_keep(buf); /* it outlives zip_close(), which fills it */
    if (!(za = zip_open_from_source(buf, ZIP_TRUNCATE, &ze))) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(buf);
        return rc;
    }
    zip_error_fini(&ze);

    strbuf_init(&document, 65536);
    strbuf_init(&core, 2048);
    document_xml(doc, &document);
    core_xml(doc, &core);
    if (add_part(za, "[Content_Types].xml", content_types, sizeof(content_types) - 1) < 0 ||
        add_part(za, "_rels/.rels", package_rels, sizeof(package_rels) - 1) < 0 ||
        add_part(za, "docProps/core.xml", core.buf, core.len) < 0 ||
        add_part(za, "docProps/app.xml", app_xml, sizeof(app_xml) - 1) < 0 ||
        add_part(za, "word/document.xml", document.buf, document.len) < 0 ||
        add_part(za, "word/styles.xml", styles_xml, sizeof(styles_xml) - 1) < 0 ||
        add_part(za, "word/settings.xml", settings_xml, sizeof(settings_xml) - 1) < 0 ||
        add_part(za, "word/footer1.xml", footer_odd, sizeof(footer_odd) - 1) < 0 ||
        add_part(za, "word/footer2.xml", footer_even, sizeof(footer_even) - 1) < 0 ||
        add_part(za, "word/_rels/document.xml.rels", document_rels, sizeof(document_rels) - 1) <
            0) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_strerror(za));
        zip_discard(za);
        goto out;
    }
    if (zip_close(za) < 0) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_strerror(za));
        zip_discard(za);
        goto out;
    }
    /* Read the finished archive back out of the buffer source. */
    if (zip_source_open(buf) < 0 || zip_source_stat(buf, &st) < 0 || !(st.valid & ZIP_STAT_SIZE)) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_error_strerror(zip_source_error(buf)));
        goto out;
    }
    strbuf_grow(out, (size_t)st.size);
    if (zip_source_read(buf, out->buf + out->len, st.size) != (zip_int64_t)st.size) {
        rc = err_set(ec, ERR_INTERNAL, NULL, "无法生成 DOCX");
        err_detail(ec, "libzip: %s", zip_error_strerror(zip_source_error(buf)));
    } else {
        out->len += (size_t)st.size;
        out->buf[out->len] = '\0';
    }
    zip_source_close(buf);
out:
    zip_source_free(buf);
    strbuf_release(&document);
    strbuf_release(&core);
    return rc;
}

int report_write_docx(const struct report_doc *doc, const char *path, struct err_ctx *ec)
{
    struct strbuf sb;
    FILE *f;
    int rc;

    strbuf_init(&sb, 65536);
    if ((rc = report_render_docx(doc, &sb, ec)) < 0)
        goto out;
    if (!(f = fopen(path, "wb"))) {
        rc = err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
        goto out;
    }
    if (fwrite(sb.buf, 1, sb.len, f) != sb.len)
        rc = err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(ec, ERR_IO, NULL, "无法写入 %s：%s", path, strerror(errno));
out:
    strbuf_release(&sb);
    return rc;
}
