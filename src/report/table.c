/*
 * table.c - the tabular export: sheets of typed cells, written as XLSX or CSV.
 *
 * A table keeps its cells in memory (strings in its own arena, row arrays
 * malloc'd) and only meets a file format when written, so one list feeds
 * both writers. XLSX goes through libxlsxwriter in its default mode rather
 * than constant_memory: we hold every cell already, and the default mode
 * keeps a shared-string table (repeated unit names stored once, and what
 * every reader expects) where constant_memory writes inline strings.
 */
#include "core/compat.h"
#include "report/table.h"
#include "core/arena.h"
#include "core/csv.h"
#include "core/time.h"

#include <assert.h>
#include <errno.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define XLSX_TEXT_MAX   32767 /* bytes; Excel's limit is 32767 characters */
#define SHEET_NAME_MAX  31    /* UTF-16 units, as Excel counts */
#define COL_WIDTH_MIN   8.43  /* Excel's default */
#define COL_WIDTH_MAX   60.0
#define NUMBER_TEXT_MAX 24 /* "-9223372036854775808" with a point, and NUL */

enum cell_kind { CELL_EMPTY, CELL_TEXT, CELL_NUMBER, CELL_DATE };

struct cell {
    const char *text; /* CELL_TEXT and CELL_DATE ("YYYY-MM-DD") */
    int64_t num;      /* CELL_NUMBER: the scaled integer */
    uint8_t kind;     /* enum cell_kind */
    uint8_t scale;
};

struct row {
    struct cell *cells; /* in the arena; 'cap' of them, zeroed (CELL_EMPTY) */
    size_t cap;
    bool totals;
};

struct table_sheet {
    struct table *t;
    const char *name;
    size_t ncols;
    const char **titles;
    struct row *rows; /* malloc'd */
    size_t nrows, alloc;
};

struct table {
    struct arena *a;
    struct table_sheet **sheets; /* malloc'd; each sheet in the arena */
    size_t nsheets, alloc;
};

static void *xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        abort();
    p = realloc(p, n * size);
    if (!p)
        abort(); /* as the arena and strbuf do */
    return p;
}

/* ------------------------------------------------------------ text */

/*
 * Decodes one UTF-8 sequence at s (n bytes available). Returns its length
 * and the code point, or 0 for an invalid sequence.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t k;
    uint32_t c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        k = 1, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        k = 2, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 3, c &= 0x07;
    else
        return 0;
    if (n <= k)
        return 0;
    for (size_t i = 1; i <= k; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((k == 2 && c < 0x800) || (k == 3 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return k + 1;
}

/* Characters XML 1.0 cannot carry (or a cell should not): C0 but tab/LF/CR, DEL, U+FFFE/F. */
static bool drop_char(uint32_t cp, bool keep_space_controls)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return !keep_space_controls;
    return cp < 0x20 || cp == 0x7f || cp == 0xfffe || cp == 0xffff;
}

/*
 * Copies 's' into the arena as clean UTF-8: invalid bytes become U+FFFD,
 * dropped characters vanish. Tab, CR and LF stay when 'keep_space_controls'.
 */
static char *clean_text(struct arena *a, const char *s, bool keep_space_controls)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    char *out;

    /* The usual case, text from the database: already clean, copied as is. */
    if (keep_space_controls && str_is_clean_utf8(s, n) && !memmem(s, n, "\xef\xbf\xbe", 3) &&
        !memmem(s, n, "\xef\xbf\xbf", 3))
        return arena_strndup(a, s, n);
    out = arena_alloc(a, 3 * n + 1); /* a bad byte (1) grows to U+FFFD (3) */

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);

        if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        if (!drop_char(cp, keep_space_controls)) {
            memcpy(out + o, p + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = '\0';
    return out;
}

/*
 * Display width of valid UTF-8 in spreadsheet columns: East Asian wide
 * characters count 2, others 1; for several lines, the widest.
 */
static size_t display_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), w = 0, best = 0;

    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t k = utf8_decode(p + i, n - i, &cp);

        if (k == 0)
            k = 1;
        if (cp == '\n') {
            best = w > best ? w : best;
            w = 0;
        } else if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                   (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                   (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                   (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
                   (cp >= 0x20000 && cp <= 0x3fffd)) {
            w += 2;
        } else {
            w += 1;
        }
        i += k;
    }
    return w > best ? w : best;
}

/* Writes scaled / 10^scale exactly, with 'scale' decimals: (-5, 2) -> "-0.05". */
static void format_scaled(char *buf, size_t size, int64_t scaled, int scale)
{
    uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    char digits[24];
    size_t n, whole;

    if (scale > TABLE_SCALE_MAX)
        scale = TABLE_SCALE_MAX;
    /* Digits of the magnitude, padded so there is one before the point. */
    n = (size_t)snprintf(digits, sizeof(digits), "%0*llu", scale + 1, (unsigned long long)mag);
    whole = n - (size_t)scale;
    if ((size_t)snprintf(buf, size, "%s%.*s%s%s", scaled < 0 ? "-" : "", (int)whole, digits,
                         scale ? "." : "", digits + whole) >= size)
        buf[size - 1] = '\0'; /* callers size buf for any int64_t; never reached */
}

/* ------------------------------------------------------------ building */

struct table *table_new(void)
{
    struct table *t = calloc(1, sizeof(*t));

    if (!t)
        abort();
    t->a = arena_new();
    return t;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nsheets; i++)
        free(t->sheets[i]->rows);
    free(t->sheets);
    arena_free(t->a);
    free(t);
}

/* ASCII case-insensitive equality: how Excel compares sheet names, enough for Chinese ones. */
static bool name_taken(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->nsheets; i++)
        if (strcasecmp(t->sheets[i]->name, name) == 0)
            return true;
    return false;
}

/* Cuts clean UTF-8 'name' in place to at most 'max' UTF-16 units. */
static void cut_name(char *name, size_t max)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = strlen(name), units = 0, i = 0;

    while (i < n) {
        uint32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        size_t u = cp >= 0x10000 ? 2 : 1;

        if (units + u > max)
            break;
        units += u;
        i += k;
    }
    name[i] = '\0';
}

/*
 * Makes 'name' a valid, unused Excel sheet name (rules in table.h); the
 * result is in the table's arena.
 */
static const char *sheet_name(struct table *t, const char *name)
{
    char *base = clean_text(t->a, name ? name : "", false);
    size_t len;

    for (char *p = base; *p; p++)
        if (strchr("[]:*?/\\", *p))
            *p = '_';
    cut_name(base, SHEET_NAME_MAX);
    len = strlen(base);
    if (len && base[0] == '\'')
        base[0] = '_';
    if (len && base[len - 1] == '\'')
        base[len - 1] = '_';
    if (!len)
        base = arena_printf(t->a, "Sheet%zu", t->nsheets + 1);
    if (strcasecmp(base, "History") == 0) /* reserved by Excel */
        base = arena_printf(t->a, "%s_", base);
    if (!name_taken(t, base))
        return base;
    for (unsigned k = 2;; k++) {
        char suffix[16];
        char *cand;

        snprintf(suffix, sizeof(suffix), "(%u)", k);
        cand = arena_strdup(t->a, base);
        cut_name(cand, SHEET_NAME_MAX - strlen(suffix));
        cand = arena_printf(t->a, "%s%s", cand, suffix);
        if (!name_taken(t, cand))
            return cand;
    }
}

struct table_sheet *table_add_sheet(struct table *t, const char *name)
{
    struct table_sheet *s = arena_zalloc(t->a, sizeof(*s));

    s->t = t;
    s->name = sheet_name(t, name);
    if (t->nsheets == t->alloc) {
        t->alloc = t->alloc ? 2 * t->alloc : 4;
        t->sheets = xrealloc(t->sheets, t->alloc, sizeof(*t->sheets));
    }
    t->sheets[t->nsheets++] = s;
    return s;
}

void table_set_columns(struct table_sheet *s, size_t ncols, const char *const *titles)
{
    assert(ncols <= TABLE_XLSX_MAX_COLS);
    s->ncols = ncols;
    s->titles = arena_calloc(s->t->a, ncols ? ncols : 1, sizeof(*s->titles));
    for (size_t i = 0; i < ncols; i++)
        s->titles[i] = clean_text(s->t->a, titles[i] ? titles[i] : "", true);
}

void table_add_row(struct table_sheet *s, bool totals)
{
    struct row *r;

    if (s->nrows == s->alloc) {
        s->alloc = s->alloc ? 2 * s->alloc : 64;
        s->rows = xrealloc(s->rows, s->alloc, sizeof(*s->rows));
    }
    r = &s->rows[s->nrows++];
    r->cells = NULL;
    r->cap = 0;
    r->totals = totals;
}

/* The cell 'col' of the current row, growing the row as needed. */
static struct cell *cell_at(struct table_sheet *s, size_t col)
{
    struct row *r;

    assert(s->nrows > 0 && "table_add_row() first");
    assert(col < TABLE_XLSX_MAX_COLS);
    r = &s->rows[s->nrows - 1];
    if (col >= r->cap) {
        size_t cap = s->ncols > col + 1 ? s->ncols : col + 1;
        struct cell *cells = arena_calloc(s->t->a, cap, sizeof(*cells));
        if (r->cap)
            memcpy(cells, r->cells, r->cap * sizeof(*cells));
        r->cells = cells;
        r->cap = cap;
    }
    return &r->cells[col];
}

void table_set_text(struct table_sheet *s, size_t col, const char *text)
{
    struct cell *c = cell_at(s, col);

    if (!text) {
        c->kind = CELL_EMPTY;
        return;
    }
    c->kind = CELL_TEXT;
    c->text = clean_text(s->t->a, text, true);
}

void table_set_number(struct table_sheet *s, size_t col, int64_t scaled, int scale)
{
    struct cell *c = cell_at(s, col);

    assert(scale >= 0 && scale <= TABLE_SCALE_MAX);
    c->kind = CELL_NUMBER;
    c->num = scaled;
    c->scale = (uint8_t)scale;
}

void table_set_date(struct table_sheet *s, size_t col, const char *yyyy_mm_dd)
{
    struct date d;
    struct cell *c;

    if (!yyyy_mm_dd || date_parse(yyyy_mm_dd, &d) != 0) {
        table_set_text(s, col, yyyy_mm_dd);
        return;
    }
    c = cell_at(s, col);
    c->kind = CELL_DATE;
    c->text = arena_strdup(s->t->a, yyyy_mm_dd);
}

size_t table_sheet_count(const struct table *t)
{
    return t->nsheets;
}

struct table_sheet *table_sheet_at(const struct table *t, size_t index)
{
    return index < t->nsheets ? t->sheets[index] : NULL;
}

const char *table_sheet_name(const struct table_sheet *s)
{
    return s->name;
}

size_t table_sheet_rows(const struct table_sheet *s)
{
    return s->nrows;
}

/* Fields a CSV record of the sheet has: the titles or the widest row. */
static size_t sheet_width(const struct table_sheet *s)
{
    size_t w = s->ncols;

    for (size_t i = 0; i < s->nrows; i++) {
        const struct row *r = &s->rows[i];
        for (size_t c = r->cap; c > w; c--) {
            if (r->cells[c - 1].kind != CELL_EMPTY) {
                w = c;
                break;
            }
        }
    }
    return w;
}

/* ------------------------------------------------------------ CSV */

int table_write_csv(const struct table *t, size_t index, struct strbuf *out, struct err_ctx *ec)
{
    const struct table_sheet *s = table_sheet_at(t, index);
    size_t width;

    if (!s)
        return err_set(ec, ERR_NOT_FOUND, NULL, "没有第 %zu 个工作表", index + 1);
    width = sheet_width(s);
    strbuf_add(out, "\xef\xbb\xbf", 3);
    if (s->ncols) {
        for (size_t c = 0; c < width; c++) {
            if (c)
                strbuf_addch(out, ',');
            if (c < s->ncols)
                csv_write_field(out, s->titles[c], true);
        }
        strbuf_add(out, "\r\n", 2);
    }
    for (size_t i = 0; i < s->nrows; i++) {
        const struct row *r = &s->rows[i];
        for (size_t c = 0; c < width; c++) {
            const struct cell *cell = c < r->cap ? &r->cells[c] : NULL;
            char num[NUMBER_TEXT_MAX];

            if (c)
                strbuf_addch(out, ',');
            if (!cell)
                continue;
            switch (cell->kind) {
            case CELL_TEXT:
                csv_write_field(out, cell->text, true);
                break;
            case CELL_NUMBER:
                format_scaled(num, sizeof(num), cell->num, cell->scale);
                strbuf_adds(out, num);
                break;
            case CELL_DATE:
                strbuf_adds(out, cell->text);
                break;
            default:
                break;
            }
        }
        strbuf_add(out, "\r\n", 2);
    }
    return 0;
}

/* ------------------------------------------------------------ XLSX */

/* The formats of one workbook, made when first needed; [1] is the bold (title, totals) variant. */
struct formats {
    lxw_workbook *wb;
    lxw_format *text[2];
    lxw_format *date[2];
    lxw_format *num[2][TABLE_SCALE_MAX + 1];
};

static lxw_format *fmt_text(struct formats *f, bool bold)
{
    if (!bold)
        return NULL;
    if (!f->text[1]) {
        f->text[1] = workbook_add_format(f->wb);
        format_set_bold(f->text[1]);
    }
    return f->text[1];
}

static lxw_format *fmt_date(struct formats *f, bool bold)
{
    if (!f->date[bold]) {
        f->date[bold] = workbook_add_format(f->wb);
        format_set_num_format(f->date[bold], "yyyy-mm-dd");
        if (bold)
            format_set_bold(f->date[bold]);
    }
    return f->date[bold];
}

static lxw_format *fmt_num(struct formats *f, bool bold, int scale)
{
    if (!f->num[bold][scale]) {
        char pattern[TABLE_SCALE_MAX + 3] = "0";
        if (scale) {
            pattern[1] = '.';
            memset(pattern + 2, '0', (size_t)scale);
            pattern[2 + scale] = '\0';
        }
        f->num[bold][scale] = workbook_add_format(f->wb);
        format_set_num_format(f->num[bold][scale], pattern);
        if (bold)
            format_set_bold(f->num[bold][scale]);
    }
    return f->num[bold][scale];
}

/* Writes 'text', cut to Excel's limit on a character boundary. */
static lxw_error write_text(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *text,
                            lxw_format *fmt)
{
    size_t n = strlen(text);
    char *cut;
    lxw_error rc;

    if (n == 0)
        return LXW_NO_ERROR; /* an empty cell; libxlsxwriter refuses "" without a format */
    if (n <= XLSX_TEXT_MAX)
        return worksheet_write_string(ws, row, col, text, fmt);
    n = XLSX_TEXT_MAX;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    cut = malloc(n + 1);
    if (!cut)
        abort();
    memcpy(cut, text, n);
    cut[n] = '\0';
    rc = worksheet_write_string(ws, row, col, cut, fmt);
    free(cut);
    return rc;
}

/* Column widths from the content, in Excel's character units. */
static void set_widths(lxw_worksheet *ws, const struct table_sheet *s, size_t width)
{
    size_t *w = calloc(width ? width : 1, sizeof(*w));

    if (!w)
        abort();
    for (size_t c = 0; c < s->ncols; c++)
        w[c] = display_width(s->titles[c]) + 1; /* bold is a little wider */
    for (size_t i = 0; i < s->nrows; i++) {
        const struct row *r = &s->rows[i];
        for (size_t c = 0; c < r->cap && c < width; c++) {
            const struct cell *cell = &r->cells[c];
            size_t cw = 0;
            char num[NUMBER_TEXT_MAX];

            if (cell->kind == CELL_TEXT) {
                cw = display_width(cell->text);
            } else if (cell->kind == CELL_NUMBER) {
                format_scaled(num, sizeof(num), cell->num, cell->scale);
                cw = strlen(num);
            } else if (cell->kind == CELL_DATE) {
                cw = 10;
            }
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t c = 0; c < width; c++) {
        double cw = (double)w[c] + 2.0; /* padding either side */
        if (cw < COL_WIDTH_MIN)
            cw = COL_WIDTH_MIN;
        if (cw > COL_WIDTH_MAX)
            cw = COL_WIDTH_MAX;
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cw, NULL);
    }
    free(w);
}

static lxw_error write_sheet(struct formats *f, lxw_worksheet *ws, const struct table_sheet *s,
                             size_t width)
{
    lxw_row_t row = 0;
    lxw_error rc;

    if (s->ncols) {
        for (size_t c = 0; c < s->ncols; c++)
            if ((rc = write_text(ws, 0, (lxw_col_t)c, s->titles[c], fmt_text(f, true))))
                return rc;
        worksheet_freeze_panes(ws, 1, 0);
        row = 1;
    }
    for (size_t i = 0; i < s->nrows; i++, row++) {
        const struct row *r = &s->rows[i];
        for (size_t c = 0; c < r->cap; c++) {
            const struct cell *cell = &r->cells[c];
            char num[NUMBER_TEXT_MAX];
            struct date d;
            lxw_datetime dt;

            rc = LXW_NO_ERROR;
            switch (cell->kind) {
            case CELL_TEXT:
                rc = write_text(ws, row, (lxw_col_t)c, cell->text, fmt_text(f, r->totals));
                break;
            case CELL_NUMBER:
                /* strtod of the exact text: the nearest double, even past 2^53. */
                format_scaled(num, sizeof(num), cell->num, cell->scale);
                rc = worksheet_write_number(ws, row, (lxw_col_t)c, strtod(num, NULL),
                                            fmt_num(f, r->totals, cell->scale));
                break;
            case CELL_DATE:
                if (date_parse(cell->text, &d) != 0)
                    abort(); /* checked by table_set_date() */
                dt = (lxw_datetime){d.year, d.month, d.day, 0, 0, 0.0};
                rc = worksheet_write_datetime(ws, row, (lxw_col_t)c, &dt, fmt_date(f, r->totals));
                break;
            default:
                break;
            }
            if (rc)
                return rc;
        }
    }
    set_widths(ws, s, width);
    return LXW_NO_ERROR;
}

int table_write_xlsx(const struct table *t, const char *path, struct err_ctx *ec)
{
    lxw_workbook_options opt = {
        .constant_memory = LXW_FALSE, .tmpdir = getenv("TMPDIR"), .use_zip64 = LXW_FALSE};
    struct formats f;
    lxw_error rc;

    for (size_t i = 0; i < t->nsheets; i++) {
        const struct table_sheet *s = t->sheets[i];
        if (s->nrows + (s->ncols ? 1 : 0) > TABLE_XLSX_MAX_ROWS)
            return err_set(ec, ERR_TOO_LARGE, NULL,
                           "工作表“%s”超过 Excel 的 %d 行上限，请缩小范围或导出 CSV", s->name,
                           TABLE_XLSX_MAX_ROWS);
    }
    memset(&f, 0, sizeof(f));
    f.wb = workbook_new_opt(path, &opt);
    if (!f.wb)
        return err_set(ec, ERR_IO, NULL, "无法创建 Excel 文件");
    if (t->nsheets == 0 && !workbook_add_worksheet(f.wb, NULL)) {
        lxw_workbook_free(f.wb);
        return err_set(ec, ERR_IO, NULL, "无法创建 Excel 工作表");
    }
    for (size_t i = 0; i < t->nsheets; i++) {
        const struct table_sheet *s = t->sheets[i];
        lxw_worksheet *ws = workbook_add_worksheet(f.wb, s->name);

        if (!ws) {
            lxw_workbook_free(f.wb);
            err_set(ec, ERR_INTERNAL, NULL, "无法创建 Excel 工作表");
            return err_detail(ec, "workbook_add_worksheet(\"%s\") failed", s->name);
        }
        rc = write_sheet(&f, ws, s, sheet_width(s));
        if (rc) {
            lxw_workbook_free(f.wb);
            err_set(ec, ERR_INTERNAL, NULL, "无法写入 Excel 工作表");
            return err_detail(ec, "sheet \"%s\": %s", s->name, lxw_strerror(rc));
        }
    }
    rc = workbook_close(f.wb); /* writes the file and frees the workbook */
    if (rc) {
        err_set(ec, ERR_IO, NULL, "无法写入 Excel 文件");
        return err_detail(ec, "%s: %s (errno %d)", path, lxw_strerror(rc), errno);
    }
    return 0;
}

int table_xlsx_temp(char *path, size_t size, struct err_ctx *ec)
{
    const char *dir = getenv("TMPDIR");
    int fd, n;

    if (!dir || !*dir)
        dir = "/tmp";
    n = snprintf(path, size, "%s/fazhi-XXXXXX.xlsx", dir);
    if (n < 0 || (size_t)n >= size)
        return err_set(ec, ERR_INTERNAL, NULL, "临时文件路径过长");
    fd = mkstemps(path, 5);
    if (fd < 0) {
        err_set(ec, ERR_IO, NULL, "无法创建临时文件");
        return err_detail(ec, "mkstemps %s: %s", path, strerror(errno));
    }
    close(fd);
    return 0;
}

int table_read_file(const char *path, size_t max, struct strbuf *out, struct err_ctx *ec)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    size_t start = out->len;
    int rc = 0;

    if (!f) {
        err_set(ec, ERR_IO, NULL, "无法读取导出文件");
        return err_detail(ec, "%s: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
        rc = err_set(ec, ERR_IO, NULL, "无法读取导出文件");
        err_detail(ec, "fstat %s: %s", path, strerror(errno));
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = err_set(ec, ERR_TOO_LARGE, NULL, "导出文件过大，请缩小范围");
        goto out;
    }
    strbuf_grow(out, (size_t)st.st_size);
    for (;;) {
        size_t n;
        strbuf_grow(out, 4096);
        n = fread(out->buf + out->len, 1, out->alloc - out->len - 1, f);
        out->len += n;
        out->buf[out->len] = '\0';
        if (out->len - start > max) {
            rc = err_set(ec, ERR_TOO_LARGE, NULL, "导出文件过大，请缩小范围");
            goto out;
        }
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = err_set(ec, ERR_IO, NULL, "无法读取导出文件");
        err_detail(ec, "read %s", path);
    }
out:
    fclose(f);
    if (rc) {
        /* Leave 'out' as it came, not with half a file. */
        out->len = start;
        out->buf[start] = '\0';
    }
    return rc;
}
