/*
 * csv.c - the CSV reader for imports and the field writer for exports.
 *
 * The reader makes one pass over the bytes. Each field is copied into the
 * arena as soon as it ends; the pointers of the record being read and the
 * finished records grow in malloc'd scratch arrays that are copied into the
 * arena at the end, so a failure leaves nothing behind but arena memory.
 * UTF-8 is checked up front over the whole input, so that the error can
 * name the line of the first bad byte.
 */
#include "core/compat.h"
#include "core/csv.h"
#include "core/str.h"

/* ---------------------------------------------------------------- guard */

/* A plain decimal number: digits, at most one '.', at least one digit. */
static bool is_plain_number(const char *s)
{
    bool digit = false, dot = false;

    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digit;
}

bool csv_needs_guard(const char *text)
{
    const char *p = text;

    while (*p == '\'')
        p++;
    switch (*p) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return true;
    case '+':
    case '-':
        /*
         * "-", "-5" and "+3.5" evaluate to themselves, and a lone dash is
         * the usual "none" in Chinese tables: guarding them would only show
         * an apostrophe. With apostrophes before it, the text must be
         * guarded anyway, or unguarding could not tell it from a guard.
         */
        if (p == text && (p[1] == '\0' || is_plain_number(p + 1)))
            return false;
        return true;
    default:
        return false;
    }
}

const char *csv_unguard(const char *field)
{
    if (field && field[0] == '\'' && csv_needs_guard(field + 1))
        return field + 1;
    return field;
}

void csv_write_field(struct strbuf *out, const char *text, bool guard)
{
    bool quote = strpbrk(text, ",\"\r\n") != NULL;

    if (quote)
        strbuf_addch(out, '"');
    if (guard && csv_needs_guard(text))
        strbuf_addch(out, '\'');
    if (!quote) {
        strbuf_adds(out, text);
        return;
    }
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            strbuf_addch(out, '"');
        strbuf_addch(out, *p);
    }
    strbuf_addch(out, '"');
}

/* ---------------------------------------------------------------- reader */

/* A growable array of 'size'-byte items in malloc'd memory. */
struct vec {
    void *items;
    size_t n, alloc, size;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->alloc) {
        size_t alloc = v->alloc ? 2 * v->alloc : 16;
        void *items = realloc(v->items, alloc * v->size);
        if (!items)
            abort(); /* as the arena and strbuf do */
        v->items = items;
        v->alloc = alloc;
    }
    return (char *)v->items + v->size * v->n++;
}

/* The 1-based line of byte 'off', counting LF, CRLF and a lone CR as line ends. */
static size_t line_of(const char *data, size_t off)
{
    size_t line = 1;

    for (size_t i = 0; i < off; i++) {
        if (data[i] == '\n')
            line++;
        else if (data[i] == '\r' && (i + 1 >= off || data[i + 1] != '\n'))
            line++;
    }
    return line;
}

int csv_parse(const char *data, size_t len, struct arena *a, size_t max_rows, size_t max_fields,
              struct csv_doc *out, struct err_ctx *ec)
{
    struct vec fields = {NULL, 0, 0, sizeof(const char *)};
    struct vec rows = {NULL, 0, 0, sizeof(struct csv_row)};
    size_t i = 0, line = 1, bad;
    int rc = 0;

    out->nrows = 0;
    out->rows = NULL;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    bad = str_clean_utf8_prefix(data + i, len - i);
    if (bad < len - i) {
        if (data[i + bad] == '\0')
            return err_set(ec, ERR_BAD_REQUEST, "file", "第 %zu 行含有空字符（NUL），不是文本文件",
                           line_of(data + i, bad));
        if ((unsigned char)data[i + bad] < 0x80)
            return err_set(ec, ERR_BAD_REQUEST, "file", "第 %zu 行含有控制字符",
                           line_of(data + i, bad));
        return err_set(ec, ERR_BAD_REQUEST, "file",
                       "第 %zu 行不是 UTF-8 编码的文本，请在 Excel 或 WPS 中另存为“CSV UTF-8”格式",
                       line_of(data + i, bad));
    }

    /* One record per iteration; i is at the start of a line. */
    while (i < len) {
        size_t start_line = line;
        bool all_empty = true;

        fields.n = 0;
        for (;;) { /* one field per iteration */
            char *text;
            size_t flen;

            if (fields.n == max_fields) {
                rc = err_set(ec, ERR_TOO_LARGE, "file", "第 %zu 行超过 %zu 列的上限", start_line,
                             max_fields);
                goto out;
            }
            if (i < len && data[i] == '"') {
                size_t quote_line = line, j = ++i, n = 0;
                /* Find the closing quote first, so the copy is sized exactly. */
                for (;;) {
                    if (j >= len) {
                        rc = err_set(ec, ERR_BAD_REQUEST, "file",
                                     "第 %zu 行的引号没有结束（缺少配对的双引号）", quote_line);
                        goto out;
                    }
                    if (data[j] == '"') {
                        if (j + 1 < len && data[j + 1] == '"') {
                            j += 2;
                            n++;
                            continue;
                        }
                        break;
                    }
                    if (data[j] == '\n' ||
                        (data[j] == '\r' && (j + 1 >= len || data[j + 1] != '\n')))
                        line++;
                    j++;
                    n++;
                }
                text = arena_alloc(a, n + 1);
                flen = 0;
                for (; i < j; i++) {
                    text[flen++] = data[i];
                    if (data[i] == '"')
                        i++; /* the second quote of "" */
                }
                text[flen] = '\0';
                i = j + 1; /* past the closing quote */
                if (i < len && data[i] != ',' && data[i] != '\r' && data[i] != '\n') {
                    rc = err_set(ec, ERR_BAD_REQUEST, "file", "第 %zu 行：引号结束后应是逗号或换行",
                                 line);
                    goto out;
                }
            } else {
                size_t j = i;
                while (j < len && data[j] != ',' && data[j] != '\r' && data[j] != '\n')
                    j++;
                flen = j - i;
                text = arena_strndup(a, data + i, flen);
                i = j;
            }
            if (flen)
                all_empty = false;
            *(const char **)vec_push(&fields) = text;
            if (i < len && data[i] == ',') {
                i++;
                continue;
            }
            break; /* end of line or of input */
        }
        /* The line end: CRLF, LF or a lone CR. */
        if (i < len) {
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            i++;
            line++;
        }
        if (all_empty)
            continue;
        if (rows.n == max_rows) {
            rc = err_set(ec, ERR_TOO_LARGE, "file", "文件超过 %zu 行的上限（第 %zu 行）", max_rows,
                         start_line);
            goto out;
        }
        {
            struct csv_row *r = vec_push(&rows);
            r->nfields = fields.n;
            r->fields = arena_memdup(a, fields.items, fields.n * sizeof(const char *));
            r->line = start_line;
        }
    }
    out->nrows = rows.n;
    out->rows = rows.n ? arena_memdup(a, rows.items, rows.n * sizeof(struct csv_row)) : NULL;
out:
    free(fields.items);
    free(rows.items);
    return rc;
}
