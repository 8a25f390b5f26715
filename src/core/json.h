/*
 * json.h - reading and writing JSON request and response bodies (jansson).
 *
 * The readers check one member of a request object each and, on a bad
 * value, fail with ERR_INVALID naming the member and saying in Chinese what
 * was expected, so that every handler reports input errors the same way.
 * Text members must be clean UTF-8 (no control characters) within a length
 * counted in characters, not bytes.
 */
#ifndef FAZHI_CORE_JSON_H
#define FAZHI_CORE_JSON_H

#include <jansson.h>

#include "core/err.h"

struct arena;

/*
 * Reads text member 'key'. Absent or null: *out = NULL, and ERR_INVALID when
 * 'required'. Present: must be a string of 1..max_chars characters after
 * trimming nothing (an empty string counts as absent for a required field).
 * *out points into 'obj'.
 */
int json_field_text(json_t *obj, const char *key, bool required, size_t max_chars, const char **out,
                    struct err_ctx *ec);

/*
 * Reads integer member 'key' within [min, max]. Absent or null: *present =
 * false and ERR_INVALID when 'required'. 'present' may be NULL.
 */
int json_field_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, bool *present, struct err_ctx *ec);

/* Reads boolean member 'key'; absent: *present = false (ERR_INVALID if required). */
int json_field_bool(json_t *obj, const char *key, bool required, bool *out, bool *present,
                    struct err_ctx *ec);

/*
 * Fails with ERR_INVALID naming the first member of 'obj' that is not in the
 * NULL-terminated list 'allowed': a misspelt field is an error, not ignored.
 */
int json_fields_allowed(json_t *obj, const char *const *allowed, struct err_ctx *ec);

/* Serialises 'v' compactly into the arena (NULL for NULL). */
char *json_dump_arena(struct arena *a, const json_t *v);

/* A JSON string, or null when s is NULL. */
json_t *json_text_or_null(const char *s);

#endif
