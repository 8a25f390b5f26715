/*
 * test_report.c - `fazhi report` over the demo data set: the Markdown and
 * HTML of the 2022 report of 城西街道 print every landed figure of the
 * seed report as the seed prints it, keep the seed's sections in order, and
 * link every figure of the HTML to its records.
 *
 * The seed's figures are copied here (metric, the value as the report
 * prints it, and the phrase around it), not read from conf/ or the seed.
 */
#include "core/compat.h"
#include "api/harness.h"

#include "core/str.h"

#include <expat.h>
#include <zip.h>

static struct test_server srv;

/* Every seed figure whose module has landed: the phrase as the seed has it. */
static const struct {
    const char *metric, *text, *phrase;
} figures[] = {
    {"study.central_group.sessions", "12", "共开展了12次中心组学法"},
    {"study.lecture.sessions", "8", "法治讲座8期"},
    {"study.lecture.attendance", "426", "426人次接受习近平法治思想宣讲受训"},
    {"study.staff_training.attendance", "736", "法治学习培训近736人次"},
    {"people.legal_literate.trained", "24", "全年培养法律明白人24人"},
    {"publicity.campaign.count", "28", "开展集中宣传28次"},
    {"publicity.meeting.count", "46余", "群众会、院坝会46余场次"},
    {"publicity.materials.copies", "32000余", "发放宣传资料32000余份"},
    {"publicity.led.count", "135余", "通过LED宣传135余次"},
    {"publicity.wechat.count", "358余", "通过微信推送信息358余条"},
    {"traffic.stations.count", "7", "与7个道路交通劝导站累计开展联合执法36余次"},
    {"traffic.joint_operations.count", "36余", "累计开展联合执法36余次"},
    {"traffic.joint_operations.vehicles_checked", "2000余", "检查车辆2000余辆"},
    {"traffic.joint_operations.violations", "50余", "查处违法行为50余人次"},
    {"traffic.station_duty.count", "50余", "街道道安办驻站执法50余次"},
    {"traffic.persuasion.vehicles_checked", "8000余", "累计检查车辆8000余辆"},
    {"traffic.persuasion.persuaded", "100余", "劝导违法行为100余起"},
    {"traffic.checkins.count", "1425", "累计签到1425次"},
    {"traffic.patrols.count", "700余", "路巡700余次"},
    {"traffic.patrols.km", "1050500", "1050500公里"},
    {"safety.joint_operations.count", "30余", "危化烟花爆竹等重点领域联合执法30余次"},
    {"safety.places.inspected", "42", "检查重点领域及场所42家次"},
    {"sanitation.campaigns.count", "30", "开展环境卫生综合整治30次"},
    {"sanitation.parking.count", "225", "规范车辆乱停放225起"},
    {"sanitation.door_stalls.count", "256", "骑门摊256起"},
    {"sanitation.piles.count", "587", "清除乱堆乱放587起"},
    {"sanitation.ads.count", "215", "清除牛皮癣215处"},
    {"sanitation.vendors.count", "126", "驱逐游摊游贩126起"},
    {"river.sites.remediated", "13", "完成整治13处"},
    {"matters.app.handled", "256", "通过智慧城西线上APP处理居民反应事项256件次"},
};

/* The seed's headings, in order. */
static const char *const headings[] = {
    "城西街道党工委办事处关于2022年度法治政府建设情况的报告",
    "一、主要举措",
    "（一）责任落实，领导重视",
    "（二）健全队伍，提升素质",
    "（三）加大宣传力度，营造浓厚氛围",
    "（四）全面公开，推进民主",
    "（五）依法行政，规范行为",
    "（六）严格依法行政，狠抓突出问题整治",
    "（七）加强人民调解，深化矛盾纠纷排查化解",
    "（八）数字法治政府建设提档增速",
    "二、法治政府建设中的不足及原因",
    "三、2023年推进法治政府建设的工作思路",
};

static int group_setup(void **state)
{
    (void)state;
    server_start_demo(&srv, (const char *const[]){"--seed", "2022", NULL});
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* Runs `fazhi report` with 'format' (and extra args) into DIR/report.FORMAT. */
static char *report(const char *format, const char *extra1, const char *extra2)
{
    struct cli_result r = {0};
    char out[256];

    snprintf(out, sizeof(out), "%s/report.%s", srv.dir, format);
    if (cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "chengxi", "--year", "2022",
            "--format", format, "-o", out, extra1 ? extra1 : "--year",
            extra2 ? extra2 : "2022") != 0)
        harness_note("%s", r.err);
    assert_int_equal(r.status, 0);
    cli_result_release(&r);
    return slurp(out);
}

static void test_report__markdown_prints_the_seed_figures_in_its_sections(void **state)
{
    char *md = report("md", NULL, NULL);
    const char *at = md;
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(figures); i++)
        if (!strstr(md, figures[i].phrase)) {
            harness_note("%s: %s not in the report", figures[i].metric, figures[i].phrase);
            fail();
        }
    for (size_t i = 0; i < ARRAY_SIZE(headings); i++) {
        char line[256];
        snprintf(line, sizeof(line), "%s %s\n",
                 i == 0              ? "#"
                 : i == 1 || i >= 10 ? "##"
                                     : "###",
                 headings[i]);
        if (!(at = strstr(at, line))) {
            harness_note("heading %s missing or out of order", headings[i]);
            fail();
        }
    }
    /* The leading group from the org register; free text still to write. */
    assert_non_null(strstr(md, "依法行政工作领导小组：组长"));
    assert_non_null(strstr(md, "；副组长"));
    assert_non_null(strstr(md, "（待填写）"));
    assert_null(strstr(md, "{{"));
    free(md);
}

static void test_report__html_links_every_figure_to_its_records(void **state)
{
    char *html = report("html", NULL, NULL);
    char link[256];
    (void)state;

    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(
        strstr(html, "<title>城西街道党工委办事处关于2022年度法治政府建设情况的报告</title>"));
    assert_non_null(strstr(html, "<h2>一、主要举措</h2>"));
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++) {
        snprintf(link, sizeof(link), "href=\"/api/v1/metrics/%s/records?unit=", figures[i].metric);
        if (!strstr(html, link)) {
            harness_note("%s: no link to its records", figures[i].metric);
            fail();
        }
        snprintf(link, sizeof(link), "data-metric=\"%s\">%s</a>", figures[i].metric,
                 figures[i].text);
        if (!strstr(html, link)) {
            harness_note("%s: not printed as %s", figures[i].metric, figures[i].text);
            fail();
        }
    }
    free(html);
}

static void test_report__free_text_and_unsupported_formats(void **state)
{
    struct cli_result r = {0};
    char path[256];
    FILE *f;
    char *md;
    (void)state;

    snprintf(path, sizeof(path), "%s/plans.txt", srv.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("一是坚持领导干部带头学法。\n\n二是强化政务公开。\n", f);
    fclose(f);
    md = report("md", "--plans", path);
    assert_non_null(strstr(md, "\n一是坚持领导干部带头学法。\n\n二是强化政务公开。\n"));
    free(md);

    cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "chengxi", "--year", "2022", "--format",
        "odt", "-o", "x.odt");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--format 应为"));
    cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "nowhere", "--year", "2022");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nowhere"));
    cli_result_release(&r);
}

/* ---- the statistics workbook (--format xlsx) ---- */

#define SHEET_ROWS 64
#define SHEET_COLS 16

/* Cells of one worksheet as text (shared strings resolved), A1 at [0][0]. */
struct sheet {
    char *strings[256]; /* xl/sharedStrings.xml */
    size_t nstrings;
    char *cell[SHEET_ROWS][SHEET_COLS];
    /* parser state */
    struct strbuf text;
    bool in_text, shared;
    int row, col;
};

static void XMLCALL sheet_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
    struct sheet *s = arg;

    if (strcmp(name, "t") == 0 || strcmp(name, "v") == 0) {
        s->in_text = true;
        strbuf_reset(&s->text);
    } else if (strcmp(name, "c") == 0) {
        s->shared = false;
        s->row = s->col = -1;
        for (size_t i = 0; attrs[i]; i += 2) {
            const char *v = attrs[i + 1];
            if (strcmp(attrs[i], "t") == 0)
                s->shared = strcmp(v, "s") == 0;
            else if (strcmp(attrs[i], "r") == 0 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= '1' &&
                     v[1] <= '9') /* at most column Z: enough here */
            {
                s->col = v[0] - 'A';
                s->row = (int)strtol(v + 1, NULL, 10) - 1;
            }
        }
    }
}

static void XMLCALL sheet_end(void *arg, const XML_Char *name)
{
    struct sheet *s = arg;
    const char *text = s->text.buf ? s->text.buf : "";

    if (strcmp(name, "t") == 0 && s->nstrings < ARRAY_SIZE(s->strings) && s->row < 0)
        s->strings[s->nstrings++] = strdup(text);
    else if (strcmp(name, "v") == 0 && s->row >= 0 && s->row < SHEET_ROWS && s->col >= 0 &&
             s->col < SHEET_COLS) {
        size_t i = (size_t)strtoul(text, NULL, 10);
        s->cell[s->row][s->col] = strdup(s->shared && i < s->nstrings ? s->strings[i] : text);
    }
    s->in_text = false;
}

static void XMLCALL sheet_chars(void *arg, const XML_Char *text, int len)
{
    struct sheet *s = arg;
    if (s->in_text)
        strbuf_add(&s->text, text, (size_t)len);
}

static void sheet_parse_part(zip_t *z, const char *name, struct sheet *s)
{
    XML_Parser p = XML_ParserCreate("UTF-8");
    zip_stat_t st;
    zip_file_t *f;
    char *buf;

    assert_int_equal(zip_stat(z, name, 0, &st), 0);
    buf = malloc(st.size + 1);
    assert_non_null(f = zip_fopen(z, name, 0));
    assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
    zip_fclose(f);
    XML_SetUserData(p, s);
    XML_SetElementHandler(p, sheet_start, sheet_end);
    XML_SetCharacterDataHandler(p, sheet_chars);
    if (XML_Parse(p, buf, (int)st.size, 1) != XML_STATUS_OK) {
        harness_note("%s: %s", name, XML_ErrorString(XML_GetErrorCode(p)));
        fail();
    }
    XML_ParserFree(p);
    free(buf);
}

static void sheet_read(const char *path, struct sheet *s)
{
    int err;
    zip_t *z = zip_open(path, ZIP_RDONLY, &err);

    assert_non_null(z);
    memset(s, 0, sizeof(*s));
    strbuf_init(&s->text, 256);
    s->row = -1;
    sheet_parse_part(z, "xl/sharedStrings.xml", s);
    sheet_parse_part(z, "xl/worksheets/sheet1.xml", s);
    zip_close(z);
}

static void sheet_release(struct sheet *s)
{
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    for (size_t r = 0; r < SHEET_ROWS; r++)
        for (size_t c = 0; c < SHEET_COLS; c++)
            free(s->cell[r][c]);
    strbuf_release(&s->text);
}

/* The cell of metric 'name' (column B) under the title 'title' (row 1), or NULL. */
static const char *sheet_value(const struct sheet *s, const char *name, const char *title)
{
    for (size_t r = 1; r < SHEET_ROWS; r++)
        for (size_t c = 0; s->cell[r][1] && strcmp(s->cell[r][1], name) == 0 && c < SHEET_COLS; c++)
            if (s->cell[0][c] && strcmp(s->cell[0][c], title) == 0)
                return s->cell[r][c];
    return NULL;
}

static void test_report__xlsx_lists_every_metric_by_unit_with_the_year_before(void **state)
{
    struct cli_result r = {0};
    struct sheet s;
    char path[256];
    const char *v;
    (void)state;

    snprintf(path, sizeof(path), "%s/figures.xlsx", srv.dir);
    if (cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "xicheng", "--year", "2022",
            "--format", "xlsx", "-o", path) != 0)
        harness_note("%s", r.err);
    assert_int_equal(r.status, 0);
    sheet_read(path, &s);

    /* Rows are metrics (label, code, unit); the district, then its subdistrict. */
    assert_string_equal(s.cell[0][0], "指标");
    assert_string_equal(s.cell[0][1], "指标代码");
    assert_string_equal(s.cell[0][2], "计量单位");
    assert_string_equal(s.cell[0][3], "西城区 2022年");
    assert_string_equal(s.cell[0][4], "西城区 2021年（上年）");
    assert_string_equal(s.cell[0][5], "城西街道 2022年");
    assert_string_equal(s.cell[0][6], "城西街道 2021年（上年）");
    assert_null(s.cell[0][7]);
    for (size_t i = 0; i < ARRAY_SIZE(figures); i++)
        if (!sheet_value(&s, figures[i].metric, "城西街道 2022年")) {
            harness_note("%s: not in the workbook", figures[i].metric);
            fail();
        }

    assert_non_null(v = sheet_value(&s, "traffic.patrols.km", "城西街道 2022年"));
    assert_string_equal(v, "1050500");
    assert_non_null(v = sheet_value(&s, "traffic.patrols.km", "城西街道 2021年（上年）"));
    assert_true(strtod(v, NULL) > 0 && strtod(v, NULL) < 1050500);
    assert_string_equal(sheet_value(&s, "traffic.patrols.km", "西城区 2022年"), "1050500");
    assert_string_equal(sheet_value(&s, "traffic.checkins.count", "城西街道 2022年"), "1425");
    assert_string_equal(sheet_value(&s, "people.legal_literate.trained", "城西街道 2021年（上年）"),
                        "16");
    sheet_release(&s);

    /* A file only (libxlsxwriter writes files), and a known unit. */
    cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "chengxi", "--year", "2022", "--format",
        "xlsx");
    assert_int_equal(r.status, 2);
    cli(&srv, &r, NULL, "report", "--db", srv.db, "--unit", "nowhere", "--year", "2022", "--format",
        "xlsx", "-o", path);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nowhere"));
    cli_result_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__markdown_prints_the_seed_figures_in_its_sections),
        cmocka_unit_test(test_report__html_links_every_figure_to_its_records),
        cmocka_unit_test(test_report__free_text_and_unsupported_formats),
        cmocka_unit_test(test_report__xlsx_lists_every_metric_by_unit_with_the_year_before),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
