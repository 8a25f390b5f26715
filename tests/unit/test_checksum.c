/*
 * test_checksum.c - resident ID numbers (GB 11643), unified social credit
 * codes (GB 32100), phone numbers, masking, and who sees numbers in full.
 *
 * The valid examples are those published in LEGAL.md plus numbers whose
 * check character was computed by hand from the weights there; each invalid
 * one fails for exactly one reason (its check character is right unless the
 * check character is the point).
 */
#include "core/compat.h"
#include "core/access.h"
#include "core/checksum.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static const struct date today = {2024, 6, 1};

static void test_checksum_resident_id__table(void **state)
{
    static const struct {
        const char *in;
        enum checksum_status want;
        const char *norm; /* when valid */
    } cases[] = {
        /* LEGAL.md's examples. */
        {"11010519491231002X", CHECKSUM_OK, "11010519491231002X"},
        {"440524188001010014", CHECKSUM_OK, "440524188001010014"},
        /* A lowercase x is the same number. */
        {"11010519491231002x", CHECKSUM_OK, "11010519491231002X"},
        {"110105199003071239", CHECKSUM_OK, "110105199003071239"},
        {"320106198001011233", CHECKSUM_OK, "320106198001011233"},
        {"510107200002291232", CHECKSUM_OK, "510107200002291232"}, /* 2000 was a leap year */
        {"110105189602291234", CHECKSUM_OK, "110105189602291234"}, /* so was 1896 */
        {"710105199001011234", CHECKSUM_OK, "710105199001011234"}, /* Taiwan */
        {"110105202406011235", CHECKSUM_OK, "110105202406011235"}, /* born today */
        /* Wrong check character. */
        {"110105194912310021", CHECKSUM_CHECK, NULL},
        {"440524188001010015", CHECKSUM_CHECK, NULL},
        {"110105199003071234", CHECKSUM_CHECK, NULL},
        {"11010519491231002 ", CHECKSUM_CHARSET, NULL},
        /* Dates that cannot be. */
        {"110105194902301234", CHECKSUM_DATE, NULL}, /* 30 February */
        {"110105189902291236", CHECKSUM_DATE, NULL}, /* 1899 was no leap year */
        {"110105202406021230", CHECKSUM_DATE, NULL}, /* born tomorrow */
        {"110105209901011234", CHECKSUM_DATE, NULL},
        /* Areas that do not exist. */
        {"00000019900101123X", CHECKSUM_AREA, NULL},
        {"990105199001011236", CHECKSUM_AREA, NULL},
        /* Length and characters. */
        {"", CHECKSUM_LENGTH, NULL},
        {"11010519491231002", CHECKSUM_LENGTH, NULL},
        {"11010519491231002XX", CHECKSUM_LENGTH, NULL},
        {"110105491231002", CHECKSUM_LENGTH, NULL}, /* the old 15-digit form */
        {"1101051949123100XX", CHECKSUM_CHARSET, NULL},
        {"11010519491231002Y", CHECKSUM_CHARSET, NULL},
        {"1101051949123100２X", CHECKSUM_LENGTH, NULL}, /* a full-width digit is 3 bytes */
        {"A1010519491231002X", CHECKSUM_CHARSET, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char norm[CHECKSUM_ID_LEN + 1] = "";
        enum checksum_status got = checksum_resident_id(cases[i].in, &today, norm);
        if (got != cases[i].want)
            fail_msg("case %zu \"%s\": status %d, want %d", i, cases[i].in, (int)got,
                     (int)cases[i].want);
        if (cases[i].norm)
            assert_string_equal(norm, cases[i].norm);
    }
    assert_int_equal(checksum_resident_id(NULL, &today, NULL), CHECKSUM_LENGTH);
}

static void test_checksum_resident_id__today_and_errors(void **state)
{
    struct err_ctx ec = {0};
    char norm[CHECKSUM_ID_LEN + 1];

    (void)state;
    assert_true(checksum_resident_id_valid("11010519491231002X"));
    assert_false(checksum_resident_id_valid("110105194912310021"));
    assert_false(checksum_resident_id_valid("110105209901011234"));

    assert_int_equal(checksum_resident_id_check("11010519491231002x", "id_number", norm, &ec), 0);
    assert_string_equal(norm, "11010519491231002X");
    assert_int_equal(checksum_resident_id_check("110105194912310021", "id_number", norm, &ec),
                     ERR_INVALID);
    assert_string_equal(ec.field, "id_number");
    assert_string_equal(ec.message, "身份证号码校验位不正确");
    err_clear(&ec);
    checksum_resident_id_check("1101051949", "id_number", norm, &ec);
    assert_string_equal(ec.message, "身份证号码应为 18 位");
    err_clear(&ec);
    checksum_resident_id_check("110105194902301234", "x", norm, &ec);
    assert_string_equal(ec.field, "x");
    assert_string_equal(ec.message, "身份证号码中的出生日期无效");
}

static void test_checksum_resident_id_info__birth_and_sex(void **state)
{
    struct date birth;
    char gender;

    (void)state;
    assert_int_equal(checksum_resident_id_info("11010519491231002X", &birth, &gender), 0);
    assert_int_equal(birth.year, 1949);
    assert_int_equal(birth.month, 12);
    assert_int_equal(birth.day, 31);
    assert_int_equal(gender, 'F'); /* sequence 002: even */
    assert_int_equal(checksum_resident_id_info("440524188001010014", &birth, &gender), 0);
    assert_int_equal(birth.year, 1880);
    assert_int_equal(gender, 'M'); /* sequence 001: odd */
    assert_int_equal(checksum_resident_id_info("4405241880", &birth, &gender), -1);
    assert_int_equal(checksum_resident_id_info(NULL, NULL, NULL), -1);
}

static void test_checksum_uscc__table(void **state)
{
    static const struct {
        const char *in;
        enum checksum_status want;
        const char *norm;
    } cases[] = {
        {"91350200776049653A", CHECKSUM_OK, "91350200776049653A"},
        {"91440101MA5CJQ4N59", CHECKSUM_OK, "91440101MA5CJQ4N59"},
        {"91440101ma5cjq4n59", CHECKSUM_OK, "91440101MA5CJQ4N59"},
        {"12100000400000624D", CHECKSUM_OK, "12100000400000624D"},
        {"52350200MJ0000001E", CHECKSUM_OK, "52350200MJ0000001E"},
        {"91350200776049653B", CHECKSUM_CHECK, NULL},
        {"91440101MA5CJQ4N58", CHECKSUM_CHECK, NULL},
        {"911100001000013860", CHECKSUM_CHECK, NULL},
        {"91350200776049653I", CHECKSUM_CHARSET, NULL}, /* I, O, S, V, Z are not used */
        {"9135020077604965OA", CHECKSUM_CHARSET, NULL},
        {"91350200776049653-", CHECKSUM_CHARSET, NULL},
        {"91A502007760496539", CHECKSUM_AREA, NULL},
        {"9135020077604965", CHECKSUM_LENGTH, NULL},
        {"91350200776049653AA", CHECKSUM_LENGTH, NULL},
        {"", CHECKSUM_LENGTH, NULL},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char norm[CHECKSUM_ID_LEN + 1] = "";
        enum checksum_status got = checksum_uscc(cases[i].in, norm);
        if (got != cases[i].want)
            fail_msg("case %zu \"%s\": status %d, want %d", i, cases[i].in, (int)got,
                     (int)cases[i].want);
        if (cases[i].norm)
            assert_string_equal(norm, cases[i].norm);
    }
    assert_true(checksum_uscc_valid("91350200776049653A"));
    assert_false(checksum_uscc_valid("91350200776049653B"));
    assert_false(checksum_uscc_valid(NULL));
}

static void test_checksum_uscc_check__message(void **state)
{
    struct err_ctx ec = {0};

    (void)state;
    assert_int_equal(checksum_uscc_check("91350200776049653B", "credit_code", NULL, &ec),
                     ERR_INVALID);
    assert_string_equal(ec.field, "credit_code");
    assert_string_equal(ec.message, "统一社会信用代码校验位不正确");
}

static void test_checksum_phone__table(void **state)
{
    static const struct {
        const char *in;
        bool valid;
    } cases[] = {
        {"13812345678", true},
        {"19912345678", true},
        {"010-12345678", true},
        {"0755-1234567", true},
        {"01012345678", true},
        {"075512345678", true},
        {"0101234567", true},
        {"12812345678", false},
        {"1381234567", false},
        {"138123456789", false},
        {"23812345678", false},
        {"010-123456", false},
        {"010-123456789", false},
        {"01-12345678", false},
        {"01234-1234567", false},
        {"010--1234567", false},
        {"+8613812345678", false},
        {"138 1234 5678", false},
        {"", false},
        {"0101234", false},
        {"010-1234567a", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (checksum_phone_valid(cases[i].in) != cases[i].valid)
            fail_msg("case %zu \"%s\": want %s", i, cases[i].in,
                     cases[i].valid ? "valid" : "invalid");
    assert_false(checksum_phone_valid(NULL));
}

static void test_checksum_mask__table(void **state)
{
    static const struct {
        char kind; /* 'i' ID, 'u' USCC, 'p' phone */
        const char *in, *want;
    } cases[] = {
        {'i', "110105194912311234", "110105********1234"},
        {'i', "11010519491231002X", "110105********002X"},
        {'i', "123456789", "*****6789"}, /* an unexpected shape: last 4 only */
        {'i', "1234", "****"},
        {'i', "", ""},
        {'u', "91350200776049653A", "91350200********3A"},
        {'u', "91440101MA5CJQ4N59", "91440101********59"},
        {'u', "ABCDEFG", "***DEFG"},
        {'p', "13812345678", "138****5678"},
        {'p', "010-12345678", "010-****5678"},
        {'p', "0755-1234567", "0755-***4567"},
        {'p', "075512345678", "075*****5678"},
        {'p', "12345", "*2345"},
        {'p', "110", "***"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[32];
        if (cases[i].kind == 'i')
            checksum_mask_resident_id(cases[i].in, out, sizeof(out));
        else if (cases[i].kind == 'u')
            checksum_mask_uscc(cases[i].in, out, sizeof(out));
        else
            checksum_mask_phone(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, cases[i].in, out,
                     cases[i].want);
    }
}

static void test_checksum_mask__truncates_and_null(void **state)
{
    char small[8], out[4] = "xyz";

    (void)state;
    checksum_mask_resident_id("110105194912311234", small, sizeof(small));
    assert_string_equal(small, "110105*");
    checksum_mask_phone(NULL, out, sizeof(out));
    assert_string_equal(out, "");
    checksum_mask_uscc("91350200776049653A", out, 0); /* writes nothing */
    assert_string_equal(out, "");
}

/* The rule of core/access.h: who reads personal numbers in full. */
static void test_access_sees_personal_ids__roles(void **state)
{
    static const struct {
        unsigned roles;
        bool sees;
    } cases[] = {
        {ROLE_ADMIN, true},    {ROLE_OFFICER, true},
        {ROLE_MEDIATOR, true}, {ROLE_STAFF | ROLE_OFFICER, true},
        {ROLE_STAFF, false},   {ROLE_ADVISER, false},
        {ROLE_LEADER, false},  {ROLE_STAFF | ROLE_LEADER | ROLE_ADVISER, false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct principal p = {.roles = cases[i].roles, .unit_path = "/1/"};
        assert_int_equal(access_sees_personal_ids(&p), cases[i].sees);
    }
    assert_false(access_sees_personal_ids(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_resident_id__table),
        cmocka_unit_test(test_checksum_resident_id__today_and_errors),
        cmocka_unit_test(test_checksum_resident_id_info__birth_and_sex),
        cmocka_unit_test(test_checksum_uscc__table),
        cmocka_unit_test(test_checksum_uscc_check__message),
        cmocka_unit_test(test_checksum_phone__table),
        cmocka_unit_test(test_checksum_mask__table),
        cmocka_unit_test(test_checksum_mask__truncates_and_null),
        cmocka_unit_test(test_access_sees_personal_ids__roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
