/*
 * media.c - content sniffing of uploads (see media.h).
 */
#include "core/compat.h"
#include "core/media.h"

const char *media_image_type(const void *data, size_t len)
{
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF};
    /* The PNG signature, then the first chunk: length 13, type IHDR. */
    static const unsigned char png[] = {0x89, 'P',  'N',  'G',  '\r', '\n', 0x1A, '\n',
                                        0x00, 0x00, 0x00, 0x0D, 'I',  'H',  'D',  'R'};

    if (!data)
        return NULL;
    if (len >= sizeof(jpeg) && memcmp(data, jpeg, sizeof(jpeg)) == 0)
        return "image/jpeg";
    if (len >= sizeof(png) && memcmp(data, png, sizeof(png)) == 0)
        return "image/png";
    return NULL;
}
