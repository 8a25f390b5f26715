/*
 * fuzz_csv.c - libFuzzer target: csv_parse() over any bytes.
 *
 * Besides "no crash, no leak", it checks what importers rely on: fields are
 * clean UTF-8, no record is all-empty, limits hold, errors are
 * ERR_BAD_REQUEST / ERR_TOO_LARGE with a message. Then it writes the parsed
 * records back with csv_write_field() (guarded) and parses that again: the
 * same fields must come back through csv_unguard(), the round trip exports
 * and imports depend on.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/csv.h"

#define MAX_ROWS   200
#define MAX_FIELDS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    struct csv_doc doc, again;
    struct err_ctx ec;
    struct strbuf sb = STRBUF_INIT;

    err_clear(&ec);
    if (csv_parse((const char *)data, size, a, MAX_ROWS, MAX_FIELDS, &doc, &ec) != 0) {
        if ((ec.code != ERR_BAD_REQUEST && ec.code != ERR_TOO_LARGE) || !ec.message[0] ||
            strcmp(ec.field, "file") != 0 || doc.nrows != 0)
            abort();
        goto out;
    }
    if (doc.nrows > MAX_ROWS)
        abort();
    /*
     * A BOM first, as table_write_csv() writes: a first field that starts
     * with U+FEFF must not be taken for the file's BOM on the way back.
     */
    strbuf_add(&sb, "\xef\xbb\xbf", 3);
    for (size_t r = 0; r < doc.nrows; r++) {
        const struct csv_row *row = &doc.rows[r];
        bool any = false;

        if (row->nfields == 0 || row->nfields > MAX_FIELDS || row->line == 0)
            abort();
        if (r > 0 && row->line <= doc.rows[r - 1].line)
            abort();
        for (size_t f = 0; f < row->nfields; f++) {
            const char *s = row->fields[f];
            if (!str_is_clean_utf8(s, strlen(s)))
                abort();
            any |= s[0] != '\0';
            if (f)
                strbuf_addch(&sb, ',');
            csv_write_field(&sb, s, true);
        }
        if (!any)
            abort();
        strbuf_add(&sb, "\r\n", 2);
    }

    err_clear(&ec);
    if (csv_parse(sb.buf, sb.len, a, MAX_ROWS, MAX_FIELDS, &again, &ec) != 0 ||
        again.nrows != doc.nrows)
        abort();
    for (size_t r = 0; r < doc.nrows; r++) {
        if (again.rows[r].nfields != doc.rows[r].nfields)
            abort();
        for (size_t f = 0; f < doc.rows[r].nfields; f++)
            if (strcmp(csv_unguard(again.rows[r].fields[f]), doc.rows[r].fields[f]) != 0)
                abort();
    }
out:
    strbuf_release(&sb);
    arena_free(a);
    return 0;
}
