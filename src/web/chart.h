/*
 * chart.h - small SVG bar charts drawn by the server.
 *
 * A chart is a self-contained <svg role="img"> with an aria-label and a
 * <title> (what a screen reader says), one horizontal bar per item with its
 * Chinese label on the left and its value written after the bar, so that
 * the figures are readable without hovering and without JavaScript. Every
 * piece of text is HTML-escaped here; the result is meant for a template
 * member named *_html (the one kind the engine writes unescaped).
 *
 * Colours come from classes (chart-bar, chart-label, chart-value) that
 * app.css styles, with fallbacks as attributes so that a chart saved on its
 * own still shows.
 */
#ifndef FAZHI_WEB_CHART_H
#define FAZHI_WEB_CHART_H

#include "core/str.h"

struct chart_bar {
    const char *label;      /* "法治讲座" */
    double value;           /* for the bar's length; negative is drawn as 0 */
    const char *value_text; /* what is written after the bar: "12 条", "1,050.5 公里" */
};

/*
 * Appends a horizontal bar chart of bars[0..n) to 'out'. 'title' is the
 * chart's accessible name and <title>. With n == 0 the chart says "暂无数据".
 * The longest bar fills the plot; all zero draws empty bars.
 */
void chart_bars_svg(struct strbuf *out, const char *title, const struct chart_bar *bars, size_t n);

#endif
