/*
 * test_table.c - the tabular export. XLSX is checked by structure: the file
 * is opened again with libzip and its parts parsed with expat (sheet names,
 * shared strings, cell values, the frozen title row). CSV is checked byte
 * for byte and read back through csv_parse().
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/csv.h"
#include "report/table.h"

#include <expat.h>
#include <unistd.h>
#include <zip.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* ------------------------------------------------------------ reading XLSX back */

/* Returns the malloc'd, NUL-terminated content of 'name' in the zip at 'path', or NULL. */
static char *zip_read(const char *path, const char *name)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    zip_stat_t st;
    zip_file_t *f;
    char *buf = NULL;

    if (!z)
        return NULL;
    if (zip_stat(z, name, 0, &st) == 0 && (f = zip_fopen(z, name, 0)) != NULL) {
        buf = malloc(st.size + 1);
        if (buf && zip_fread(f, buf, st.size) == (zip_int64_t)st.size) {
            buf[st.size] = '\0';
        } else {
            free(buf);
            buf = NULL;
        }
        zip_fclose(f);
    }
    zip_close(z);
    return buf;
}

/*
 * What the tests look at in an XLSX part: <sheet name>, the text of each
 * <t> (shared strings), each cell's reference, type and <v> value, and the
 * frozen pane.
 */
#define PROBE_MAX 64
struct probe {
    size_t nsheets, ntexts, ncells;
    char *sheets[PROBE_MAX];
    char *texts[PROBE_MAX];
    struct {
        char ref[16], type[16];
        char *value;
    } cells[PROBE_MAX];
    char pane_split[16], pane_state[16];
    char cur_ref[16], cur_type[16];
    struct strbuf text;
};

static const char *attr(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

static void XMLCALL probe_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct probe *p = data;
    const char *v;

    strbuf_reset(&p->text);
    if (strcmp(name, "sheet") == 0 && (v = attr(attrs, "name")) && p->nsheets < PROBE_MAX)
        p->sheets[p->nsheets++] = strdup(v);
    if (strcmp(name, "c") == 0) {
        snprintf(p->cur_ref, sizeof(p->cur_ref), "%s", (v = attr(attrs, "r")) ? v : "");
        snprintf(p->cur_type, sizeof(p->cur_type), "%s", (v = attr(attrs, "t")) ? v : "");
    }
    if (strcmp(name, "pane") == 0) {
        snprintf(p->pane_split, sizeof(p->pane_split), "%s", (v = attr(attrs, "ySplit")) ? v : "");
        snprintf(p->pane_state, sizeof(p->pane_state), "%s", (v = attr(attrs, "state")) ? v : "");
    }
}

static void XMLCALL probe_end(void *data, const XML_Char *name)
{
    struct probe *p = data;

    if (strcmp(name, "t") == 0 && p->ntexts < PROBE_MAX)
        p->texts[p->ntexts++] = strdup(p->text.buf);
    if (strcmp(name, "v") == 0 && p->ncells < PROBE_MAX) {
        snprintf(p->cells[p->ncells].ref, sizeof(p->cells[0].ref), "%s", p->cur_ref);
        snprintf(p->cells[p->ncells].type, sizeof(p->cells[0].type), "%s", p->cur_type);
        p->cells[p->ncells++].value = strdup(p->text.buf);
    }
}

static void XMLCALL probe_text(void *data, const XML_Char *s, int len)
{
    strbuf_add(&((struct probe *)data)->text, s, (size_t)len);
}

/* Parses part 'name' of the XLSX at 'path' into 'p'; fails the test if it is missing or not XML. */
static void probe_part(const char *path, const char *name, struct probe *p)
{
    char *xml = zip_read(path, name);
    XML_Parser parser;

    memset(p, 0, sizeof(*p));
    strbuf_init(&p->text, 0);
    if (!xml)
        fail_msg("%s: no part %s", path, name);
    parser = XML_ParserCreate(NULL);
    XML_SetUserData(parser, p);
    XML_SetElementHandler(parser, probe_start, probe_end);
    XML_SetCharacterDataHandler(parser, probe_text);
    if (XML_Parse(parser, xml, (int)strlen(xml), 1) != XML_STATUS_OK)
        fail_msg("%s: %s", name, XML_ErrorString(XML_GetErrorCode(parser)));
    XML_ParserFree(parser);
    free(xml);
}

static void probe_release(struct probe *p)
{
    for (size_t i = 0; i < p->nsheets; i++)
        free(p->sheets[i]);
    for (size_t i = 0; i < p->ntexts; i++)
        free(p->texts[i]);
    for (size_t i = 0; i < p->ncells; i++)
        free(p->cells[i].value);
    strbuf_release(&p->text);
}

static bool has_text(const struct probe *p, const char *text)
{
    for (size_t i = 0; i < p->ntexts; i++)
        if (strcmp(p->texts[i], text) == 0)
            return true;
    return false;
}

/* The <v> of cell 'ref' ("B2"), or NULL; its t= attribute in *type. */
static const char *cell_value(const struct probe *p, const char *ref, const char **type)
{
    for (size_t i = 0; i < p->ncells; i++) {
        if (strcmp(p->cells[i].ref, ref) == 0) {
            if (type)
                *type = p->cells[i].type;
            return p->cells[i].value;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ fixtures */

static const char *const ledger_titles[] = {"名称", "金额（元）", "里程（公里）", "次数", "日期"};

/* Sheet 1: a ledger list with numbers at scales 2, 3, 0, a date and a totals row. */
static struct table *sample_table(void)
{
    static const char *const people_titles[] = {"姓名", "单位"};
    struct table *t = table_new();
    struct table_sheet *s = table_add_sheet(t, "普法台账");

    table_set_columns(s, ARRAY_SIZE(ledger_titles), ledger_titles);
    table_add_row(s, false);
    table_set_text(s, 0, "宪法宣传周, 广场");
    table_set_number(s, 1, 123456, 2);
    table_set_number(s, 2, 1050500, 3);
    table_set_number(s, 3, 42, 0);
    table_set_date(s, 4, "2022-05-01");
    table_add_row(s, false);
    table_set_text(s, 0, "=HYPERLINK(\"x\")");
    table_set_number(s, 1, -5, 2);
    table_set_number(s, 2, 0, 3);
    table_set_number(s, 3, 7, 0);
    table_set_date(s, 4, "2022-13-01"); /* not a date: kept as text */
    table_add_row(s, true);
    table_set_text(s, 0, "合计");
    table_set_number(s, 1, 123451, 2);
    table_set_number(s, 2, 1050500, 3);
    table_set_number(s, 3, 49, 0);

    s = table_add_sheet(t, "人员/名单");
    table_set_columns(s, ARRAY_SIZE(people_titles), people_titles);
    table_add_row(s, false);
    table_set_text(s, 0, "王芳");
    table_set_text(s, 1, "甲社区");
    return t;
}

/* ------------------------------------------------------------ XLSX */

static void test_table_write_xlsx__two_sheets(void **state)
{
    struct table *t = sample_table();
    struct err_ctx ec;
    char path[256];
    struct probe p;
    const char *type;

    (void)state;
    err_clear(&ec);
    assert_int_equal(table_xlsx_temp(path, sizeof(path), &ec), 0);
    assert_int_equal(table_write_xlsx(t, path, &ec), 0);

    probe_part(path, "xl/workbook.xml", &p);
    assert_int_equal(p.nsheets, 2);
    assert_string_equal(p.sheets[0], "普法台账");
    assert_string_equal(p.sheets[1], "人员_名单");
    probe_release(&p);

    probe_part(path, "xl/sharedStrings.xml", &p);
    for (size_t i = 0; i < ARRAY_SIZE(ledger_titles); i++)
        if (!has_text(&p, ledger_titles[i]))
            fail_msg("shared strings lack title %s", ledger_titles[i]);
    assert_true(has_text(&p, "姓名"));
    assert_true(has_text(&p, "甲社区"));
    assert_true(has_text(&p, "宪法宣传周, 广场"));
    /* XLSX has no formula injection: the text is a string cell, kept as typed. */
    assert_true(has_text(&p, "=HYPERLINK(\"x\")"));
    assert_true(has_text(&p, "2022-13-01"));
    probe_release(&p);

    probe_part(path, "xl/worksheets/sheet1.xml", &p);
    assert_string_equal(p.pane_split, "1");
    assert_string_equal(p.pane_state, "frozen");
    assert_string_equal(cell_value(&p, "B2", &type), "1234.56");
    assert_string_equal(type, "");
    assert_string_equal(cell_value(&p, "C2", NULL), "1050.5");
    assert_string_equal(cell_value(&p, "D2", NULL), "42");
    assert_string_equal(cell_value(&p, "E2", &type), "44682"); /* 2022-05-01 as a date serial */
    assert_string_equal(type, "");
    assert_string_equal(cell_value(&p, "B3", NULL), "-0.05");
    assert_string_equal(cell_value(&p, "C3", NULL), "0");
    assert_string_equal(cell_value(&p, "E3", &type) ? type : "", "s"); /* the bad date: text */
    assert_string_equal(cell_value(&p, "B4", NULL), "1234.51");
    assert_string_equal(cell_value(&p, "D4", NULL), "49");
    assert_string_equal(cell_value(&p, "A1", &type) ? type : "", "s"); /* titles are strings */
    probe_release(&p);

    probe_part(path, "xl/worksheets/sheet2.xml", &p);
    assert_non_null(cell_value(&p, "A2", NULL));
    assert_null(cell_value(&p, "C2", NULL));
    probe_release(&p);

    /* The number formats show 'scale' decimals, the dates yyyy-mm-dd. */
    {
        char *styles = zip_read(path, "xl/styles.xml");
        assert_non_null(styles);
        assert_non_null(strstr(styles, "formatCode=\"0.00\""));
        assert_non_null(strstr(styles, "formatCode=\"0.000\""));
        assert_non_null(strstr(styles, "formatCode=\"yyyy-mm-dd\""));
        free(styles);
    }
    unlink(path);
    table_free(t);
}

static void test_table_write_xlsx__long_text_and_bad_bytes(void **state)
{
    struct table *t = table_new();
    struct table_sheet *s = table_add_sheet(t, NULL);
    struct strbuf big = STRBUF_INIT;
    struct err_ctx ec;
    char path[256];
    struct probe p;
    bool found = false;

    (void)state;
    for (int i = 0; i < 20000; i++)
        strbuf_adds(&big, "法"); /* 60000 bytes, over Excel's 32767 */
    table_add_row(s, false);
    table_set_text(s, 0, big.buf);
    table_set_text(s, 1, "bad\xff byte\x01 and bell\a");
    err_clear(&ec);
    assert_int_equal(table_xlsx_temp(path, sizeof(path), &ec), 0);
    assert_int_equal(table_write_xlsx(t, path, &ec), 0);
    probe_part(path, "xl/workbook.xml", &p);
    assert_string_equal(p.sheets[0], "Sheet1");
    probe_release(&p);
    probe_part(path, "xl/sharedStrings.xml", &p);
    for (size_t i = 0; i < p.ntexts; i++) {
        if (str_starts_with(p.texts[i], "法法")) {
            assert_int_equal(strlen(p.texts[i]), 32766); /* 10922 whole characters */
            found = true;
        }
    }
    assert_true(found);
    assert_true(has_text(&p, "bad\xef\xbf\xbd byte and bell"));
    probe_release(&p);
    unlink(path);
    strbuf_release(&big);
    table_free(t);
}

static void test_table_write_xlsx__errors(void **state)
{
    struct table *t = table_new();
    struct table_sheet *s = table_add_sheet(t, "大");
    struct err_ctx ec;
    char path[256];

    (void)state;
    err_clear(&ec);
    assert_int_equal(table_write_xlsx(t, "/nonexistent-dir/x.xlsx", &ec), ERR_IO);
    assert_true(ec.message[0] != '\0');

    table_set_columns(s, 1, ledger_titles);
    for (size_t i = 0; i < TABLE_XLSX_MAX_ROWS; i++) /* with the title row: one too many */
        table_add_row(s, false);
    err_clear(&ec);
    assert_int_equal(table_xlsx_temp(path, sizeof(path), &ec), 0);
    assert_int_equal(table_write_xlsx(t, path, &ec), ERR_TOO_LARGE);
    assert_non_null(strstr(ec.message, "“大”"));
    unlink(path);
    table_free(t);
}

/* An empty workbook is still a valid file with one sheet; table_read_file brings it in. */
static void test_table_read_file__xlsx(void **state)
{
    struct table *t = table_new();
    struct strbuf sb = STRBUF_INIT;
    struct err_ctx ec;
    char path[256];
    struct probe p;

    (void)state;
    err_clear(&ec);
    assert_int_equal(table_xlsx_temp(path, sizeof(path), &ec), 0);
    assert_true(strstr(path, ".xlsx") != NULL);
    assert_int_equal(table_write_xlsx(t, path, &ec), 0);
    probe_part(path, "xl/workbook.xml", &p);
    assert_int_equal(p.nsheets, 1);
    probe_release(&p);

    strbuf_adds(&sb, "kept");
    assert_int_equal(table_read_file(path, 1 << 20, &sb, &ec), 0);
    assert_true(sb.len > 4 + 1000);
    assert_memory_equal(sb.buf, "keptPK\x03\x04", 8);
    strbuf_release(&sb);

    err_clear(&ec);
    assert_int_equal(table_read_file(path, 100, &sb, &ec), ERR_TOO_LARGE);
    assert_int_equal(sb.len, 0);
    err_clear(&ec);
    unlink(path);
    assert_int_equal(table_read_file(path, 100, &sb, &ec), ERR_IO);
    strbuf_release(&sb);
    table_free(t);
}

/* ------------------------------------------------------------ sheet names */

static void test_table_add_sheet__names(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"台账", "台账"},
        {"台账", "台账(2)"}, /* duplicates are numbered */
        {"TAIZHANG", "TAIZHANG"},
        {"taizhang", "taizhang(2)"}, /* Excel compares ignoring case */
        {"a[b]c:d*e?f/g\\h", "a_b_c_d_e_f_g_h"},
        {"'quoted'", "_quoted_"},
        {"", "Sheet7"},
        {NULL, "Sheet8"},
        {"History", "History_"},
        {"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五",
         "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"},
        {"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二",
         "一二三四五六七八九十一二三四五六七八九十一二三四五六七八(2)"},
        {"tab\there", "tabhere"},
        {"bad\xff", "bad\xef\xbf\xbd"},
    };
    struct table *t = table_new();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct table_sheet *s = table_add_sheet(t, cases[i].in);
        if (strcmp(table_sheet_name(s), cases[i].want) != 0)
            fail_msg("case %zu: '%s' named '%s', want '%s'", i, cases[i].in ? cases[i].in : "NULL",
                     table_sheet_name(s), cases[i].want);
        assert_ptr_equal(table_sheet_at(t, i), s);
    }
    assert_int_equal(table_sheet_count(t), ARRAY_SIZE(cases));
    assert_null(table_sheet_at(t, ARRAY_SIZE(cases)));
    table_free(t);
}

/* ------------------------------------------------------------ CSV */

static void test_table_write_csv__exact(void **state)
{
    static const char want[] = "\xef\xbb\xbf"
                               "名称,金额（元）,里程（公里）,次数,日期\r\n"
                               "\"宪法宣传周, 广场\",1234.56,1050.500,42,2022-05-01\r\n"
                               "\"'=HYPERLINK(\"\"x\"\")\",-0.05,0.000,7,2022-13-01\r\n"
                               "合计,1234.51,1050.500,49,\r\n";
    struct table *t = sample_table();
    struct strbuf sb = STRBUF_INIT;
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    assert_int_equal(table_write_csv(t, 0, &sb, &ec), 0);
    assert_string_equal(sb.buf, want);
    strbuf_reset(&sb);
    assert_int_equal(table_write_csv(t, 1, &sb, &ec), 0);
    assert_string_equal(sb.buf, "\xef\xbb\xbf姓名,单位\r\n王芳,甲社区\r\n");
    strbuf_reset(&sb);
    assert_int_equal(table_write_csv(t, 2, &sb, &ec), ERR_NOT_FOUND);
    assert_int_equal(sb.len, 0);
    strbuf_release(&sb);
    table_free(t);
}

static void test_table_set_number__csv_text(void **state)
{
    static const struct {
        int64_t scaled;
        int scale;
        const char *want;
    } cases[] = {
        {0, 0, "0"},
        {0, 2, "0.00"},
        {100, 2, "1.00"},
        {105, 2, "1.05"},
        {-5, 2, "-0.05"},
        {-105, 1, "-10.5"},
        {1050500, 3, "1050.500"},
        {7, 9, "0.000000007"},
        {INT64_MAX, 0, "9223372036854775807"},
        {INT64_MIN, 0, "-9223372036854775808"},
        {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MIN, 9, "-9223372036.854775808"},
    };
    struct table *t = table_new();
    struct table_sheet *s = table_add_sheet(t, "n");
    struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
    struct err_ctx ec;

    (void)state;
    strbuf_adds(&want, "\xef\xbb\xbf");
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        table_add_row(s, false);
        table_set_number(s, 0, cases[i].scaled, cases[i].scale);
        strbuf_addf(&want, "%s\r\n", cases[i].want);
    }
    err_clear(&ec);
    assert_int_equal(table_write_csv(t, 0, &sb, &ec), 0);
    assert_string_equal(sb.buf, want.buf);
    strbuf_release(&sb);
    strbuf_release(&want);
    table_free(t);
}

/* CSV written by the table reads back through csv_parse + csv_unguard to the same cells. */
static void test_table_write_csv__round_trip(void **state)
{
    static const char *const texts[] = {
        "普通文字", "a,b", "say \"hi\"", "line1\r\nline2", "=1+1", "'=1+1", "-",    "-5",
        "+86 138",  "@x",  "'abc",       "tab\tinside",    "",     " sp ",  "合计",
    };
    struct table *t = table_new();
    struct table_sheet *s = table_add_sheet(t, "rt");
    struct strbuf sb = STRBUF_INIT;
    struct arena *a = arena_new();
    struct csv_doc doc;
    struct err_ctx ec;

    (void)state;
    table_set_columns(s, 3, (const char *const[]){"文字", "金额", "日期"});
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        table_add_row(s, false);
        table_set_text(s, 0, texts[i]);
        table_set_number(s, 1, (int64_t)i * 101 - 500, 2);
        table_set_date(s, 2, "2022-12-31");
    }
    table_add_row(s, false); /* a row with one cell far right: every record gets 5 fields */
    table_set_text(s, 4, "右");
    err_clear(&ec);
    assert_int_equal(table_write_csv(t, 0, &sb, &ec), 0);
    assert_int_equal(csv_parse(sb.buf, sb.len, a, 100, 10, &doc, &ec), 0);
    assert_int_equal(doc.nrows, ARRAY_SIZE(texts) + 2);
    assert_string_equal(doc.rows[0].fields[0], "文字");
    for (size_t r = 0; r < doc.nrows; r++)
        assert_int_equal(doc.rows[r].nfields, 5);
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        const struct csv_row *row = &doc.rows[i + 1];
        char money[32];
        int64_t v = (int64_t)i * 101 - 500;

        if (strcmp(csv_unguard(row->fields[0]), texts[i]) != 0)
            fail_msg("'%s' came back as '%s'", texts[i], row->fields[0]);
        snprintf(money, sizeof(money), "%s%lld.%02lld", v < 0 ? "-" : "", llabs(v) / 100,
                 llabs(v) % 100);
        assert_string_equal(row->fields[1], money);
        assert_string_equal(row->fields[2], "2022-12-31");
    }
    assert_string_equal(doc.rows[doc.nrows - 1].fields[4], "右");
    arena_free(a);
    strbuf_release(&sb);
    table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_write_xlsx__two_sheets),
        cmocka_unit_test(test_table_write_xlsx__long_text_and_bad_bytes),
        cmocka_unit_test(test_table_write_xlsx__errors),
        cmocka_unit_test(test_table_read_file__xlsx),
        cmocka_unit_test(test_table_add_sheet__names),
        cmocka_unit_test(test_table_write_csv__exact),
        cmocka_unit_test(test_table_set_number__csv_text),
        cmocka_unit_test(test_table_write_csv__round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
