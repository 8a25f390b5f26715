/*
 * chart.c - the SVG bar chart of chart.h.
 *
 * Geometry is fixed in viewBox units and the SVG scales to its container
 * (width 100%), so the same markup serves a phone and a desk screen. Labels
 * get a fixed column; a label longer than it is cut with an ellipsis in the
 * drawing, and given whole in the bar's own <title> (a tooltip, and what
 * assistive technology reads for the bar).
 */
#include "core/compat.h"
#include "web/chart.h"
#include "web/template.h"

/* Narrow on purpose: the chart scales to its card, and text drawn for a
 * wide viewBox shrinks below reading size in a phone's card. */
#define CHART_WIDTH 360
#define LABEL_WIDTH 120 /* the label column */
#define VALUE_WIDTH 64  /* room after the longest bar for its value */
#define ROW_HEIGHT  30
#define BAR_HEIGHT  18
#define PAD_TOP     8
#define LABEL_CHARS 8 /* about this many CJK characters fit the label column */
#define FONT_SIZE   13

static void esc(struct strbuf *out, const char *s)
{
    if (s)
        template_escape_html(out, s, strlen(s));
}

/* Appends at most 'max' characters of UTF-8 's', with "…" when cut. */
static void esc_cut(struct strbuf *out, const char *s, size_t max)
{
    size_t i;

    if (!s)
        return;
    i = str_utf8_prefix_len(s, max);
    template_escape_html(out, s, i);
    if (s[i])
        strbuf_adds(out, "…");
}

void chart_bars_svg(struct strbuf *out, const char *title, const struct chart_bar *bars, size_t n)
{
    double max = 0;
    int plot = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    int height = PAD_TOP * 2 + (int)(n ? n : 1) * ROW_HEIGHT;

    for (size_t i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    strbuf_addf(out,
                "<svg class=\"chart-svg\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
                "preserveAspectRatio=\"xMinYMin meet\" font-size=\"%d\" aria-label=\"",
                CHART_WIDTH, height, FONT_SIZE);
    esc(out, title);
    strbuf_adds(out, "\" xmlns=\"http://www.w3.org/2000/svg\"><title>");
    esc(out, title);
    strbuf_adds(out, "</title>");
    if (n == 0) {
        strbuf_addf(out,
                    "<text class=\"chart-label\" x=\"%d\" y=\"%d\" fill=\"#555\">暂无数据</text>",
                    8, PAD_TOP + ROW_HEIGHT / 2 + FONT_SIZE / 2 - 1);
    }
    for (size_t i = 0; i < n; i++) {
        int y = PAD_TOP + (int)i * ROW_HEIGHT;
        int text_y = y + ROW_HEIGHT / 2 + FONT_SIZE / 2 - 1;
        int w = 0;

        if (max > 0 && bars[i].value > 0) {
            w = (int)(bars[i].value / max * plot + 0.5);
            if (w < 2)
                w = 2; /* a small value still shows */
        }
        strbuf_adds(out, "<g class=\"chart-row\"><title>");
        esc(out, bars[i].label);
        strbuf_adds(out, "：");
        esc(out, bars[i].value_text);
        strbuf_addf(out,
                    "</title><text class=\"chart-label\" x=\"%d\" y=\"%d\" "
                    "text-anchor=\"end\" fill=\"#333\">",
                    LABEL_WIDTH - 8, text_y);
        esc_cut(out, bars[i].label, LABEL_CHARS);
        strbuf_addf(out,
                    "</text><rect class=\"chart-bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "rx=\"2\" fill=\"#b3261e\"></rect>",
                    LABEL_WIDTH, y + (ROW_HEIGHT - BAR_HEIGHT) / 2, w, BAR_HEIGHT);
        strbuf_addf(out, "<text class=\"chart-value\" x=\"%d\" y=\"%d\" fill=\"#333\">",
                    LABEL_WIDTH + w + 6, text_y);
        esc(out, bars[i].value_text);
        strbuf_adds(out, "</text></g>");
    }
    strbuf_adds(out, "</svg>");
}
