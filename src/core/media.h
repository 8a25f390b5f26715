/*
 * media.h - what a file is, by its first bytes rather than by its name.
 *
 * An upload's filename and declared Content-Type are whatever the client
 * says; a photo is accepted only when its bytes start like one.
 */
#ifndef FAZHI_CORE_MEDIA_H
#define FAZHI_CORE_MEDIA_H

#include <stddef.h>

/*
 * "image/jpeg" when data starts with FF D8 FF; "image/png" when it starts
 * with the 8-byte PNG signature followed by an IHDR chunk (length 13);
 * otherwise NULL. Reads at most the first 16 bytes, never past len.
 */
const char *media_image_type(const void *data, size_t len);

#endif
