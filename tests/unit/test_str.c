/*
 * test_str.c - strbuf, integer parsing, UTF-8 checks.
 */
#include "core/compat.h"
#include "core/str.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static void test_strbuf__grows_and_detaches(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;
    size_t len;

    (void)state;
    assert_string_equal(sb.buf, "");
    for (int i = 0; i < 1000; i++)
        strbuf_addf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 2000);
    strbuf_remove_front(&sb, 1998);
    assert_string_equal(sb.buf, "9,");
    strbuf_addch(&sb, 'x');
    strbuf_adds(&sb, "街道");
    s = strbuf_detach(&sb, &len);
    assert_string_equal(s, "9,x街道");
    assert_int_equal(len, strlen("9,x街道"));
    assert_int_equal(sb.len, 0);
    free(s);
    strbuf_release(&sb);
}

static void test_str_to_int64__table(void **state)
{
    static const struct {
        const char *in;
        int64_t min, max;
        int rc;
        int64_t want;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 0, 10},
        {"11", 0, 10, -1, 0},
        {"-5", -10, 10, 0, -5},
        {"", 0, 10, -1, 0},
        {" 1", 0, 10, -1, 0},
        {"1 ", 0, 10, -1, 0},
        {"1a", 0, 10, -1, 0},
        {"+1", 0, 10, -1, 0},
        {"99999999999999999999", 0, INT64_MAX, -1, 0},
        {"9223372036854775807", 0, INT64_MAX, 0, INT64_MAX},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t v = 0;
        int rc = str_to_int64(cases[i].in, cases[i].min, cases[i].max, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_int_equal(v, cases[i].want);
    }
}

static void test_str_is_clean_utf8__table(void **state)
{
    static const struct {
        const char *in;
        bool ok;
    } cases[] = {
        {"plain", true},
        {"城西街道 2022", true},
        {"tab\tnewline\n", true},
        {"bell\a", false},
        {"del\x7f", false},
        {"\xc0\xaf", false},                 /* overlong '/' */
        {"\xe4\xb8", false},                 /* truncated */
        {"\xed\xa0\x80", false},             /* surrogate */
        {"\xf4\x90\x80\x80", false},         /* above U+10FFFF */
        {"\xf0\x9f\x98\x80", true},          /* emoji */
        {"\xe9\x97\xae\xef\xbf\xbf", false}, /* U+FFFF: XML refuses it */
        {"\xef\xbf\xbe", false},             /* U+FFFE */
        {"\xef\xb7\x90", false},             /* U+FDD0 */
        {"\xf0\x9f\xbf\xbf", false},         /* U+1FFFF */
        {"\xef\xbf\xbd", true},              /* U+FFFD, the replacement character */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(str_is_clean_utf8(cases[i].in, strlen(cases[i].in)), cases[i].ok);
    assert_false(str_is_clean_utf8("a\0b", 3));
    assert_int_equal(str_utf8_len("城西a"), 3);
}

static void test_str_hex__lowercase(void **state)
{
    const unsigned char in[] = {0x00, 0xab, 0xff};
    char out[7];

    (void)state;
    str_hex(out, in, sizeof(in));
    assert_string_equal(out, "00abff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf__grows_and_detaches),
        cmocka_unit_test(test_str_to_int64__table),
        cmocka_unit_test(test_str_is_clean_utf8__table),
        cmocka_unit_test(test_str_hex__lowercase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
