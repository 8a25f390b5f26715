/*
 * arena.h - region allocation for work with one lifetime.
 *
 * One arena per HTTP request (created when the request starts, freed when
 * libmicrohttpd reports it complete) and one per CLI run, so that module code
 * allocates the same way in both. Memory from an arena is never freed one
 * piece at a time; foreign resources (a json_t, a temporary file) are tied to
 * the arena with arena_on_free() and released, newest first, with it.
 *
 * Allocation failure aborts the process: the only sane reaction for a server
 * whose every request needs a few kilobytes.
 */
#ifndef FAZHI_CORE_ARENA_H
#define FAZHI_CORE_ARENA_H

#include <stdarg.h>

struct arena;

typedef void (*arena_cleanup_fn)(void *p);

/* Returns a new arena; the caller frees it with arena_free(). */
struct arena *arena_new(void);

/* Runs the clean-ups (newest first) and frees all memory of 'a'. NULL is a no-op. */
void arena_free(struct arena *a);

/* Returns 'size' bytes aligned for any type, uninitialised. */
void *arena_alloc(struct arena *a, size_t size);

/* Returns 'size' zeroed bytes. */
void *arena_zalloc(struct arena *a, size_t size);

/* Returns n * size zeroed bytes; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t n, size_t size);

/* Copies of strings, NUL-terminated. arena_strdup(a, NULL) returns NULL. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);

/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) FZ_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) FZ_PRINTF(2, 0);

/* Calls fn(p) when the arena is freed. */
void arena_on_free(struct arena *a, arena_cleanup_fn fn, void *p);

/* Bytes handed out so far (for tests and the request log). */
size_t arena_used(const struct arena *a);

#endif
