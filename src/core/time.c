/*
 * time.c - clocks and the civil calendar (days-from-civil arithmetic).
 */
#include "core/compat.h"
#include "core/time.h"

#include <time.h>

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t date_to_days(const struct date *d)
{
    int64_t y = d->year - (d->month <= 2);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (d->month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d->day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct date date_from_days(int64_t z)
{
    struct date d;
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

struct date date_of_instant(int64_t ms)
{
    return date_from_days(floor_div(ms + TIME_CST_OFFSET_MS, 86400000));
}

void time_format_instant(int64_t ms, char *buf, size_t size)
{
    int64_t local = ms + TIME_CST_OFFSET_MS;
    int64_t days = floor_div(local, 86400000);
    int64_t rest = local - days * 86400000;
    struct date d = date_from_days(days);

    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", d.year, d.month, d.day,
             (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60),
             (int)(rest % 1000));
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

bool date_valid(const struct date *d)
{
    return d->year >= 1900 && d->year <= 9999 && d->month >= 1 && d->month <= 12 && d->day >= 1 &&
           d->day <= days_in_month(d->year, d->month);
}

int date_parse(const char *s, struct date *out)
{
    struct date d;

    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return -1;
    }
    if (s[10] != '\0')
        return -1;
    d.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    d.month = (s[5] - '0') * 10 + (s[6] - '0');
    d.day = (s[8] - '0') * 10 + (s[9] - '0');
    if (!date_valid(&d))
        return -1;
    *out = d;
    return 0;
}

void date_format(const struct date *d, char *buf, size_t size)
{
    snprintf(buf, size, "%04d-%02d-%02d", d->year, d->month, d->day);
}

int date_weekday(const struct date *d)
{
    int64_t days = date_to_days(d); /* 1970-01-01 was a Thursday */
    int64_t w = (days % 7 + 7 + 3) % 7;
    return (int)w + 1;
}

int64_t date_start_ms(const struct date *d, int days)
{
    return (date_to_days(d) + days) * 86400000LL - TIME_CST_OFFSET_MS;
}
