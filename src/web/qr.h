/*
 * qr.h - a QR code as a small SVG image (libqrencode).
 *
 * The tracking page of a resident matter shows its own address as a QR code,
 * so that a resident can keep it on the phone or scan it from a printout.
 * The symbol is encoded with error correction level M in 8-bit mode (the
 * text is taken byte for byte, so an address of any characters fits) and
 * drawn as one <path> of the dark modules over a white square, with the
 * 4-module quiet zone of ISO/IEC 18004 and a viewBox in modules: the image
 * scales to any size and stays sharp (shape-rendering="crispEdges").
 */
#ifndef FAZHI_WEB_QR_H
#define FAZHI_WEB_QR_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

/* The quiet zone around the symbol, in modules. */
#define QR_QUIET 4

/* The longest text qr_svg() accepts (a version 10 symbol at level M holds 213 bytes). */
#define QR_TEXT_MAX 200

/*
 * Encodes 'text' (1..QR_TEXT_MAX bytes) and writes the SVG document into the
 * arena: *svg (NUL-terminated) and *len. ERR_INVALID naming "text" for an
 * empty or too long text, ERR_NOMEM, ERR_INTERNAL when the encoder fails.
 */
int qr_svg(struct arena *a, const char *text, const char **svg, size_t *len, struct err_ctx *ec);

#endif
