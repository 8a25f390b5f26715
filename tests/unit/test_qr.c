/*
 * test_qr.c - web/qr.c: the SVG of a QR code. Nothing is decoded here; the
 * test checks the symbol's size (its version, from the viewBox), that the
 * dark modules are drawn as one path of runs inside the quiet zone, and the
 * finder pattern's top row at its corner.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "core/arena.h"
#include "web/qr.h"

/* The size of the viewBox "0 0 N N", or -1. */
static int view_size(const char *svg)
{
    const char *v = strstr(svg, "viewBox=\"0 0 ");
    int a = -1, b = -2;

    if (!v || sscanf(v + 13, "%d %d", &a, &b) != 2 || a != b)
        return -1;
    return a;
}

/* Counts the runs ("M") of the path and checks each lies inside the symbol. */
static int count_runs(const char *svg, int size, int *modules)
{
    const char *d = strstr(svg, "<path fill=\"#000\" d=\"");
    int runs = 0;

    *modules = 0;
    assert_non_null(d);
    d += strlen("<path fill=\"#000\" d=\"");
    while (*d == 'M') {
        int x, y, n, n2, used = 0;
        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used), 4);
        assert_int_equal(n, n2);
        assert_true(x >= QR_QUIET && y >= QR_QUIET && n > 0);
        assert_true(x + n <= size - QR_QUIET && y < size - QR_QUIET);
        *modules += n;
        runs++;
        d += used;
    }
    assert_int_equal(*d, '"');
    return runs;
}

static void test_tracking_address(void **state)
{
    struct arena *a = arena_new();
    struct err_ctx ec;
    const char *svg;
    size_t len;
    int size, modules, runs;
    (void)state;

    err_clear(&ec);
    /* 40 bytes: version 3 at level M in 8-bit mode holds 42 */
    assert_int_equal(qr_svg(a, "http://127.0.0.1:8080/track/CX-7KQ2-9MWD", &svg, &len, &ec), 0);
    assert_int_equal(strlen(svg), len);
    assert_true(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
    assert_non_null(strstr(svg, "</svg>"));
    size = view_size(svg);
    assert_int_equal(size, 17 + 4 * 3 + 2 * QR_QUIET); /* version 3: 29 modules + quiet zone */
    runs = count_runs(svg, size, &modules);
    assert_true(runs > 50);
    /* dark modules: roughly half of the 841, never all or none */
    assert_true(modules > 841 / 4 && modules < 841 * 3 / 4);
    /* the finder pattern: its top row is 7 dark modules at the corner */
    assert_non_null(strstr(svg, "\"M4 4h7v1h-7z"));
    /* one path only */
    assert_null(strstr(strstr(svg, "<path") + 5, "<path"));
    assert_true(len < 4096);
    arena_free(a);
}

static void test_longer_text_bigger_symbol(void **state)
{
    struct arena *a = arena_new();
    struct err_ctx ec;
    const char *svg;
    size_t len;
    char text[QR_TEXT_MAX + 2];
    (void)state;

    err_clear(&ec);
    /* 7 bytes: version 1 (21 modules) */
    assert_int_equal(qr_svg(a, "CX-7KQ2", &svg, &len, &ec), 0);
    assert_int_equal(view_size(svg), 21 + 2 * QR_QUIET);
    /* 100 bytes of UTF-8: version 6 holds 106 at level M */
    memset(text, 'a', 100);
    text[100] = '\0';
    memcpy(text, "https://城西", strlen("https://城西"));
    assert_int_equal(qr_svg(a, text, &svg, &len, &ec), 0);
    assert_int_equal(view_size(svg), 17 + 4 * 6 + 2 * QR_QUIET);
    arena_free(a);
}

static void test_refused(void **state)
{
    struct arena *a = arena_new();
    struct err_ctx ec;
    const char *svg;
    size_t len;
    char text[QR_TEXT_MAX + 2];
    (void)state;

    err_clear(&ec);
    assert_int_equal(qr_svg(a, "", &svg, &len, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "text");
    assert_null(svg);
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    err_clear(&ec);
    assert_int_equal(qr_svg(a, text, &svg, &len, &ec), ERR_INVALID);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracking_address),
        cmocka_unit_test(test_longer_text_bigger_symbol),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
