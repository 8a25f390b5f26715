/*
 * calendar.c - the working-day calendar (see calendar.h).
 *
 * The listed days are kept sorted by day number and found by binary
 * search; the covered years are the sorted, distinct notice years. Every
 * day a function looks at is checked against the covered years first, so
 * a walk through the days stops with an error at the first uncovered one
 * (which also bounds every loop: the covered years are finite).
 */
#include "core/compat.h"
#include "core/calendar.h"
#include "core/embedded.h"

#include <pthread.h>

struct calendar_day {
    int64_t days; /* since 1970-01-01 */
    bool work;    /* an adjusted working day (else a day off) */
};

struct calendar {
    struct calendar_day *day; /* ascending */
    size_t nday;
    int *year; /* the covered (notice) years, ascending, distinct */
    size_t nyear;
};

void calendar_free(struct calendar *cal)
{
    if (!cal)
        return;
    free(cal->day);
    free(cal->year);
    free(cal);
}

/* ---- parsing ---- */

#define HEADER "date\tkind\tholiday\tnotice"

static int bad_line(struct err_ctx *ec, const char *name, size_t lineno, const char *why)
{
    return err_set(ec, ERR_INVALID, NULL, "节假日日历 %s 第 %zu 行有误：%s", name, lineno, why);
}

/* Parses one data row (without its newline) into *day and *notice; NULL,
 * or why it is wrong. */
static const char *parse_row(const char *line, size_t len, struct calendar_day *day, int *notice)
{
    const char *field[4];
    size_t flen[4], nf = 0;
    const char *p = line, *end = line + len;
    char buf[TIME_DATE_LEN];
    struct date d;

    /* Three fields up to a tab each, the fourth the rest of the line. */
    while (nf < 4) {
        const char *tab = nf < 3 ? memchr(p, '\t', (size_t)(end - p)) : NULL;
        const char *fend = tab ? tab : end;
        field[nf] = p;
        flen[nf++] = (size_t)(fend - p);
        if (!tab)
            break;
        p = tab + 1;
    }
    if (nf != 4 || memchr(field[3], '\t', flen[3]))
        return "应为以制表符分隔的 4 列（date、kind、holiday、notice）";
    if (flen[0] != 10)
        return "日期应为 YYYY-MM-DD";
    memcpy(buf, field[0], 10);
    buf[10] = '\0';
    if (date_parse(buf, &d) < 0)
        return "日期应为 YYYY-MM-DD 格式的有效日期";
    if (flen[1] == 3 && memcmp(field[1], "off", 3) == 0)
        day->work = false;
    else if (flen[1] == 4 && memcmp(field[1], "work", 4) == 0)
        day->work = true;
    else
        return "kind 应为 off（放假）或 work（调休上班）";
    if (day->work && date_weekday(&d) <= 5)
        return "调休上班日（work）应为星期六或星期日";
    if (flen[2] == 0)
        return "holiday（节日名称）不能为空";
    if (flen[3] != 4)
        return "notice 应为四位年份";
    *notice = 0;
    for (size_t i = 0; i < 4; i++) {
        if (field[3][i] < '0' || field[3][i] > '9')
            return "notice 应为四位年份";
        *notice = *notice * 10 + (field[3][i] - '0');
    }
    if (d.year != *notice && !(d.year == *notice - 1 && d.month == 12))
        return "日期应在 notice 当年（或其前一年的 12 月）";
    day->days = date_to_days(&d);
    return NULL;
}

static bool add_year(struct calendar *cal, int year, size_t *cap)
{
    size_t i = cal->nyear;

    while (i > 0 && cal->year[i - 1] > year)
        i--;
    if (i > 0 && cal->year[i - 1] == year)
        return true;
    if (cal->nyear == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        int *y = realloc(cal->year, ncap * sizeof(*y));
        if (!y)
            return false;
        cal->year = y;
        *cap = ncap;
    }
    memmove(cal->year + i + 1, cal->year + i, (cal->nyear - i) * sizeof(*cal->year));
    cal->year[i] = year;
    cal->nyear++;
    return true;
}

int calendar_load_text(const char *name, const char *text, size_t len, struct calendar **out,
                       struct err_ctx *ec)
{
    struct calendar *cal = calloc(1, sizeof(*cal));
    size_t dcap = 0, ycap = 0, lineno = 0;
    bool header = false;
    const char *line = text, *end = text + len;

    *out = NULL;
    if (!cal)
        return err_set(ec, ERR_NOMEM, NULL, "内存不足");
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = (size_t)((nl ? nl : end) - line);
        struct calendar_day day = {0, false};
        const char *why = NULL;
        bool row = false;
        int notice = 0;

        lineno++;
        if (n == 0 || line[0] == '#') {
            /* an empty line or a comment */
        } else if (n == strlen(HEADER) && memcmp(line, HEADER, n) == 0) {
            if (header)
                why = "表头重复";
            header = true;
        } else if (!header) {
            why = "缺少表头 date、kind、holiday、notice";
        } else if ((why = parse_row(line, n, &day, &notice)) == NULL) {
            row = true;
            if (cal->nday > 0 && day.days <= cal->day[cal->nday - 1].days)
                why = "日期应按升序排列且不重复";
        }
        if (why) {
            calendar_free(cal);
            return bad_line(ec, name, lineno, why);
        }
        if (row) {
            if (cal->nday == dcap) {
                size_t ncap = dcap ? dcap * 2 : 256;
                struct calendar_day *dd = realloc(cal->day, ncap * sizeof(*dd));
                if (!dd) {
                    calendar_free(cal);
                    return err_set(ec, ERR_NOMEM, NULL, "内存不足");
                }
                cal->day = dd;
                dcap = ncap;
            }
            cal->day[cal->nday++] = day;
            if (!add_year(cal, notice, &ycap)) {
                calendar_free(cal);
                return err_set(ec, ERR_NOMEM, NULL, "内存不足");
            }
        }
        line = nl ? nl + 1 : end;
    }
    if (cal->nday == 0) {
        calendar_free(cal);
        return err_set(ec, ERR_INVALID, NULL, "节假日日历 %s 没有任何日期", name);
    }
    *out = cal;
    return 0;
}

/* ---- the process-wide instance ---- */

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct calendar *default_cal;
static char default_error[ERR_MESSAGE_MAX];

static void default_load(void)
{
    const struct embedded_file *f = embedded_file_find(CALENDAR_FILE);
    struct err_ctx ec;

    if (!f) {
        snprintf(default_error, sizeof(default_error), "缺少节假日日历 conf/%s", CALENDAR_FILE);
        return;
    }
    err_clear(&ec);
    if (calendar_load_text("conf/" CALENDAR_FILE, f->data, f->len, &default_cal, &ec) < 0)
        snprintf(default_error, sizeof(default_error), "%s", ec.message);
}

const struct calendar *calendar_default(struct err_ctx *ec)
{
    pthread_once(&default_once, default_load);
    if (!default_cal) {
        err_set(ec, ERR_INTERNAL, NULL, "%s", default_error);
        return NULL;
    }
    return default_cal;
}

/* ---- queries ---- */

void calendar_years(const struct calendar *cal, int *first, int *last)
{
    *first = cal->year[0];
    *last = cal->year[cal->nyear - 1];
}

bool calendar_covers(const struct calendar *cal, int year)
{
    size_t lo = 0, hi = cal->nyear;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->year[mid] == year)
            return true;
        if (cal->year[mid] < year)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int not_covered(struct err_ctx *ec, int year)
{
    return err_set(ec, ERR_INVALID, "date", "节假日安排未覆盖 %d 年，请管理员补充 conf/%s", year,
                   CALENDAR_FILE);
}

static int check_date(struct date d, struct err_ctx *ec)
{
    if (!date_valid(&d))
        return err_set(ec, ERR_INVALID, "date", "日期无效");
    return 0;
}

/* Whether day 'days' is a working day; ERR_INVALID when its year is not
 * covered. */
static int working(const struct calendar *cal, int64_t days, bool *out, struct err_ctx *ec)
{
    struct date d = date_from_days(days);
    size_t lo = 0, hi = cal->nday;

    if (!date_valid(&d))
        return err_set(ec, ERR_INVALID, "date", "日期超出范围");
    if (!calendar_covers(cal, d.year))
        return not_covered(ec, d.year);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->day[mid].days == days) {
            *out = cal->day[mid].work;
            return 0;
        }
        if (cal->day[mid].days < days)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = date_weekday(&d) <= 5;
    return 0;
}

int calendar_is_working_day(const struct calendar *cal, struct date d, bool *out,
                            struct err_ctx *ec)
{
    int rc;

    if ((rc = check_date(d, ec)) < 0)
        return rc;
    return working(cal, date_to_days(&d), out, ec);
}

int calendar_add_working_days(const struct calendar *cal, struct date from, int n, struct date *out,
                              struct err_ctx *ec)
{
    int64_t day, step = n < 0 ? -1 : 1;
    int64_t left = n < 0 ? -(int64_t)n : n;
    int rc;

    if ((rc = check_date(from, ec)) < 0)
        return rc;
    day = date_to_days(&from);
    while (left > 0) {
        bool w;
        day += step;
        if ((rc = working(cal, day, &w, ec)) < 0)
            return rc;
        if (w)
            left--;
    }
    *out = date_from_days(day);
    return 0;
}

int calendar_add_days(const struct calendar *cal, struct date from, int n, struct date *out,
                      struct err_ctx *ec)
{
    int64_t day;
    bool w = false;
    int rc;

    if ((rc = check_date(from, ec)) < 0)
        return rc;
    if (n < 0)
        return err_set(ec, ERR_INVALID, "days", "期限天数不能为负数");
    day = date_to_days(&from) + n;
    for (;;) {
        if ((rc = working(cal, day, &w, ec)) < 0)
            return rc;
        if (w)
            break;
        day++;
    }
    *out = date_from_days(day);
    return 0;
}

int calendar_working_days_between(const struct calendar *cal, struct date from, struct date to,
                                  int *out, struct err_ctx *ec)
{
    int64_t a, b, sign = 1, count = 0;
    int rc;

    if ((rc = check_date(from, ec)) < 0 || (rc = check_date(to, ec)) < 0)
        return rc;
    a = date_to_days(&from);
    b = date_to_days(&to);
    if (b < a) {
        int64_t t = a;
        a = b;
        b = t;
        sign = -1;
    }
    for (int64_t day = a + 1; day <= b; day++) {
        bool w;
        if ((rc = working(cal, day, &w, ec)) < 0)
            return rc;
        count += w;
    }
    *out = (int)(sign * count);
    return 0;
}
