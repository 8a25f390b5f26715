/*
 * test_parse.c - percent-decoding, urlencoded pairs, cookies, media types.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "http/parse.h"

/* ---- parse_percent_decode ---- */

static const struct {
    const char *in;
    bool plus;
    int rc;
    const char *out;
    size_t out_len;
} pct_cases[] = {
    {"", false, 0, "", 0},
    {"abc", false, 0, "abc", 3},
    {"a%20b", false, 0, "a b", 3},
    {"a+b", false, 0, "a+b", 3},
    {"a+b", true, 0, "a b", 3},
    {"a%2Bb", true, 0, "a+b", 3},
    {"%e4%B8%ad", false, 0, "中", 3},
    {"%00", false, 0, "\0", 1},
    {"100%", false, ERR_BAD_REQUEST, NULL, 0},
    {"%4", false, ERR_BAD_REQUEST, NULL, 0},
    {"%4g", false, ERR_BAD_REQUEST, NULL, 0},
    {"%g4", false, ERR_BAD_REQUEST, NULL, 0},
    {"%%41", false, ERR_BAD_REQUEST, NULL, 0},
    {"%2", true, ERR_BAD_REQUEST, NULL, 0},
    {"%41%42%43", false, 0, "ABC", 3},
    {"%ff", false, 0, "\xff", 1}, /* bytes, not checked here */
};

static void test_parse_percent_decode__table(void **state)
{
    struct arena *a = arena_new();

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(pct_cases); i++) {
        char *out = NULL;
        size_t len = 0;
        int rc = parse_percent_decode(a, pct_cases[i].in, strlen(pct_cases[i].in),
                                      pct_cases[i].plus, &out, &len);
        if (rc != pct_cases[i].rc)
            fail_msg("case %zu (%s): rc %d", i, pct_cases[i].in, rc);
        if (rc)
            continue;
        assert_int_equal(len, pct_cases[i].out_len);
        assert_memory_equal(out, pct_cases[i].out, len);
        assert_int_equal(out[len], '\0');
    }
    arena_free(a);
}

static void test_parse_percent_decode__length_not_nul(void **state)
{
    struct arena *a = arena_new();
    char *out;
    size_t len;

    (void)state;
    /* Only the first 3 bytes count: the escape beyond them is not read. */
    assert_int_equal(parse_percent_decode(a, "a%2xyz", 3, false, &out, &len), ERR_BAD_REQUEST);
    assert_int_equal(parse_percent_decode(a, "ab%41", 2, false, &out, &len), 0);
    assert_string_equal(out, "ab");
    arena_free(a);
}

/* ---- parse_urlencoded ---- */

struct kv {
    const char *name, *value;
};

static const struct {
    const char *in;
    int rc;
    const char *field; /* for errors */
    size_t count;
    struct kv pairs[4];
} form_cases[] = {
    {"", 0, NULL, 0, {{NULL, NULL}}},
    {"a=1", 0, NULL, 1, {{"a", "1"}}},
    {"a=1&b=2", 0, NULL, 2, {{"a", "1"}, {"b", "2"}}},
    {"q=a+b%2Bc", 0, NULL, 1, {{"q", "a b+c"}}},
    {"na+me=x", 0, NULL, 1, {{"na me", "x"}}},
    {"a=&b", 0, NULL, 2, {{"a", ""}, {"b", ""}}},
    {"a=1&&b=2&", 0, NULL, 2, {{"a", "1"}, {"b", "2"}}},
    {"&&&", 0, NULL, 0, {{NULL, NULL}}},
    {"a=1&a=2", 0, NULL, 2, {{"a", "1"}, {"a", "2"}}},
    {"a=1=2", 0, NULL, 1, {{"a", "1=2"}}},
    {"=x", 0, NULL, 1, {{"", "x"}}},
    {"name=%E5%BC%A0%E4%B8%89", 0, NULL, 1, {{"name", "张三"}}},
    {"t=line1%0D%0Aline2%09", 0, NULL, 1, {{"t", "line1\r\nline2\t"}}},
    {"login=a%zz", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},
    {"login=a%", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},
    {"ok=1&login=%ff", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},
    {"login=%C0%80", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},    /* overlong NUL */
    {"login=%ED%A0%80", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}}, /* surrogate */
    {"login=a%00b", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},
    {"login=%1B", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}},
    {"login=%E4%B8", ERR_BAD_REQUEST, "login", 0, {{NULL, NULL}}}, /* truncated */
    {"%zz=1", ERR_BAD_REQUEST, "", 0, {{NULL, NULL}}},
    {"%ff=1", ERR_BAD_REQUEST, "", 0, {{NULL, NULL}}},
};

static void test_parse_urlencoded__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(form_cases); i++) {
        struct arena *a = arena_new();
        struct parse_pairs p;
        struct err_ctx ec = {0};
        int rc = parse_urlencoded(a, form_cases[i].in, strlen(form_cases[i].in), &p, &ec);

        if (rc != form_cases[i].rc)
            fail_msg("case %zu (%s): rc %d", i, form_cases[i].in, rc);
        if (rc) {
            assert_int_equal(ec.code, rc);
            assert_string_equal(ec.field, form_cases[i].field);
            assert_true(ec.message[0] != '\0');
            arena_free(a);
            continue;
        }
        assert_int_equal(p.count, form_cases[i].count);
        for (size_t j = 0; j < p.count; j++) {
            assert_string_equal(p.items[j].name, form_cases[i].pairs[j].name);
            assert_string_equal(p.items[j].value, form_cases[i].pairs[j].value);
            assert_int_equal(p.items[j].name_len, strlen(form_cases[i].pairs[j].name));
            assert_int_equal(p.items[j].value_len, strlen(form_cases[i].pairs[j].value));
        }
        arena_free(a);
    }
}

static void test_parse_urlencoded__error_names_field(void **state)
{
    struct arena *a = arena_new();
    struct parse_pairs p;
    struct err_ctx ec = {0};

    (void)state;
    assert_int_equal(parse_urlencoded(a, "login=%G0", 9, &p, &ec), ERR_BAD_REQUEST);
    assert_non_null(strstr(ec.message, "login"));
    arena_free(a);
}

static void test_parse_urlencoded__body_with_nul_byte(void **state)
{
    static const char body[] = "a=1\0&b=2";
    struct arena *a = arena_new();
    struct parse_pairs p;
    struct err_ctx ec = {0};

    (void)state;
    /* A raw NUL in a value is not clean text. */
    assert_int_equal(parse_urlencoded(a, body, sizeof(body) - 1, &p, &ec), ERR_BAD_REQUEST);
    assert_string_equal(ec.field, "a");
    arena_free(a);
}

static void test_parse_pairs_get__first_wins(void **state)
{
    struct arena *a = arena_new();
    struct parse_pairs p;
    struct err_ctx ec = {0};
    const char *q = "x=1&y=&x=2";

    (void)state;
    assert_int_equal(parse_urlencoded(a, q, strlen(q), &p, &ec), 0);
    assert_string_equal(parse_pairs_get(&p, "x"), "1");
    assert_string_equal(parse_pairs_get(&p, "y"), "");
    assert_null(parse_pairs_get(&p, "z"));
    assert_null(parse_pairs_get(&p, "xx"));
    assert_null(parse_pairs_get(&p, ""));
    arena_free(a);
}

/* ---- parse_cookies ---- */

static const struct {
    const char *in;
    size_t count;
    struct kv pairs[4];
} cookie_cases[] = {
    {"", 0, {{NULL, NULL}}},
    {"a=1", 1, {{"a", "1"}}},
    {"a=1; b=2", 2, {{"a", "1"}, {"b", "2"}}},
    {"a=1;b=2;", 2, {{"a", "1"}, {"b", "2"}}},
    {"  a = 1 ;\tb=2  ", 2, {{"a", "1"}, {"b", "2"}}},
    {"fazhi_session=abc.DEF-123_x", 1, {{"fazhi_session", "abc.DEF-123_x"}}},
    {"q=\"quoted\"", 1, {{"q", "quoted"}}},
    {"q=\"", 1, {{"q", "\""}}},
    {"e=", 1, {{"e", ""}}},
    {"noequals; a=1", 1, {{"a", "1"}}},
    {"=x; a=1", 1, {{"a", "1"}}},
    {"a=1=2", 1, {{"a", "1=2"}}},
    {"a=%41", 1, {{"a", "%41"}}}, /* not decoded */
    {"bad=\xe4\xb8\xad; a=1", 1, {{"a", "1"}}},
    {"bad=x\x01y; a=1", 1, {{"a", "1"}}},
    {"a=1; a=2", 2, {{"a", "1"}, {"a", "2"}}},
    {";;;", 0, {{NULL, NULL}}},
};

static void test_parse_cookies__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cookie_cases); i++) {
        struct arena *a = arena_new();
        struct parse_pairs p;

        parse_cookies(a, cookie_cases[i].in, strlen(cookie_cases[i].in), &p);
        if (p.count != cookie_cases[i].count)
            fail_msg("case %zu (%s): %zu pairs", i, cookie_cases[i].in, p.count);
        for (size_t j = 0; j < p.count; j++) {
            assert_string_equal(p.items[j].name, cookie_cases[i].pairs[j].name);
            assert_string_equal(p.items[j].value, cookie_cases[i].pairs[j].value);
        }
        arena_free(a);
    }
}

static void test_parse_cookies__lookup(void **state)
{
    struct arena *a = arena_new();
    struct parse_pairs p;
    const char *h = "theme=dark; fazhi_session=s3cr3t; fazhi_session=second";

    (void)state;
    parse_cookies(a, h, strlen(h), &p);
    assert_string_equal(parse_pairs_get(&p, "fazhi_session"), "s3cr3t");
    assert_string_equal(parse_pairs_get(&p, "theme"), "dark");
    assert_null(parse_pairs_get(&p, "fazhi"));
    arena_free(a);
}

/* ---- parse_media_type ---- */

static const struct {
    const char *in;
    int rc;
    const char *out;
} media_cases[] = {
    {"application/json", 0, "application/json"},
    {"application/json; charset=utf-8", 0, "application/json"},
    {"Application/JSON;charset=UTF-8", 0, "application/json"},
    {"  application/json  ; charset=utf-8", 0, "application/json"},
    {"application/x-www-form-urlencoded", 0, "application/x-www-form-urlencoded"},
    {"multipart/form-data; boundary=----x", 0, "multipart/form-data"},
    {"application/vnd.api+json", 0, "application/vnd.api+json"},
    {"text/plain\t", 0, "text/plain"},
    {NULL, -1, NULL},
    {"", -1, NULL},
    {"json", -1, NULL},
    {"application/", -1, NULL},
    {"/json", -1, NULL},
    {"application/json x", -1, NULL},
    {"application/json,text/plain", -1, NULL},
    {"application /json", -1, NULL},
    {"application/js on", -1, NULL},
    {"applicatión/json", -1, NULL},
};

static void test_parse_media_type__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(media_cases); i++) {
        char buf[PARSE_MEDIA_TYPE_MAX];
        int rc = parse_media_type(media_cases[i].in, buf, sizeof(buf));
        if (rc != media_cases[i].rc)
            fail_msg("case %zu (%s): rc %d", i, media_cases[i].in ? media_cases[i].in : "NULL", rc);
        if (rc == 0)
            assert_string_equal(buf, media_cases[i].out);
    }
}

static void test_parse_media_type__small_buffer(void **state)
{
    char buf[8];

    (void)state;
    assert_int_equal(parse_media_type("application/json", buf, sizeof(buf)), -1);
    assert_int_equal(parse_media_type("text/x", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "text/x");
}

static void test_parse_media_type_is__json(void **state)
{
    (void)state;
    assert_true(parse_media_type_is("application/json; charset=utf-8", "application/json"));
    assert_true(parse_media_type_is("APPLICATION/JSON", "application/json"));
    assert_false(parse_media_type_is("application/jsonx", "application/json"));
    assert_false(parse_media_type_is("text/json", "application/json"));
    assert_false(parse_media_type_is(NULL, "application/json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_percent_decode__table),
        cmocka_unit_test(test_parse_percent_decode__length_not_nul),
        cmocka_unit_test(test_parse_urlencoded__table),
        cmocka_unit_test(test_parse_urlencoded__error_names_field),
        cmocka_unit_test(test_parse_urlencoded__body_with_nul_byte),
        cmocka_unit_test(test_parse_pairs_get__first_wins),
        cmocka_unit_test(test_parse_cookies__table),
        cmocka_unit_test(test_parse_cookies__lookup),
        cmocka_unit_test(test_parse_media_type__table),
        cmocka_unit_test(test_parse_media_type__small_buffer),
        cmocka_unit_test(test_parse_media_type_is__json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
