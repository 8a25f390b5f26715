/*
 * table.h - the tabular export behind every list in fazhi.
 *
 * A struct table is a workbook: named sheets of typed cells (text, exact
 * scaled numbers, dates), filled row by row and written as XLSX (every sheet,
 * through libxlsxwriter) or as CSV (one sheet). Lists build one table and
 * hand it to whichever writer the user asked for, so both formats always show
 * the same cells.
 *
 * Invariants and choices:
 * - Text is copied when set. Invalid UTF-8 becomes U+FFFD and C0 controls
 *   other than tab, CR and LF are dropped, so neither writer can produce a
 *   file that Excel or WPS refuses. XLSX cells hold at most 32767 bytes;
 *   longer text is cut there (on a character boundary).
 * - Numbers are integers scaled by 10^scale (money in fen: scale 2). CSV
 *   shows them exactly with 'scale' decimals, trailing zeros kept
 *   ("1050.500" for 1050500 at scale 3, "-0.05" for -5 at scale 2). XLSX
 *   stores the nearest double (exact for |value| < 2^53 / 10^scale in
 *   practice: every realistic amount) with the number format "0.000...".
 * - CSV injection: a text cell whose value starts with = + - @ tab or CR
 *   (after any leading apostrophes) is written with one more leading
 *   apostrophe, so a spreadsheet shows it as text instead of running it as
 *   a formula. csv_unguard() in core/csv.h removes exactly that apostrophe on
 *   import, so export then import gives the original text back. Number and
 *   date cells are never guarded (their text is ours: "-12.50" stays).
 * - Sheet names follow Excel's rules when added: at most 31 characters,
 *   []:*?/\ become '_', no leading or trailing apostrophe, unique ignoring
 *   ASCII case ("名单", "名单(2)"), never empty.
 * - Calling a setter before the first table_add_row(), or with a scale
 *   outside 0..TABLE_SCALE_MAX, is a programming error (assert).
 *
 * Memory: everything a table holds is freed by table_free(). Allocation
 * failure aborts, as with the arena.
 */
#ifndef FAZHI_REPORT_TABLE_H
#define FAZHI_REPORT_TABLE_H

#include "core/err.h"
#include "core/str.h"

#define TABLE_SCALE_MAX     9
#define TABLE_XLSX_MAX_ROWS 1048576 /* Excel's limit, the title row included */
#define TABLE_XLSX_MAX_COLS 16384

struct table;       /* a workbook: sheets of typed cells */
struct table_sheet; /* owned by its table */

/* Returns an empty workbook; the caller frees it with table_free(). */
struct table *table_new(void);

/* Frees 't' and all its sheets. NULL is a no-op. */
void table_free(struct table *t);

/*
 * Adds a sheet at the end and returns it (owned by 't'). The name is made
 * valid for Excel as described above; table_sheet_name() gives the result.
 */
struct table_sheet *table_add_sheet(struct table *t, const char *name);

/* Column titles (copied): bold, and frozen as the first row in XLSX. */
void table_set_columns(struct table_sheet *s, size_t ncols, const char *const *titles);

/* Starts a new row; cells not set stay empty. 'totals' marks the totals row (bold in XLSX). */
void table_add_row(struct table_sheet *s, bool totals);

/* Sets a cell of the current row to text (copied). NULL leaves the cell empty. */
void table_set_text(struct table_sheet *s, size_t col, const char *text);

/*
 * Sets a cell of the current row to the number scaled / 10^scale, with
 * 0 <= scale <= TABLE_SCALE_MAX: money in fen is scale 2, km with three
 * decimals scale 3. Written exactly in CSV; in XLSX a number showing
 * 'scale' decimals.
 */
void table_set_number(struct table_sheet *s, size_t col, int64_t scaled, int scale);

/*
 * Sets a cell of the current row to a date "YYYY-MM-DD": a real date cell
 * (format yyyy-mm-dd) in XLSX, the same text in CSV. Text that is not a
 * valid date (years 1900-9999) is kept as a text cell.
 */
void table_set_date(struct table_sheet *s, size_t col, const char *yyyy_mm_dd);

/* The number of sheets, and sheet 'index' (NULL when out of range). */
size_t table_sheet_count(const struct table *t);
struct table_sheet *table_sheet_at(const struct table *t, size_t index);

/* The sheet's name as it will appear in the workbook (valid for Excel). */
const char *table_sheet_name(const struct table_sheet *s);

/* Data rows added so far (the title row not counted). */
size_t table_sheet_rows(const struct table_sheet *s);

/*
 * Writes the workbook as XLSX to 'path', one worksheet per sheet (a table
 * without sheets gets one empty sheet, as Excel needs one). libxlsxwriter
 * writes files, not memory, so callers serving a download write to a
 * temporary path (table_xlsx_temp() makes one), read it back with
 * table_read_file() and unlink it: the path is theirs to remove, also on
 * failure. Returns 0, or ERR_TOO_LARGE (over Excel's row or column limit) or
 * ERR_IO with 'ec' set.
 */
int table_write_xlsx(const struct table *t, const char *path, struct err_ctx *ec);

/*
 * Appends sheet 'index' as CSV to 'out': RFC 4180 with CRLF line ends, UTF-8
 * with a byte order mark (so Excel and WPS detect the encoding), the titles
 * as the first record, every record as wide as the widest row. Fields with a
 * comma, quote, CR or LF are quoted; text guarded against formula injection
 * as described above. Only one sheet: CSV has no sheets, and users opening
 * it expect one table. Returns 0, or ERR_NOT_FOUND when there is no sheet
 * 'index'.
 */
int table_write_csv(const struct table *t, size_t index, struct strbuf *out, struct err_ctx *ec);

/*
 * Creates an empty file for table_write_xlsx() in $TMPDIR (or /tmp) and
 * writes its path into 'path' (size bytes; 64 are enough for /tmp). The
 * caller unlinks it. Returns 0 or ERR_IO.
 */
int table_xlsx_temp(char *path, size_t size, struct err_ctx *ec);

/*
 * Reads the whole file at 'path' into 'out' (appended), refusing files over
 * 'max' bytes (ERR_TOO_LARGE). For serving a written XLSX: copy 'out' into
 * the request's arena or response, then unlink the file. Returns 0 or a
 * negative enum err.
 */
int table_read_file(const char *path, size_t max, struct strbuf *out, struct err_ctx *ec);

#endif
