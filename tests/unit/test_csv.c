/*
 * test_csv.c - the CSV reader (quotes, line ends, BOM, bad input, limits)
 * and the field writer with its formula-injection guard.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/csv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#define MAX_ROWS   4
#define MAX_FIELDS 4

static void test_csv_parse__table(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        size_t nrows;
        const char *rows[MAX_ROWS][MAX_FIELDS + 1]; /* NULL ends a row */
        size_t lines[MAX_ROWS];
    } cases[] = {
        {"simple LF", "a,b\nc,d\n", 2, {{"a", "b", NULL}, {"c", "d", NULL}}, {1, 2}},
        {"CRLF", "a,b\r\nc,d\r\n", 2, {{"a", "b", NULL}, {"c", "d", NULL}}, {1, 2}},
        {"lone CR", "a\rb\r", 2, {{"a", NULL}, {"b", NULL}}, {1, 2}},
        {"no final line end", "a,b\r\nc", 2, {{"a", "b", NULL}, {"c", NULL}}, {1, 2}},
        {"BOM",
         "\xef\xbb\xbf名称,金额\r\n甲,1.50\r\n",
         2,
         {{"名称", "金额", NULL}, {"甲", "1.50", NULL}},
         {1, 2}},
        {"quoted comma", "\"a,b\",c\n", 1, {{"a,b", "c", NULL}}, {1}},
        {"doubled quotes", "\"say \"\"hi\"\"\",x\n", 1, {{"say \"hi\"", "x", NULL}}, {1}},
        {"embedded CRLF",
         "\"l1\r\nl2\",x\r\nnext\r\n",
         2,
         {{"l1\r\nl2", "x", NULL}, {"next", NULL}},
         {1, 3}},
        {"embedded LF at end", "\"a\n\"\nb\n", 2, {{"a\n", NULL}, {"b", NULL}}, {1, 3}},
        {"empty quoted", "\"\",x\n", 1, {{"", "x", NULL}}, {1}},
        {"empty fields", "a,,b\nc,\n", 2, {{"a", "", "b", NULL}, {"c", "", NULL}}, {1, 2}},
        {"blank lines skipped", "\n\r\na\n\n\nb\n\n", 2, {{"a", NULL}, {"b", NULL}}, {3, 6}},
        {"separator-only rows skipped",
         "a,b\n,,\n\"\",\"\"\nc,d\n",
         2,
         {{"a", "b", NULL}, {"c", "d", NULL}},
         {1, 4}},
        {"quote inside unquoted field kept", "5\"3,x\n", 1, {{"5\"3", "x", NULL}}, {1}},
        {"spaces kept", " a , b \n", 1, {{" a ", " b ", NULL}}, {1}},
        {"tab kept", "a\tb\n", 1, {{"a\tb", NULL}}, {1}},
        {"four fields exactly", "1,2,3,4\n", 1, {{"1", "2", "3", "4", NULL}}, {1}},
        {"four rows exactly",
         "1\n2\n3\n4",
         4,
         {{"1", NULL}, {"2", NULL}, {"3", NULL}, {"4", NULL}},
         {1, 2, 3, 4}},
        {"empty input", "", 0, {{NULL}}, {0}},
        {"BOM only", "\xef\xbb\xbf", 0, {{NULL}}, {0}},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct arena *a = arena_new();
        struct csv_doc doc;
        struct err_ctx ec;
        int rc;

        err_clear(&ec);
        rc = csv_parse(cases[i].in, strlen(cases[i].in), a, MAX_ROWS, MAX_FIELDS, &doc, &ec);
        if (rc != 0)
            fail_msg("%s: %d %s", cases[i].name, rc, ec.message);
        if (doc.nrows != cases[i].nrows)
            fail_msg("%s: %zu rows, want %zu", cases[i].name, doc.nrows, cases[i].nrows);
        for (size_t r = 0; r < doc.nrows; r++) {
            size_t nf = 0;
            while (cases[i].rows[r][nf])
                nf++;
            if (doc.rows[r].nfields != nf)
                fail_msg("%s: row %zu has %zu fields, want %zu", cases[i].name, r,
                         doc.rows[r].nfields, nf);
            for (size_t f = 0; f < nf; f++)
                if (strcmp(doc.rows[r].fields[f], cases[i].rows[r][f]) != 0)
                    fail_msg("%s: row %zu field %zu is '%s', want '%s'", cases[i].name, r, f,
                             doc.rows[r].fields[f], cases[i].rows[r][f]);
            if (doc.rows[r].line != cases[i].lines[r])
                fail_msg("%s: row %zu at line %zu, want %zu", cases[i].name, r, doc.rows[r].line,
                         cases[i].lines[r]);
        }
        arena_free(a);
    }
}

static void test_csv_parse__errors(void **state)
{
    static const struct {
        const char *name;
        const char *in;
        size_t len; /* 0: strlen */
        size_t max_rows, max_fields;
        int code;
        const char *message_has;
    } cases[] = {
        {"GBK bytes", "名称\r\nok\r\n\xc3\xfb\xb3\xc6\r\n", 0, 9, 9, ERR_BAD_REQUEST, "第 3 行"},
        {"GBK names UTF-8", "\xc3\xfb", 0, 9, 9, ERR_BAD_REQUEST, "UTF-8"},
        {"truncated UTF-8 at end", "a\n\xe4\xb8", 0, 9, 9, ERR_BAD_REQUEST, "第 2 行"},
        {"overlong", "\xc0\xaf", 0, 9, 9, ERR_BAD_REQUEST, "第 1 行"},
        {"surrogate", "a\n\n\xed\xa0\x80", 0, 9, 9, ERR_BAD_REQUEST, "第 3 行"},
        {"NUL", "a,b\nc\0d\n", 8, 9, 9, ERR_BAD_REQUEST, "第 2 行"},
        {"control character", "a\x01", 0, 9, 9, ERR_BAD_REQUEST, "控制字符"},
        {"unterminated quote", "a\n\"open,\nb\nc\n", 0, 9, 9, ERR_BAD_REQUEST, "第 2 行"},
        {"unterminated after CRLF", "a\r\nb\r\n\"x\"\"", 0, 9, 9, ERR_BAD_REQUEST, "第 3 行"},
        {"text after closing quote", "ok\n\"a\"b,c\n", 0, 9, 9, ERR_BAD_REQUEST, "第 2 行"},
        {"too many rows", "1\n2\n3\n", 0, 2, 9, ERR_TOO_LARGE, "第 3 行"},
        {"too many fields", "a,b\nc,d,e\n", 0, 9, 2, ERR_TOO_LARGE, "第 2 行"},
        {"too many fields after multi-line field", "\"x\ny\",b,c\n", 0, 9, 2, ERR_TOO_LARGE,
         "第 1 行"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct arena *a = arena_new();
        struct csv_doc doc;
        struct err_ctx ec;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        int rc;

        err_clear(&ec);
        rc = csv_parse(cases[i].in, len, a, cases[i].max_rows, cases[i].max_fields, &doc, &ec);
        if (rc != cases[i].code)
            fail_msg("%s: rc %d, want %d", cases[i].name, rc, cases[i].code);
        if (!strstr(ec.message, cases[i].message_has))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].name, ec.message,
                     cases[i].message_has);
        assert_string_equal(ec.field, "file");
        assert_int_equal(doc.nrows, 0);
        arena_free(a);
    }
}

static void test_csv_write_field__table(void **state)
{
    static const struct {
        const char *in;
        bool guard;
        const char *want;
    } cases[] = {
        {"plain", true, "plain"},
        {"", true, ""},
        {"城西街道", true, "城西街道"},
        {"a,b", true, "\"a,b\""},
        {"say \"hi\"", true, "\"say \"\"hi\"\"\""},
        {"l1\r\nl2", true, "\"l1\r\nl2\""},
        {"l1\nl2", false, "\"l1\nl2\""},
        {"=1+1", true, "'=1+1"},
        {"=1+1", false, "=1+1"},
        {"=HYPERLINK(\"x\",\"y\")", true, "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""},
        {"@SUM(A1)", true, "'@SUM(A1)"},
        {"+86 138 0000 0000", true, "'+86 138 0000 0000"},
        {"-a", true, "'-a"},
        {"-", true, "-"},
        {"-5", true, "-5"},
        {"+3.5", true, "+3.5"},
        {"-1+1", true, "'-1+1"},
        {"\tx", true, "'\tx"},
        {"\rx", true, "\"'\rx\""},
        {"'=x", true, "''=x"},
        {"'-5", true, "''-5"},
        {"'abc", true, "'abc"},
        {"it's", true, "it's"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf sb = STRBUF_INIT;
        csv_write_field(&sb, cases[i].in, cases[i].guard);
        if (strcmp(sb.buf, cases[i].want) != 0)
            fail_msg("case %zu: '%s' written as '%s', want '%s'", i, cases[i].in, sb.buf,
                     cases[i].want);
        strbuf_release(&sb);
    }
}

/* Whatever text goes out guarded comes back the same through csv_parse + csv_unguard. */
static void test_csv_unguard__round_trip(void **state)
{
    static const char *const texts[] = {
        "plain", "=1+1",  "'=1+1", "''=1+1", "@x",  "+86 138", "-",   "-5",  "'-5", "-a",
        "'-a",   "'",     "''",    "'abc",   "\tx", "'\tx",    "\rx", "",    "a,b", "=a,\"b\"\n",
        "合计",  "'合计", "=合计", "+",      "'+",  "-.5",     "--",  "1-2",
    };
    struct strbuf sb = STRBUF_INIT;
    struct arena *a = arena_new();
    struct csv_doc doc;
    struct err_ctx ec;

    (void)state;
    /* One record: a sentinel first so the record is never all-empty. */
    strbuf_adds(&sb, "s");
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        strbuf_addch(&sb, ',');
        csv_write_field(&sb, texts[i], true);
    }
    strbuf_adds(&sb, "\r\n");
    err_clear(&ec);
    assert_int_equal(csv_parse(sb.buf, sb.len, a, 10, 100, &doc, &ec), 0);
    assert_int_equal(doc.nrows, 1);
    assert_int_equal(doc.rows[0].nfields, ARRAY_SIZE(texts) + 1);
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        const char *back = csv_unguard(doc.rows[0].fields[i + 1]);
        if (strcmp(back, texts[i]) != 0)
            fail_msg("'%s' came back as '%s'", texts[i], back);
    }
    /* Unguarded text that was never guarded stays as it is. */
    assert_string_equal(csv_unguard("'abc"), "'abc");
    assert_string_equal(csv_unguard("-5"), "-5");
    assert_null(csv_unguard(NULL));
    arena_free(a);
    strbuf_release(&sb);
}

/* A large input within limits: every row comes back, lines counted right. */
static void test_csv_parse__many_rows(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct arena *a = arena_new();
    struct csv_doc doc;
    struct err_ctx ec;

    (void)state;
    for (int i = 0; i < 5000; i++)
        strbuf_addf(&sb, "%d,\"名称 %d\",x\r\n", i, i);
    err_clear(&ec);
    assert_int_equal(csv_parse(sb.buf, sb.len, a, 5000, 3, &doc, &ec), 0);
    assert_int_equal(doc.nrows, 5000);
    assert_string_equal(doc.rows[4999].fields[1], "名称 4999");
    assert_int_equal(doc.rows[4999].line, 5000);
    arena_free(a);
    a = arena_new();
    err_clear(&ec);
    assert_int_equal(csv_parse(sb.buf, sb.len, a, 4999, 3, &doc, &ec), ERR_TOO_LARGE);
    arena_free(a);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_parse__table),
        cmocka_unit_test(test_csv_parse__errors),
        cmocka_unit_test(test_csv_write_field__table),
        cmocka_unit_test(test_csv_unguard__round_trip),
        cmocka_unit_test(test_csv_parse__many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
