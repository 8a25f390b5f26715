/*
 * ledger_io.c - XLSX and CSV exports of ledger lists, and CSV imports.
 *
 * Exports build one struct table (report/table.h) and leave the file format
 * to its writers. Imports check every row with the same code as the API
 * (ledger_entry_create, collecting faults), inside one unit of work, so a
 * file is saved whole or not at all.
 */
#include "core/compat.h"
#include "modules/ledger/ledger_io.h"
#include "core/arena.h"
#include "core/str.h"
#include "report/table.h"
#include "store/store.h"

#include <sodium.h>

/* ================================================================
 * Columns
 * ================================================================ */

enum col_role {
    COL_IGNORE,
    COL_ID,
    COL_KIND,
    COL_UNIT,
    COL_DATE,
    COL_TITLE,
    COL_PLACE,
    COL_NOTES,
    COL_PARTICIPANTS,
    COL_COUNTER, /* anything else: a counter, resolved per row's kind */
};

/* The fixed columns, in the order the CSV export writes them. */
static const struct {
    const char *zh, *en;
    enum col_role role;
} fixed_cols[] = {
    {"编号", "id", COL_ID},
    {"种类代码", "kind", COL_KIND},
    {"种类", "kind_name", COL_IGNORE},
    {"单位代码", "unit", COL_UNIT},
    {"单位", "unit_name", COL_IGNORE},
    {"日期", "date", COL_DATE},
    {"标题", "title", COL_TITLE},
    {"地点", "place", COL_PLACE},
    {"参与人员编号", "participants", COL_PARTICIPANTS},
    {"参与人员", "participant_names", COL_IGNORE},
    {"备注", "notes", COL_NOTES},
};

#define WARNINGS_TITLE "核实提示"

/* The title of a counter's column: "受训人次（人次）". */
static const char *counter_title(struct arena *a, const struct ledger_counter *c)
{
    return *c->unit ? arena_printf(a, "%s（%s）", c->name, c->unit) : c->name;
}

/* True if a column titled 'title' holds counter 'c'. */
static bool counter_matches(struct arena *a, const struct ledger_counter *c, const char *title)
{
    if (strcmp(title, c->code) == 0 || strcmp(title, c->name) == 0 ||
        strcmp(title, counter_title(a, c)) == 0)
        return true;
    if (str_starts_with(title, "counters.") && strcmp(title + 9, c->code) == 0)
        return true;
    return strcmp(title, arena_printf(a, "%s(%s)", c->name, c->unit)) == 0;
}

/* Participants' names joined with "、", and their ids with ";". */
static void participants_text(struct arena *a, const struct ledger_entry *e, const char **names,
                              const char **ids)
{
    struct strbuf n = STRBUF_INIT, i = STRBUF_INIT;

    for (size_t k = 0; k < e->nparticipants; k++) {
        if (k) {
            strbuf_adds(&n, "、");
            strbuf_addch(&i, ';');
        }
        strbuf_adds(&n, e->participants[k].name ? e->participants[k].name : "（已删除）");
        strbuf_addf(&i, "%lld", (long long)e->participants[k].id);
    }
    *names = arena_strdup(a, n.buf);
    *ids = arena_strdup(a, i.buf);
    strbuf_release(&n);
    strbuf_release(&i);
}

static const char *warnings_text(struct arena *a, const struct ledger_entry *e)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    for (size_t k = 0; k < e->nwarnings; k++) {
        char msg[256];
        ledger_warning_message(e->kind, &e->warnings[k], msg, sizeof(msg));
        if (k)
            strbuf_adds(&sb, "；");
        strbuf_adds(&sb, msg);
    }
    s = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return s;
}

static int64_t value_of(const struct ledger_entry *e, const char *counter, bool *present)
{
    for (size_t k = 0; k < e->nvalues; k++) {
        if (strcmp(e->values[k].counter, counter) == 0) {
            *present = true;
            return e->values[k].value;
        }
    }
    *present = false;
    return 0;
}

/* ================================================================
 * Exports
 * ================================================================ */

/* One sheet per kind: the entries [from, to) of 'items', all of kind k. */
static void kind_sheet(struct table *t, struct arena *a, const struct ledger_kind *k,
                       const char *kind_code, const struct ledger_entry *items, size_t from,
                       size_t to)
{
    size_t nc = k ? k->ncounters : 0, ncols = 8 + nc, col;
    const char **titles = arena_calloc(a, ncols, sizeof(*titles));
    struct table_sheet *s = table_add_sheet(t, k ? k->name : kind_code);
    int64_t *sums = arena_calloc(a, nc + 1, sizeof(*sums));

    col = 0;
    titles[col++] = "编号";
    titles[col++] = "日期";
    titles[col++] = "单位";
    titles[col++] = "标题";
    titles[col++] = "地点";
    titles[col++] = "参与人员";
    for (size_t i = 0; i < nc; i++)
        titles[col++] = counter_title(a, &k->counters[i]);
    titles[col++] = "备注";
    titles[col++] = WARNINGS_TITLE;
    table_set_columns(s, ncols, titles);

    for (size_t r = from; r < to; r++) {
        const struct ledger_entry *e = &items[r];
        const char *names, *ids;
        participants_text(a, e, &names, &ids);
        table_add_row(s, false);
        col = 0;
        table_set_number(s, col++, e->id, 0);
        table_set_date(s, col++, e->date);
        table_set_text(s, col++, e->unit.name);
        table_set_text(s, col++, e->title);
        table_set_text(s, col++, e->place);
        table_set_text(s, col++, names);
        for (size_t i = 0; i < nc; i++, col++) {
            bool present;
            int64_t v = value_of(e, k->counters[i].code, &present);
            if (present) {
                table_set_number(s, col, v, k->counters[i].scale);
                sums[i] += v;
            }
        }
        table_set_text(s, col++, e->notes);
        table_set_text(s, col++, warnings_text(a, e));
    }
    table_add_row(s, true);
    table_set_text(s, 0, "合计");
    table_set_text(s, 3, arena_printf(a, "共 %zu 条", to - from));
    for (size_t i = 0; i < nc; i++)
        table_set_number(s, 6 + i, sums[i], k->counters[i].scale);
}

/* The CSV sheet: every kind, the import columns, one counter column per distinct title. */
static void import_sheet(struct table *t, struct arena *a, const struct ledger_entry *items,
                         size_t n)
{
    size_t nfixed = ARRAY_SIZE(fixed_cols), ncols = nfixed, max = nfixed + 1;
    const char **titles;
    const struct ledger_kind *last = NULL;
    struct table_sheet *s = table_add_sheet(t, "台账");

    for (size_t r = 0; r < n; r++)
        if (items[r].kind && items[r].kind != last && (last = items[r].kind))
            max += last->ncounters;
    titles = arena_calloc(a, max, sizeof(*titles));
    for (size_t i = 0; i < nfixed; i++)
        titles[i] = fixed_cols[i].zh;
    last = NULL;
    for (size_t r = 0; r < n; r++) {
        const struct ledger_kind *k = items[r].kind;
        if (!k || k == last)
            continue;
        last = k;
        for (size_t i = 0; i < k->ncounters; i++) {
            const char *title = counter_title(a, &k->counters[i]);
            bool seen = false;
            for (size_t j = nfixed; j < ncols; j++)
                seen |= strcmp(titles[j], title) == 0;
            if (!seen && ncols < max - 1)
                titles[ncols++] = title;
        }
    }
    titles[ncols++] = WARNINGS_TITLE;
    table_set_columns(s, ncols, titles);

    for (size_t r = 0; r < n; r++) {
        const struct ledger_entry *e = &items[r];
        const char *names, *ids;
        participants_text(a, e, &names, &ids);
        table_add_row(s, false);
        table_set_number(s, 0, e->id, 0);
        table_set_text(s, 1, e->kind_code);
        table_set_text(s, 2, e->kind ? e->kind->name : e->kind_code);
        table_set_text(s, 3, e->unit.code);
        table_set_text(s, 4, e->unit.name);
        table_set_date(s, 5, e->date);
        table_set_text(s, 6, e->title);
        table_set_text(s, 7, e->place);
        table_set_text(s, 8, ids);
        table_set_text(s, 9, names);
        table_set_text(s, 10, e->notes);
        for (size_t v = 0; v < e->nvalues && e->kind; v++) {
            const struct ledger_counter *c = ledger_kind_counter(e->kind, e->values[v].counter);
            const char *title = c ? counter_title(a, c) : NULL;
            for (size_t j = nfixed; title && j + 1 < ncols; j++) {
                if (strcmp(titles[j], title) == 0) {
                    table_set_number(s, j, e->values[v].value, c->scale);
                    break;
                }
            }
        }
        table_set_text(s, ncols - 1, warnings_text(a, e));
    }
}

struct table *ledger_io_table(const struct ledger_entry *items, size_t n, bool one_sheet)
{
    struct table *t = table_new();
    struct arena *a = arena_new();

    if (one_sheet) {
        import_sheet(t, a, items, n);
    } else {
        size_t from = 0;
        for (size_t r = 1; r <= n; r++) {
            if (r < n && strcmp(items[r].kind_code, items[from].kind_code) == 0)
                continue;
            kind_sheet(t, a, items[from].kind, items[from].kind_code, items, from, r);
            from = r;
        }
    }
    arena_free(a); /* the table copied every text it was given */
    return t;
}

const char *ledger_io_filename(struct arena *a, const struct unit *unit,
                               const struct ledger_kind *kind, const struct ledger_filter *f)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;

    strbuf_adds(&sb, "台账");
    if (unit && unit->name && *unit->name)
        strbuf_addf(&sb, "_%s", unit->name);
    if (kind)
        strbuf_addf(&sb, "_%s", kind->name);
    if (f->from || f->to)
        strbuf_addf(&sb, "_%s至%s", f->from ? f->from : "", f->to ? f->to : "");
    /* No path separators or quotes in a name a browser will save. */
    for (size_t i = 0; i < sb.len; i++)
        if (strchr("/\\\"", sb.buf[i]))
            sb.buf[i] = '_';
    s = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return s;
}

/* ================================================================
 * Imports
 * ================================================================ */

struct column {
    const char *title;
    enum col_role role;
};

struct unit_count {
    int64_t unit_id;
    const char *path;
    int64_t count;
};

/* Trims spaces and tabs at both ends (in the arena). */
static const char *trim(struct arena *a, const char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return arena_strndup(a, s, n);
}

static int read_header(struct arena *a, const struct csv_row *h, struct column **cols,
                       struct ledger_faults *f)
{
    struct column *c = arena_calloc(a, h->nfields + 1, sizeof(*c));
    bool have_date = false, have_title = false;
    size_t before = f->n;

    for (size_t i = 0; i < h->nfields; i++) {
        const char *title = trim(a, h->fields[i]);
        c[i].title = title;
        c[i].role = COL_COUNTER;
        if (!*title) {
            ledger_faults_add(f, a, h->line, "file", "第 %zu 列没有列名", i + 1);
            continue;
        }
        for (size_t j = 0; j < ARRAY_SIZE(fixed_cols); j++)
            if (strcmp(title, fixed_cols[j].zh) == 0 || strcmp(title, fixed_cols[j].en) == 0)
                c[i].role = fixed_cols[j].role;
        if (strcmp(title, WARNINGS_TITLE) == 0 || strcmp(title, "warnings") == 0)
            c[i].role = COL_IGNORE;
        have_date |= c[i].role == COL_DATE;
        have_title |= c[i].role == COL_TITLE;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c[j].title, title) == 0)
                ledger_faults_add(f, a, h->line, "file", "列名“%s”重复", title);
    }
    if (!have_date)
        ledger_faults_add(f, a, h->line, "date", "缺少“日期”（date）列");
    if (!have_title)
        ledger_faults_add(f, a, h->line, "title", "缺少“标题”（title）列");
    *cols = c;
    return f->n == before ? 0 : ERR_INVALID;
}

/* Parses "12;15" (also separated by commas, Chinese punctuation or spaces). */
static int parse_ids(struct arena *a, const char *s, int64_t **out, size_t *n)
{
    size_t cap = 0, count = 0;
    int64_t *ids = NULL;

    while (*s) {
        char buf[24];
        size_t len = 0;
        int64_t id;
        if (*s == ';' || *s == ',' || *s == ' ') {
            s++;
            continue;
        }
        if (str_starts_with(s, "；") || str_starts_with(s, "，") || str_starts_with(s, "、")) {
            s += 3;
            continue;
        }
        while (s[len] >= '0' && s[len] <= '9' && len < sizeof(buf) - 1)
            len++;
        if (len == 0)
            return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (str_to_int64(buf, 1, INT64_MAX, &id) < 0)
            return -1;
        if (count == cap) {
            int64_t *bigger = arena_alloc(a, (cap ? cap * 2 : 8) * sizeof(*ids));
            if (count)
                memcpy(bigger, ids, count * sizeof(*ids));
            ids = bigger;
            cap = cap ? cap * 2 : 8;
        }
        ids[count++] = id;
        s += len;
    }
    *out = ids;
    *n = count;
    return 0;
}

/* The import key of a row: a digest of its kind and cells, and which
 * occurrence of that content in the file it is. */
static void row_digest(const struct column *cols, const struct csv_row *row, const char *kind,
                       char hex[33])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
    for (size_t i = 0; i < row->nfields; i++) {
        if (cols[i].role == COL_IGNORE || cols[i].role == COL_ID || !*row->fields[i])
            continue;
        crypto_hash_sha256_update(&st, (const unsigned char *)cols[i].title,
                                  strlen(cols[i].title) + 1);
        crypto_hash_sha256_update(&st, (const unsigned char *)row->fields[i],
                                  strlen(row->fields[i]) + 1);
    }
    crypto_hash_sha256_final(&st, h);
    str_hex(hex, h, 16);
}

/* The import key of each data row: its digest, and which occurrence of that
 * content in the file it is (1, 2, ...), numbered by sorting rather than by
 * comparing every pair of rows, since this runs in the writer's unit of work. */
struct row_key {
    char hex[33];
    size_t row;        /* index among the data rows */
    size_t occurrence; /* 1 for the first row of this content */
};

static int by_digest(const void *x, const void *y)
{
    const struct row_key *a = x, *b = y;
    int c = strcmp(a->hex, b->hex);
    return c ? c : (a->row > b->row) - (a->row < b->row);
}

static struct row_key *row_keys(struct arena *a, const struct csv_doc *doc,
                                const struct column *cols, size_t kind_col, const char *kind)
{
    size_t n = doc->nrows - 1;
    struct row_key *sorted = arena_calloc(a, n + 1, sizeof(*sorted));
    struct row_key *keys = arena_calloc(a, n + 1, sizeof(*keys));

    for (size_t i = 0; i < n; i++) {
        const struct csv_row *row = &doc->rows[i + 1];
        const char *k = kind ? kind : "";
        if (kind_col < row->nfields && *trim(a, row->fields[kind_col]))
            k = trim(a, row->fields[kind_col]);
        row_digest(cols, row, k, sorted[i].hex);
        sorted[i].row = i;
    }
    qsort(sorted, n, sizeof(*sorted), by_digest);
    for (size_t i = 0; i < n; i++) {
        sorted[i].occurrence = i > 0 && strcmp(sorted[i].hex, sorted[i - 1].hex) == 0
                                   ? sorted[i - 1].occurrence + 1
                                   : 1;
        keys[sorted[i].row] = sorted[i];
    }
    return keys;
}

/* True if entry 'id' exists (deleted or not) in a unit within p's scope. */
static int entry_visible(struct store_conn *c, struct arena *a, const struct principal *p,
                         int64_t id, bool *out, struct err_ctx *ec)
{
    int64_t n = 0;
    int rc =
        store_query_int(c, &n, ec,
                        "SELECT COUNT(*) FROM ledger_entries e JOIN units u ON u.id = e.unit_id "
                        "WHERE e.id = $1 AND u.path >= $2 AND u.path < $3",
                        "itt", id, p->unit_path, arena_printf(a, "%s~", p->unit_path));
    *out = n > 0;
    return rc;
}

static void count_unit(struct arena *a, struct unit_count **units, size_t *n, size_t *cap,
                       const struct ledger_entry *e)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*units)[i].unit_id == e->unit.id) {
            (*units)[i].count++;
            return;
        }
    }
    if (*n == *cap) {
        struct unit_count *bigger = arena_alloc(a, (*cap ? *cap * 2 : 8) * sizeof(**units));
        if (*n)
            memcpy(bigger, *units, *n * sizeof(**units));
        *units = bigger;
        *cap = *cap ? *cap * 2 : 8;
    }
    (*units)[(*n)++] = (struct unit_count){e->unit.id, arena_strdup(a, e->unit.path), 1};
}

/* Builds the input of one row; faults of the row's own cells go to f. */
static int row_input(struct store_conn *c, struct arena *a, const struct principal *p,
                     const struct column *cols, const struct csv_row *row, const char *kind,
                     struct ledger_input *in, struct ledger_faults *f, struct err_ctx *ec)
{
    struct ledger_input_value *values = arena_calloc(a, row->nfields + 1, sizeof(*values));
    int rc;

    memset(in, 0, sizeof(*in));
    in->kind = kind;
    in->unit_field = "unit";
    in->place = "";
    in->notes = "";
    in->values = values;
    if (p->unit_id) {
        in->set_unit = true;
        in->unit_id = p->unit_id;
    }
    for (size_t i = 0; i < row->nfields; i++) {
        const char *cell = row->fields[i];
        switch (cols[i].role) {
        case COL_IGNORE:
        case COL_ID:
        case COL_KIND:
            break;
        case COL_UNIT: {
            struct unit u;
            struct err_ctx local;
            cell = trim(a, cell);
            if (!*cell)
                break;
            err_clear(&local);
            rc = org_unit_by_code(c, a, cell, &u, &local);
            if (rc == ERR_NOT_FOUND) {
                ledger_faults_add(f, a, row->line, "unit", "单位代码 %s 不存在", cell);
                in->set_unit = false;
                in->unit_id = 0;
                break;
            }
            if (rc < 0) {
                *ec = local;
                return rc;
            }
            in->set_unit = true;
            in->unit_id = u.id;
            break;
        }
        case COL_DATE:
            in->date = trim(a, cell);
            break;
        case COL_TITLE:
            in->title = csv_unguard(cell);
            break;
        case COL_PLACE:
            in->place = csv_unguard(cell);
            break;
        case COL_NOTES:
            in->notes = csv_unguard(cell);
            break;
        case COL_PARTICIPANTS: {
            int64_t *ids;
            size_t n;
            if (!*trim(a, cell))
                break;
            if (parse_ids(a, cell, &ids, &n) < 0) {
                ledger_faults_add(f, a, row->line, "participants",
                                  "参与人员编号应为以分号分隔的数字");
                break;
            }
            in->set_participants = true;
            in->participants = ids;
            in->nparticipants = n;
            break;
        }
        case COL_COUNTER:
            if (!*trim(a, cell))
                break;
            values[in->nvalues++] =
                (struct ledger_input_value){cols[i].title, NULL, trim(a, cell), false};
            break;
        }
    }
    if (!p->unit_id && !in->set_unit && !f->n)
        ledger_faults_add(f, a, row->line, "unit", "缺少单位代码");
    return 0;
}

/* Maps the row's counter column titles to the kind's counter codes; a
 * column no counter of the kind matches is a fault of that row. */
static void resolve_counters(struct arena *a, const struct ledger_kind *k, size_t line,
                             struct ledger_input *in, struct ledger_faults *f)
{
    struct ledger_input_value *v = (struct ledger_input_value *)in->values;
    size_t kept = 0;

    for (size_t i = 0; i < in->nvalues; i++) {
        const struct ledger_counter *match = NULL;
        for (size_t j = 0; j < k->ncounters && !match; j++)
            if (counter_matches(a, &k->counters[j], v[i].code))
                match = &k->counters[j];
        if (!match) {
            ledger_faults_add(f, a, line, v[i].code, "“%s”台账没有这一列（%s）", k->name,
                              v[i].code);
            continue;
        }
        v[kept] = v[i];
        v[kept++].code = match->code;
    }
    in->nvalues = kept;
}

int ledger_io_import(struct store_conn *c, struct arena *a, const struct principal *p,
                     struct ledger_import *im, struct err_ctx *ec)
{
    const struct csv_doc *doc = im->doc;
    struct column *cols;
    struct unit_count *units = NULL;
    size_t nunits = 0, units_cap = 0, kind_col = SIZE_MAX, id_col = SIZE_MAX;
    struct row_key *keys;
    int rc;

    im->rows = im->created = im->skipped = 0;
    im->faults.limit = LEDGER_IMPORT_FAULTS_MAX;
    im->faults.arena = a;
    if ((rc = access_require(p, LEDGER_WRITE_ROLES, NULL, ec)) < 0)
        return rc;
    if (doc->nrows == 0)
        return err_set(ec, ERR_INVALID, "file", "文件是空的：第一行应为列名");
    if (read_header(a, &doc->rows[0], &cols, &im->faults) < 0)
        return err_set(ec, ERR_INVALID, "file", "文件的列名有误，未导入任何记录");
    for (size_t i = 0; i < doc->rows[0].nfields; i++) {
        if (cols[i].role == COL_KIND)
            kind_col = i;
        if (cols[i].role == COL_ID)
            id_col = i;
    }
    if (kind_col == SIZE_MAX && !im->kind) {
        ledger_faults_add(&im->faults, a, doc->rows[0].line, "kind",
                          "缺少“种类代码”（kind）列：请加上该列，或用 ?kind= 指定种类");
        return err_set(ec, ERR_INVALID, "kind", "未指定台账种类，未导入任何记录");
    }
    im->rows = doc->nrows - 1;
    im->ids = arena_calloc(a, im->rows + 1, sizeof(*im->ids));
    keys = row_keys(a, doc, cols, kind_col, im->kind);

    for (size_t r = 1; r < doc->nrows; r++) {
        const struct csv_row *row = &doc->rows[r];
        struct arena *ra = arena_new(); /* this row's work; faults live in 'a' */
        struct ledger_input in;
        struct ledger_kind kind;
        struct ledger_entry out;
        struct err_ctx local;
        const char *kind_code = im->kind, *key;
#define ROW_FAIL(code_)                                                                            \
    do {                                                                                           \
        rc = (code_);                                                                              \
        arena_free(ra);                                                                            \
        return rc;                                                                                 \
    } while (0)

        if (row->nfields > doc->rows[0].nfields) {
            for (size_t i = doc->rows[0].nfields; i < row->nfields; i++)
                if (*row->fields[i])
                    ledger_faults_add(&im->faults, a, row->line, "file",
                                      "第 %zu 列没有列名，却有内容", i + 1);
        }
        if (kind_col < row->nfields && *trim(ra, row->fields[kind_col]))
            kind_code = trim(ra, row->fields[kind_col]);
        if (!kind_code) {
            ledger_faults_add(&im->faults, a, row->line, "kind", "缺少台账种类");
            arena_free(ra);
            continue;
        }
        /* A row naming an entry the caller can see is already in the system. */
        if (id_col < row->nfields && *trim(ra, row->fields[id_col])) {
            int64_t id;
            bool seen;
            if (str_to_int64(trim(ra, row->fields[id_col]), 1, INT64_MAX, &id) < 0) {
                ledger_faults_add(&im->faults, a, row->line, "id", "编号应为正整数");
                arena_free(ra);
                continue;
            }
            if ((rc = entry_visible(c, ra, p, id, &seen, ec)) < 0)
                ROW_FAIL(rc);
            if (seen) {
                im->skipped++;
                arena_free(ra);
                continue;
            }
        }
        /* A row imported before (the n-th row of this content) is skipped. */
        key = arena_printf(ra, "csv:%s:%zu", keys[r - 1].hex, keys[r - 1].occurrence);
        {
            int64_t n = 0;
            rc = store_query_int(
                c, &n, ec, "SELECT COUNT(*) FROM ledger_entries WHERE import_key = $1", "t", key);
            if (rc < 0)
                ROW_FAIL(rc);
            if (n > 0) {
                im->skipped++;
                arena_free(ra);
                continue;
            }
        }
        if ((rc = row_input(c, ra, p, cols, row, kind_code, &in, &im->faults, ec)) < 0)
            ROW_FAIL(rc);
        in.import_key = key;
        err_clear(&local);
        rc = ledger_kind_get(c, ra, kind_code, "kind", &kind, &local);
        if (rc == 0)
            resolve_counters(ra, &kind, row->line, &in, &im->faults);
        else if (rc != ERR_NOT_FOUND) {
            *ec = local;
            ROW_FAIL(rc);
        }
        /* Even when the row's cells are wrong already, the create below checks
         * the rest of it, so that every fault of the row is listed (the
         * import fails as a whole, so whatever it writes is rolled back). */
        err_clear(&local);
        rc = ledger_entry_create(c, ra, p, &in, row->line, &im->faults, &out, &local);
        if (rc == ERR_INVALID || rc == ERR_FORBIDDEN) {
            arena_free(ra);
            continue;
        }
        if (rc < 0) {
            *ec = local;
            ROW_FAIL(rc);
        }
        im->ids[im->created++] = out.id;
        count_unit(a, &units, &nunits, &units_cap, &out);
        arena_free(ra);
#undef ROW_FAIL
    }
    if (im->faults.n > 0)
        return err_set(ec, ERR_INVALID, "file", "导入文件有 %zu 处错误%s，未导入任何记录",
                       im->faults.n, im->faults.truncated ? "（仅列出前一部分）" : "");
    for (size_t i = 0; i < nunits; i++) {
        char *payload = arena_printf(a, "{\"unit_id\":%lld,\"count\":%lld}",
                                     (long long)units[i].unit_id, (long long)units[i].count);
        if ((rc = store_event(c, "ledger.entries.imported", units[i].path, NULL, payload, ec)) < 0)
            return rc;
    }
    return 0;
}
