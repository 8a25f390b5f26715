/*
 * test_ledger_io.c - ledgers as files: XLSX and CSV exports that open
 * (the XLSX checked as a zip of well-formed XML with libzip and expat, the
 * CSV read back with the importer's own parser), and CSV imports that are
 * all or nothing, report every fault by line and field, and add nothing
 * when the same file comes again.
 */
#include "core/compat.h"
#include "api/harness.h"
#include "core/arena.h"
#include "core/csv.h"
#include "core/str.h"

#include <expat.h>
#include <zip.h>

static struct test_server srv;
static struct client admin, clerka, clerkb, leader;

static int group_setup(void **state)
{
    char login[64];

    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    client_init(&clerka, &srv);
    client_login_ok(&clerka, CLERKA_LOGIN, CLERK_PASSWORD);
    client_init(&clerkb, &srv);
    client_login_ok(&clerkb, CLERKB_LOGIN, CLERK_PASSWORD);
    unique_name("leader", login, sizeof(login));
    create_user(&admin, login, srv.root_id, "leader", "Leader-pass-2024");
    client_init(&leader, &srv);
    client_login_ok(&leader, login, "Leader-pass-2024");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    client_release(&clerka);
    client_release(&clerkb);
    client_release(&leader);
    server_stop(&srv);
    return 0;
}

/* ================================================================
 * Helpers
 * ================================================================ */

static int64_t create_entry(struct client *c, const char *kind, int64_t unit, const char *date,
                            const char *title, json_t *counters)
{
    struct response r = {0};
    int64_t id;

    client_send(c, "POST", "/api/v1/ledger/entries",
                json_pack("{s:s, s:I, s:s, s:s, s:o}", "kind", kind, "unit_id", (json_int_t)unit,
                          "date", date, "title", title, "counters", counters),
                &r);
    assert_status(&r, 201);
    id = json_int_member(r.json, "id");
    response_release(&r);
    return id;
}

/* POST /api/v1/ledger/import[?kind=] with 'csv' as text/csv. */
static long import_csv(struct client *c, const char *kind, const char *csv, struct response *r)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/ledger/import%s%s", kind ? "?kind=" : "",
             kind ? kind : "");
    return client_request(c, "POST", path, "text/csv", csv, strlen(csv), NULL, r);
}

/* Entries in the subtree the client sees, for a year, from the detail tables. */
static int64_t entry_count(struct client *c, const char *year)
{
    struct response r = {0};
    int64_t n;

    client_get(c, &r, "/api/v1/ledger/totals?year=%s&source=detail", year);
    assert_status(&r, 200);
    n = json_int_member(r.json, "entries");
    response_release(&r);
    return n;
}

static size_t audit_count(void)
{
    json_t *all = audit_all(&admin);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

/* True when the 422 reply lists a fault at 'line' naming 'field'. */
static bool has_fault(const struct response *r, long line, const char *field)
{
    json_t *rows = json_object_get(r->json, "rows"), *it;
    size_t i;

    json_array_foreach(rows, i, it)
    {
        if (json_int_member(it, "line") == line &&
            strcmp(json_str_member(it, "field"), field) == 0 && *json_str_member(it, "message"))
            return true;
    }
    return false;
}

/* ---- XLSX: a zip of XML parts ---- */

struct xml_text {
    struct strbuf all;    /* every text node, each followed by '\n' */
    struct strbuf cur;    /* the text node being read */
    size_t rows;          /* <row> elements */
    struct strbuf sheets; /* <sheet name="..."> of the workbook, each followed by '\n' */
};

static void XMLCALL on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct xml_text *x = arg;

    strbuf_reset(&x->cur);
    if (strcmp(name, "row") == 0)
        x->rows++;
    if (strcmp(name, "sheet") == 0)
        for (size_t i = 0; attrs[i]; i += 2)
            if (strcmp(attrs[i], "name") == 0)
                strbuf_addf(&x->sheets, "%s\n", attrs[i + 1]);
}

static void XMLCALL on_end(void *arg, const XML_Char *name)
{
    struct xml_text *x = arg;

    (void)name;
    if (x->cur.len)
        strbuf_addf(&x->all, "%s\n", x->cur.buf);
    strbuf_reset(&x->cur);
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len)
{
    struct xml_text *x = arg;
    strbuf_add(&x->cur, s, (size_t)len);
}

/* Parses one XML part with expat, failing the test when it is not well-formed. */
static void parse_xml(const char *name, const char *data, size_t len, struct xml_text *x)
{
    XML_Parser p = XML_ParserCreate("UTF-8");

    XML_SetUserData(p, x);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    if (XML_Parse(p, data, (int)len, 1) != XML_STATUS_OK)
        fail_msg("%s is not well-formed XML: %s (line %lu)", name,
                 XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
    XML_ParserFree(p);
}

/* A part of the zip, read whole; NULL when absent. The caller frees it. */
static char *zip_part(zip_t *z, const char *name, size_t *len)
{
    zip_stat_t st;
    zip_file_t *f;
    char *buf;

    if (zip_stat(z, name, 0, &st) != 0)
        return NULL;
    buf = malloc(st.size + 1);
    assert_non_null(buf);
    f = zip_fopen(z, name, 0);
    assert_non_null(f);
    assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
    zip_fclose(f);
    buf[st.size] = '\0';
    *len = st.size;
    return buf;
}

struct workbook {
    struct xml_text book;     /* workbook.xml: the sheet names */
    struct xml_text strings;  /* every text of every part */
    struct xml_text sheet[4]; /* xl/worksheets/sheetN.xml: rows, cell values */
    size_t nsheets;
};

static void workbook_release(struct workbook *w)
{
    struct xml_text *all[] = {&w->book,     &w->strings,  &w->sheet[0],
                              &w->sheet[1], &w->sheet[2], &w->sheet[3]};
    for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
        strbuf_release(&all[i]->all);
        strbuf_release(&all[i]->cur);
        strbuf_release(&all[i]->sheets);
    }
}

/* Opens an XLSX held in memory: every .xml part must parse. */
static void open_xlsx(const char *data, size_t len, struct workbook *w)
{
    zip_error_t err;
    zip_source_t *src;
    zip_t *z;
    zip_int64_t n;

    memset(w, 0, sizeof(*w));
    zip_error_init(&err);
    src = zip_source_buffer_create(data, len, 0, &err);
    assert_non_null(src);
    z = zip_open_from_source(src, ZIP_RDONLY, &err);
    if (!z)
        fail_msg("the XLSX is not a zip: %s", zip_error_strerror(&err));
    n = zip_get_num_entries(z, 0);
    assert_true(n >= 5);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        size_t plen;
        char *part;
        struct xml_text *x = &w->strings;
        unsigned sheet;
        if (!name || (!strstr(name, ".xml") && !strstr(name, ".rels")))
            continue;
        part = zip_part(z, name, &plen);
        assert_non_null(part);
        if (strcmp(name, "xl/workbook.xml") == 0)
            x = &w->book;
        else if (sscanf(name, "xl/worksheets/sheet%u.xml", &sheet) == 1 && sheet >= 1 &&
                 sheet <= 4) {
            x = &w->sheet[sheet - 1];
            if (sheet > w->nsheets)
                w->nsheets = sheet;
        }
        parse_xml(name, part, plen, x);
        free(part);
    }
    zip_close(z);
}

/* ================================================================
 * Exports
 * ================================================================ */

static void test_export__xlsx_opens_with_a_sheet_per_kind(void **state)
{
    struct response r = {0};
    struct workbook w;
    const char *cd;

    (void)state;
    create_entry(&clerka, "study.lecture", srv.ca_id, "2023-03-01", "宪法宣讲",
                 json_pack("{s:i, s:f}", "attendance", 30, "hours", 1.5));
    create_entry(&clerka, "study.lecture", srv.ca_id, "2023-04-01", "民法典讲座",
                 json_pack("{s:i}", "attendance", 40));
    create_entry(&clerka, "study.lecture", srv.ca_id, "2023-05-01", "=HYPERLINK(\"x\")",
                 json_pack("{s:i}", "attendance", 41));
    create_entry(&clerka, "sanitation.campaign", srv.ca_id, "2023-05-02", "背街小巷整治",
                 json_pack("{s:i, s:i}", "ads", 12, "parking", 5));
    create_entry(&clerka, "sanitation.campaign", srv.ca_id, "2023-05-03", "市场整治",
                 json_pack("{s:i, s:i}", "ads", 3, "vendors", 9));

    client_get(&clerka, &r, "/api/v1/ledger/export?format=xlsx&unit=%lld&year=2023",
               (long long)srv.ca_id);
    assert_status(&r, 200);
    assert_string_equal(response_header(&r, "Content-Type"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    cd = response_header(&r, "Content-Disposition");
    assert_non_null(cd);
    assert_true(str_starts_with(cd, "attachment;"));
    /* filename*=UTF-8''台账_甲社区_2023-01-01至2023-12-31.xlsx */
    assert_non_null(strstr(cd, "filename*=UTF-8''%E5%8F%B0%E8%B4%A6_%E7%94%B2%E7%A4%BE%E5%8C%BA_"
                               "2023-01-01%E8%87%B32023-12-31.xlsx"));
    assert_true(r.len > 1000 && memcmp(r.body, "PK", 2) == 0);

    open_xlsx(r.body, r.len, &w);
    /* Sheets by kind code: sanitation.campaign, then study.lecture. */
    assert_string_equal(w.book.sheets.buf, "环境卫生综合整治\n法治讲座\n");
    assert_int_equal(w.nsheets, 2);
    assert_int_equal(w.sheet[0].rows, 1 + 2 + 1); /* titles, entries, totals */
    assert_int_equal(w.sheet[1].rows, 1 + 3 + 1);
    assert_non_null(strstr(w.strings.all.buf, "受训人次（人次）\n"));
    assert_non_null(strstr(w.strings.all.buf, "清除牛皮癣（处）\n"));
    assert_non_null(strstr(w.strings.all.buf, "合计\n"));
    assert_non_null(strstr(w.strings.all.buf, "共 3 条\n"));
    assert_non_null(strstr(w.strings.all.buf, "宪法宣讲\n"));
    assert_non_null(strstr(w.strings.all.buf, "=HYPERLINK(\"x\")\n"));
    /* The totals: 30 + 40 + 41 attendance, 12 + 3 ads. */
    assert_non_null(strstr(w.sheet[1].all.buf, "\n111\n"));
    assert_non_null(strstr(w.sheet[0].all.buf, "\n15\n"));
    workbook_release(&w);
    response_release(&r);
}

static void test_export__csv_reads_back_and_reimports_as_nothing_new(void **state)
{
    struct response r = {0};
    struct arena *a = arena_new();
    struct csv_doc doc;
    struct err_ctx ec;
    const struct csv_row *h;
    size_t title_col = SIZE_MAX, att_col = SIZE_MAX, hours_col = SIZE_MAX, kind_col = SIZE_MAX;
    int64_t before;
    bool seen = false;

    (void)state;
    create_entry(&clerka, "study.lecture", srv.ca_id, "2023-06-01", "导出,带逗号\n和换行",
                 json_pack("{s:i, s:f}", "attendance", 7, "hours", 2.5));
    client_get(&clerka, &r, "/api/v1/ledger/export?format=csv&year=2023");
    assert_status(&r, 200);
    assert_true(str_starts_with(response_header(&r, "Content-Type"), "text/csv"));
    assert_non_null(strstr(response_header(&r, "Content-Disposition"), ".csv"));
    assert_true(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0); /* UTF-8 BOM */

    err_clear(&ec);
    assert_int_equal(csv_parse(r.body, r.len, a, 100000, 200, &doc, &ec), 0);
    assert_true(doc.nrows >= 2);
    h = &doc.rows[0];
    for (size_t i = 0; i < h->nfields; i++) {
        if (strcmp(h->fields[i], "标题") == 0)
            title_col = i;
        if (strcmp(h->fields[i], "受训人次（人次）") == 0)
            att_col = i;
        if (strcmp(h->fields[i], "讲座时长（小时）") == 0)
            hours_col = i;
        if (strcmp(h->fields[i], "种类代码") == 0)
            kind_col = i;
    }
    assert_true(title_col != SIZE_MAX && att_col != SIZE_MAX && hours_col != SIZE_MAX &&
                kind_col != SIZE_MAX);
    assert_string_equal(h->fields[0], "编号");
    for (size_t i = 1; i < doc.nrows; i++) {
        const struct csv_row *row = &doc.rows[i];
        assert_int_equal(row->nfields, h->nfields);
        if (strcmp(row->fields[title_col], "导出,带逗号\n和换行") != 0)
            continue;
        seen = true;
        assert_string_equal(row->fields[kind_col], "study.lecture");
        assert_string_equal(row->fields[att_col], "7");
        assert_string_equal(row->fields[hours_col], "2.5");
    }
    assert_true(seen);
    /* A spreadsheet would run this as a formula: it goes out guarded. */
    assert_non_null(strstr(r.body, "'=HYPERLINK"));

    /* The exported file, imported again, adds nothing. */
    before = entry_count(&clerka, "2023");
    {
        char *copy = strndup(r.body, r.len);
        struct response ir = {0};
        assert_non_null(copy);
        client_request(&clerka, "POST", "/api/v1/ledger/import", "text/csv", copy, strlen(copy),
                       NULL, &ir);
        assert_status(&ir, 200);
        assert_int_equal(json_int_member(ir.json, "created"), 0);
        assert_int_equal(json_int_member(ir.json, "skipped"), (json_int_t)doc.nrows - 1);
        response_release(&ir);
        free(copy);
    }
    assert_int_equal(entry_count(&clerka, "2023"), before);
    arena_free(a);
    response_release(&r);
}

static void test_export__scope_and_format(void **state)
{
    struct response r = {0};

    (void)state;
    client_get(&clerkb, &r, "/api/v1/ledger/export?format=csv&unit=%lld", (long long)srv.ca_id);
    assert_error(&r, 404, "not_found", "unit");
    client_get(&clerkb, &r, "/api/v1/ledger/export?format=csv");
    assert_status(&r, 200);
    assert_null(strstr(r.body, "宪法宣讲"));
    client_get(&clerka, &r, "/api/v1/ledger/export?format=pdf");
    assert_error(&r, 400, "bad_request", "format");
    client_get(&clerka, &r, "/api/v1/ledger/export");
    assert_error(&r, 400, "bad_request", "format");
    client_get(&clerka, &r, "/api/v1/ledger/export?format=xlsx&kind=no.such");
    assert_error(&r, 422, "invalid", "kind");
    /* A leader exports; an empty list is still a workbook that opens. */
    client_get(&leader, &r, "/api/v1/ledger/export?format=xlsx&year=1999");
    assert_status(&r, 200);
    {
        struct workbook w;
        open_xlsx(r.body, r.len, &w);
        assert_int_equal(w.nsheets, 1);
        workbook_release(&w);
    }
    response_release(&r);
}

/* ================================================================
 * Imports
 * ================================================================ */

static void test_import__all_or_nothing_with_every_fault(void **state)
{
    /* Lines: 1 header, 2-3 good, 4 two bad cells, 5 unknown unit, 6 unknown
     * kind, 7 another community's unit, 8 a column the kind lacks, 9 good. */
    static const char bad[] = "kind,unit,date,title,attendance,hours,sites\n"
                              "study.lecture,ca,2023-07-01,讲座一,30,1,\n"
                              "study.lecture,ca,2023-07-02,讲座二,31,,\n"
                              "study.lecture,ca,2023-07-32,讲座三,-4,,\n"
                              "study.lecture,zz,2023-07-03,讲座四,5,,\n"
                              "no.such,ca,2023-07-03,未知,5,,\n"
                              "study.lecture,cb,2023-07-03,越权,5,,\n"
                              "study.lecture,ca,2023-07-04,多列,5,,3\n"
                              "river.remediation,ca,2023-07-05,河道,,,4\n";
    static const char good[] = "kind,unit,date,title,attendance,hours,sites\n"
                               "study.lecture,ca,2023-07-01,讲座一,30,1,\n"
                               "study.lecture,ca,2023-07-02,讲座二,31,,\n"
                               "river.remediation,ca,2023-07-05,河道,,,4\n";
    struct response r = {0};
    int64_t before = entry_count(&clerka, "2023");
    size_t audit_before = audit_count();

    (void)state;
    import_csv(&clerka, NULL, bad, &r);
    assert_status(&r, 422);
    assert_string_equal(json_str_member(json_object_get(r.json, "error"), "code"), "invalid");
    assert_string_equal(json_str_member(json_object_get(r.json, "error"), "field"), "file");
    assert_true(has_fault(&r, 4, "date"));
    assert_true(has_fault(&r, 4, "counters.attendance"));
    assert_true(has_fault(&r, 5, "unit"));
    assert_true(has_fault(&r, 6, "kind"));
    assert_true(has_fault(&r, 7, "unit"));
    assert_true(has_fault(&r, 8, "sites"));
    assert_false(has_fault(&r, 2, "date"));
    assert_false(has_fault(&r, 9, "sites"));
    assert_int_equal(json_array_size(json_object_get(r.json, "rows")), 6);
    assert_false(json_is_true(json_object_get(r.json, "truncated")));
    /* Nothing of the good rows either. */
    assert_int_equal(entry_count(&clerka, "2023"), before);
    assert_int_equal(audit_count(), audit_before);

    import_csv(&clerka, NULL, good, &r);
    assert_status(&r, 201);
    assert_int_equal(json_int_member(r.json, "rows"), 3);
    assert_int_equal(json_int_member(r.json, "created"), 3);
    assert_int_equal(json_array_size(json_object_get(r.json, "ids")), 3);
    assert_int_equal(entry_count(&clerka, "2023"), before + 3);

    /* The same file again: nothing new. */
    import_csv(&clerka, NULL, good, &r);
    assert_status(&r, 200);
    assert_int_equal(json_int_member(r.json, "created"), 0);
    assert_int_equal(json_int_member(r.json, "skipped"), 3);
    assert_int_equal(entry_count(&clerka, "2023"), before + 3);
    response_release(&r);
}

static void test_import__excel_style_file(void **state)
{
    /* What Excel saves: a BOM, CRLF, Chinese titles, quoted fields with
     * commas and line breaks, counters named as the export names them, a
     * guarded formula, and the same row twice (two real meetings). */
    static const char csv[] = "\xEF\xBB\xBF"
                              "日期,标题,地点,备注,参会人次（人次）\r\n"
                              "2023-08-01,院坝会,\"三组,院坝\",\"第一行\r\n第二行\",35\r\n"
                              "2023-08-02,'=1+2,会议室,,12\r\n"
                              "2023-08-03,群众会,,,20\r\n"
                              "2023-08-03,群众会,,,20\r\n";
    struct response r = {0};
    json_t *items, *it;
    size_t i;
    int found = 0;

    (void)state;
    /* Without a kind column, ?kind= names it; the unit is the clerk's own. */
    import_csv(&clerka, "publicity.meeting", csv, &r);
    assert_status(&r, 201);
    assert_int_equal(json_int_member(r.json, "created"), 4);

    client_get(&clerka, &r,
               "/api/v1/ledger/entries?kind=publicity.meeting&from=2023-08-01&"
               "to=2023-08-03");
    assert_status(&r, 200);
    items = response_items(&r);
    assert_int_equal(json_array_size(items), 4);
    json_array_foreach(items, i, it)
    {
        const char *title = json_str_member(it, "title");
        assert_string_equal(json_str_member(json_object_get(it, "unit"), "code"), "ca");
        if (strcmp(title, "院坝会") == 0) {
            assert_string_equal(json_str_member(it, "place"), "三组,院坝");
            assert_string_equal(json_str_member(it, "notes"), "第一行\r\n第二行");
            assert_int_equal(json_int_member(json_object_get(it, "counters"), "attendance"), 35);
            found++;
        }
        if (strcmp(title, "=1+2") == 0)
            found++;
    }
    assert_int_equal(found, 2);

    import_csv(&clerka, "publicity.meeting", csv, &r);
    assert_status(&r, 200);
    assert_int_equal(json_int_member(r.json, "skipped"), 4);
    response_release(&r);
}

static void test_import__refusals(void **state)
{
    struct response r = {0};
    size_t before = audit_count();

    (void)state;
    client_request(&clerka, "POST", "/api/v1/ledger/import", "application/json", "{}", 2, NULL, &r);
    assert_error(&r, 415, "unsupported_media_type", NULL);
    import_csv(&clerka, "study.lecture", "日期,标题\n2023-01-01,\"未结束\n", &r);
    assert_error(&r, 400, "bad_request", "file");
    /* A file saved as GBK (讲座 in GBK bytes). */
    import_csv(&clerka, "study.lecture", "date,title\n2023-01-01,\xBD\xB2\xD7\xF9\n", &r);
    assert_error(&r, 400, "bad_request", "file");
    import_csv(&clerka, "study.lecture", "", &r);
    assert_status(&r, 422);
    import_csv(&clerka, "study.lecture", "title,attendance\n讲座,5\n", &r);
    assert_status(&r, 422);
    assert_true(has_fault(&r, 1, "date"));
    import_csv(&clerka, NULL, "date,title\n2023-01-01,讲座\n", &r);
    assert_status(&r, 422);
    assert_true(has_fault(&r, 1, "kind"));
    import_csv(&clerka, "study.lecture", "date,title,attendance\n2023-01-01,讲座,5,多余\n", &r);
    assert_status(&r, 422);
    assert_true(has_fault(&r, 2, "file"));
    import_csv(&clerka, "study.lecture", "date,title,attendance\n2023-01-01,讲座,5\n", &r);
    assert_status(&r, 201);
    before = audit_count();
    import_csv(&leader, "study.lecture", "date,title,attendance\n2023-01-01,讲座,6\n", &r);
    assert_error(&r, 403, "forbidden", NULL);
    /* Over the server's 1 MiB body limit. */
    {
        size_t n = (1u << 20) + 100;
        char *big = malloc(n + 1);
        assert_non_null(big);
        memset(big, 'x', n);
        big[n] = '\0';
        import_csv(&clerka, "study.lecture", big, &r);
        assert_error(&r, 413, "too_large", NULL);
        free(big);
    }
    assert_int_equal(audit_count(), before);
    response_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export__xlsx_opens_with_a_sheet_per_kind),
        cmocka_unit_test(test_export__csv_reads_back_and_reimports_as_nothing_new),
        cmocka_unit_test(test_export__scope_and_format),
        cmocka_unit_test(test_import__all_or_nothing_with_every_fault),
        cmocka_unit_test(test_import__excel_style_file),
        cmocka_unit_test(test_import__refusals),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
