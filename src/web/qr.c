/*
 * qr.c - QR codes as SVG (qr.h), with libqrencode.
 *
 * The dark modules are written row by row as runs: "M x y h n v1 h-n z" for
 * each run of n dark modules starting at column x of row y (both counted with
 * the quiet zone). A version 3 symbol (an address of about 40 bytes) comes to
 * about 2 KB.
 */
#include "core/compat.h"

#include <errno.h>

#include <qrencode.h>

#include "core/str.h"
#include "web/qr.h"

int qr_svg(struct arena *a, const char *text, const char **svg, size_t *len, struct err_ctx *ec)
{
    struct strbuf sb = STRBUF_INIT;
    QRcode *q;
    size_t tl = text ? strlen(text) : 0;
    int w, size;

    *svg = NULL;
    *len = 0;
    if (tl == 0 || tl > QR_TEXT_MAX)
        return err_set(ec, ERR_INVALID, "text", "二维码内容应为 1 到 %d 个字节", QR_TEXT_MAX);
    errno = 0;
    q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q) {
        if (errno == ENOMEM)
            return err_set(ec, ERR_NOMEM, NULL, NULL);
        err_set(ec, ERR_INTERNAL, "text", "无法生成二维码");
        return err_detail(ec, "QRcode_encodeString: %s", strerror(errno));
    }
    w = q->width;
    size = w + 2 * QR_QUIET;
    strbuf_addf(&sb,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
                "<path fill=\"#000\" d=\"",
                size, size, size, size);
    for (int y = 0; y < w; y++) {
        const unsigned char *row = q->data + (size_t)y * (size_t)w;
        for (int x = 0; x < w;) {
            int run = 0;
            /* bit 0 of a module's byte: 1 dark, 0 light */
            while (x + run < w && (row[x + run] & 1))
                run++;
            if (run) {
                strbuf_addf(&sb, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
                x += run;
            } else {
                x++;
            }
        }
    }
    strbuf_adds(&sb, "\"/></svg>\n");
    QRcode_free(q);
    *len = sb.len;
    *svg = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return 0;
}
