/*
 * calendar.h - the working-day calendar: the national holidays and the
 * adjusted working weekend days of the State Council's yearly schedules
 * (conf/cn-holidays.tsv, compiled in), and the deadline arithmetic on it.
 *
 * Deadlines count whole days and the first day is not counted (Civil Code
 * art. 201): "N working days from D" is the N-th working day after D; a
 * period of N calendar days ends on D + N, moved to the next working day
 * when that is a rest day or holiday (art. 203). A working day is a weekday
 * not listed as 'off', or a Saturday or Sunday listed as 'work'.
 *
 * The years covered are the years whose notice the file lists. Every
 * function that needs a day outside them fails with ERR_INVALID, field
 * "date", and a message naming the year and the file to extend: guessing
 * (weekends only) would silently give wrong legal deadlines.
 *
 * A loaded calendar is read-only, so any number of threads may use one.
 */
#ifndef FAZHI_CORE_CALENDAR_H
#define FAZHI_CORE_CALENDAR_H

#include "core/err.h"
#include "core/time.h"

struct calendar;

/* The name of the embedded file (relative to conf/). */
#define CALENDAR_FILE "cn-holidays.tsv"

/*
 * Parses the text of a calendar file ('len' bytes; 'name' for messages).
 * Strict: comment lines ('#') and empty lines aside, one header line
 * "date\tkind\tholiday\tnotice", then rows in ascending date order, each
 * four tab-separated fields: a valid YYYY-MM-DD, "off" or "work" ('work'
 * only on a Saturday or Sunday), a non-empty name, and the notice year
 * (the date's year, or the year before for a December day). Anything else
 * fails with ERR_INVALID and a message naming the line number.
 */
int calendar_load_text(const char *name, const char *text, size_t len, struct calendar **out,
                       struct err_ctx *ec);
void calendar_free(struct calendar *cal);

/*
 * The process-wide calendar, parsed from the embedded conf/cn-holidays.tsv
 * on the first call (pthread_once) and kept until exit. NULL, with
 * ERR_INTERNAL and the parser's message, when the file is missing or bad
 * (on every call). Call it at start-up so that a bad file stops the program
 * there.
 */
const struct calendar *calendar_default(struct err_ctx *ec);

/* The first and last year covered (gaps are possible, but not in the
 * shipped file). */
void calendar_years(const struct calendar *cal, int *first, int *last);

/* True when the calendar covers 'year'. */
bool calendar_covers(const struct calendar *cal, int year);

/* *out: whether 'd' is a working day. */
int calendar_is_working_day(const struct calendar *cal, struct date d, bool *out,
                            struct err_ctx *ec);

/*
 * *out: the n-th working day after 'from' ('from' itself not counted,
 * whether or not it is a working day); n < 0: the |n|-th working day
 * before it; n == 0: 'from'.
 */
int calendar_add_working_days(const struct calendar *cal, struct date from, int n, struct date *out,
                              struct err_ctx *ec);

/*
 * *out: from + n calendar days (n >= 0), or, when that is a rest day or
 * holiday, the next working day after it.
 */
int calendar_add_days(const struct calendar *cal, struct date from, int n, struct date *out,
                      struct err_ctx *ec);

/*
 * *out: the working days in (from, to] - the days after 'from' up to and
 * including 'to' - so that calendar_add_working_days(from, n) = to gives
 * n; negative when 'to' is before 'from' (minus the working days in
 * (to, from]).
 */
int calendar_working_days_between(const struct calendar *cal, struct date from, struct date to,
                                  int *out, struct err_ctx *ec);

#endif
