/*
 * test_calendar.c - the working-day calendar (core/calendar.h) on the
 * shipped conf/cn-holidays.tsv: days off and adjusted working days of the
 * published schedules, working-day and calendar-day deadlines (Civil Code
 * art. 201, 203), years not covered, and the strict parser.
 */
#include "core/compat.h"
#include "core/calendar.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static struct date D(const char *s) {
    struct date d = {0, 0, 0};
    assert_int_equal(date_parse(s, &d), 0);
    return d;
}

static void
assert_date(struct date d, const char *want)
{
    char buf[TIME_DATE_LEN];
    date_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static const struct calendar *cal(void)
{
    struct err_ctx ec;
    const struct calendar *c;

    err_clear(&ec);
    c = calendar_default(&ec);
    if (!c)
        fail_msg("%s", ec.message);
    return c;
}

static void test_calendar_default__covers_2021_to_2026(void **state)
{
    int first, last;

    (void)state;
    calendar_years(cal(), &first, &last);
    assert_int_equal(first, 2021);
    assert_int_equal(last, 2026);
    for (int y = 2021; y <= 2026; y++)
        assert_true(calendar_covers(cal(), y));
    assert_false(calendar_covers(cal(), 2020));
    assert_false(calendar_covers(cal(), 2027));
}

static void test_calendar_is_working_day__table(void **state)
{
    static const struct {
        const char *day;
        bool work;
    } cases[] = {
        {"2021-02-07", true},  /* Sunday, worked for the 2021 Spring Festival */
        {"2021-02-11", false}, /* 2021 Spring Festival eve, a Thursday */
        {"2021-10-09", true},  /* Saturday after the 2021 National Day */
        {"2022-01-29", true},  /* Saturday before the 2022 Spring Festival */
        {"2022-01-31", false}, /* 2022 Spring Festival, a Monday */
        {"2022-09-30", true},  /* ordinary Friday */
        {"2022-10-01", false}, /* National Day, a Saturday */
        {"2022-10-07", false}, /* National Day holiday, a Friday */
        {"2022-10-08", true},  /* Saturday, adjusted working day */
        {"2022-10-09", true},  /* Sunday, adjusted working day */
        {"2022-10-15", false}, /* ordinary Saturday */
        {"2022-12-31", false}, /* New Year 2023, set by the 2023 notice */
        {"2023-09-29", false}, /* Mid-Autumn Festival 2023 */
        {"2023-10-07", true},  /* Saturday, adjusted working day */
        {"2024-02-18", true},  /* Sunday after the 2024 Spring Festival */
        {"2025-10-08", false}, /* National Day + Mid-Autumn 2025, a Wednesday */
        {"2025-10-11", true},  /* Saturday, adjusted working day */
        {"2026-01-04", true},  /* Sunday after New Year 2026 */
        {"2026-02-23", false}, /* last day of the 2026 Spring Festival, a Monday */
        {"2026-06-19", false}, /* Dragon Boat Festival 2026 */
        {"2026-12-31", true},  /* ordinary Thursday, last day covered */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec;
        bool w = !cases[i].work;
        err_clear(&ec);
        assert_int_equal(calendar_is_working_day(cal(), D(cases[i].day), &w, &ec), 0);
        if (w != cases[i].work)
            fail_msg("%s: want %s", cases[i].day, cases[i].work ? "working" : "rest");
    }
}

static void test_calendar_add_working_days__table(void **state)
{
    static const struct {
        const char *from;
        int n;
        const char *want;
    } cases[] = {
        {"2022-09-30", 1, "2022-10-08"},  /* over National Day 2022 */
        {"2022-09-30", 2, "2022-10-09"},  /* the second adjusted Sunday */
        {"2022-09-30", 3, "2022-10-10"},  /* then Monday */
        {"2023-09-28", 1, "2023-10-07"},  /* Mid-Autumn + National Day 2023 */
        {"2023-09-28", 3, "2023-10-09"},  /* 10-07, 10-08, 10-09 */
        {"2022-10-01", 1, "2022-10-08"},  /* from a holiday: not counted */
        {"2022-09-28", 0, "2022-09-28"},  /* n = 0: the day itself */
        {"2022-10-08", -1, "2022-09-30"}, /* backwards over the holiday */
        {"2024-02-09", 1, "2024-02-18"},  /* Spring Festival 2024 (eve worked) */
        {"2025-01-24", 1, "2025-01-26"},  /* Sunday worked before 2025's */
        {"2025-09-26", 4, "2025-10-09"},  /* 09-28 worked, Oct 1-8 off */
        {"2026-02-13", 1, "2026-02-14"},  /* Saturday worked before 2026's */
        {"2026-02-14", 1, "2026-02-24"},  /* then 9 days off */
        {"2021-12-30", 2, "2022-01-04"},  /* across the year, New Year 2022 */
        {"2022-12-30", 1, "2023-01-03"},  /* New Year 2023 from 12-31 */
        {"2026-12-30", 1, "2026-12-31"},  /* the last covered day */
        /* Art. 33: answer within 20 working days of receipt. Received on
         * Friday 2023-01-13 before the 2023 Spring Festival (Jan 21-27 off,
         * Jan 28-29 worked): Jan 16-20 (5), 28-29 (7), 30-31 (9), Feb 1-3
         * (12), 6-10 (17), 13-15 (20). */
        {"2023-01-13", 20, "2023-02-15"},
        /* The same in 2022 (Jan 29-30 worked, Jan 31 - Feb 6 off): Jan
         * 17-21 (5), 24-28 (10), 29-30 (12), Feb 7-11 (17), 14-16 (20). */
        {"2022-01-14", 20, "2022-02-16"},
        /* Art. 30: 7 working days to correct, from 2024-02-07: Feb 8-9
         * (2), Sunday 18 (3), 19-22 (7). */
        {"2024-02-07", 7, "2024-02-22"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec;
        struct date out = {0, 0, 0};
        int back = 0;
        err_clear(&ec);
        if (calendar_add_working_days(cal(), D(cases[i].from), cases[i].n, &out, &ec) < 0)
            fail_msg("%s + %d: %s", cases[i].from, cases[i].n, ec.message);
        assert_date(out, cases[i].want);
        /* Counting the working days back gives n, when the result is one. */
        if (cases[i].n > 0) {
            assert_int_equal(
                calendar_working_days_between(cal(), D(cases[i].from), out, &back, &ec), 0);
            assert_int_equal(back, cases[i].n);
        }
    }
}

static void test_calendar_add_days__table(void **state)
{
    static const struct {
        const char *from;
        int n;
        const char *want;
    } cases[] = {
        {"2022-09-26", 3, "2022-09-29"},  /* ends on a working day: as is */
        {"2022-09-24", 7, "2022-10-08"},  /* ends on 10-01: next working day */
        {"2022-09-15", 15, "2022-09-30"}, /* a Friday before the holiday */
        {"2023-09-14", 15, "2023-10-07"}, /* ends on 09-29, Mid-Autumn 2023 */
        {"2022-10-07", 1, "2022-10-08"},  /* Saturday worked: as is */
        {"2022-10-11", 4, "2022-10-17"},  /* ends on a Saturday: Monday */
        {"2024-01-11", 30, "2024-02-18"}, /* 30 days: 02-10, to Sunday 02-18 */
        {"2026-09-01", 30, "2026-10-08"}, /* 30 days: 10-01, to 10-08 */
        {"2022-03-01", 0, "2022-03-01"},  /* n = 0 on a working day */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec;
        struct date out = {0, 0, 0};
        err_clear(&ec);
        if (calendar_add_days(cal(), D(cases[i].from), cases[i].n, &out, &ec) < 0)
            fail_msg("%s + %d days: %s", cases[i].from, cases[i].n, ec.message);
        assert_date(out, cases[i].want);
    }
}

static void test_calendar__year_not_covered(void **state)
{
    static const struct {
        const char *from;
        int n;
        int year;
    } cases[] = {
        {"2026-12-31", 1, 2027}, /* the next day is in 2027 */
        {"2027-03-01", 0, 2027}, /* add_days looks at the day itself */
        {"2021-01-04", -1, 2020},
    };
    struct err_ctx ec;
    struct date out;
    bool w;
    int n;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char want[128];
        snprintf(want, sizeof(want), "节假日安排未覆盖 %d 年，请管理员补充 conf/cn-holidays.tsv",
                 cases[i].year);
        err_clear(&ec);
        if (cases[i].n >= 0)
            assert_int_equal(calendar_add_days(cal(), D(cases[i].from), cases[i].n, &out, &ec),
                             ERR_INVALID);
        else
            assert_int_equal(
                calendar_add_working_days(cal(), D(cases[i].from), cases[i].n, &out, &ec),
                ERR_INVALID);
        assert_string_equal(ec.message, want);
        assert_string_equal(ec.field, "date");
    }
    err_clear(&ec);
    assert_int_equal(calendar_add_working_days(cal(), D("2026-12-30"), 2, &out, &ec), ERR_INVALID);
    assert_non_null(strstr(ec.message, "2027 年"));
    err_clear(&ec);
    assert_int_equal(calendar_is_working_day(cal(), D("2020-10-01"), &w, &ec), ERR_INVALID);
    assert_non_null(strstr(ec.message, "2020 年"));
    err_clear(&ec);
    assert_int_equal(
        calendar_working_days_between(cal(), D("2026-12-01"), D("2027-01-10"), &n, &ec),
        ERR_INVALID);
    assert_non_null(strstr(ec.message, "2027 年"));
    /* A huge n stops at the end of the covered years. */
    err_clear(&ec);
    assert_int_equal(calendar_add_working_days(cal(), D("2022-01-01"), 1000000, &out, &ec),
                     ERR_INVALID);
    assert_non_null(strstr(ec.message, "2027 年"));
    /* Invalid input. */
    err_clear(&ec);
    assert_int_equal(calendar_is_working_day(cal(), (struct date){2022, 2, 30}, &w, &ec),
                     ERR_INVALID);
    err_clear(&ec);
    assert_int_equal(calendar_add_days(cal(), D("2022-03-01"), -1, &out, &ec), ERR_INVALID);
}

#define HDR "date\tkind\tholiday\tnotice\n"

static void test_calendar_load_text__table(void **state)
{
    static const struct {
        const char *text;
        const char *want; /* NULL: loads; else part of the message */
    } cases[] = {
        {"# c\n" HDR "2030-01-01\toff\t元旦\t2030\n", NULL},
        {HDR "2029-12-31\toff\t元旦\t2030\n2030-01-01\toff\t元旦\t2030", NULL},
        {HDR "2030-01-01\toff\t元旦\t2030\n2030-01-02\toff\t元旦\n", "第 3 行"},
        {"# c\n\n" HDR "2030-1-01\toff\t元旦\t2030\n", "第 4 行"},
        {HDR "2030-02-30\toff\t元旦\t2030\n", "第 2 行"},
        {HDR "2030-01-01\tholiday\t元旦\t2030\n", "第 2 行"},
        {HDR "2030-01-02\twork\t元旦\t2030\n", "第 2 行"}, /* a Wednesday */
        {HDR "2030-01-01\toff\t\t2030\n", "第 2 行"},
        {HDR "2030-01-01\toff\t元旦\t30\n", "第 2 行"},
        {HDR "2030-01-01\toff\t元旦\t2031\n", "第 2 行"},
        {HDR "2030-01-01\toff\t元旦\t2030\t\n", "第 2 行"},
        {HDR "2030-01-01\toff\t元旦\t2030\r\n", "第 2 行"},
        {HDR "2030-01-02\toff\t元旦\t2030\n2030-01-01\toff\t元旦\t2030\n", "第 3 行"},
        {HDR "2030-01-01\toff\t元旦\t2030\n2030-01-01\toff\t元旦\t2030\n", "第 3 行"},
        {"2030-01-01\toff\t元旦\t2030\n", "第 1 行"}, /* no header */
        {HDR HDR, "第 2 行"},
        {HDR, "没有任何日期"},
        {"", "没有任何日期"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec;
        struct calendar *c = NULL;
        int rc;

        err_clear(&ec);
        rc = calendar_load_text("t.tsv", cases[i].text, strlen(cases[i].text), &c, &ec);
        if (!cases[i].want) {
            if (rc < 0)
                fail_msg("case %zu: %s", i, ec.message);
            assert_non_null(c);
            calendar_free(c);
            continue;
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_null(c);
        if (!strstr(ec.message, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, ec.message, cases[i].want);
    }
}

static void test_calendar_load_text__own_years(void **state)
{
    static const char text[] = HDR "2029-12-31\toff\t元旦\t2030\n"
                                   "2030-01-01\toff\t元旦\t2030\n";
    struct calendar *c = NULL;
    struct err_ctx ec;
    struct date out;
    bool w = true;

    (void)state;
    err_clear(&ec);
    assert_int_equal(calendar_load_text("t.tsv", text, strlen(text), &c, &ec), 0);
    /* Covered: the notice's year only, not 2029 for its December day. */
    assert_true(calendar_covers(c, 2030));
    assert_false(calendar_covers(c, 2029));
    assert_int_equal(calendar_is_working_day(c, D("2030-01-01"), &w, &ec), 0);
    assert_false(w);
    assert_int_equal(calendar_add_working_days(c, D("2030-01-01"), 1, &out, &ec), 0);
    assert_date(out, "2030-01-02");
    assert_int_equal(calendar_is_working_day(c, D("2029-12-31"), &w, &ec), ERR_INVALID);
    assert_non_null(strstr(ec.message, "2029 年"));
    calendar_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_default__covers_2021_to_2026),
        cmocka_unit_test(test_calendar_is_working_day__table),
        cmocka_unit_test(test_calendar_add_working_days__table),
        cmocka_unit_test(test_calendar_add_days__table),
        cmocka_unit_test(test_calendar__year_not_covered),
        cmocka_unit_test(test_calendar_load_text__table),
        cmocka_unit_test(test_calendar_load_text__own_years),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
