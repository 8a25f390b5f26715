/*
 * ledger_io.h - ledgers as files: XLSX and CSV exports of any list, and CSV
 * imports.
 *
 * The CSV export is also the import format, so a file exported, edited in a
 * spreadsheet and imported again works: the columns are named in Chinese
 * (编号, 种类代码, 单位代码, 日期, 标题, 地点, 参与人员编号, 备注 and one
 * "名称（单位）" column per counter); an import also accepts the English
 * names (id, kind, unit, date, title, place, participants, notes, and a
 * counter's code). Columns that only describe (种类, 单位, 参与人员, 核实提示)
 * are ignored on import.
 *
 * An import is all or nothing: every row is checked as an API create would
 * be, and one bad row means no row is saved and every fault is reported
 * with its line and field. It is idempotent: a row whose 编号 names an
 * entry the caller can see, and a row already imported (same content, the
 * n-th such row of its file), are skipped, so importing the same file twice
 * adds nothing the second time.
 */
#ifndef FAZHI_MODULES_LEDGER_IO_H
#define FAZHI_MODULES_LEDGER_IO_H

#include "core/csv.h"
#include "modules/ledger/ledger.h"

struct table;

#define LEDGER_IMPORT_ROWS_MAX   50000 /* records of one file, the header included */
#define LEDGER_IMPORT_FIELDS_MAX 128
#define LEDGER_IMPORT_FAULTS_MAX 1000 /* faults reported; the rest are counted */

/*
 * The table of an export, from entries sorted by kind (ledger_entry_all).
 * For XLSX ('one_sheet' false): a sheet per kind, named after it, with
 * Chinese column titles and a bold totals row (合计: entries and the sum of
 * each counter). For CSV ('one_sheet' true): one sheet of every kind in the
 * import format above, without a totals row (it would not import). Returns
 * a new table; the caller frees it with table_free().
 */
struct table *ledger_io_table(const struct ledger_entry *items, size_t n, bool one_sheet);

/*
 * The file name of an export, without extension: "台账_甲社区_法治讲座_2022-01-01至
 * 2022-12-31" (parts left out when not filtered on). An arena string.
 */
const char *ledger_io_filename(struct arena *a, const struct unit *unit,
                               const struct ledger_kind *kind, const struct ledger_filter *f);

struct ledger_import {
    const char *kind;            /* ?kind=: the kind of rows without a kind column, or NULL */
    const struct csv_doc *doc;   /* the file, parsed beforehand (csv_parse) */
    size_t rows;                 /* data rows read */
    size_t created, skipped;     /* entries created; rows skipped as already there */
    int64_t *ids;                /* the ids created, in row order */
    struct ledger_faults faults; /* every fault, with its line, when ERR_INVALID */
};

/*
 * Imports the rows of im->doc for p, inside the caller's unit of work. On a
 * fault in any row returns ERR_INVALID (naming "file") with the faults in
 * im->faults, having saved nothing that survives: the caller's unit of work
 * must be rolled back, as store_write() does for a unit that fails. Emits
 * one "ledger.entries.imported" event per unit that got entries.
 */
int ledger_io_import(struct store_conn *c, struct arena *a, const struct principal *p,
                     struct ledger_import *im, struct err_ctx *ec);

#endif
