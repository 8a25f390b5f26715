/*
 * org_demo.c - the organisation of the demo data set (modules/demo.h):
 * 江州市 > 西城区 > the subdistricts (城西街道 first), each with its
 * departments, seven road-traffic persuasion stations, communities and
 * villages; its people (leaders, staff, officers with enforcement
 * certificates, mediators, the contracted legal adviser, residents trained
 * as 法律明白人) and its leading group for law-based administration.
 *
 * Everything goes through the module's rule functions (org_unit_create_on,
 * people_create, registers_create), which check and audit each row: at
 * about 120 rows a subdistrict that costs little, and one unit of work per
 * subdistrict keeps --scale 100 to 100 commits.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "modules/demo.h"
#include "modules/org/org_internal.h"
#include "store/store.h"

/* The units of a subdistrict, the same mix for every one. The codes are
 * "<subdistrict>-<suffix>": the other modules' demos look them up. */
struct demo_unit {
    const char *suffix, *name, *type, *established_on;
};

static const struct demo_unit units[] = {
    {"dzb", "党政综合办公室", "department", "2015-03-01"},
    {"pab", "平安办", "department", "2015-03-01"},
    {"zzzx", "综治中心", "department", "2017-06-01"},
    {"sfs", "司法所", "department", "2015-03-01"},
    {"zfd", "综合行政执法队", "department", "2019-01-01"},
    {"dab", "道路交通安全办公室", "department", "2018-04-01"},
    {"twh", "街道人民调解委员会", "department", "2015-03-01"},
    {"qdz1", "石桥村道路交通劝导站", "station", "2018-05-01"},
    {"qdz2", "柳湾村道路交通劝导站", "station", "2018-05-01"},
    {"qdz3", "红岩村道路交通劝导站", "station", "2018-05-01"},
    {"qdz4", "金龙路口道路交通劝导站", "station", "2019-03-01"},
    {"qdz5", "滨河路道路交通劝导站", "station", "2019-03-01"},
    {"qdz6", "西环路道路交通劝导站", "station", "2019-03-01"},
    {"qdz7", "老街场镇道路交通劝导站", "station", "2020-04-01"},
    {"sq1", "城西社区", "community", "2015-03-01"},
    {"sq2", "西苑社区", "community", "2015-03-01"},
    {"sq3", "河滨社区", "community", "2016-07-01"},
    {"sq4", "文昌社区", "community", "2016-07-01"},
    {"sq5", "民主社区", "community", "2018-01-01"},
    {"cun1", "石桥村", "village", "2015-03-01"},
    {"cun2", "柳湾村", "village", "2015-03-01"},
    {"cun3", "红岩村", "village", "2015-03-01"},
};

#define NUNITS        ARRAY_SIZE(units)
#define LITERATE_2022 24 /* people.legal_literate.trained */
#define LITERATE_2021 16
#define GROUP_FROM    "2021-03-08"

/* The leading group's people: the subdistrict's leaders and the heads of
 * the offices the report names (平安办, 派出所, 司法所, ...). */
struct demo_post {
    const char *title;    /* notes: the post */
    const char *unit;     /* suffix of the unit the person belongs to, "" for the subdistrict */
    const char *position; /* in the leading group */
};

static const struct demo_post posts[] = {
    {"党工委书记", "", "leader"},
    {"办事处主任", "", "deputy"},
    {"党工委政法委员", "", "deputy"},
    {"平安办主任", "pab", "member"},
    {"派出所所长（驻街）", "", "member"},
    {"司法所所长", "sfs", "member"},
    {"综治中心主任", "zzzx", "member"},
    {"党政综合办公室主任", "dzb", "member"},
    {"综合行政执法队队长", "zfd", "member"},
    {"道路交通安全办公室主任", "dab", "member"},
};

struct org_demo {
    const struct demo_params *p;
    size_t index; /* the subdistrict */
    struct demo_rng rng;
    struct arena *a;
    char code[DEMO_CODE_MAX], name[DEMO_NAME_MAX];
    int64_t district_id;
    int64_t sd_id;
    int64_t unit_ids[NUNITS];
    char today[TIME_DATE_LEN];
};

static int64_t unit_id_of(const struct org_demo *d, const char *suffix)
{
    if (!*suffix)
        return d->sd_id;
    for (size_t i = 0; i < NUNITS; i++)
        if (strcmp(units[i].suffix, suffix) == 0)
            return d->unit_ids[i];
    return d->sd_id;
}

/* A person of the registers at 'unit_id'; with a phone, since the
 * registers are used to reach people. */
static int person(struct store_conn *c, struct org_demo *d, int64_t unit_id, const char *tag,
                  const char *notes, int64_t *id, struct err_ctx *ec)
{
    char name[32], phone[16];
    bool female;
    const char *tags[1] = {tag};
    struct person_input in = {0};

    demo_person_name(&d->rng, name, sizeof(name), &female);
    snprintf(phone, sizeof(phone), "1%c%09lld", "35789"[demo_rng_pick(&d->rng, 5)],
             (long long)demo_rng_range(&d->rng, 0, 999999999));
    in.set_name = in.set_unit = in.set_gender = in.set_phone = in.set_tags = true;
    in.name = name;
    in.unit_id = unit_id;
    in.gender = female ? "female" : "male";
    in.phone = phone;
    in.tags = tags;
    in.ntags = tag ? 1 : 0;
    if (notes) {
        in.set_notes = true;
        in.notes = notes;
    }
    return people_create(c, d->a, d->p->actor, &in, id, ec);
}

static int reg(struct store_conn *c, struct org_demo *d, enum register_kind kind,
               const struct register_input *in, struct err_ctx *ec)
{
    int64_t id;
    return registers_create(c, d->a, d->p->actor, kind, in, &id, ec);
}

/* A day of 'year' in month 'month' (1..12), a working day, as text. */
static void working_day(struct org_demo *d, int year, int month, char *buf)
{
    int64_t days[31];
    size_t n = demo_working_days(year, month, days, ARRAY_SIZE(days));
    struct date dt = date_from_days(days[demo_rng_pick(&d->rng, n)]);
    date_format(&dt, buf, TIME_DATE_LEN);
}

static int build_units(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    struct unit_new in = {d->code, d->name, "subdistrict", d->district_id};
    int rc;

    if ((rc = org_unit_create_on(c, d->a, d->p->actor, &in, "2015-03-01", &d->sd_id, ec)) < 0)
        return rc;
    for (size_t i = 0; i < NUNITS; i++) {
        char code[DEMO_CODE_MAX];
        demo_unit_code(d->code, units[i].suffix, code, sizeof(code));
        in = (struct unit_new){code, units[i].name, units[i].type, d->sd_id};
        if ((rc = org_unit_create_on(c, d->a, d->p->actor, &in, units[i].established_on,
                                     &d->unit_ids[i], ec)) < 0)
            return rc;
    }
    return 0;
}

/* The leading group for law-based administration, run by 平安办. */
static int build_group(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    struct register_input g = {0};
    int64_t group_id, person_id;
    int rc;

    g.set_unit = g.set_office = g.set_name = g.set_established = true;
    g.unit_id = d->sd_id;
    g.office_unit_id = unit_id_of(d, "pab");
    g.name = arena_printf(d->a, "%s依法行政工作领导小组", d->name);
    g.established_on = GROUP_FROM;
    if ((rc = registers_create(c, d->a, d->p->actor, REG_GROUP, &g, &group_id, ec)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(posts); i++) {
        struct register_input m = {0};
        const char *tag = strcmp(posts[i].position, "member") == 0 ? "科室负责人" : "班子成员";
        if ((rc = person(c, d, unit_id_of(d, posts[i].unit), tag, posts[i].title, &person_id, ec)) <
            0)
            return rc;
        m.set_group = m.set_person = m.set_position = m.set_from = true;
        m.group_id = group_id;
        m.person_id = person_id;
        m.position = posts[i].position;
        m.from = GROUP_FROM;
        if ((rc = reg(c, d, REG_MEMBER, &m, ec)) < 0)
            return rc;
    }
    return 0;
}

/* Staff of every department, community and village, and the persuaders
 * of every station. */
static int build_staff(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    int64_t id;
    int rc;

    for (size_t i = 0; i < NUNITS; i++) {
        bool station = strcmp(units[i].type, "station") == 0;
        int n = station ? 2 : strcmp(units[i].type, "department") == 0 ? 2 : 1;
        for (int k = 0; k < n; k++)
            if ((rc = person(c, d, d->unit_ids[i], station ? "劝导员" : "工作人员",
                             station ? "道路交通劝导员" : NULL, &id, ec)) < 0)
                return rc;
    }
    return 0;
}

/*
 * Officers: the enforcement team and the road-safety office. Most
 * certificates run to 2027; two end within ORG_EXPIRING_DAYS of today so
 * that the register shows renewals to prepare (the one part of the data
 * set that follows the clock); two team members have none yet, the
 * report's "具有执法资格人员较少".
 */
static int build_officers(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    static const struct {
        const char *unit, *field;
        int expiry; /* 0: 2027-12-31; n: today + n days; -1: no certificate */
    } officers[] = {
        {"zfd", "综合行政执法", 0},  {"zfd", "综合行政执法", 0}, {"zfd", "综合行政执法", 0},
        {"zfd", "综合行政执法", 25}, {"zfd", "综合行政执法", 0}, {"zfd", "综合行政执法", 50},
        {"zfd", NULL, -1},           {"zfd", NULL, -1},          {"dab", "道路交通安全", 0},
        {"dab", "道路交通安全", 0},
    };
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(officers); i++) {
        struct register_input in = {0};
        char from[TIME_DATE_LEN], to[TIME_DATE_LEN];
        int64_t id;

        if ((rc = person(c, d, unit_id_of(d, officers[i].unit), "执法人员",
                         officers[i].field ? "行政执法人员" : "执法辅助人员（待取得执法证）", &id,
                         ec)) < 0)
            return rc;
        if (officers[i].expiry < 0)
            continue;
        working_day(d, 2020 + (int)demo_rng_pick(&d->rng, 2), 1 + (int)demo_rng_pick(&d->rng, 12),
                    from);
        if (officers[i].expiry == 0)
            snprintf(to, sizeof(to), "2027-12-31");
        else
            org_date_add(d->today, officers[i].expiry, to);
        in.set_person = in.set_number = in.set_authority = in.set_field = in.set_from = in.set_to =
            true;
        in.person_id = id;
        /* "JZ" + subdistrict + the two-digit year of issue + sequence. */
        in.number = arena_printf(d->a, "JZ%03zu%.2s%04zu", d->index + 1, from + 2, i + 1);
        in.authority = "江州市人民政府";
        in.field = officers[i].field;
        in.from = from;
        in.to = to;
        if ((rc = reg(c, d, REG_CERTIFICATE, &in, ec)) < 0)
            return rc;
    }
    return 0;
}

/* Mediators: five on the subdistrict's committee, one in every community
 * and village (its own 调委会). */
static int build_mediators(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    int rc;

    for (size_t i = 0; i < 5 + 8; i++) {
        const char *suffix = i < 5 ? "twh" : units[NUNITS - 8 + (i - 5)].suffix;
        struct register_input in = {0};
        char from[TIME_DATE_LEN];
        int64_t id;

        if ((rc = person(c, d, unit_id_of(d, suffix), "调解员", NULL, &id, ec)) < 0)
            return rc;
        working_day(d, 2019 + (int)demo_rng_pick(&d->rng, 3), 1 + (int)demo_rng_pick(&d->rng, 12),
                    from);
        in.set_person = in.set_unit = in.set_from = true;
        in.person_id = id;
        in.unit_id = unit_id_of(d, suffix);
        in.from = from;
        if ((rc = reg(c, d, REG_MEDIATOR, &in, ec)) < 0)
            return rc;
    }
    return 0;
}

/* The legal adviser, under a contract a year, 2021 and 2022. */
static int build_adviser(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    static const char *const years[][2] = {{"2021-01-01", "2021-12-31"},
                                           {"2022-01-01", "2022-12-31"}};
    int64_t id;
    int rc;

    if ((rc = person(c, d, unit_id_of(d, "sfs"), "法律顾问", "江州明理律师事务所专职律师", &id,
                     ec)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(years); i++) {
        struct register_input in = {0};
        in.set_person = in.set_unit = in.set_firm = in.set_from = in.set_to = true;
        in.person_id = id;
        in.unit_id = d->sd_id;
        in.firm = "江州明理律师事务所";
        in.from = years[i][0];
        in.to = years[i][1];
        if ((rc = reg(c, d, REG_ADVISER, &in, ec)) < 0)
            return rc;
    }
    return 0;
}

/* Residents trained as 法律明白人: 24 in 2022, 16 in 2021, in the
 * communities and villages in turn, on working days. */
static int build_literates(struct store_conn *c, struct org_demo *d, struct err_ctx *ec)
{
    static const struct {
        int year;
        size_t n;
    } years[] = {{DEMO_PREV_YEAR, LITERATE_2021}, {DEMO_YEAR, LITERATE_2022}};
    int rc;

    for (size_t y = 0; y < ARRAY_SIZE(years); y++) {
        char(*dates)[TIME_DATE_LEN] = arena_calloc(d->a, years[y].n, TIME_DATE_LEN);
        demo_dates(&d->rng, years[y].year, years[y].n, dates);
        for (size_t i = 0; i < years[y].n; i++) {
            const char *suffix = units[NUNITS - 8 + (i + y) % 8].suffix;
            struct register_input in = {0};
            int64_t id;

            if ((rc = person(c, d, unit_id_of(d, suffix), "法律明白人", NULL, &id, ec)) < 0)
                return rc;
            in.set_person = in.set_unit = in.set_from = true;
            in.person_id = id;
            in.unit_id = unit_id_of(d, suffix);
            in.from = dates[i];
            if ((rc = reg(c, d, REG_LEGAL_LITERATE, &in, ec)) < 0)
                return rc;
        }
    }
    return 0;
}

static int build_subdistrict(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct org_demo *d = arg;
    int rc;

    if ((rc = build_units(c, d, ec)) < 0 || (rc = build_group(c, d, ec)) < 0 ||
        (rc = build_staff(c, d, ec)) < 0 || (rc = build_officers(c, d, ec)) < 0 ||
        (rc = build_mediators(c, d, ec)) < 0 || (rc = build_adviser(c, d, ec)) < 0 ||
        (rc = build_literates(c, d, ec)) < 0)
        return rc;
    return 0;
}

/* The city and the district above the subdistricts; only in an empty
 * tree, since the demo is a whole data set and not an addition. */
static int build_root(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct org_demo *d = arg;
    int64_t n, city;
    int rc;

    if ((rc = store_query_int(c, &n, ec, "SELECT COUNT(*) FROM units", "")) < 0)
        return rc;
    if (n > 0)
        return err_set(ec, ERR_CONFLICT, "db",
                       "数据库中已有 %lld 个单位：演示数据只能生成到新的空数据库中", (long long)n);
    if ((rc = org_unit_create(c, d->a, d->p->actor,
                              &(struct unit_new){"jiangzhou", "江州市", "city", 0}, &city, ec)) < 0)
        return rc;
    return org_unit_create(c, d->a, d->p->actor,
                           &(struct unit_new){"xicheng", "西城区", "district", city},
                           &d->district_id, ec);
}

int org_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec)
{
    struct org_demo d = {.p = p, .a = arena_new()};
    int rc;

    org_today(d.today);
    rc = store_write(s, build_root, &d, ec);
    for (size_t i = 0; rc == 0 && i < (size_t)p->scale; i++) {
        arena_free(d.a);
        d.a = arena_new();
        d.index = i;
        demo_rng_init(&d.rng, p->seed, 1000 + i, 1);
        demo_subdistrict(i, d.code, sizeof(d.code), d.name, sizeof(d.name));
        rc = store_write(s, build_subdistrict, &d, ec);
    }
    arena_free(d.a);
    return rc;
}
