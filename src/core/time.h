/*
 * time.h - instants, local dates and their text forms.
 *
 * Instants are int64 milliseconds since the Unix epoch, UTC, and shown in
 * China Standard Time with "+08:00" (no daylight saving). A record's date is
 * a local date; in memory it is a struct date or the days since 1970-01-01,
 * in text "YYYY-MM-DD".
 */
#ifndef FAZHI_CORE_TIME_H
#define FAZHI_CORE_TIME_H

#define TIME_CST_OFFSET_MS (8 * 3600 * 1000LL)
#define TIME_INSTANT_LEN   30 /* "2026-03-01T09:30:00.123+08:00" and NUL */
#define TIME_DATE_LEN      11 /* "2026-03-01" and NUL */

struct date {
    int year, month, day; /* month 1-12, day 1-31 */
};

/* The current instant, ms since the epoch (CLOCK_REALTIME). */
int64_t time_now_ms(void);

/* A monotonic clock in microseconds, for durations. */
int64_t time_mono_us(void);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmm+08:00" into buf (at least TIME_INSTANT_LEN). */
void time_format_instant(int64_t ms, char *buf, size_t size);

/* True for a real calendar date (proleptic Gregorian, years 1900-9999). */
bool date_valid(const struct date *d);

/* Parses exactly "YYYY-MM-DD"; returns 0, or -1 when it is not a valid date. */
int date_parse(const char *s, struct date *out);

/* Writes "YYYY-MM-DD" into buf (at least TIME_DATE_LEN). */
void date_format(const struct date *d, char *buf, size_t size);

/* Days since 1970-01-01 and back. */
int64_t date_to_days(const struct date *d);
struct date date_from_days(int64_t days);

/* The local (UTC+8) date of an instant. */
struct date date_of_instant(int64_t ms);

/* The instant the local day 'd' begins (its midnight in UTC+8), plus 'days'
 * whole days: date_start_ms(&d, 1) is where the day ends, exclusive. */
int64_t date_start_ms(const struct date *d, int days);

/* 1 = Monday ... 7 = Sunday. */
int date_weekday(const struct date *d);

#endif
