/*
 * test_time.c - civil dates and China Standard Time instants.
 */
#include "core/compat.h"
#include "core/time.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static void test_date_parse__table(void **state)
{
    static const struct {
        const char *in;
        int rc;
    } cases[] = {
        {"2022-12-31", 0}, {"2024-02-29", 0},   {"2023-02-29", -1}, {"1900-02-29", -1},
        {"2000-02-29", 0}, {"2022-13-01", -1},  {"2022-00-10", -1}, {"2022-04-31", -1},
        {"2022-4-1", -1},  {"2022-04-01x", -1}, {"", -1},           {"20220401", -1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct date d;
        assert_int_equal(date_parse(cases[i].in, &d), cases[i].rc);
    }
}

static void test_date_days__round_trip(void **state)
{
    struct date d = {1900, 1, 1};
    int64_t start = date_to_days(&d);

    (void)state;
    assert_int_equal(date_to_days(&(struct date){1970, 1, 1}), 0);
    assert_int_equal(date_to_days(&(struct date){2000, 3, 1}), 11017);
    for (int64_t n = start; n < start + 80000; n += 7) {
        struct date x = date_from_days(n);
        assert_true(date_valid(&x));
        assert_int_equal(date_to_days(&x), n);
    }
}

static void test_date_weekday__known(void **state)
{
    (void)state;
    assert_int_equal(date_weekday(&(struct date){2022, 10, 1}), 6); /* Saturday */
    assert_int_equal(date_weekday(&(struct date){2026, 11, 28}), 6);
    assert_int_equal(date_weekday(&(struct date){1970, 1, 1}), 4);
}

static void test_time_format_instant__cst(void **state)
{
    char buf[TIME_INSTANT_LEN];
    struct date d;

    (void)state;
    /* 2022-12-31T16:30:00Z is 2023-01-01 00:30 in Beijing. */
    time_format_instant(1672504200123LL, buf, sizeof(buf));
    assert_string_equal(buf, "2023-01-01T00:30:00.123+08:00");
    d = date_of_instant(1672504200123LL);
    assert_int_equal(d.year, 2023);
    assert_int_equal(d.day, 1);
    time_format_instant(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T08:00:00.000+08:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_parse__table),
        cmocka_unit_test(test_date_days__round_trip),
        cmocka_unit_test(test_date_weekday__known),
        cmocka_unit_test(test_time_format_instant__cst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
