/*
 * matter_demo.c - the resident matters of the demo data set (modules/demo.h):
 * for every subdistrict of the scale, what residents submitted through the
 * 智慧城西 APP in 2021 and 2022 and how the office handled it.
 *
 * 2022: exactly DEMO_HANDLED_2022 (256, the report's "处理居民反应事项256件次",
 * matters.app.handled) submitted and resolved in 2022 - some late, a few
 * reopened by the resident and resolved again, most rated 4 or 5 - plus
 * DEMO_REJECTED_2022 rejected and DEMO_CARRIED_2022 submitted in the last
 * days of December and still open at the end of the year: most resolved in
 * January 2023, DEMO_OPEN_2022 never (overdue in the console). 2021 is a
 * smaller year of the same kind, every matter settled within 2021, so that
 * no 2021 matter moves a 2022 figure.
 *
 * Everything goes through matter_submit(), matter_act() and
 * matter_resident_act() with at_ms set: the engine computes each deadline
 * from those instants with the working-day calendar, and on_time from the
 * due date it fixed. Submissions are on working days, by day, in order;
 * staff act in office hours. Descriptions, addresses, names and phones come
 * from the phrase tables below and the seeded demo_rng (stream 3000 +
 * subdistrict, year): one seed gives the same matters. The tracking codes
 * are random (libsodium), as for any matter.
 *
 * One unit of work per subdistrict and year (about 300 matters, 2,000
 * transitions).
 */
#include "core/compat.h"
#include "modules/matter/matter_report.h"

#include "core/arena.h"
#include "modules/demo.h"
#include "modules/matter/matter.h"
#include "modules/org/org.h"
#include "store/store.h"

#define DAY_MS    86400000LL
#define MINUTE_MS 60000LL

/* 2022: the report's figure and the rest. */
#define DEMO_HANDLED_2022  256
#define DEMO_LATE_2022     17 /* resolved after the due date */
#define DEMO_REOPENED_2022 6
#define DEMO_REJECTED_2022 19
#define DEMO_CARRIED_2022  14 /* open on 31 December */
#define DEMO_OPEN_2022     4  /* of those, never resolved */
/* 2021: smaller, settled within the year. */
#define DEMO_HANDLED_2021  198
#define DEMO_LATE_2021     16
#define DEMO_REOPENED_2021 4
#define DEMO_REJECTED_2021 15

/* ================================================================
 * Phrase tables
 * ================================================================ */

struct phrase {
    const char *key;  /* the attribute value (category, hazard, kind), or NULL */
    const char *text; /* "%s" is the place */
    const char *reply;
};

static const struct phrase complaints[] = {
    {"sanitation", "%s垃圾桶满溢好几天没人清运，天热气味很大，请尽快处理。",
     "已通知环卫公司当天清运，并增加该点位清运频次，社区网格员将每日巡查。"},
    {"sanitation", "%s楼道里堆放大量杂物和废旧家具，影响通行，也有火灾隐患。",
     "社区已组织物业和志愿者清理楼道杂物，并张贴通知提醒居民不得堆放。"},
    {"sanitation", "%s路边排水沟堵塞，下雨后污水漫到路面上。",
     "已安排人员疏通排水沟，清理淤泥，目前排水恢复正常。"},
    {"street_vending", "%s门口每天早上都有摊贩占道经营，行人只能走到机动车道上。",
     "综合行政执法队已到现场劝离占道摊贩，引导其进入农贸市场规范经营，并加强早间巡查。"},
    {"street_vending", "%s附近夜宵摊占用人行道，油烟和垃圾很多。",
     "执法队员已约谈摊主，责令其退回店内经营并清理油污，将持续跟踪。"},
    {"parking", "%s消防通道经常被私家车堵住，多次提醒无效。",
     "已联系交警和物业在消防通道施划禁停标线，对违停车辆张贴告知单。"},
    {"parking", "%s有一辆车长期停放不动，落满灰尘，疑似僵尸车。",
     "经核查车主已联系上，车辆已于本周挪走。"},
    {"noise", "%s附近工地晚上十点以后还在施工，噪声很大影响休息。",
     "已责令施工单位严格遵守作业时间，夜间施工须办理审批，执法队将夜间抽查。"},
    {"noise", "%s楼下商铺音响声音太大，从早放到晚。",
     "执法队员已上门劝导，商户已调低音量并承诺不再外放。"},
    {"facility", "%s路灯坏了好几盏，晚上出行很不安全。", "已报修并更换损坏路灯，现已恢复照明。"},
    {"facility", "%s人行道地砖松动破损，老人差点摔倒。",
     "已安排施工人员修复破损地砖，并对周边路段进行排查。"},
    {"other", "%s小区绿化带被人毁坏种菜，希望管一管。",
     "社区已与相关住户沟通，菜地已清除，绿化带将补植恢复。"},
};

static const struct phrase hazards[] = {
    {"fire", "%s电动车在楼道里充电，飞线很多，担心起火。",
     "社区联合平安办上门劝导，已拆除飞线，引导到集中充电点充电。"},
    {"fire", "%s沿街门面消防通道被堵，灭火器过期。",
     "已督促商户清理通道并更换灭火器，纳入消防安全重点巡查。"},
    {"gas", "%s一家餐馆液化气罐放在门口晒太阳，管子也老化了。",
     "已会同燃气企业检查，责令更换老化软管并规范存放气瓶。"},
    {"building", "%s一栋老房子外墙开裂，有砖块掉落。",
     "已设置警戒线并通知产权人，委托专业机构进行安全鉴定，落实排危措施。"},
    {"traffic", "%s路口没有减速带，车速快，学生上下学很危险。",
     "已协调交通部门增设减速带和警示标志，上下学时段安排劝导员值守。"},
    {"other", "%s河边护栏缺了一段，小孩在附近玩耍很危险。", "已安排修复护栏并设置防溺水警示牌。"},
};

static const struct phrase disputes[] = {
    {NULL, "%s楼上住户卫生间漏水到我家，沟通多次没有结果，申请调解。",
     "经街道人民调解委员会调解，双方达成协议，楼上住户负责维修并赔偿损失。"},
    {NULL, "%s邻居在公共过道搭建棚子，双方发生争执，请帮忙调解。",
     "调解员现场调解，邻居同意拆除搭建物，双方和解。"},
    {NULL, "%s土地承包地界有争议，与邻组村民多次争吵。",
     "经村调委会和司法所联合调解，重新确认界址，双方签订调解协议。"},
    {NULL, "%s装修工程款被拖欠，工人多次讨要未果。",
     "经调解，业主与施工方就工程款达成分期支付协议，已支付首期款项。"},
    {NULL, "%s老人赡养问题，子女之间互相推诿。",
     "调解员组织家庭会议，子女签订赡养协议，明确各自义务。"},
};

static const struct phrase certificates[] = {
    {"residence", "本人居住在%s，孩子入学需要开具居住证明。",
     "居住证明已开具，请携带身份证到社区便民服务窗口领取。"},
    {"kinship", "办理继承手续需要开具亲属关系证明，户籍在%s。",
     "经核实户籍资料，亲属关系证明已出具，可到社区窗口领取。"},
    {"hardship", "家住%s，家庭收入低，申请开具经济困难证明用于助学贷款。",
     "经入户核查，已为您开具经济困难证明。"},
    {"other", "本人住%s，办理社保需要社区出具相关证明。",
     "证明已按要求出具，请到社区便民服务窗口领取。"},
};

/* The purpose a certificate is asked for, by its kind. */
static const char *purpose_of(const char *kind)
{
    if (strcmp(kind, "residence") == 0)
        return "子女入学";
    if (strcmp(kind, "kinship") == 0)
        return "办理继承";
    if (strcmp(kind, "hardship") == 0)
        return "申请助学贷款";
    return "办理社保";
}

static const struct phrase consultations[] = {
    {NULL, "住在%s，想咨询城乡居民养老保险怎么缴费，最低档是多少。",
     "已电话答复缴费档次和缴费渠道，可在社区窗口或手机APP办理。"},
    {NULL, "%s的残疾人，想了解能享受哪些补贴，怎么申请。",
     "已告知两项补贴政策和申请材料，社区工作人员可上门协助办理。"},
    {NULL, "家住%s，想咨询临时救助的申请条件和流程。",
     "已答复临时救助的申请条件、所需材料和办理时限。"},
    {NULL, "%s老旧小区改造什么时候开始，需要居民出钱吗？",
     "已答复改造计划和资金政策，具体方案将在社区公示并征求意见。"},
    {NULL, "在%s租房，想咨询如何办理居住证。", "已告知居住证办理条件和材料，可在派出所窗口办理。"},
};

static const struct phrase suggestions[] = {
    {NULL, "建议在%s增设一处休闲座椅和健身器材，方便老人活动。",
     "感谢建议，社区已纳入今年民生实事项目，拟于下季度实施。"},
    {NULL, "建议%s增加一个快递集中收发点，现在快递都堆在门口。",
     "已协调物业和快递企业设置智能快递柜，近期投入使用。"},
    {NULL, "希望%s多组织一些法律知识讲座，特别是防诈骗方面的。",
     "感谢建议，司法所将联合派出所在社区开展反诈普法讲座。"},
    {NULL, "建议%s晚上增加巡逻，最近有电动车电瓶被偷。",
     "已协调派出所和平安志愿者加强夜间巡逻，并增设监控探头。"},
};

static const char *const reject_reasons[] = {
    "该事项属于区市场监管局职责范围，已告知您通过12315热线反映。",
    "反映内容不够具体，无法核实，请补充具体地址后重新提交。",
    "该事项与您此前提交的事项重复，已合并办理。",
    "该纠纷已进入诉讼程序，请通过司法途径解决。",
    "该事项属于物业服务合同约定事项，请先与物业公司协商。",
};

static const char *const reopen_reasons[] = {
    "问题没有彻底解决，过两天又出现了。",
    "答复说已处理，但现场还是老样子。",
    "只处理了一部分，希望彻底解决。",
};

static const char *const good_comments[] = {
    "处理很及时，点赞！",
    "工作人员态度很好，谢谢。",
    "当天就解决了，很满意。",
    "网上反映很方便，不用跑腿。",
    "",
};

static const char *const poor_comments[] = {
    "处理太慢了。",
    "问题只解决了一半。",
    "",
};

/* Places inside a community or village: "%s" is its name. */
static const char *const community_spots[] = {
    "%s文昌路%d号",   "%s滨河小区%d栋",   "%s金龙花园%d单元", "%s西苑小区%d号楼",
    "%s老街%d号附近", "%s农贸市场旁%d号", "%s民主巷%d号",     "%s城西中学对面%d号",
};
static const char *const village_spots[] = {"%s%d组", "%s村委会附近%d号", "%s通村公路%d公里处"};

static const char *const place_suffixes[] = {"sq1", "sq2",  "sq3",  "sq4",
                                             "sq5", "cun1", "cun2", "cun3"};

/* Mainland mobile prefixes; the middle four digits are 0000, a block that
 * reads as made up. */
static const char *const mobile_prefixes[] = {
    "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "157", "158", "159", "176", "177", "180", "181", "186", "187", "188", "189", "199"};

/* ================================================================
 * Types
 * ================================================================ */

struct type_plan {
    const char *code;
    int weight; /* percent of the matters */
    const struct phrase *phrases;
    size_t nphrases;
    const char *attr;   /* the attribute the phrase's key fills, or NULL */
    const char *assign; /* unit suffix handling it; NULL: the place's community or village */
};

static const struct type_plan types[] = {
    {"complaint", 40, complaints, ARRAY_SIZE(complaints), "category", NULL},
    {"safety", 12, hazards, ARRAY_SIZE(hazards), "hazard", "pab"},
    {"dispute", 10, disputes, ARRAY_SIZE(disputes), NULL, "twh"},
    {"certificate", 18, certificates, ARRAY_SIZE(certificates), "certificate_kind", NULL},
    {"consultation", 12, consultations, ARRAY_SIZE(consultations), NULL, "dzb"},
    {"suggestion", 8, suggestions, ARRAY_SIZE(suggestions), NULL, NULL},
};

/* ================================================================
 * Building
 * ================================================================ */

enum fate {
    F_HANDLED,  /* resolved on time */
    F_LATE,     /* resolved after the due date */
    F_REOPENED, /* resolved, reopened, resolved again */
    F_REJECTED,
    F_CARRIED, /* open on 31 December, resolved in January */
    F_OPEN,    /* open on 31 December and never resolved */
};

struct matter_demo {
    const struct demo_params *p;
    size_t index; /* the subdistrict */
    int year;
    char sd[DEMO_CODE_MAX];
    struct arena *a;
    struct demo_rng rng;
    struct unit places[ARRAY_SIZE(place_suffixes)];
    int64_t last_day; /* the last working day of the year */
};

static int64_t day_of(int64_t ms)
{
    struct date d = date_of_instant(ms);
    return date_to_days(&d);
}

/* The instant of local day 'day' at hh:mm. */
static int64_t at(int64_t day, int hh, int mm)
{
    return day * DAY_MS - TIME_CST_OFFSET_MS + ((int64_t)hh * 60 + mm) * MINUTE_MS;
}

static int64_t next_working_day(int64_t day)
{
    do
        day++;
    while (!demo_working_day(day));
    return day;
}

/* 'ms' if it falls in office hours (09:00-17:30 of a working day), else
 * the next working day's morning, a few minutes past nine. */
static int64_t office_time(struct matter_demo *d, int64_t ms)
{
    int64_t day = day_of(ms), minute = (ms + TIME_CST_OFFSET_MS - day * DAY_MS) / MINUTE_MS;

    if (demo_working_day(day) && minute >= 9 * 60 && minute <= 17 * 60 + 30)
        return ms;
    if (!demo_working_day(day) || minute > 17 * 60 + 30)
        day = next_working_day(day);
    return at(day, 9, (int)demo_rng_range(&d->rng, 0, 40));
}

/* 'tmpl' with "%s" replaced by 's' and "%d" by 'n' (templates are data,
 * not formats). */
static void fill(char *buf, size_t size, const char *tmpl, const char *s, int n)
{
    size_t len = 0;

    for (const char *p = tmpl; *p && len + 1 < size; p++) {
        char num[16];
        const char *add = NULL;
        if (p[0] == '%' && p[1] == 's')
            add = s;
        else if (p[0] == '%' && p[1] == 'd') {
            snprintf(num, sizeof(num), "%d", n);
            add = num;
        }
        if (add) {
            size_t k = strlen(add);
            if (len + k >= size)
                break;
            memcpy(buf + len, add, k);
            len += k;
            p++;
        } else {
            buf[len++] = *p;
        }
    }
    buf[len] = '\0';
}

static int unit_of(struct store_conn *c, struct matter_demo *d, const char *suffix,
                   struct unit *out, struct err_ctx *ec)
{
    char code[DEMO_CODE_MAX];

    demo_unit_code(d->sd, suffix, code, sizeof(code));
    return org_unit_by_code(c, d->a, code, out, ec);
}

static json_t *obj_str(const char *key, const char *value)
{
    json_t *o = json_object();
    json_object_set_new(o, key, json_string(value));
    return o;
}

/* One staff action; 'fields' is taken (may be NULL). */
static int act(struct store_conn *c, struct matter_demo *d, struct matter *m, const char *tr,
               json_t *fields, int64_t at_ms, struct err_ctx *ec)
{
    int64_t id = m->id;
    int rc;

    if (!fields)
        fields = json_object();
    rc = matter_act(c, d->a, d->p->actor, id, tr, fields, 0, at_ms, m, ec);
    json_decref(fields);
    return rc;
}

static int resident(struct store_conn *c, struct matter_demo *d, struct matter *m, const char *tr,
                    json_t *fields, int64_t at_ms, struct err_ctx *ec)
{
    char code[MATTER_CODE_LEN];
    int rc;

    memcpy(code, m->code, sizeof(code));
    rc = matter_resident_act(c, d->a, code, tr, fields, at_ms, m, ec);
    json_decref(fields);
    return rc;
}

/* A resolution day for a matter started on 'start' and due 'due': a
 * working day up to the due date (the earlier ones likelier), or 1 to 6
 * working days after it when 'late'; never past the year's last working day when
 * 'in_year'. */
static int64_t resolve_day(struct matter_demo *d, int64_t start, int64_t due, bool late,
                           bool in_year)
{
    int64_t day = start;

    if (late) {
        day = due;
        for (int64_t k = demo_rng_range(&d->rng, 1, 6); k > 0; k--)
            day = next_working_day(day);
    } else if (due > start) {
        int64_t span = 0, k;
        for (int64_t x = start; x < due; x = next_working_day(x))
            span++;
        k = demo_rng_range(&d->rng, 0, span);
        k = k < demo_rng_range(&d->rng, 0, span) ? k : demo_rng_range(&d->rng, 0, span);
        while (k-- > 0)
            day = next_working_day(day);
    }
    if (in_year && day > d->last_day)
        day = d->last_day > start ? d->last_day : start;
    return day;
}

/* Resolves 'm' on 'day' at a working hour after 'after'. */
static int resolve(struct store_conn *c, struct matter_demo *d, struct matter *m,
                   const struct phrase *ph, int64_t day, int64_t after, int64_t *when,
                   struct err_ctx *ec)
{
    int64_t t = at(day, (int)demo_rng_range(&d->rng, 9, 16), (int)demo_rng_range(&d->rng, 0, 59));

    if (t <= after)
        t = after + demo_rng_range(&d->rng, 30, 150) * MINUTE_MS;
    *when = t;
    return act(c, d, m, "resolve", obj_str("reply", ph->reply), t, ec);
}

/* The resident rates (most do): 4 or 5 mostly, on time or not. */
static int maybe_rate(struct store_conn *c, struct matter_demo *d, struct matter *m, bool late,
                      int64_t resolved, struct err_ctx *ec)
{
    int64_t roll = demo_rng_range(&d->rng, 1, 100);
    int rating;
    json_t *f;

    if (roll > 82) /* not rated: the matter stays resolved */
        return 0;
    roll = demo_rng_range(&d->rng, 1, 100) + (late ? 25 : 0);
    rating = roll <= 64 ? 5 : roll <= 90 ? 4 : roll <= 96 ? 3 : roll <= 99 ? 2 : 1;
    f = json_object();
    json_object_set_new(f, "rating", json_integer(rating));
    {
        const char *comment =
            rating >= 4 ? good_comments[demo_rng_pick(&d->rng, ARRAY_SIZE(good_comments))]
                        : poor_comments[demo_rng_pick(&d->rng, ARRAY_SIZE(poor_comments))];
        if (*comment)
            json_object_set_new(f, "comment", json_string(comment));
    }
    return resident(c, d, m, "rate", f,
                    resolved + demo_rng_range(&d->rng, 60, 3 * 24 * 60) * MINUTE_MS, ec);
}

/* The unit a matter of type 'tp' at place 'pl' is assigned to. */
static int assignee(struct store_conn *c, struct matter_demo *d, const struct type_plan *tp,
                    const struct phrase *ph, const struct unit *pl, int64_t *id, struct err_ctx *ec)
{
    struct unit u;
    const char *suffix = tp->assign;
    int rc;

    if (ph->key && (strcmp(ph->key, "street_vending") == 0 || strcmp(ph->key, "parking") == 0 ||
                    strcmp(ph->key, "noise") == 0))
        suffix = "zfd";
    if (!suffix) {
        *id = pl->id;
        return 0;
    }
    if ((rc = unit_of(c, d, suffix, &u, ec)) < 0)
        return rc;
    *id = u.id;
    return 0;
}

static int one_matter(struct store_conn *c, struct matter_demo *d, int64_t day, int minute,
                      enum fate fate, struct err_ctx *ec)
{
    const struct type_plan *tp = NULL;
    const struct phrase *ph;
    const struct unit *pl;
    struct matter_new in = {0};
    struct matter m;
    char phone[16], name[32], place[160], desc[600];
    int64_t roll, t0, t, unit_id, resolved, due;
    struct date dd;
    bool female, village;
    int rc;

    /* What, where, who. */
    roll = demo_rng_range(&d->rng, 1, 100);
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        tp = &types[i];
        if ((roll -= types[i].weight) <= 0)
            break;
    }
    if (fate == F_REJECTED && demo_rng_pick(&d->rng, 3) > 0)
        tp = &types[demo_rng_pick(&d->rng, 2) ? 0 : 4]; /* complaints, questions */
    ph = &tp->phrases[demo_rng_pick(&d->rng, tp->nphrases)];
    pl = &d->places[demo_rng_pick(&d->rng, ARRAY_SIZE(place_suffixes))];
    village = strcmp(pl->type, "village") == 0;
    if (village)
        fill(place, sizeof(place), village_spots[demo_rng_pick(&d->rng, ARRAY_SIZE(village_spots))],
             pl->name, (int)demo_rng_range(&d->rng, 1, 12));
    else
        fill(place, sizeof(place),
             community_spots[demo_rng_pick(&d->rng, ARRAY_SIZE(community_spots))], pl->name,
             (int)demo_rng_range(&d->rng, 1, 60));
    fill(desc, sizeof(desc), ph->text, place, 0);
    snprintf(phone, sizeof(phone), "%s0000%04d",
             mobile_prefixes[demo_rng_pick(&d->rng, ARRAY_SIZE(mobile_prefixes))],
             (int)demo_rng_range(&d->rng, 0, 9999));
    demo_person_name(&d->rng, name, sizeof(name), &female);

    in.type = tp->code;
    in.description = desc;
    in.address = place;
    in.phone = phone;
    in.name = demo_rng_pick(&d->rng, 3) ? name : NULL;
    in.source = "portal";
    in.attributes = json_object();
    if (tp->attr)
        json_object_set_new(in.attributes, tp->attr, json_string(ph->key));
    if (strcmp(tp->code, "certificate") == 0)
        json_object_set_new(in.attributes, "purpose", json_string(purpose_of(ph->key)));
    if (strcmp(tp->code, "dispute") == 0)
        json_object_set_new(in.attributes, "parties", json_integer(demo_rng_range(&d->rng, 2, 6)));
    t0 = at(day, minute / 60, minute % 60);
    in.at_ms = t0;
    rc = matter_submit(c, d->a, NULL, &in, &m, ec);
    json_decref(in.attributes);
    if (rc < 0)
        return rc;

    if (fate == F_REJECTED)
        return act(
            c, d, &m, "reject",
            obj_str("reason", reject_reasons[demo_rng_pick(&d->rng, ARRAY_SIZE(reject_reasons))]),
            office_time(d, t0 + demo_rng_range(&d->rng, 20, 240) * MINUTE_MS), ec);

    t = office_time(d, t0 + demo_rng_range(&d->rng, 15, 150) * MINUTE_MS);
    if ((rc = act(c, d, &m, "accept", NULL, t, ec)) < 0 ||
        (rc = assignee(c, d, tp, ph, pl, &unit_id, ec)) < 0)
        return rc;
    t = office_time(d, t + demo_rng_range(&d->rng, 5, 60) * MINUTE_MS);
    {
        json_t *f = json_object();
        json_object_set_new(f, "unit_id", json_integer(unit_id));
        if ((rc = act(c, d, &m, "assign", f, t, ec)) < 0)
            return rc;
    }
    if (fate == F_OPEN && demo_rng_pick(&d->rng, 2))
        return 0; /* assigned, never started */
    t = office_time(d, t + demo_rng_range(&d->rng, 30, 300) * MINUTE_MS);
    if ((rc = act(c, d, &m, "start", NULL, t, ec)) < 0)
        return rc;
    if (fate == F_OPEN)
        return 0;

    if (!m.due_on || date_parse(m.due_on, &dd) < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "演示数据：事项没有办理期限");
    due = date_to_days(&dd);
    if (fate == F_CARRIED) {
        /* Resolved in the first weeks of the next year. */
        struct date first = {d->year + 1, 1, 3};
        int64_t jan = date_to_days(&first), k = demo_rng_range(&d->rng, 0, 6);
        while (!demo_working_day(jan) || k-- > 0)
            jan = next_working_day(jan);
        if ((rc = resolve(c, d, &m, ph, jan, t, &resolved, ec)) < 0)
            return rc;
        return maybe_rate(c, d, &m, jan > due, resolved, ec);
    }
    if ((rc = resolve(c, d, &m, ph, resolve_day(d, day_of(t), due, fate == F_LATE, true), t,
                      &resolved, ec)) < 0)
        return rc;
    if (fate == F_REOPENED) {
        int64_t back = resolved + demo_rng_range(&d->rng, 120, 2 * 24 * 60) * MINUTE_MS;
        if ((rc = resident(
                 c, d, &m, "reopen",
                 obj_str("reason",
                         reopen_reasons[demo_rng_pick(&d->rng, ARRAY_SIZE(reopen_reasons))]),
                 back, ec)) < 0)
            return rc;
        back = office_time(d, back);
        if ((rc = resolve(c, d, &m, ph, resolve_day(d, day_of(back), day_of(back) + 3, false, true),
                          back, &resolved, ec)) < 0)
            return rc;
    }
    return maybe_rate(c, d, &m, fate == F_LATE, resolved, ec);
}

/* A matter to make: its day, its fate, and its draw (ties keep it). */
struct planned {
    int64_t day;
    int minute; /* of the day it is submitted */
    enum fate fate;
    size_t seq;
};

static int cmp_planned(const void *x, const void *y)
{
    const struct planned *a = x, *b = y;
    if (a->day != b->day)
        return (a->day > b->day) - (a->day < b->day);
    if (a->minute != b->minute)
        return (a->minute > b->minute) - (a->minute < b->minute);
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * Points the catalog's handling units at subdistrict d->sd's units: the
 * shipped catalog names them by suffix ("zzzx"), the demo's units are
 * "<subdistrict>-zzzx", and a type whose unit is not found goes to the root
 * unit (江州市), outside every subdistrict. Each subdistrict's matters are
 * submitted with the catalog pointing at its own units; at the end it points
 * at 城西街道's, whose APP the data set is.
 */
static int route_types(struct store_conn *c, struct matter_demo *d, struct err_ctx *ec)
{
    struct matter_type *list;
    size_t n;
    int rc = matter_types_list(c, d->a, false, &list, &n, ec);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *base = strrchr(list[i].unit_code, '-');
        struct unit u;
        base = base ? base + 1 : list[i].unit_code;
        if (!*base)
            continue;
        rc = unit_of(c, d, base, &u, ec);
        if (rc == ERR_NOT_FOUND) {
            err_clear(ec);
            rc = 0;
            continue;
        }
        if (rc == 0)
            rc = store_exec(c, ec, "UPDATE matter_types SET unit_code = $1 WHERE code = $2", "tt",
                            u.code, list[i].code);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

static int route_to(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    return route_types(c, arg, ec);
}

static int build_year(struct store_conn *c, void *arg, struct err_ctx *ec)
{
    struct matter_demo *d = arg;
    bool y22 = d->year == DEMO_YEAR;
    size_t handled = y22 ? DEMO_HANDLED_2022 : DEMO_HANDLED_2021,
           late = y22 ? DEMO_LATE_2022 : DEMO_LATE_2021,
           reopened = y22 ? DEMO_REOPENED_2022 : DEMO_REOPENED_2021,
           rejected = y22 ? DEMO_REJECTED_2022 : DEMO_REJECTED_2021,
           carried = y22 ? DEMO_CARRIED_2022 : 0, open = y22 ? DEMO_OPEN_2022 : 0;
    size_t n = handled + rejected + carried, nwork, early = 0, nearly = 0;
    int64_t work[370], *days = arena_calloc(d->a, n, sizeof(int64_t));
    enum fate *fates = arena_calloc(d->a, n, sizeof(enum fate));
    size_t k = 0;
    struct date dec10 = {d->year, 12, 10}, nov15 = {d->year, 11, 15}, dec19 = {d->year, 12, 19};
    int rc;

    if ((rc = route_types(c, d, ec)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(place_suffixes); i++)
        if ((rc = unit_of(c, d, place_suffixes[i], &d->places[i], ec)) < 0)
            return rc;
    nwork = demo_working_days(d->year, 0, work, ARRAY_SIZE(work));
    d->last_day = work[nwork - 1];
    /* Submission days: the settled and rejected ones up to 10 December (so
     * that every one is resolved within the year), the reopened ones up to
     * 15 November; the carried ones from 19 December. */
    while (nearly < nwork && work[nearly] <= date_to_days(&nov15))
        nearly++;
    while (early < nwork && work[early] <= date_to_days(&dec10))
        early++;
    for (size_t i = 0; i < handled + rejected; i++) {
        enum fate f = i < late              ? F_LATE
                      : i < late + reopened ? F_REOPENED
                      : i < handled         ? F_HANDLED
                                            : F_REJECTED;
        fates[k] = f;
        days[k] = work[demo_rng_pick(&d->rng, f == F_REOPENED ? nearly : early)];
        k++;
    }
    for (size_t i = 0; i < carried; i++) {
        size_t first = early;
        while (first < nwork && work[first] < date_to_days(&dec19))
            first++;
        fates[k] = i < open ? F_OPEN : F_CARRIED;
        days[k] = work[first + demo_rng_pick(&d->rng, nwork - first)];
        k++;
    }
    /* In order of submission, so that ids follow the clock: a matter's fate
     * travels with its day; residents write from 07:00 to 21:59. */
    {
        struct planned *plan = arena_calloc(d->a, n, sizeof(*plan));
        for (size_t i = 0; i < n; i++)
            plan[i] = (struct planned){days[i], (int)demo_rng_range(&d->rng, 7 * 60, 22 * 60 - 1),
                                       fates[i], i};
        qsort(plan, n, sizeof(*plan), cmp_planned);
        for (size_t i = 0; i < n; i++)
            if ((rc = one_matter(c, d, plan[i].day, plan[i].minute, plan[i].fate, ec)) < 0)
                return rc;
    }
    return 0;
}

int matter_demo(struct store *s, const struct demo_params *p, struct err_ctx *ec)
{
    static const int years[] = {DEMO_PREV_YEAR, DEMO_YEAR};
    struct matter_demo d = {.p = p};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < (size_t)p->scale; i++) {
        char name[DEMO_NAME_MAX];
        d.index = i;
        demo_subdistrict(i, d.sd, sizeof(d.sd), name, sizeof(name));
        for (size_t y = 0; rc == 0 && y < ARRAY_SIZE(years); y++) {
            d.year = years[y];
            demo_rng_init(&d.rng, p->seed, 3000 + i, (uint64_t)d.year);
            d.a = arena_new();
            rc = store_write(s, build_year, &d, ec);
            arena_free(d.a);
        }
    }
    if (rc == 0 && p->scale > 1) {
        char name[DEMO_NAME_MAX];
        demo_subdistrict(0, d.sd, sizeof(d.sd), name, sizeof(name));
        d.a = arena_new();
        rc = store_write(s, route_to, &d, ec);
        arena_free(d.a);
    }
    return rc;
}
