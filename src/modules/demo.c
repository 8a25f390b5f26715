/*
 * demo.c - the shared parts of the demo data set: the seeded generator,
 * exact splits, the working-day calendar, names, and the driver that runs
 * each module's demo hook (demo.h).
 */
#include "core/compat.h"
#include "core/calendar.h"
#include "core/log.h"
#include "modules/demo.h"
#include "modules/module.h"

/* ================================================================
 * Random numbers
 * ================================================================ */

/* splitmix64: tiny, fast and good enough for choosing dates and names; its
 * output does not depend on the platform's rand(). */
uint64_t demo_rng_next(struct demo_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void demo_rng_init(struct demo_rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    r->state = seed;
    r->state = demo_rng_next(r) ^ (a * 0xD1B54A32D192ED03ULL);
    r->state = demo_rng_next(r) ^ (b * 0xAEF17502108EF2D9ULL);
    (void)demo_rng_next(r);
}

int64_t demo_rng_range(struct demo_rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    /* The modulo bias is below 2^-40 for the spans used here. */
    return lo + (int64_t)(span ? demo_rng_next(r) % span : demo_rng_next(r));
}

size_t demo_rng_pick(struct demo_rng *r, size_t n)
{
    return n ? (size_t)(demo_rng_next(r) % n) : 0;
}

int demo_split(struct demo_rng *r, int64_t total, size_t n, int64_t min, int64_t max, int jitter,
               int64_t *out)
{
    int64_t rest, weights = 0, given = 0;
    size_t start;

    if (n == 0)
        return total == 0 ? 0 : -1;
    if ((int64_t)n * min > total || (max >= 0 && (int64_t)n * max < total))
        return -1;
    rest = total - (int64_t)n * min;
    for (size_t i = 0; i < n; i++) {
        out[i] = demo_rng_range(r, 100 - jitter, 100 + jitter);
        weights += out[i];
    }
    for (size_t i = 0; i < n; i++) {
        /* rest * weight stays below 2^63 for totals up to 10^15 / 200. */
        int64_t share = weights ? rest / weights * out[i] + rest % weights * out[i] / weights : 0;
        out[i] = min + share;
        given += share;
    }
    start = demo_rng_pick(r, n);
    for (size_t k = 0; given < rest; k++, given++)
        out[(start + k) % n]++;
    if (max >= 0) {
        int64_t excess = 0;
        for (size_t i = 0; i < n; i++)
            if (out[i] > max) {
                excess += out[i] - max;
                out[i] = max;
            }
        for (size_t k = 0; excess > 0; k++) {
            size_t i = (start + k) % n;
            int64_t room = max - out[i], move = room < excess ? room : excess;
            out[i] += move;
            excess -= move;
        }
    }
    return 0;
}

/* ================================================================
 * The calendar
 * ================================================================ */

/* The core calendar (core/calendar.h), checked at load to cover both
 * years of the data set, so that the wrappers below cannot fail. */
static const struct calendar *calendar;

int demo_calendar_load(struct err_ctx *ec)
{
    static const int years[] = {DEMO_PREV_YEAR, DEMO_YEAR};

    if (!(calendar = calendar_default(ec)))
        return ERR_INTERNAL;
    for (size_t i = 0; i < ARRAY_SIZE(years); i++)
        if (!calendar_covers(calendar, years[i]))
            return err_set(ec, ERR_INTERNAL, NULL, "节假日安排未覆盖 %d 年，请管理员补充 conf/%s",
                           years[i], CALENDAR_FILE);
    return 0;
}

bool demo_working_day(int64_t days)
{
    struct date d = date_from_days(days);
    bool work = false;

    /* The demo also dates a few old records (certificates from 2019-2020)
     * before the years the file covers: there, as before the core
     * calendar, Monday to Friday. Not for deadlines: those use
     * core/calendar, which refuses an uncovered year. */
    if (!calendar || !calendar_covers(calendar, d.year) ||
        calendar_is_working_day(calendar, d, &work, NULL) < 0)
        return date_weekday(&d) <= 5;
    return work;
}

size_t demo_working_days(int year, int month, int64_t *out, size_t max)
{
    struct date from = {year, month ? month : 1, 1};
    struct date to = {month && month < 12 ? year : year + 1, month && month < 12 ? month + 1 : 1,
                      1};
    size_t n = 0;

    for (int64_t d = date_to_days(&from); d < date_to_days(&to) && n < max; d++)
        if (demo_working_day(d))
            out[n++] = d;
    return n;
}

void demo_dates(struct demo_rng *r, int year, size_t n, char (*out)[TIME_DATE_LEN])
{
    int64_t days[370];
    size_t nd = demo_working_days(year, 0, days, ARRAY_SIZE(days)), k = 0;
    size_t each = n / nd, extra = n % nd, left = nd;

    /* Selection sampling (Knuth's algorithm S) keeps the chosen days in
     * order and spread over the year; each day also gets 'each' more when
     * there are more records than working days. */
    for (size_t i = 0; i < nd; i++, left--) {
        size_t times = each;
        if (extra && demo_rng_pick(r, left) < extra) {
            times++;
            extra--;
        }
        for (size_t t = 0; t < times && k < n; t++) {
            struct date d = date_from_days(days[i]);
            date_format(&d, out[k++], TIME_DATE_LEN);
        }
    }
}

/* ================================================================
 * Names
 * ================================================================ */

/* Real subdistrict-style names; past the list, numbered ones. */
static const struct {
    const char *code, *name;
} subdistricts[] = {
    {"chengxi", "城西街道"},  {"chengdong", "城东街道"},  {"chengnan", "城南街道"},
    {"chengbei", "城北街道"}, {"jinlong", "金龙街道"},    {"binhe", "滨河街道"},
    {"wenchang", "文昌街道"}, {"shuangqiao", "双桥街道"}, {"xinhua", "新华街道"},
    {"nanjin", "南津街道"},   {"fenghuang", "凤凰街道"},  {"baihe", "白鹤街道"},
    {"longquan", "龙泉街道"}, {"qingxi", "清溪街道"},     {"hongyan", "红岩街道"},
    {"liujiang", "柳江街道"},
};

void demo_subdistrict(size_t i, char *code, size_t csize, char *name, size_t nsize)
{
    if (i < ARRAY_SIZE(subdistricts)) {
        snprintf(code, csize, "%s", subdistricts[i].code);
        snprintf(name, nsize, "%s", subdistricts[i].name);
    } else {
        snprintf(code, csize, "jd%03zu", i + 1);
        snprintf(name, nsize, "新区第%zu街道", i + 1);
    }
}

void demo_unit_code(const char *sd, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%s", sd, suffix);
}

static const char *const surnames[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶",
    "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "钟", "谭", "廖", "向", "汤",
};
static const char *const male_chars[] = {
    "伟", "强", "军", "勇", "杰", "涛", "斌", "磊", "明", "超", "刚", "平", "辉", "鹏",
    "建", "国", "华", "峰", "波", "林", "俊", "志", "文", "海", "川", "宇", "成", "德",
};
static const char *const female_chars[] = {
    "芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "婷", "红", "梅", "琳", "雪",
    "慧", "萍", "莉", "倩", "英", "兰", "秀", "洁", "琴", "颖", "晓", "佳", "欣", "蓉",
};

void demo_person_name(struct demo_rng *r, char *buf, size_t size, bool *female)
{
    const char *const *chars;
    size_t nchars;

    *female = demo_rng_pick(r, 2) == 1;
    chars = *female ? female_chars : male_chars;
    nchars = *female ? ARRAY_SIZE(female_chars) : ARRAY_SIZE(male_chars);
    if (demo_rng_pick(r, 3) == 0)
        snprintf(buf, size, "%s%s", surnames[demo_rng_pick(r, ARRAY_SIZE(surnames))],
                 chars[demo_rng_pick(r, nchars)]);
    else
        snprintf(buf, size, "%s%s%s", surnames[demo_rng_pick(r, ARRAY_SIZE(surnames))],
                 chars[demo_rng_pick(r, nchars)], chars[demo_rng_pick(r, nchars)]);
}

/* ================================================================
 * The driver
 * ================================================================ */

int demo_run(struct store *s, const struct module *const *modules, size_t n,
             const struct demo_params *p, struct err_ctx *ec)
{
    int rc;

    if ((rc = demo_calendar_load(ec)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int64_t start = time_mono_us();
        if (!modules[i]->demo)
            continue;
        if ((rc = modules[i]->demo(s, p, ec)) < 0)
            return rc;
        log_info("demo: module %s built in %.1f s", modules[i]->name,
                 (double)(time_mono_us() - start) / 1e6);
    }
    return 0;
}
