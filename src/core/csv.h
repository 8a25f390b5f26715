/*
 * csv.h - reading CSV files people upload, and writing CSV fields.
 *
 * Imports arrive as CSV saved by Excel or WPS: RFC 4180 with or without a
 * UTF-8 byte order mark, CRLF or LF (a lone CR also ends a line), fields
 * quoted when they hold a comma, quote or line break. The parser is strict
 * about what would silently corrupt data (bytes that are not UTF-8, as a
 * file saved as GBK would have, NUL, an unterminated quote, text after a
 * closing quote) and reports the line, so a person can fix the file. It is
 * lenient where Excel is: a quote inside an unquoted field is kept as is,
 * and records may differ in their number of fields (the importer checks).
 *
 * The writing half (csv_write_field) is what report/table.c uses, so the
 * quoting and the formula-injection guard are defined in one place with
 * their inverse.
 */
#ifndef FAZHI_CORE_CSV_H
#define FAZHI_CORE_CSV_H

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct csv_row {
    size_t nfields;
    const char **fields; /* in the arena, NUL-terminated */
    size_t line;         /* 1-based line of the file where the record starts */
};

struct csv_doc {
    size_t nrows;
    struct csv_row *rows; /* in the arena */
};

/*
 * Parses RFC 4180 CSV from data[0..len) into 'out', everything allocated
 * from 'a'. An optional UTF-8 BOM is skipped; quoted fields may hold ""
 * escapes, commas and line breaks. Records that are empty or hold only
 * empty fields (",,," rows Excel leaves behind) are skipped. Returns 0, or
 * ERR_BAD_REQUEST (invalid UTF-8, NUL or another control character,
 * unterminated quote, text after a closing quote) or ERR_TOO_LARGE (more
 * than max_rows records, header included, or more than max_fields fields in
 * one record), with a zh-CN message naming the line and field "file".
 */
int csv_parse(const char *data, size_t len, struct arena *a, size_t max_rows, size_t max_fields,
              struct csv_doc *out, struct err_ctx *ec);

/*
 * True if a text field must be guarded against formula injection: after any
 * leading apostrophes it starts with = + - @ tab or CR, which Excel and WPS
 * would run as a formula.
 */
bool csv_needs_guard(const char *text);

/*
 * The inverse of the guard: if 'field' is an apostrophe followed by text
 * that csv_needs_guard(), returns field + 1 (the same storage), else
 * 'field'. Importers call it on text fields of a file fazhi exported, so
 * export then import is exact.
 */
const char *csv_unguard(const char *field);

/*
 * Appends one field to 'out', quoted when it holds a comma, quote, CR or LF
 * (quotes doubled). With 'guard', text that csv_needs_guard() gets a
 * leading apostrophe first. Separators and line ends are the caller's.
 */
void csv_write_field(struct strbuf *out, const char *text, bool guard);

#endif
