/*
 * str.h - growable byte buffers and small string helpers.
 *
 * A strbuf always holds a NUL-terminated string in buf[0..len]; an
 * initialised but empty strbuf points at a shared empty string, so buf is
 * never NULL. Growth failure aborts, like the arena.
 */
#ifndef FAZHI_CORE_STR_H
#define FAZHI_CORE_STR_H

#include <stdarg.h>

struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        strbuf_empty, 0, 0                                                                         \
    }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Makes sure 'extra' more bytes fit without another allocation. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) FZ_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) FZ_PRINTF(2, 0);
void strbuf_reset(struct strbuf *sb);
/* Drops the first n bytes. */
void strbuf_remove_front(struct strbuf *sb, size_t n);
/* Returns the malloc'd string and leaves 'sb' empty; the caller frees it. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* True if s starts with prefix. */
bool str_starts_with(const char *s, const char *prefix);

/*
 * Parses all of 's' as a base-10 integer within [min, max]. Returns 0, or -1
 * on an empty string, trailing characters or a value out of range.
 */
int str_to_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Lower-case hex of 'n' bytes into 'out', which holds 2n+1 bytes. */
void str_hex(char *out, const unsigned char *in, size_t n);

/*
 * True if the n bytes at s are valid UTF-8 with no NUL, no C0 control other
 * than tab, newline and carriage return, and no noncharacter (U+FDD0 to
 * U+FDEF, U+FFFE, U+FFFF and their likes in every plane): what text fields
 * accept, and what any XML document may hold.
 */
bool str_is_clean_utf8(const char *s, size_t n);

/* The length of the longest prefix of the n bytes at s that is clean UTF-8
 * text in the sense of str_is_clean_utf8(): n when all of it is, else the
 * offset of the first offending byte (for an error that names the line). */
size_t str_clean_utf8_prefix(const char *s, size_t n);

/* Number of Unicode code points in valid UTF-8 's'. */
size_t str_utf8_len(const char *s);

/* The bytes of the first 'max_chars' characters of UTF-8 's' (all of it
 * when shorter): where to cut it; s[result] != '\0' when it was cut. */
size_t str_utf8_prefix_len(const char *s, size_t max_chars);

/* 's' without the spaces, tabs and line breaks at either end: returns where
 * the text starts and sets *len to its length. */
const char *str_trim(const char *s, size_t *len);

#endif
