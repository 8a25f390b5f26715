/*
 * test_json.c - request member readers name the field at fault.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "core/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static json_t *parse(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void test_json_field_text__table(void **state)
{
    static const struct {
        const char *body;
        bool required;
        int rc;
        const char *field;
    } cases[] = {
        {"{\"name\":\"城西\"}", true, 0, ""},
        {"{}", true, ERR_INVALID, "name"},
        {"{}", false, 0, ""},
        {"{\"name\":null}", true, ERR_INVALID, "name"},
        {"{\"name\":\"\"}", true, ERR_INVALID, "name"},
        {"{\"name\":5}", true, ERR_INVALID, "name"},
        {"{\"name\":\"一二三四五六\"}", true, ERR_INVALID, "name"}, /* over 5 characters */
        {"{\"name\":\"一二三四五\"}", true, 0, ""},
        {"{\"name\":\"a\\u0007b\"}", true, ERR_INVALID, "name"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *v = parse(cases[i].body);
        struct err_ctx ec = {0};
        const char *out;
        assert_int_equal(json_field_text(v, "name", cases[i].required, 5, &out, &ec), cases[i].rc);
        assert_string_equal(ec.field, cases[i].field);
        json_decref(v);
    }
}

static void test_json_field_int__table(void **state)
{
    static const struct {
        const char *body;
        int rc;
        int64_t want;
    } cases[] = {
        {"{\"n\":5}", 0, 5},
        {"{\"n\":0}", ERR_INVALID, 0},
        {"{\"n\":11}", ERR_INVALID, 0},
        {"{\"n\":\"5\"}", ERR_INVALID, 0},
        {"{\"n\":5.0}", ERR_INVALID, 0},
        {"{}", ERR_INVALID, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *v = parse(cases[i].body);
        struct err_ctx ec = {0};
        int64_t n = 0;
        bool present;
        assert_int_equal(json_field_int(v, "n", true, 1, 10, &n, &present, &ec), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(n, cases[i].want);
            assert_true(present);
        } else {
            assert_string_equal(ec.field, "n");
        }
        json_decref(v);
    }
}

static void test_json_fields_allowed__names_unknown(void **state)
{
    static const char *const allowed[] = {"login", "password", NULL};
    json_t *v = parse("{\"login\":\"a\",\"pasword\":\"b\"}");
    struct err_ctx ec = {0};

    (void)state;
    assert_int_equal(json_fields_allowed(v, allowed, &ec), ERR_INVALID);
    assert_string_equal(ec.field, "pasword");
    json_decref(v);
}

static void test_json_dump_arena__compact(void **state)
{
    struct arena *a = arena_new();
    json_t *v = parse("{ \"a\" : [1, 2] }");

    (void)state;
    assert_string_equal(json_dump_arena(a, v), "{\"a\":[1,2]}");
    assert_null(json_dump_arena(a, NULL));
    json_decref(v);
    arena_free(a);
}

static void test_err_set__first_wins(void **state)
{
    struct err_ctx ec = {0};

    (void)state;
    assert_int_equal(err_set(&ec, ERR_INVALID, "date", "日期%s", "无效"), ERR_INVALID);
    assert_int_equal(err_set(&ec, ERR_DB, NULL, "later"), ERR_INVALID);
    assert_string_equal(ec.message, "日期无效");
    assert_string_equal(err_code_name(ec.code), "invalid");
    err_clear(&ec);
    assert_int_equal(ec.code, ERR_OK);
    err_set(&ec, ERR_NOT_FOUND, NULL, NULL);
    assert_string_equal(ec.message, err_default_message(ERR_NOT_FOUND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_field_text__table),
        cmocka_unit_test(test_json_field_int__table),
        cmocka_unit_test(test_json_fields_allowed__names_unknown),
        cmocka_unit_test(test_json_dump_arena__compact),
        cmocka_unit_test(test_err_set__first_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
