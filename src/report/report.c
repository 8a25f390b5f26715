/*
 * report.c - report templates: placeholders checked at load time, the
 * Markdown parsed with md4c into nodes, figures evaluated into a document,
 * and the filters. The writers are in render.c.
 *
 * Loading first finds every {{...}} in the raw text (so that an error can
 * name its line) and replaces it with a token "\x01N\x02" (N the index of
 * the placeholder), which md4c passes through as ordinary text; the text of
 * each block is gathered whole and split at the tokens when the block ends.
 */
#include "core/compat.h"
#include "report/report.h"

#include <md4c.h>

#include "core/arena.h"
#include "core/embedded.h"

enum ph_kind { PH_METRIC, PH_UNIT_NAME, PH_YEAR, PH_NEXT_YEAR, PH_BLOCK };

enum block_name { BLOCK_SHORTCOMINGS, BLOCK_PLANS, BLOCK_LEADING_GROUP };

struct placeholder {
    enum ph_kind kind;
    const struct metric *metric;
    enum report_filter filter;
    const char *arg;
    enum block_name block;
};

/* A node of the template: its text with tokens. */
struct tnode {
    enum report_node_kind kind;
    int level;
    const char *text; /* with tokens */
    size_t len;
};

struct report_template {
    struct placeholder *ph;
    size_t nph;
    struct tnode *nodes;
    size_t n, cap;
};

/* ================================================================
 * Filters
 * ================================================================ */

static const struct {
    const char *name;
    enum report_filter filter;
} filters[] = {
    {"pct", REPORT_FILTER_PCT},
    {"wan", REPORT_FILTER_WAN},
    {"approx", REPORT_FILTER_APPROX},
    {"yoy", REPORT_FILTER_YOY},
};

int report_filter_check(const struct metric *m, enum report_filter filter, const char *arg,
                        struct err_ctx *ec)
{
    switch (filter) {
    case REPORT_FILTER_PCT:
        if (m->kind != METRIC_RATE)
            return err_set(ec, ERR_INVALID, NULL, "过滤器 pct 只用于比率指标，%s 不是比率",
                           m->name);
        break;
    case REPORT_FILTER_WAN:
        if (m->kind != METRIC_SUM || strcmp(m->unit, "元") != 0)
            return err_set(ec, ERR_INVALID, NULL, "过滤器 wan 只用于以元计的合计指标，%s 不是",
                           m->name);
        break;
    case REPORT_FILTER_APPROX:
        if (m->kind == METRIC_RATE || m->scale != 0)
            return err_set(ec, ERR_INVALID, NULL, "过滤器 approx 只用于整数指标，%s 不是", m->name);
        if (arg && strcmp(arg, "余") != 0 && strcmp(arg, "多") != 0)
            return err_set(ec, ERR_INVALID, NULL, "过滤器 approx 的参数应为“余”或“多”");
        return 0;
    case REPORT_FILTER_NONE:
    case REPORT_FILTER_YOY:
        break;
    }
    if (arg)
        return err_set(ec, ERR_INVALID, NULL, "此过滤器没有参数");
    return 0;
}

/* Tenths as text with one decimal, ".0" dropped: 995 -> "99.5", 1000 -> "100". */
static void tenths(int64_t t, char *buf, size_t size)
{
    const char *sign = t < 0 ? "-" : "";
    uint64_t u = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;

    if (u % 10)
        snprintf(buf, size, "%s%llu.%llu", sign, (unsigned long long)(u / 10),
                 (unsigned long long)(u % 10));
    else
        snprintf(buf, size, "%s%llu", sign, (unsigned long long)(u / 10));
}

/* a / b rounded half away from zero (b > 0). */
static int64_t div_round(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

static void approx(int64_t v, const char *suffix, char *buf, size_t size)
{
    int64_t p = 1;

    if (v < 10) {
        snprintf(buf, size, "%lld", (long long)v);
        return;
    }
    while (v / p >= 1000)
        p *= 10;
    snprintf(buf, size, "%lld%s", (long long)(v / p * p), suffix);
}

static void yoy(const struct metric *m, const struct metric_value *v,
                const struct metric_value *prev, char *buf, size_t size)
{
    char t[48];
    int64_t d;

    if (m->kind == METRIC_RATE) {
        if (!v->defined || !prev || !prev->defined) {
            snprintf(buf, size, "上年无可比数据");
            return;
        }
        d = v->value - prev->value;
        tenths(d < 0 ? -d : d, t, sizeof(t));
        if (d == 0)
            snprintf(buf, size, "与上年持平");
        else
            snprintf(buf, size, "比上年%s%s个百分点", d > 0 ? "提高" : "降低", t);
        return;
    }
    d = v->value - (prev ? prev->value : 0);
    if (d == 0) {
        snprintf(buf, size, "与上年持平");
        return;
    }
    if (!prev || prev->value <= 0) {
        metric_decimal_format(d < 0 ? -d : d, m->scale, t, sizeof(t));
        snprintf(buf, size, "比上年%s%s", d > 0 ? "增加" : "减少", t);
        return;
    }
    /* The change in tenths of a percent. */
    tenths(div_round((d < 0 ? -d : d) * 1000, prev->value), t, sizeof(t));
    snprintf(buf, size, "比上年%s%s%%", d > 0 ? "增长" : "下降", t);
}

int report_filter_format(const struct metric *m, enum report_filter filter, const char *arg,
                         const struct metric_value *v, const struct metric_value *prev, char *buf,
                         size_t size)
{
    struct err_ctx ec = {0};
    int64_t div = 1;
    char t[48];

    if (report_filter_check(m, filter, arg, &ec) < 0)
        return ERR_INVALID;
    switch (filter) {
    case REPORT_FILTER_NONE:
        metric_format(m, v, buf, size);
        break;
    case REPORT_FILTER_PCT:
        if (!v->defined) {
            snprintf(buf, size, "—");
            break;
        }
        tenths(v->value, t, sizeof(t));
        snprintf(buf, size, "%s%%", t);
        break;
    case REPORT_FILTER_WAN:
        /* To hundredths of 万: divide by 10^(scale + 2). */
        for (int i = 0; i < m->scale + 2; i++)
            div *= 10;
        metric_decimal_format(div_round(v->value, div), 2, buf, size);
        break;
    case REPORT_FILTER_APPROX:
        approx(v->value, arg ? arg : "余", buf, size);
        break;
    case REPORT_FILTER_YOY:
        yoy(m, v, prev, buf, size);
        break;
    }
    return 0;
}

/* ================================================================
 * Placeholders
 * ================================================================ */

static const char *trim(struct arena *a, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return arena_strndup(a, s, n);
}

static int parse_placeholder(const char *name, int line, const char *s, size_t n,
                             const struct metric_registry *reg, struct arena *a,
                             struct placeholder *ph, struct err_ctx *ec)
{
    const char *bar = memchr(s, '|', n);
    const char *what = trim(a, s, bar ? (size_t)(bar - s) : n);
    const char *f = bar ? trim(a, bar + 1, n - (size_t)(bar - s) - 1) : NULL;
    char *colon;
    size_t i;

    memset(ph, 0, sizeof(*ph));
    if (str_starts_with(what, "block:")) {
        const char *b = what + 6;
        ph->kind = PH_BLOCK;
        if (strcmp(b, "shortcomings") == 0)
            ph->block = BLOCK_SHORTCOMINGS;
        else if (strcmp(b, "plans") == 0)
            ph->block = BLOCK_PLANS;
        else if (strcmp(b, "leading_group") == 0)
            ph->block = BLOCK_LEADING_GROUP;
        else
            return err_set(ec, ERR_INVALID, NULL, "%s:%d: 未知文本块 %s", name, line, b);
        if (f)
            return err_set(ec, ERR_INVALID, NULL, "%s:%d: 文本块不接受过滤器", name, line);
        return 0;
    }
    if (strcmp(what, "unit.name") == 0 || strcmp(what, "year") == 0 ||
        strcmp(what, "next_year") == 0) {
        ph->kind = what[0] == 'u' ? PH_UNIT_NAME : what[0] == 'y' ? PH_YEAR : PH_NEXT_YEAR;
        if (f)
            return err_set(ec, ERR_INVALID, NULL, "%s:%d: %s 不接受过滤器", name, line, what);
        return 0;
    }
    ph->kind = PH_METRIC;
    if (!(ph->metric = metric_registry_find(reg, what)))
        return err_set(ec, ERR_INVALID, NULL, "%s:%d: 未知指标 %s", name, line, what);
    if (!f)
        return 0;
    if ((colon = strchr(f, ':'))) {
        *colon = '\0';
        ph->arg = trim(a, colon + 1, strlen(colon + 1));
        f = trim(a, f, strlen(f));
    }
    for (i = 0; i < ARRAY_SIZE(filters); i++)
        if (strcmp(f, filters[i].name) == 0)
            break;
    if (i == ARRAY_SIZE(filters))
        return err_set(ec, ERR_INVALID, NULL, "%s:%d: 未知过滤器 %s", name, line, f);
    ph->filter = filters[i].filter;
    if (report_filter_check(ph->metric, ph->filter, ph->arg, ec) < 0) {
        char msg[sizeof(ec->message)];
        snprintf(msg, sizeof(msg), "%s", ec->message);
        err_clear(ec);
        return err_set(ec, ERR_INVALID, NULL, "%s:%d: %s", name, line, msg);
    }
    return 0;
}

/* ================================================================
 * md4c
 * ================================================================ */

struct parse_state {
    struct report_template *t;
    struct arena *a;
    struct strbuf text;
    int depth_html; /* inside an HTML block or a code block: skipped */
    int li;         /* inside a list item */
    int heading;    /* level of the open heading, or 0 */
};

static void node_add(struct parse_state *ps, enum report_node_kind kind, int level)
{
    struct report_template *t = ps->t;
    const char *s = ps->text.buf ? ps->text.buf : "";
    size_t n = ps->text.len;

    while (n && (*s == ' ' || *s == '\n'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        n--;
    if (n) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 32;
            struct tnode *nodes = arena_calloc(ps->a, cap, sizeof(*nodes));
            if (t->n)
                memcpy(nodes, t->nodes, t->n * sizeof(*nodes));
            t->nodes = nodes;
            t->cap = cap;
        }
        t->nodes[t->n++] = (struct tnode){kind, level, arena_strndup(ps->a, s, n), n};
    }
    strbuf_reset(&ps->text);
}

static int enter_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
    struct parse_state *ps = arg;

    switch (type) {
    case MD_BLOCK_HTML:
    case MD_BLOCK_CODE:
        ps->depth_html++;
        break;
    case MD_BLOCK_H:
        ps->heading = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
        strbuf_reset(&ps->text);
        break;
    case MD_BLOCK_LI:
        ps->li++;
        strbuf_reset(&ps->text);
        break;
    case MD_BLOCK_P:
        if (!ps->li)
            strbuf_reset(&ps->text);
        break;
    default:
        break;
    }
    return 0;
}

static int leave_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
    struct parse_state *ps = arg;

    (void)detail;
    switch (type) {
    case MD_BLOCK_HTML:
    case MD_BLOCK_CODE:
        ps->depth_html--;
        strbuf_reset(&ps->text);
        break;
    case MD_BLOCK_H:
        node_add(ps, REPORT_HEADING, ps->heading);
        ps->heading = 0;
        break;
    case MD_BLOCK_LI:
        node_add(ps, REPORT_LIST_ITEM, 0);
        ps->li--;
        break;
    case MD_BLOCK_P:
        if (ps->li)
            strbuf_addch(&ps->text, '\n');
        else
            node_add(ps, REPORT_PARAGRAPH, 0);
        break;
    default:
        break;
    }
    return 0;
}

static int enter_span(MD_SPANTYPE type, void *detail, void *arg)
{
    (void)type, (void)detail, (void)arg;
    return 0;
}

static int leave_span(MD_SPANTYPE type, void *detail, void *arg)
{
    (void)type, (void)detail, (void)arg;
    return 0;
}

static const struct {
    const char *entity, *text;
} entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&nbsp;", " "}};

static int text_cb(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *arg)
{
    struct parse_state *ps = arg;

    if (ps->depth_html)
        return 0;
    switch (type) {
    case MD_TEXT_SOFTBR:
        break; /* Chinese text joins lines without a space */
    case MD_TEXT_BR:
        strbuf_addch(&ps->text, '\n');
        break;
    case MD_TEXT_NULLCHAR:
        break;
    case MD_TEXT_ENTITY:
        for (size_t i = 0; i < ARRAY_SIZE(entities); i++)
            if (strlen(entities[i].entity) == size && memcmp(entities[i].entity, text, size) == 0) {
                strbuf_adds(&ps->text, entities[i].text);
                return 0;
            }
        strbuf_add(&ps->text, text, size);
        break;
    default:
        strbuf_add(&ps->text, text, size);
        break;
    }
    return 0;
}

int report_template_parse(const char *name, const char *text, size_t len,
                          const struct metric_registry *reg, struct arena *a,
                          struct report_template **out, struct err_ctx *ec)
{
    struct report_template *t = arena_zalloc(a, sizeof(*t));
    struct parse_state ps = {.t = t, .a = a};
    struct strbuf src;
    size_t cap = 16, i = 0;
    int line = 1, rc = 0;
    MD_PARSER parser = {0};

    t->ph = arena_calloc(a, cap, sizeof(*t->ph));
    strbuf_init(&src, len + 1);
    while (i < len) {
        if (text[i] == '\n')
            line++;
        if (text[i] == '\x01' || text[i] == '\x02') {
            rc = err_set(ec, ERR_INVALID, NULL, "%s:%d: 模板含有控制字符", name, line);
            goto out;
        }
        if (text[i] == '{' && i + 1 < len && text[i + 1] == '{') {
            size_t j = i + 2;
            while (j + 1 < len && !(text[j] == '}' && text[j + 1] == '}') && text[j] != '\n')
                j++;
            if (j + 1 >= len || text[j] == '\n') {
                rc = err_set(ec, ERR_INVALID, NULL, "%s:%d: 占位符缺少 }}", name, line);
                goto out;
            }
            if (t->nph == cap) {
                struct placeholder *ph = arena_calloc(a, 2 * cap, sizeof(*ph));
                memcpy(ph, t->ph, cap * sizeof(*ph));
                t->ph = ph;
                cap *= 2;
            }
            if ((rc = parse_placeholder(name, line, text + i + 2, j - i - 2, reg, a, &t->ph[t->nph],
                                        ec)) < 0)
                goto out;
            strbuf_addf(&src, "\x01%zu\x02", t->nph++);
            i = j + 2;
            continue;
        }
        strbuf_addch(&src, text[i]);
        i++;
    }

    parser.flags = MD_FLAG_NOHTMLSPANS;
    parser.enter_block = enter_block;
    parser.leave_block = leave_block;
    parser.enter_span = enter_span;
    parser.leave_span = leave_span;
    parser.text = text_cb;
    strbuf_init(&ps.text, 256);
    if (md_parse(src.buf ? src.buf : "", (MD_SIZE)src.len, &parser, &ps) != 0)
        rc = err_set(ec, ERR_INVALID, NULL, "%s: 无法解析 Markdown", name);
    strbuf_release(&ps.text);
    if (rc == 0)
        *out = t;
out:
    strbuf_release(&src);
    return rc;
}

int report_template_load(const char *name, const struct metric_registry *reg, struct arena *a,
                         struct report_template **out, struct err_ctx *ec)
{
    const struct embedded_file *f = embedded_file_find(name);

    if (!f)
        return err_set(ec, ERR_NOT_FOUND, NULL, "没有报告模板 %s", name);
    return report_template_parse(name, f->data, f->len, reg, a, out, ec);
}

size_t report_template_metrics(const struct report_template *t, const struct metric **out,
                               size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < t->nph; i++) {
        bool seen = false;
        if (t->ph[i].kind != PH_METRIC)
            continue;
        for (size_t j = 0; j < n && j < max; j++)
            seen = seen || out[j] == t->ph[i].metric;
        if (seen)
            continue;
        if (n < max)
            out[n] = t->ph[i].metric;
        n++;
    }
    return n;
}

/* ================================================================
 * Building a document
 * ================================================================ */

struct builder {
    const struct report_template *t;
    const struct report_params *p;
    struct arena *a;
    struct metric_query prev; /* the previous period, for yoy */
    struct report_node *nodes;
    size_t n, cap;
    struct report_run *runs; /* of the node being built */
    size_t nruns, rcap;
    int year;
};

static void run_add(struct builder *b, enum report_run_kind kind, const char *text,
                    const struct metric *m, const char *href)
{
    if (b->nruns == b->rcap) {
        size_t cap = b->rcap ? 2 * b->rcap : 8;
        struct report_run *runs = arena_calloc(b->a, cap, sizeof(*runs));
        if (b->nruns)
            memcpy(runs, b->runs, b->nruns * sizeof(*runs));
        b->runs = runs;
        b->rcap = cap;
    }
    b->runs[b->nruns++] = (struct report_run){kind, text, m, href};
}

static void node_end(struct builder *b, enum report_node_kind kind, int level)
{
    if (!b->nruns)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 32;
        struct report_node *nodes = arena_calloc(b->a, cap, sizeof(*nodes));
        if (b->n)
            memcpy(nodes, b->nodes, b->n * sizeof(*nodes));
        b->nodes = nodes;
        b->cap = cap;
    }
    b->nodes[b->n++] = (struct report_node){kind, level, b->runs, b->nruns};
    b->runs = NULL;
    b->nruns = b->rcap = 0;
}

/* Free text: a paragraph per blank-line-separated part, lines joined. */
static void free_text(struct builder *b, const char *text)
{
    const char *s = text && *text ? text : REPORT_PENDING;
    struct strbuf para;

    strbuf_init(&para, 256);
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        size_t k = n;
        while (k && (s[k - 1] == '\r' || s[k - 1] == ' '))
            k--;
        if (k == 0) {
            if (para.len)
                run_add(b, REPORT_RUN_TEXT, arena_strndup(b->a, para.buf, para.len), NULL, NULL);
            node_end(b, REPORT_PARAGRAPH, 0);
            strbuf_reset(&para);
        } else {
            strbuf_add(&para, s, k);
        }
        s += n + (nl ? 1 : 0);
    }
    if (para.len)
        run_add(b, REPORT_RUN_TEXT, arena_strndup(b->a, para.buf, para.len), NULL, NULL);
    node_end(b, REPORT_PARAGRAPH, 0);
    strbuf_release(&para);
}

static const char *position_label(const char *position)
{
    return strcmp(position, "leader") == 0   ? "组长"
           : strcmp(position, "deputy") == 0 ? "副组长"
                                             : "成员";
}

static int leading_group(struct builder *b, struct err_ctx *ec)
{
    static const char *const positions[] = {"leader", "deputy", "member"};
    struct report_group g = {0};
    struct strbuf sb;
    int rc;

    if (b->p->leading_group && (rc = b->p->leading_group(b->p->group_arg, b->a, &g, ec)) < 0)
        return rc;
    if (!g.name || !g.n) {
        run_add(b, REPORT_RUN_TEXT, "（未登记领导小组成员）", NULL, NULL);
        node_end(b, REPORT_PARAGRAPH, 0);
        return 0;
    }
    strbuf_init(&sb, 256);
    strbuf_addf(&sb, "%s：", g.name);
    for (size_t k = 0, listed = 0; k < ARRAY_SIZE(positions); k++) {
        bool first = true;
        for (size_t i = 0; i < g.n; i++) {
            if (strcmp(g.members[i].position, positions[k]) != 0)
                continue;
            if (first)
                strbuf_addf(&sb, "%s%s", listed++ ? "；" : "", position_label(positions[k]));
            else
                strbuf_adds(&sb, "、");
            strbuf_adds(&sb, g.members[i].name);
            first = false;
        }
    }
    strbuf_adds(&sb, "。");
    run_add(b, REPORT_RUN_TEXT, arena_strndup(b->a, sb.buf, sb.len), NULL, NULL);
    node_end(b, REPORT_PARAGRAPH, 0);
    strbuf_release(&sb);
    return 0;
}

static const char *records_href(struct builder *b, const struct metric *m)
{
    const struct metric_query *q = b->p->q;

    if (q->period.kind == METRIC_PERIOD_YEAR)
        return arena_printf(b->a, "/api/v1/metrics/%s/records?unit=%lld&year=%d", m->name,
                            (long long)q->unit_id, b->year);
    return arena_printf(b->a, "/api/v1/metrics/%s/records?unit=%lld&from=%s&to=%s", m->name,
                        (long long)q->unit_id, q->period.from, q->period.to);
}

static int figure(struct builder *b, const struct placeholder *ph, struct err_ctx *ec)
{
    struct metric_value v, prev = {0};
    char text[96];
    int rc;

    if ((rc = metric_evaluate(ph->metric, b->p->q, &v, ec)) < 0)
        return rc;
    if (ph->filter == REPORT_FILTER_YOY &&
        (rc = metric_evaluate(ph->metric, &b->prev, &prev, ec)) < 0)
        return rc;
    if (report_filter_format(ph->metric, ph->filter, ph->arg, &v, &prev, text, sizeof(text)) < 0)
        return err_set(ec, ERR_INTERNAL, NULL, "过滤器不适用于指标 %s", ph->metric->name);
    run_add(b, REPORT_RUN_FIGURE, arena_strdup(b->a, text), ph->metric,
            records_href(b, ph->metric));
    return 0;
}

static int build_node(struct builder *b, const struct tnode *tn, struct err_ctx *ec)
{
    const char *s = tn->text, *end = tn->text + tn->len;
    int rc;

    while (s < end) {
        const char *tok = memchr(s, '\x01', (size_t)(end - s));
        const struct placeholder *ph;
        size_t idx;

        if (!tok)
            tok = end;
        if (tok > s)
            run_add(b, REPORT_RUN_TEXT, arena_strndup(b->a, s, (size_t)(tok - s)), NULL, NULL);
        if (tok == end)
            break;
        idx = (size_t)strtoull(tok + 1, NULL, 10);
        s = strchr(tok, '\x02') + 1;
        ph = &b->t->ph[idx];
        switch (ph->kind) {
        case PH_METRIC:
            if ((rc = figure(b, ph, ec)) < 0)
                return rc;
            break;
        case PH_UNIT_NAME:
            run_add(b, REPORT_RUN_TEXT, b->p->unit_name ? b->p->unit_name : "", NULL, NULL);
            break;
        case PH_YEAR:
        case PH_NEXT_YEAR:
            run_add(b, REPORT_RUN_TEXT,
                    arena_printf(b->a, "%d", b->year + (ph->kind == PH_NEXT_YEAR)), NULL, NULL);
            break;
        case PH_BLOCK:
            /* A block takes the place of its whole paragraph. */
            b->nruns = 0;
            if (ph->block == BLOCK_LEADING_GROUP)
                return leading_group(b, ec);
            free_text(b, ph->block == BLOCK_SHORTCOMINGS ? b->p->shortcomings : b->p->plans);
            return 0;
        }
    }
    node_end(b, tn->kind, tn->level);
    return 0;
}

int report_build(const struct report_template *t, const struct report_params *p,
                 struct report_doc **out, struct err_ctx *ec)
{
    struct builder b = {.t = t, .p = p, .a = p->q->arena};
    struct report_doc *doc;
    int rc;

    b.year = (int)strtol(p->q->period.from, NULL, 10);
    b.prev = *p->q;
    b.prev.cache = NULL;
    metric_period_previous(&p->q->period, &b.prev.period);
    for (size_t i = 0; i < t->n; i++)
        if ((rc = build_node(&b, &t->nodes[i], ec)) < 0)
            return rc;
    doc = arena_zalloc(b.a, sizeof(*doc));
    doc->nodes = b.nodes;
    doc->n = b.n;
    doc->title = "";
    for (size_t i = 0; i < b.n; i++) {
        if (b.nodes[i].kind == REPORT_HEADING && b.nodes[i].level == 1) {
            struct strbuf sb;
            strbuf_init(&sb, 128);
            for (size_t k = 0; k < b.nodes[i].nruns; k++)
                strbuf_adds(&sb, b.nodes[i].runs[k].text);
            doc->title = arena_strndup(b.a, sb.buf ? sb.buf : "", sb.len);
            strbuf_release(&sb);
            break;
        }
    }
    *out = doc;
    return 0;
}
