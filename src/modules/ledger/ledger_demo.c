/*
 * ledger_demo.c - the ledgers of the demo data set (modules/demo.h): for
 * every subdistrict, the entries of every kind over 2022 whose counts and
 * counter sums are the figures of the Chengxi 2022 report exactly
 * (docs/ledger.md maps each figure to a kind and counter), and a smaller
 * 2021 for year-on-year change.
 *
 * Dates are working days of the calendar (conf/cn-holidays.tsv); titles and
 * places are those an office would write. Totals are split over the
 * entries with demo_split(), which hits them exactly. The published 700
 * patrols of 1,050,500 km in all (about 1,500 km each) are kept as
 * published: each patrol is saved with a plausibility warning, which is
 * what the report's findings must point out.
 *
 * Every entry goes through ledger_entry_create(), with all its checks, its
 * history row and its audit entry; a subdistrict's year is one unit of work
 * (about 3,000 entries). The entries carry an import key ("demo:...") so
 * that, as for a CSV import, they emit no event each: nobody listens while
 * the demo is built.
 */
#include "core/compat.h"
#include "core/arena.h"
#include "modules/demo.h"
#include "modules/ledger/ledger.h"
#include "store/store.h"

#define NSTATIONS 7
#define YEARS     2 /* [0] 2021, [1] 2022 */

struct plan_counter {
    const char *code;
    int scale;
    int64_t total[YEARS]; /* scaled */
    int64_t min, max;     /* per entry, scaled */
};

struct gen; /* below */

struct plan {
    const char *kind;
    size_t n[YEARS];
    /* Where entries are recorded: unit suffixes picked at random ("" is
     * the subdistrict); NULL: the seven stations, each its share. */
    const char *const *where;
    bool monthly;       /* one a month */
    size_t station_min; /* stations: the fewest entries of one station */
    void (*describe)(struct gen *g);
    struct plan_counter counters[5];
};

/* One entry being made. */
struct gen {
    struct demo_rng *rng;
    int year;
    size_t seq;       /* its number within its kind and year, from 0 */
    const char *date; /* "YYYY-MM-DD" */
    int month;
    const char *unit_name;
    const char *sd_name;
    char title[256], place[256];
};

static const char *pick(struct gen *g, const char *const *list, size_t n)
{
    return list[demo_rng_pick(g->rng, n)];
}
#define PICK(g, list) pick((g), (list), ARRAY_SIZE(list))

/* ================================================================
 * Titles and places
 * ================================================================ */

static const char *const roads[] = {
    "G318国道城西段", "城西大道",   "滨河路",         "金龙路口",   "西环路",
    "老街场镇",       "石桥村村道", "柳湾村通村公路", "红岩村村道", "文昌路",
};

static void d_central_group(struct gen *g)
{
    static const char *const t2021[12] = {
        "《中华人民共和国民法典》总则编",
        "《中华人民共和国行政处罚法》（2021年修订）",
        "党史学习教育专题",
        "《中华人民共和国长江保护法》",
        "《中华人民共和国乡村振兴促进法》",
        "《中华人民共和国安全生产法》（2021年修正）",
        "《中华人民共和国退役军人保障法》",
        "《法治政府建设实施纲要（2021—2025年）》",
        "《中华人民共和国数据安全法》",
        "《中华人民共和国家庭教育促进法》",
        "《中华人民共和国个人信息保护法》",
        "《中华人民共和国宪法》",
    };
    static const char *const t2022[12] = {
        "《中华人民共和国宪法》",
        "《中华人民共和国民法典》婚姻家庭编",
        "《信访工作条例》",
        "《中华人民共和国安全生产法》",
        "《中华人民共和国行政处罚法》",
        "《中华人民共和国数据安全法》",
        "《中华人民共和国未成年人保护法》",
        "《中华人民共和国土地管理法实施条例》",
        "《中华人民共和国消防法》",
        "《中华人民共和国噪声污染防治法》",
        "党的二十大报告“坚持全面依法治国”专题",
        "《中华人民共和国反电信网络诈骗法》",
    };
    const char *topic = (g->year == DEMO_YEAR ? t2022 : t2021)[(g->month - 1) % 12];
    snprintf(g->title, sizeof(g->title), "党工委中心组学法：%s", topic);
    snprintf(g->place, sizeof(g->place), "%s办事处三楼会议室", g->sd_name);
}

static void d_lecture(struct gen *g)
{
    static const char *const nth[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
    static const char *const topics[] = {
        "深入学习贯彻习近平法治思想", "坚持以人民为中心推进法治建设", "法治政府建设与依法行政",
        "全面依法治国的总目标",       "习近平法治思想的核心要义",     "法治社会建设与基层治理",
    };
    snprintf(g->title, sizeof(g->title), "习近平法治思想法治讲座（第%s期）：%s",
             nth[g->seq % ARRAY_SIZE(nth)], PICK(g, topics));
    snprintf(g->place, sizeof(g->place), "%s",
             strstr(g->unit_name, "街道") ? "街道办事处三楼会议室" : "党群服务中心会议室");
}

static void d_staff_training(struct gen *g)
{
    static const char *const topics[] = {
        "行政执法程序规范", "行政执法“三项制度”", "行政处罚法适用",   "执法文书制作",
        "安全生产执法检查", "信访事项依法办理",   "政府信息公开条例", "人民调解法实务",
        "城市管理执法规范", "道路交通安全法",     "民法典与基层工作", "年度执法案卷评查",
    };
    snprintf(g->title, sizeof(g->title), "%d月干部职工法治学习暨执法培训例会：%s", g->month,
             topics[(g->month - 1) % 12]);
    snprintf(g->place, sizeof(g->place), "街道办事处三楼会议室");
}

/* Publicity topics by month, so that days of the calendar (3·15, 4·15,
 * 6·26, 12·4) fall in their month. */
static const char *publicity_topic(struct gen *g)
{
    static const char *const by_month[12][3] = {
        {"农民工工资支付保障", "平安春节安全宣传", "森林防火"},
        {"春节期间防范电信诈骗", "森林防火", "烟花爆竹安全"},
        {"“3·15”消费者权益保护", "妇女权益保障法", "学雷锋志愿普法"},
        {"“4·15”全民国家安全教育日", "安全生产法", "防范非法集资"},
        {"民法典宣传月", "防灾减灾", "禁毒知识"},
        {"安全生产月", "“6·26”国际禁毒日", "防溺水安全"},
        {"防汛减灾", "未成年人保护法", "反电信网络诈骗"},
        {"退役军人保障法", "防溺水安全", "道路交通安全“七个必上”"},
        {"开学季校园安全", "防范养老诈骗", "反电信网络诈骗"},
        {"国庆期间交通安全", "消防安全", "扫黑除恶常态化"},
        {"“11·9”消防宣传日", "信访工作条例", "反邪教警示"},
        {"“12·4”国家宪法日", "宪法宣传周", "农民工欠薪维权"},
    };
    return by_month[(g->month - 1) % 12][demo_rng_pick(g->rng, 3)];
}

static void d_campaign(struct gen *g)
{
    static const char *const places[] = {"城西广场",     "农贸市场门口", "老街场镇",
                                         "社区活动广场", "城西中学门口", "党群服务中心"};
    snprintf(g->title, sizeof(g->title), "%s集中宣传活动", publicity_topic(g));
    snprintf(g->place, sizeof(g->place), "%s", PICK(g, places));
}

static void d_meeting(struct gen *g)
{
    static const char *const kinds[] = {"群众会", "院坝会"};
    static const char *const topics[] = {
        "法律明白人讲民法典", "土地承包经营权法律知识", "赡养扶养纠纷预防",
        "防范电信网络诈骗",   "燃气与用电安全",         "禁毒知识",
        "道路交通安全",       "邻里纠纷调解",           "农村宅基地政策",
        "平安建设",
    };
    const char *kind = PICK(g, kinds);
    snprintf(g->title, sizeof(g->title), "%s%s：%s", g->unit_name, kind, PICK(g, topics));
    snprintf(g->place, sizeof(g->place), "%s%s", g->unit_name,
             strcmp(kind, "院坝会") == 0 ? "村民院坝" : "党群服务中心");
}

static void d_materials(struct gen *g)
{
    snprintf(g->title, sizeof(g->title), "发放%s宣传资料", publicity_topic(g));
    snprintf(g->place, sizeof(g->place), "%s", g->unit_name);
}

static void d_led(struct gen *g)
{
    snprintf(g->title, sizeof(g->title), "LED屏滚动播放%s宣传标语", publicity_topic(g));
    snprintf(g->place, sizeof(g->place), "%sLED显示屏", g->unit_name);
}

static void d_wechat(struct gen *g)
{
    static const char *const forms[] = {"以案释法｜", "普法小课堂｜", "法治动态｜", "温馨提示｜"};
    snprintf(g->title, sizeof(g->title), "%s%s", PICK(g, forms), publicity_topic(g));
    snprintf(g->place, sizeof(g->place), "%s微信公众号、工作群", g->unit_name);
}

static void d_joint_operation(struct gen *g)
{
    static const char *const aims[] = {"摩托车不戴头盔", "面包车超员", "农用车违法载人",
                                       "酒驾醉驾",       "无证驾驶",   "逢场天交通秩序"};
    const char *road = PICK(g, roads);
    snprintf(g->title, sizeof(g->title), "联合7个劝导站开展道路交通联合执法：整治%s",
             PICK(g, aims));
    snprintf(g->place, sizeof(g->place), "%s", road);
}

static const char *const stations[NSTATIONS] = {
    "石桥村道路交通劝导站",   "柳湾村道路交通劝导站", "红岩村道路交通劝导站",
    "金龙路口道路交通劝导站", "滨河路道路交通劝导站", "西环路道路交通劝导站",
    "老街场镇道路交通劝导站",
};

static void d_station_duty(struct gen *g)
{
    const char *station = PICK(g, stations);
    snprintf(g->title, sizeof(g->title), "道安办驻%s执法", station);
    snprintf(g->place, sizeof(g->place), "%s", station);
}

static void d_persuasion(struct gen *g)
{
    static const char *const shifts[] = {"逢场天劝导执勤", "早高峰劝导执勤", "晚高峰劝导执勤",
                                         "节前劝导执勤"};
    snprintf(g->title, sizeof(g->title), "%s", PICK(g, shifts));
    snprintf(g->place, sizeof(g->place), "%s", g->unit_name);
}

static void d_checkin(struct gen *g)
{
    snprintf(g->title, sizeof(g->title), "劝导员到岗签到");
    snprintf(g->place, sizeof(g->place), "%s", g->unit_name);
}

static void d_patrol(struct gen *g)
{
    const char *road = PICK(g, roads);
    snprintf(g->title, sizeof(g->title), "%s路面巡逻", road);
    snprintf(g->place, sizeof(g->place), "%s", road);
}

static void d_safety(struct gen *g)
{
    static const char *const fields[] = {
        "消防安全", "危险化学品", "烟花爆竹经营", "道路交通",
        "燃气安全", "自建房安全", "校园周边安全",
    };
    static const char *const places[] = {"城西农贸市场", "老街场镇商铺", "金龙路加油站",
                                         "城西中学周边", "滨河路餐饮店", "石桥村烟花爆竹销售点"};
    snprintf(g->title, sizeof(g->title), "重点领域联合执法检查：%s", PICK(g, fields));
    snprintf(g->place, sizeof(g->place), "%s", PICK(g, places));
}

static void d_sanitation(struct gen *g)
{
    static const char *const places[] = {"老街场镇",   "城西农贸市场周边", "滨河路沿线",
                                         "金龙路商圈", "城西中学周边",     "背街小巷",
                                         "西环路沿线"};
    const char *place = PICK(g, places);
    snprintf(g->title, sizeof(g->title), "环境卫生综合整治：%s", place);
    snprintf(g->place, sizeof(g->place), "%s", place);
}

static void d_river(struct gen *g)
{
    static const char *const rivers[] = {"石桥河石桥村段", "柳湾溪柳湾村段", "红岩水库库区",
                                         "西河城西段", "滨河路河段"};
    const char *river = PICK(g, rivers);
    snprintf(g->title, sizeof(g->title), "%s：%s",
             g->year == DEMO_YEAR ? "清“四乱”整治" : "河道“三乱”专项整治", river);
    snprintf(g->place, sizeof(g->place), "%s", river);
}

/* ================================================================
 * The plan: counts and totals per kind and year
 * ================================================================ */

static const char *const at_subdistrict[] = {"", NULL};
static const char *const at_dab[] = {"dab", NULL};
static const char *const at_safety[] = {"pab", "zfd", NULL};
static const char *const at_lecture[] = {"", "", "", "sfs", "sq1", "sq2", "sq3", "cun1", NULL};
static const char *const at_campaign[] = {"",    "sfs", "sfs",  "sq1",  "sq2",  "sq3",
                                          "sq4", "sq5", "cun1", "cun2", "cun3", NULL};
static const char *const at_meeting[] = {"sq1",  "sq2",  "sq3",  "sq4", "sq5",
                                         "cun1", "cun2", "cun3", NULL};
static const char *const at_materials[] = {"sfs",  "sq1",  "sq2",  "sq3",  "sq4",  "sq5",
                                           "cun1", "cun2", "cun3", "qdz1", "qdz4", NULL};
static const char *const at_led[] = {"", "", "sq1", "sq2", "sq3", "sq4", "sq5", NULL};
static const char *const at_wechat[] = {"",    "",    "sfs",  "sq1",  "sq2",  "sq3",
                                        "sq4", "sq5", "cun1", "cun2", "cun3", NULL};
static const char *const at_sanitation[] = {"zfd", "zfd", "sq1", "sq2", "sq3", "sq4", "sq5", NULL};
static const char *const at_river[] = {"", "cun1", "cun2", "cun3", NULL};

/* 2022: the report's figures (conf/figures-2022.tsv); 2021: a smaller year
 * of the same office, for year-on-year change. Counters that are not
 * figures (hours, audience, reads) get plausible totals. */
static const struct plan plans[] = {
    {"study.central_group",
     {12, 12},
     at_subdistrict,
     true,
     0,
     d_central_group,
     {{"attendance", 0, {118, 131}, 8, 14}, {"hours", 1, {240, 264}, 15, 30}}},
    {"study.lecture",
     {6, 8},
     at_lecture,
     false,
     0,
     d_lecture,
     {{"attendance", 0, {318, 426}, 20, 120}, {"hours", 1, {90, 120}, 10, 20}}},
    {"study.staff_training",
     {12, 12},
     at_subdistrict,
     true,
     0,
     d_staff_training,
     {{"attendance", 0, {612, 736}, 40, 80}, {"hours", 1, {180, 180}, 10, 20}}},
    {"publicity.campaign",
     {22, 28},
     at_campaign,
     false,
     0,
     d_campaign,
     {{"audience", 0, {3300, 4200}, 50, 400}}},
    {"publicity.meeting",
     {38, 46},
     at_meeting,
     false,
     0,
     d_meeting,
     {{"attendance", 0, {1900, 2300}, 20, 90}}},
    {"publicity.materials",
     {32, 40},
     at_materials,
     false,
     0,
     d_materials,
     {{"copies", 0, {25000, 32000}, 200, 2000}}},
    {"publicity.led", {110, 135}, at_led, false, 0, d_led, {{"days", 0, {440, 540}, 1, 7}}},
    {"publicity.wechat",
     {290, 358},
     at_wechat,
     false,
     0,
     d_wechat,
     {{"reads", 0, {174000, 232700}, 80, 3000}}},
    {"traffic.joint_operation",
     {30, 36},
     at_dab,
     false,
     0,
     d_joint_operation,
     {{"vehicles_checked", 0, {1650, 2000}, 20, 120}, {"violations", 0, {41, 50}, 0, 5}}},
    {"traffic.station_duty",
     {42, 50},
     at_dab,
     false,
     0,
     d_station_duty,
     {{"hours", 1, {1680, 2000}, 20, 80}}},
    {"traffic.persuasion",
     {140, 168},
     NULL,
     false,
     20,
     d_persuasion,
     {{"vehicles_checked", 0, {6800, 8000}, 10, 120}, {"persuaded", 0, {86, 100}, 0, 4}}},
    {"traffic.checkin", {1190, 1425}, NULL, false, 150, d_checkin, {{NULL}}},
    /* As published: about 1,500 km a patrol (each above the bound of 200). */
    {"traffic.patrol",
     {588, 700},
     NULL,
     false,
     80,
     d_patrol,
     {{"km", 3, {882000000, 1050500000}, 1400000, 1600000}}},
    {"safety.joint_operation",
     {24, 30},
     at_safety,
     false,
     0,
     d_safety,
     {{"places_inspected", 0, {34, 42}, 1, 3}}},
    {"sanitation.campaign",
     {24, 30},
     at_sanitation,
     false,
     0,
     d_sanitation,
     {{"parking", 0, {180, 225}, 0, 40},
      {"door_stalls", 0, {205, 256}, 0, 40},
      {"piles", 0, {470, 587}, 0, 60},
      {"ads", 0, {172, 215}, 0, 40},
      {"vendors", 0, {101, 126}, 0, 40}}},
    {"river.remediation", {5, 7}, at_river, false, 0, d_river, {{"sites", 0, {10, 13}, 1, 4}}},
};

/* ================================================================
 * Building
 * ================================================================ */

struct ledger_demo {
    const struct demo_params *p;
    size_t index; /* the subdistrict */
    int year;
    char sd[DEMO_CODE_MAX];
    struct arena *a;
    int64_t entries;
};

/* A unit of the subdistrict by suffix ("" for the subdistrict itself). */
static int unit_of(struct store_conn *c, struct ledger_demo *d, const char *suffix,
                   struct unit *out, struct err_ctx *ec)
{
    char code[DEMO_CODE_MAX];

    if (*suffix)
        demo_unit_code(d->sd, suffix, code, sizeof(code));
    else
        snprintf(code, sizeof(code), "%s", d->sd);
    return org_unit_by_code(c, d->a, code, out, ec);
}

/* Creates the entries of plan 'pl' at unit 'u' on 'dates', with the
 * counters' per-entry values from 'values' (one array per counter). */
static int create(struct store_conn *c, struct ledger_demo *d, const struct plan *pl, struct gen *g,
                  const struct unit *u, const char *date, size_t k, int64_t *const *values,
                  size_t ncounters, struct err_ctx *ec)
{
    struct ledger_input_value iv[5];
    struct ledger_input in = {0};
    struct ledger_entry out;
    struct date dt;
    char texts[5][32];

    g->date = date;
    (void)date_parse(date, &dt);
    g->month = dt.month;
    g->unit_name = u->name;
    pl->describe(g);
    for (size_t i = 0; i < ncounters; i++) {
        ledger_value_format(values[i][k], pl->counters[i].scale, texts[i], sizeof(texts[i]));
        iv[i] = (struct ledger_input_value){pl->counters[i].code, NULL, texts[i], false};
    }
    in.kind = pl->kind;
    in.set_unit = true;
    in.unit_id = u->id;
    in.date = date;
    in.title = g->title;
    in.place = g->place;
    in.values = iv;
    in.nvalues = ncounters;
    in.import_key = arena_printf(d->a, "demo:%s:%d:%s:%zu", d->sd, d->year, pl->kind, g->seq);
    g->seq++;
    d->entries++;
    return ledger_entry_create(c, d->a, d->p->actor, &in, 0, NULL, &out, ec);
}

static int build_plan(struct store_conn *c, struct ledger_demo *d, size_t pi, struct err_ctx *ec)
{
    const struct plan *pl = &plans[pi];
    int y = d->year == DEMO_YEAR ? 1 : 0;
    size_t n = pl->n[y], ncounters = 0;
    struct demo_rng rng;
    struct gen g = {0};
    int64_t *values[5];
    char(*dates)[TIME_DATE_LEN] = arena_calloc(d->a, n, TIME_DATE_LEN);
    struct unit sd;
    int rc;

    demo_rng_init(&rng, d->p->seed, 2000 + d->index, (uint64_t)d->year * 100 + pi);
    g.rng = &rng;
    g.year = d->year;
    if ((rc = unit_of(c, d, "", &sd, ec)) < 0)
        return rc;
    g.sd_name = sd.name;
    while (ncounters < ARRAY_SIZE(pl->counters) && pl->counters[ncounters].code)
        ncounters++;
    for (size_t i = 0; i < ncounters; i++) {
        const struct plan_counter *pc = &pl->counters[i];
        values[i] = arena_calloc(d->a, n, sizeof(int64_t));
        if (demo_split(&rng, pc->total[y], n, pc->min, pc->max, 40, values[i]) < 0)
            return err_set(ec, ERR_INTERNAL, NULL, "演示数据计划有误：%s.%s", pl->kind, pc->code);
    }

    if (!pl->where) {
        /* The stations: each its share, on distinct working days. */
        int64_t share[NSTATIONS];
        size_t k = 0;
        if (demo_split(&rng, (int64_t)n, NSTATIONS, (int64_t)pl->station_min, -1, 20, share) < 0)
            return err_set(ec, ERR_INTERNAL, NULL, "演示数据计划有误：%s", pl->kind);
        for (size_t s = 0; s < NSTATIONS; s++) {
            char suffix[8];
            struct unit u;
            snprintf(suffix, sizeof(suffix), "qdz%zu", s + 1);
            if ((rc = unit_of(c, d, suffix, &u, ec)) < 0)
                return rc;
            demo_dates(&rng, d->year, (size_t)share[s], dates + k);
            for (size_t i = 0; i < (size_t)share[s]; i++, k++)
                if ((rc = create(c, d, pl, &g, &u, dates[k], k, values, ncounters, ec)) < 0)
                    return rc;
        }
        return 0;
    }

    if (pl->monthly) {
        for (size_t i = 0; i < n; i++) {
            int64_t days[31];
            size_t nd = demo_working_days(d->year, (int)(i % 12) + 1, days, ARRAY_SIZE(days));
            /* A meeting in the middle of the month, as offices hold them. */
            struct date dt = date_from_days(days[nd / 3 + demo_rng_pick(&rng, nd / 3)]);
            date_format(&dt, dates[i], TIME_DATE_LEN);
        }
    } else {
        demo_dates(&rng, d->year, n, dates);
    }
    for (size_t i = 0; i < n; i++) {
        size_t nwhere = 0;
        struct unit u;
        while (pl->where[nwhere])
            nwhere++;
        if ((rc = unit_of(c, d, pl->where[demo_rng_pick(&rng, nwhere)], &u, ec)) < 0 ||
            (rc = create(c, d, pl, &g, &u, dates[i], i, values, ncounters, ec)) < 0)
            return rc;
    }
    return 0;
}

static int build_year(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct ledger_demo *d = arg;
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(plans); i++)
        if ((rc = build_plan(c, d, i, ec)) < 0)
            return rc;
    return 0;
}

int ledger_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec)
{
    struct ledger_demo d = {.p = p};
    static const int years[] = {DEMO_PREV_YEAR, DEMO_YEAR};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < (size_t)p->scale; i++) {
        char name[DEMO_NAME_MAX];
        d.index = i;
        demo_subdistrict(i, d.sd, sizeof(d.sd), name, sizeof(name));
        for (size_t y = 0; rc == 0 && y < ARRAY_SIZE(years); y++) {
            d.year = years[y];
            d.a = arena_new();
            rc = store_write(s, build_year, &d, ec);
            arena_free(d.a);
        }
    }
    return rc;
}
