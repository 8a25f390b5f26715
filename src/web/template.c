/*
 * template.c - compiling and rendering the HTML templates of template.h.
 *
 * Compiling is one pass over the text. Literal text goes through a small
 * HTML tokenizer - the states of the HTML standard's tokenizer that decide
 * escaping, and stricter than a browser: markup that a browser would repair
 * is an error in a template - and becomes a TEXT op; each {{tag}} becomes an
 * op whose escaping is fixed by the tokenizer state at that point. A section
 * records the state at its start and must end in a compatible one, so that
 * the state after it is known whether it ran zero, one or many times. Ops
 * and path segments point into the template's own copy of its text.
 *
 * Rendering walks the ops with a fixed stack of context frames (its depth is
 * bounded at compile time) and allocates nothing but the output.
 */
#include "core/compat.h"
#include "web/template.h"

#include <stdarg.h>

/* ================================================================
 * Compiled form
 * ================================================================ */

enum op_kind { OP_TEXT, OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED, OP_PARTIAL };

/* How a value is written; attribute values use ESC_HTML (it escapes both quotes). */
enum esc { ESC_HTML, ESC_URL, ESC_URL_PART };

enum seg_kind { SEG_NAME, SEG_DOT, SEG_INDEX, SEG_NUMBER };

struct seg {
    const char *s; /* into the template's text */
    size_t len;
    unsigned char kind;
};

struct op {
    unsigned char kind; /* enum op_kind */
    unsigned char esc;  /* enum esc, for OP_VAR */
    unsigned line;
    const char *text; /* OP_TEXT: the literal; others: the name as written */
    size_t len;
    size_t seg, nseg;               /* OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED: the path */
    size_t end;                     /* OP_SECTION, OP_INVERTED: the op after the body */
    const struct template *partial; /* OP_PARTIAL: set when the set is linked */
};

#define DEPTH_UNKNOWN  (-1)
#define DEPTH_VISITING (-2)

struct template
{
    char *name, *path, *src;
    size_t len;
    struct op *ops;
    size_t nops, ops_cap;
    struct seg *segs;
    size_t nsegs, segs_cap;
    int depth; /* deepest frame nesting, partials included; DEPTH_* while linking */
};

struct template_set {
    struct template *t; /* sorted by name */
    size_t n;
};

/* ================================================================
 * Small helpers
 * ================================================================ */

static bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    p = realloc(p, n * elem);
    if (!p)
        abort(); /* like the arena and strbuf: out of memory ends the process */
    *cap = n;
    return p;
}

static unsigned count_lines(const char *a, const char *b)
{
    unsigned n = 0;
    for (; a < b; a++)
        n += *a == '\n';
    return n;
}

/* ================================================================
 * The HTML tokenizer
 * ================================================================ */

enum hs {
    HS_TEXT,
    HS_RCDATA,  /* <title>, <textarea>: text up to the end tag, escaped as text */
    HS_RAWTEXT, /* <script>, <style>, ...: no escaping is right, so no tags */
    HS_TAG_OPEN,
    HS_END_TAG_OPEN,
    HS_TAG_NAME,
    HS_IN_TAG, /* between attributes */
    HS_ATTR_NAME,
    HS_AFTER_ATTR_NAME,
    HS_BEFORE_VALUE,
    HS_VALUE_DQ,
    HS_VALUE_SQ,
    HS_VALUE_UQ,
    HS_DECL_OPEN, /* "<!" */
    HS_COMMENT,
    HS_BOGUS, /* <!DOCTYPE ...>, <?...> */
};

enum attr_kind { ATTR_PLAIN, ATTR_URL, ATTR_BANNED };

static const struct {
    const char *name;
    unsigned char st;
} raw_elements[] = {
    {"script", HS_RAWTEXT},    {"style", HS_RAWTEXT},   {"xmp", HS_RAWTEXT},
    {"iframe", HS_RAWTEXT},    {"noembed", HS_RAWTEXT}, {"noframes", HS_RAWTEXT},
    {"plaintext", HS_RAWTEXT}, {"textarea", HS_RCDATA}, {"title", HS_RCDATA},
};

#define TAG_NAME_MAX  12
#define ATTR_NAME_MAX 48

struct html {
    /* What a section's start and end must agree on. */
    unsigned char st;   /* enum hs */
    unsigned char attr; /* in a value: enum attr_kind */
    unsigned char raw;  /* in RCDATA / RAWTEXT: index in raw_elements */
    bool url_start;     /* in a URL value: nothing but spaces so far */
    bool glued;         /* in a tag, right after a tag that ended an attribute name */
    /* Transient: never at a section boundary. */
    unsigned char match; /* RCDATA/RAWTEXT: chars of "</name" seen; comments: dashes */
    bool end_tag;
    bool tag_long;
    char tag[TAG_NAME_MAX];
    size_t tlen;
    char attr_name[ATTR_NAME_MAX];
    size_t alen;
    unsigned tag_line; /* where the current tag or comment began */
};

static const char *state_label(const struct html *h)
{
    switch (h->st) {
    case HS_TEXT:
        return "HTML 正文";
    case HS_RCDATA:
        return "<title>/<textarea> 内";
    case HS_RAWTEXT:
        return "<script>/<style> 内";
    case HS_TAG_OPEN:
    case HS_END_TAG_OPEN:
    case HS_TAG_NAME:
        return "标签名中";
    case HS_IN_TAG:
    case HS_ATTR_NAME:
    case HS_AFTER_ATTR_NAME:
        return "标签内";
    case HS_VALUE_DQ:
    case HS_VALUE_SQ:
        return "属性值内";
    case HS_BEFORE_VALUE:
    case HS_VALUE_UQ:
        return "未加引号的属性值中";
    default:
        return "HTML 注释或声明中";
    }
}

/* Event handlers, inline styles and srcdoc hold script, CSS or HTML: no
 * escaping of ours makes a value safe there. */
static unsigned char attr_classify(const char *n, size_t len)
{
    static const char *const url_attrs[] = {
        "href",   "src",  "action",     "formaction", "poster",   "cite",     "data",
        "srcset", "ping", "background", "longdesc",   "manifest", "codebase", "icon",
    };

    if ((len > 2 && n[0] == 'o' && n[1] == 'n') || (len == 5 && memcmp(n, "style", 5) == 0) ||
        (len == 6 && memcmp(n, "srcdoc", 6) == 0))
        return ATTR_BANNED;
    for (size_t i = 0; i < ARRAY_SIZE(url_attrs); i++)
        if (strlen(url_attrs[i]) == len && memcmp(n, url_attrs[i], len) == 0)
            return ATTR_URL;
    /* data-live-src, data-url, xlink:href: named like a URL, treated as one. */
    if (ends_with(n, len, "src") || ends_with(n, len, "href") || ends_with(n, len, "url") ||
        ends_with(n, len, "action"))
        return ATTR_URL;
    return ATTR_PLAIN;
}

/* ================================================================
 * The compiler
 * ================================================================ */

struct open_section {
    size_t op;
    struct html h;    /* the state at the start of the body */
    const char *body; /* the text right after the opening tag */
};

struct compiler {
    struct template *t;
    struct err_ctx *ec;
    struct html h;
    unsigned line;
    struct open_section open[TEMPLATE_MAX_DEPTH];
    size_t depth;
};

static int fail(struct compiler *c, unsigned line, const char *fmt, ...) FZ_PRINTF(3, 4);

static int fail(struct compiler *c, unsigned line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(c->ec, ERR_INVALID, NULL, "%s:%u: %s", c->t->path, line, msg);
}

static void tag_end(struct html *h)
{
    h->glued = false;
    h->st = HS_TEXT;
    if (h->end_tag || h->tag_long)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(raw_elements); i++) {
        if (strlen(raw_elements[i].name) == h->tlen &&
            memcmp(raw_elements[i].name, h->tag, h->tlen) == 0) {
            h->st = raw_elements[i].st;
            h->raw = (unsigned char)i;
            h->match = 0;
            return;
        }
    }
}

static void tag_start(struct html *h, int ch, bool end_tag)
{
    h->st = HS_TAG_NAME;
    h->end_tag = end_tag;
    h->tag_long = false;
    h->tlen = 0;
    h->tag[h->tlen++] = (char)lower(ch);
}

static int attr_add(struct compiler *c, int ch)
{
    if (c->h.alen + 1 >= ATTR_NAME_MAX)
        return fail(c, c->line, "属性名过长");
    c->h.attr_name[c->h.alen++] = (char)lower(ch);
    return 0;
}

/* RCDATA / RAWTEXT: look for "</name" followed by a space, '/' or '>'. */
static void raw_char(struct html *h, int ch, unsigned line)
{
    const char *want = raw_elements[h->raw].name;
    size_t wl = strlen(want);

    if (h->match == 0) {
        h->match = ch == '<';
    } else if (h->match == 1) {
        h->match = ch == '/' ? 2 : ch == '<';
    } else if (h->match < 2 + wl) {
        if (lower(ch) == want[h->match - 2])
            h->match++;
        else
            h->match = ch == '<';
    } else if (is_space(ch) || ch == '/') {
        h->st = HS_IN_TAG;
        h->end_tag = true;
        h->glued = false;
        h->tag_line = line;
    } else if (ch == '>') {
        h->st = HS_TEXT;
    } else {
        h->match = ch == '<';
    }
}

/* Runs the tokenizer over literal text, counting lines. */
static int html_feed(struct compiler *c, const char *s, size_t n)
{
    struct html *h = &c->h;

    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
    again:
        switch (h->st) {
        case HS_TEXT:
            if (ch == '<') {
                h->st = HS_TAG_OPEN;
                h->tag_line = c->line;
            }
            break;
        case HS_RCDATA:
        case HS_RAWTEXT:
            raw_char(h, ch, c->line);
            break;
        case HS_TAG_OPEN:
            if (is_alpha(ch)) {
                tag_start(h, ch, false);
            } else if (ch == '/') {
                h->st = HS_END_TAG_OPEN;
            } else if (ch == '!') {
                h->st = HS_DECL_OPEN;
                h->match = 0;
            } else if (ch == '?') {
                h->st = HS_BOGUS;
            } else {
                h->st = HS_TEXT; /* a '<' that starts no tag is text */
                goto again;
            }
            break;
        case HS_END_TAG_OPEN:
            if (is_alpha(ch))
                tag_start(h, ch, true);
            else
                h->st = ch == '>' ? HS_TEXT : HS_BOGUS;
            break;
        case HS_TAG_NAME:
            if (is_space(ch) || ch == '/') {
                h->st = HS_IN_TAG;
                h->glued = false;
            } else if (ch == '>') {
                tag_end(h);
            } else if (h->tlen + 1 < TAG_NAME_MAX) {
                h->tag[h->tlen++] = (char)lower(ch);
            } else {
                h->tag_long = true;
            }
            break;
        case HS_IN_TAG:
            if (is_space(ch) || ch == '/') {
                h->glued = false;
            } else if (ch == '>') {
                tag_end(h);
            } else if (ch == '=' || ch == '"' || ch == '\'' || ch == '<') {
                return fail(c, c->line, "标签内出现意外的字符 '%c'", ch);
            } else if (h->glued) {
                /* "hr{{/a}}ef" is "href" to a browser, two names to us. */
                return fail(c, c->line, "模板标签与其后的属性名之间需要空白");
            } else {
                h->st = HS_ATTR_NAME;
                h->alen = 0;
                if (attr_add(c, ch) < 0)
                    return c->ec->code;
            }
            break;
        case HS_ATTR_NAME:
        case HS_AFTER_ATTR_NAME:
            if (is_space(ch)) {
                h->st = HS_AFTER_ATTR_NAME;
            } else if (ch == '/') {
                h->st = HS_IN_TAG;
                h->glued = false;
            } else if (ch == '>') {
                tag_end(h);
            } else if (ch == '=') {
                h->st = HS_BEFORE_VALUE;
                h->attr = attr_classify(h->attr_name, h->alen);
            } else if (ch == '"' || ch == '\'' || ch == '<') {
                return fail(c, c->line, "属性名中出现意外的字符 '%c'", ch);
            } else {
                if (h->st == HS_AFTER_ATTR_NAME) {
                    h->st = HS_ATTR_NAME;
                    h->alen = 0;
                }
                if (attr_add(c, ch) < 0)
                    return c->ec->code;
            }
            break;
        case HS_BEFORE_VALUE:
            if (is_space(ch))
                break;
            if (ch == '"' || ch == '\'') {
                h->st = ch == '"' ? HS_VALUE_DQ : HS_VALUE_SQ;
                h->url_start = true;
            } else if (ch == '>') {
                return fail(c, c->line, "属性 %.*s 缺少值", (int)h->alen, h->attr_name);
            } else {
                h->st = HS_VALUE_UQ;
                goto again;
            }
            break;
        case HS_VALUE_DQ:
        case HS_VALUE_SQ:
            if (ch == (h->st == HS_VALUE_DQ ? '"' : '\'')) {
                h->st = HS_IN_TAG;
                h->glued = false;
            } else if (!is_space(ch)) {
                h->url_start = false;
            }
            break;
        case HS_VALUE_UQ:
            if (is_space(ch)) {
                h->st = HS_IN_TAG;
                h->glued = false;
            } else if (ch == '>') {
                tag_end(h);
            } else if (strchr("\"'<=`", ch)) {
                return fail(c, c->line, "未加引号的属性值中出现意外的字符 '%c'", ch);
            }
            break;
        case HS_DECL_OPEN:
            if (ch == '-') {
                if (++h->match == 2)
                    h->st = HS_COMMENT; /* match stays 2: "<!-->" is a whole comment */
            } else {
                h->st = ch == '>' ? HS_TEXT : HS_BOGUS;
            }
            break;
        case HS_COMMENT:
            if (ch == '-')
                h->match = h->match < 200 ? h->match + 1 : h->match;
            else if (ch == '>' && h->match >= 2)
                h->st = HS_TEXT;
            else
                h->match = 0;
            break;
        case HS_BOGUS:
            if (ch == '>')
                h->st = HS_TEXT;
            break;
        }
        if (ch == '\n')
            c->line++;
    }
    return 0;
}

/* ---- tags ---- */

static struct op *op_add(struct compiler *c, enum op_kind kind, unsigned line)
{
    struct template *t = c->t;
    struct op *op;

    t->ops = grow(t->ops, &t->ops_cap, t->nops + 1, sizeof(*t->ops));
    op = &t->ops[t->nops++];
    memset(op, 0, sizeof(*op));
    op->kind = (unsigned char)kind;
    op->line = line;
    return op;
}

static bool name_char(int c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}

/* Parses "a.b.c", ".", "@index" or "@number" into the template's segments. */
static int parse_path(struct compiler *c, unsigned line, const char *s, size_t n, struct op *op)
{
    struct template *t = c->t;
    size_t i = 0;

    op->seg = t->nsegs;
    if (n == 0)
        return fail(c, line, "模板标签缺少名称");
    if ((n == 1 && s[0] == '.') || (n == 6 && memcmp(s, "@index", 6) == 0) ||
        (n == 7 && memcmp(s, "@number", 7) == 0)) {
        t->segs = grow(t->segs, &t->segs_cap, t->nsegs + 1, sizeof(*t->segs));
        t->segs[t->nsegs++] = (struct seg){s, n,
                                           n == 1   ? SEG_DOT
                                           : n == 6 ? SEG_INDEX
                                                    : SEG_NUMBER};
        op->nseg = 1;
        return 0;
    }
    while (i <= n) {
        size_t start = i;
        while (i < n && name_char((unsigned char)s[i]))
            i++;
        if (i == start || (i < n && s[i] != '.'))
            return fail(c, line, "无效的名称 \"%.*s\"（只能由字母、数字、_、- 和 . 组成）", (int)n,
                        s);
        t->segs = grow(t->segs, &t->segs_cap, t->nsegs + 1, sizeof(*t->segs));
        t->segs[t->nsegs++] = (struct seg){s + start, i - start, SEG_NAME};
        i++; /* the '.' (or past the end) */
    }
    op->nseg = t->nsegs - op->seg;
    return 0;
}

/* The error for a tag that cannot stand where the tokenizer is, or 0. */
static int check_place(struct compiler *c, unsigned line)
{
    switch (c->h.st) {
    case HS_RAWTEXT:
        return fail(c, line, "<%s> 内不能使用模板标签", raw_elements[c->h.raw].name);
    case HS_TAG_OPEN:
    case HS_END_TAG_OPEN:
    case HS_TAG_NAME:
        return fail(c, line, "标签名中不能使用模板标签");
    case HS_BEFORE_VALUE:
    case HS_VALUE_UQ:
        return fail(c, line, "属性值须加引号才能使用模板标签");
    case HS_DECL_OPEN:
    case HS_COMMENT:
    case HS_BOGUS:
        return fail(c, line, "HTML 注释或声明中不能使用模板标签");
    default:
        return 0;
    }
}

/*
 * A section tag in a tag ("<input{{#r}} required{{/r}}>"): it ends the tag or
 * attribute name as a space would, and nothing may follow glued to that name.
 */
static void section_in_tag(struct html *h)
{
    if (h->st == HS_TAG_NAME || h->st == HS_ATTR_NAME) {
        h->st = HS_IN_TAG;
        h->glued = true;
    } else if (h->st == HS_AFTER_ATTR_NAME) {
        h->st = HS_IN_TAG;
        h->glued = false;
    }
}

static int tag_var(struct compiler *c, unsigned line, const char *name, size_t n)
{
    struct html *h = &c->h;
    struct op *op;
    unsigned char esc = ESC_HTML;

    if (check_place(c, line) < 0)
        return c->ec->code;
    switch (h->st) {
    case HS_IN_TAG:
    case HS_ATTR_NAME:
    case HS_AFTER_ATTR_NAME:
        return fail(c, line, "标签内属性名的位置不能输出变量（可用区块选择固定的属性）");
    case HS_VALUE_DQ:
    case HS_VALUE_SQ:
        if (h->attr == ATTR_BANNED)
            return fail(c, line, "事件属性（on...）、style 和 srcdoc 的值中不能输出变量");
        if (h->attr == ATTR_URL)
            esc = h->url_start ? ESC_URL : ESC_URL_PART;
        h->url_start = false;
        break;
    default:
        break;
    }
    op = op_add(c, OP_VAR, line);
    op->esc = esc;
    op->text = name;
    op->len = n;
    return parse_path(c, line, name, n, op);
}

static int tag_raw(struct compiler *c, unsigned line, const char *name, size_t n)
{
    struct op *op;

    if (check_place(c, line) < 0)
        return c->ec->code;
    if (c->h.st != HS_TEXT)
        return fail(c, line, "原样输出 {{{%.*s}}} 只能用在 HTML 正文中", (int)n, name);
    op = op_add(c, OP_RAW, line);
    op->text = name;
    op->len = n;
    if (parse_path(c, line, name, n, op) < 0)
        return c->ec->code;
    {
        const struct seg *last = &c->t->segs[op->seg + op->nseg - 1];
        if (last->kind != SEG_NAME || !ends_with(last->s, last->len, "_html"))
            return fail(
                c, line,
                "{{{%.*s}}} 原样输出 HTML，只能用于名称以 _html 结尾的成员（如 chart_html）",
                (int)n, name);
    }
    return 0;
}

static int tag_partial(struct compiler *c, unsigned line, const char *name, size_t n)
{
    struct op *op;

    if (check_place(c, line) < 0)
        return c->ec->code;
    if (c->h.st != HS_TEXT)
        return fail(c, line, "局部模板 {{>%.*s}} 只能用在 HTML 正文中", (int)n, name);
    if (n == 0)
        return fail(c, line, "局部模板缺少名称");
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)name[i]) && name[i] != '/' && name[i] != '.')
            return fail(c, line, "无效的局部模板名 \"%.*s\"", (int)n, name);
    op = op_add(c, OP_PARTIAL, line);
    op->text = name;
    op->len = n;
    return 0;
}

static int tag_open(struct compiler *c, unsigned line, bool inverted, const char *name, size_t n,
                    const char *body)
{
    struct op *op;

    section_in_tag(&c->h);
    if (check_place(c, line) < 0)
        return c->ec->code;
    if (c->depth == TEMPLATE_MAX_DEPTH)
        return fail(c, line, "区块嵌套超过 %d 层", TEMPLATE_MAX_DEPTH);
    op = op_add(c, inverted ? OP_INVERTED : OP_SECTION, line);
    op->text = name;
    op->len = n;
    if (parse_path(c, line, name, n, op) < 0)
        return c->ec->code;
    c->open[c->depth++] = (struct open_section){c->t->nops - 1, c->h, body};
    return 0;
}

static int tag_close(struct compiler *c, unsigned line, const char *name, size_t n)
{
    struct open_section *o;
    struct op *op;
    struct html *h = &c->h;

    section_in_tag(h);
    if (check_place(c, line) < 0)
        return c->ec->code;
    if (c->depth == 0)
        return fail(c, line, "多余的区块结束标签 {{/%.*s}}", (int)n, name);
    o = &c->open[c->depth - 1];
    op = &c->t->ops[o->op];
    if (op->len != n || memcmp(op->text, name, n) != 0)
        return fail(c, line, "区块结束标签 {{/%.*s}} 与第 %u 行的 {{%c%.*s}} 不对应", (int)n, name,
                    op->line, op->kind == OP_INVERTED ? '^' : '#', (int)op->len, op->text);
    if (h->st != o->h.st || ((h->st == HS_RCDATA) && h->raw != o->h.raw) ||
        ((h->st == HS_VALUE_DQ || h->st == HS_VALUE_SQ) && h->attr != o->h.attr))
        return fail(c, line, "区块 {{%c%.*s}}（第 %u 行）开始时在%s，结束时在%s，前后须一致",
                    op->kind == OP_INVERTED ? '^' : '#', (int)op->len, op->text, op->line,
                    state_label(&o->h), state_label(h));
    /* A loop repeats the body: a name glued to its end would run into the
     * body's first name on the next round. */
    if (h->st == HS_IN_TAG && h->glued && !is_space((unsigned char)*o->body))
        return fail(c, line, "区块 {{#%.*s}} 在标签内重复时属性名会相连：请在区块开头加空白",
                    (int)op->len, op->text);
    /* After the section the state is the start's or the end's: keep whichever
     * restricts more. */
    h->url_start = h->url_start || o->h.url_start;
    h->glued = h->glued || o->h.glued;
    op->end = c->t->nops;
    c->depth--;
    return 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && is_space((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Parses the tag at 'p' ("{{"); returns the text after it, or NULL on error. */
static const char *parse_tag(struct compiler *c, const char *p, const char *end)
{
    unsigned line = c->line;
    const char *q = p + 2, *close, *after, *name;
    size_t n;
    int rc = 0;
    char sigil = q < end ? *q : '\0';

    if (sigil == '{') {
        close = memmem(q + 1, (size_t)(end - q - 1), "}}}", 3);
        if (!close) {
            fail(c, line, "未闭合的模板标签 \"{{{\"");
            return NULL;
        }
        name = q + 1;
        after = close + 3;
    } else {
        close = memmem(q, (size_t)(end - q), "}}", 2);
        if (!close) {
            fail(c, line, "未闭合的模板标签 \"{{\"");
            return NULL;
        }
        name = strchr("!#^/>&=", sigil) && sigil ? q + 1 : q;
        after = close + 2;
    }
    n = (size_t)(close - name);
    if (sigil != '!')
        trim(&name, &n);
    switch (sigil) {
    case '!':
        break;
    case '{':
    case '&':
        rc = tag_raw(c, line, name, n);
        break;
    case '#':
    case '^':
        rc = tag_open(c, line, sigil == '^', name, n, after < end ? after : "");
        break;
    case '/':
        rc = tag_close(c, line, name, n);
        break;
    case '>':
        rc = tag_partial(c, line, name, n);
        break;
    case '=':
        rc = fail(c, line, "不支持更改分隔符 {{=...=}}");
        break;
    default:
        rc = tag_var(c, line, name, n);
        break;
    }
    c->line += count_lines(p, after);
    return rc < 0 ? NULL : after;
}

/* Templates are UTF-8 text: no NUL, no control character but tab, CR, LF. */
static int check_text(struct compiler *c)
{
    const char *s = c->t->src, *end = s + c->t->len;
    unsigned line = 1;

    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        if (!str_is_clean_utf8(s, (size_t)(stop - s)))
            return fail(c, line, "模板不是有效的 UTF-8 文本，或含有控制字符");
        s = nl ? nl + 1 : end;
        line++;
    }
    return 0;
}

static int compile(struct template *t, struct err_ctx *ec)
{
    struct compiler c;
    const char *p = t->src, *end = t->src + t->len;

    memset(&c, 0, sizeof(c));
    c.t = t;
    c.ec = ec;
    c.line = 1;
    c.h.st = HS_TEXT;
    if (check_text(&c) < 0)
        return ec->code;
    while (p < end) {
        const char *tag = memmem(p, (size_t)(end - p), "{{", 2);
        const char *stop = tag ? tag : end;
        if (stop > p) {
            struct op *op = op_add(&c, OP_TEXT, c.line);
            op->text = p;
            op->len = (size_t)(stop - p);
            if (html_feed(&c, p, (size_t)(stop - p)) < 0)
                return ec->code;
        }
        if (!tag)
            break;
        if (!(p = parse_tag(&c, tag, end)))
            return ec->code;
    }
    if (c.depth) {
        const struct op *op = &t->ops[c.open[c.depth - 1].op];
        return fail(&c, op->line, "区块 {{%c%.*s}} 没有结束标签",
                    op->kind == OP_INVERTED ? '^' : '#', (int)op->len, op->text);
    }
    if (c.h.st != HS_TEXT)
        return fail(&c, c.h.tag_line, "模板结束时此处开始的标签、注释或 <%s> 元素尚未结束",
                    c.h.st == HS_RCDATA || c.h.st == HS_RAWTEXT ? raw_elements[c.h.raw].name
                                                                : "...");
    return 0;
}

/* ================================================================
 * The set: sorting, partials, depth
 * ================================================================ */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct template *)a)->name, ((const struct template *)b)->name);
}

static const struct template *find(const struct template_set *set, const char *name, size_t n)
{
    size_t lo = 0, hi = set->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = set->t[mid].name;
        int cmp = strncmp(name, m, n);
        if (cmp == 0)
            cmp = m[n] == '\0' ? 0 : -1;
        if (cmp == 0)
            return &set->t[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int link_error(const struct template *t, const struct op *op, struct err_ctx *ec,
                      const char *what)
{
    return err_set(ec, ERR_INVALID, NULL, "%s:%u: 局部模板 \"%.*s\" %s", t->path, op->line,
                   (int)op->len, op->text, what);
}

/* Resolves the partials of t (depth first) and computes its frame depth. */
static int link(struct template_set *set, struct template *t, struct err_ctx *ec)
{
    size_t ends[TEMPLATE_MAX_DEPTH];
    size_t nd = 0;
    int max = 0;

    if (t->depth >= 0)
        return 0;
    t->depth = DEPTH_VISITING;
    for (size_t i = 0; i < t->nops; i++) {
        struct op *op = &t->ops[i];
        int d = 0;

        while (nd && ends[nd - 1] <= i)
            nd--;
        if (op->kind == OP_SECTION || op->kind == OP_INVERTED) {
            ends[nd++] = op->end;
            d = (int)nd;
        } else if (op->kind == OP_PARTIAL) {
            struct template *p = (struct template *)find(set, op->text, op->len);
            if (!p)
                return link_error(t, op, ec, "不存在");
            if (p->depth == DEPTH_VISITING)
                return link_error(t, op, ec, "递归包含了自身");
            if (link(set, p, ec) < 0)
                return ec->code;
            op->partial = p;
            d = (int)nd + p->depth;
        }
        if (d > TEMPLATE_MAX_DEPTH)
            return err_set(ec, ERR_INVALID, NULL, "%s:%u: 区块嵌套（含局部模板）超过 %d 层",
                           t->path, op->line, TEMPLATE_MAX_DEPTH);
        if (d > max)
            max = d;
    }
    t->depth = max;
    return 0;
}

static char *dup_text(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int template_set_new(const struct template_source *src, size_t n, struct template_set **out,
                     struct err_ctx *ec)
{
    struct template_set *set = calloc(1, sizeof(*set));
    struct err_ctx local;

    if (!ec) { /* the compiler reads the code back from ec */
        err_clear(&local);
        ec = &local;
    }
    *out = NULL;
    if (!set || !(set->t = calloc(n ? n : 1, sizeof(*set->t))))
        abort();
    for (size_t i = 0; i < n; i++) {
        struct template *t = &set->t[set->n++];
        t->name = dup_text(src[i].name, strlen(src[i].name));
        t->path = dup_text(src[i].path, strlen(src[i].path));
        t->src = dup_text(src[i].text, src[i].len);
        t->len = src[i].len;
        t->depth = DEPTH_UNKNOWN;
        if (!*t->name) {
            err_set(ec, ERR_INVALID, NULL, "%s: 模板名为空", t->path);
            goto fail;
        }
        if (compile(t, ec) < 0)
            goto fail;
    }
    qsort(set->t, set->n, sizeof(*set->t), by_name);
    for (size_t i = 1; i < set->n; i++) {
        if (strcmp(set->t[i].name, set->t[i - 1].name) == 0) {
            err_set(ec, ERR_INVALID, NULL, "%s: 模板名 \"%s\" 与 %s 重复", set->t[i].path,
                    set->t[i].name, set->t[i - 1].path);
            goto fail;
        }
    }
    for (size_t i = 0; i < set->n; i++)
        if (link(set, &set->t[i], ec) < 0)
            goto fail;
    *out = set;
    return 0;
fail:
    template_set_free(set);
    return ec->code;
}

void template_set_free(struct template_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->t[i].name);
        free(set->t[i].path);
        free(set->t[i].src);
        free(set->t[i].ops);
        free(set->t[i].segs);
    }
    free(set->t);
    free(set);
}

bool template_exists(const struct template_set *set, const char *name)
{
    return set && name && find(set, name, strlen(name)) != NULL;
}

/* ================================================================
 * Escaping
 * ================================================================ */

void template_escape_html(struct strbuf *out, const char *s, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\0':
            rep = "\xef\xbf\xbd"; /* U+FFFD, as a browser would show it */
            break;
        default:
            continue;
        }
        strbuf_add(out, s + start, i - start);
        strbuf_adds(out, rep);
        start = i + 1;
    }
    strbuf_add(out, s + start, len - start);
}

static void percent(struct strbuf *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char buf[3] = {'%', hex[c >> 4], hex[c & 15]};
    strbuf_add(out, buf, 3);
}

static bool url_allowed(const char *s, size_t n)
{
    static const char *const schemes[] = {"http", "https", "mailto", "tel"};
    size_t i = 0;

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return false; /* tabs and newlines vanish inside a browser's URL parser */
    if (n == 0 || s[0] == '?' || s[0] == '#')
        return true;
    if (s[0] == '/') /* but not "//host" or "/\host": another site */
        return n == 1 || (s[1] != '/' && s[1] != '\\');
    while (i < n && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
                     s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i == 0 || i == n || s[i] != ':')
        return false;
    for (size_t k = 0; k < ARRAY_SIZE(schemes); k++) {
        size_t sl = strlen(schemes[k]), j;
        if (sl != i)
            continue;
        for (j = 0; j < sl && lower((unsigned char)s[j]) == schemes[k][j]; j++)
            ;
        if (j == sl)
            return true;
    }
    return false;
}

void template_escape_url(struct strbuf *out, const char *s, size_t len)
{
    while (len && is_space((unsigned char)*s))
        s++, len--;
    while (len && is_space((unsigned char)s[len - 1]))
        len--;
    if (!url_allowed(s, len)) {
        strbuf_adds(out, "about:invalid#blocked");
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '&')
            strbuf_adds(out, "&amp;");
        else if (c == '\'')
            strbuf_adds(out, "&#39;");
        else if (is_alpha(c) || is_digit(c) || strchr("-._~:/?#[]@!$()*+,;=%", c))
            strbuf_addch(out, c);
        else
            percent(out, c);
    }
}

/* A value after literal text in a URL: one component, so nothing in it can
 * change the URL's shape. */
static void escape_url_part(struct strbuf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
            strbuf_addch(out, c);
        else
            percent(out, c);
    }
}

static void escape(struct strbuf *out, unsigned char esc, const char *s, size_t len)
{
    if (esc == ESC_URL)
        template_escape_url(out, s, len);
    else if (esc == ESC_URL_PART)
        escape_url_part(out, s, len);
    else
        template_escape_html(out, s, len);
}

/* The shortest text that reads back as d, with ".0" if it looks integral
 * (as JSON writes a real). */
static size_t format_real(double d, char *buf, size_t size)
{
    int n = 0;

    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (n > 0 && (size_t)n + 2 < size && !strpbrk(buf, ".eEn")) {
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = '\0';
    }
    return n > 0 ? (size_t)n : 0;
}

/* ================================================================
 * Rendering
 * ================================================================ */

struct frame {
    json_t *v;
    long long index; /* the item's index in its loop, or -1 */
};

struct render {
    struct strbuf *out;
    size_t start; /* out->len before this render */
    size_t steps;
    bool over; /* past a limit: stop */
    size_t n;
    struct frame frames[TEMPLATE_MAX_FRAMES + TEMPLATE_MAX_DEPTH + 1];
};

struct value {
    json_t *j;
    bool is_int; /* @index, @number */
    long long i;
};

static json_t *member(json_t *v, const struct seg *s)
{
    if (json_is_object(v))
        return json_object_getn(v, s->s, s->len);
    if (json_is_array(v) && s->len <= 9) {
        size_t idx = 0;
        for (size_t i = 0; i < s->len; i++) {
            if (!is_digit((unsigned char)s->s[i]))
                return NULL;
            idx = idx * 10 + (size_t)(s->s[i] - '0');
        }
        return json_array_get(v, idx);
    }
    return NULL;
}

static struct value lookup(const struct render *r, const struct template *t, const struct op *op)
{
    const struct seg *sg = &t->segs[op->seg];
    struct value v = {NULL, false, 0};
    json_t *cur = NULL;

    switch (sg[0].kind) {
    case SEG_DOT:
        v.j = r->n ? r->frames[r->n - 1].v : NULL;
        return v;
    case SEG_INDEX:
    case SEG_NUMBER:
        for (size_t i = r->n; i-- > 0;) {
            if (r->frames[i].index >= 0) {
                v.is_int = true;
                v.i = r->frames[i].index + (sg[0].kind == SEG_NUMBER);
                break;
            }
        }
        return v;
    default:
        for (size_t i = r->n; i-- > 0 && !cur;)
            if (json_is_object(r->frames[i].v))
                cur = json_object_getn(r->frames[i].v, sg[0].s, sg[0].len);
        for (size_t k = 1; cur && k < op->nseg; k++)
            cur = member(cur, &sg[k]);
        v.j = cur;
        return v;
    }
}

static bool truthy(const struct value *v)
{
    if (v->is_int)
        return v->i != 0;
    if (!v->j)
        return false;
    switch (json_typeof(v->j)) {
    case JSON_OBJECT:
    case JSON_TRUE:
        return true;
    case JSON_ARRAY:
        return json_array_size(v->j) > 0;
    case JSON_STRING:
        return json_string_length(v->j) > 0;
    case JSON_INTEGER:
        return json_integer_value(v->j) != 0;
    case JSON_REAL:
        return json_real_value(v->j) != 0.0;
    default:
        return false;
    }
}

static void write_value(struct strbuf *out, const struct value *v, unsigned char esc)
{
    char buf[40];
    size_t n;

    if (v->is_int) {
        n = (size_t)snprintf(buf, sizeof(buf), "%lld", v->i);
        escape(out, esc, buf, n);
        return;
    }
    if (!v->j)
        return;
    switch (json_typeof(v->j)) {
    case JSON_STRING:
        escape(out, esc, json_string_value(v->j), json_string_length(v->j));
        break;
    case JSON_INTEGER:
        n = (size_t)snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v->j));
        escape(out, esc, buf, n);
        break;
    case JSON_REAL:
        n = format_real(json_real_value(v->j), buf, sizeof(buf));
        escape(out, esc, buf, n);
        break;
    default:
        break; /* true, false, null, objects and arrays write nothing */
    }
}

static void push(struct render *r, json_t *v, long long index)
{
    r->frames[r->n++] = (struct frame){v, index};
}

static void render_ops(struct render *r, const struct template *t, size_t from, size_t to)
{
    for (size_t i = from; i < to && !r->over;) {
        const struct op *op = &t->ops[i];
        struct value v;

        if (++r->steps > TEMPLATE_MAX_STEPS || r->out->len - r->start > TEMPLATE_MAX_OUTPUT) {
            r->over = true;
            return;
        }

        switch (op->kind) {
        case OP_TEXT:
            strbuf_add(r->out, op->text, op->len);
            i++;
            break;
        case OP_VAR:
            v = lookup(r, t, op);
            write_value(r->out, &v, op->esc);
            i++;
            break;
        case OP_RAW:
            v = lookup(r, t, op);
            if (json_is_string(v.j))
                strbuf_add(r->out, json_string_value(v.j), json_string_length(v.j));
            i++;
            break;
        case OP_PARTIAL:
            render_ops(r, op->partial, 0, op->partial->nops);
            i++;
            break;
        case OP_SECTION:
            v = lookup(r, t, op);
            /* The depth was bounded at compile time; this guards the array. */
            if (truthy(&v) && r->n < ARRAY_SIZE(r->frames)) {
                if (json_is_array(v.j)) {
                    for (size_t k = 0; k < json_array_size(v.j) && !r->over; k++) {
                        push(r, json_array_get(v.j, k), (long long)k);
                        render_ops(r, t, i + 1, op->end);
                        r->n--;
                    }
                } else {
                    push(r, v.j, -1);
                    render_ops(r, t, i + 1, op->end);
                    r->n--;
                }
            }
            i = op->end;
            break;
        case OP_INVERTED:
            v = lookup(r, t, op);
            if (!truthy(&v))
                render_ops(r, t, i + 1, op->end);
            i = op->end;
            break;
        default:
            i++;
            break;
        }
    }
}

int template_render(const struct template_set *set, const char *name, json_t *const *frames,
                    size_t nframes, struct strbuf *out, struct err_ctx *ec)
{
    const struct template *t = set && name ? find(set, name, strlen(name)) : NULL;
    struct render r;

    if (!t)
        return err_set(ec, ERR_INTERNAL, NULL, "页面模板不存在：%s", name ? name : "(null)");
    if (nframes > TEMPLATE_MAX_FRAMES)
        return err_set(ec, ERR_INTERNAL, NULL, "模板上下文层数过多");
    r.out = out;
    r.start = out->len;
    r.steps = 0;
    r.over = false;
    r.n = 0;
    for (size_t i = 0; i < nframes; i++)
        push(&r, frames[i], -1);
    render_ops(&r, t, 0, t->nops);
    if (r.over)
        return err_set(ec, ERR_TOO_LARGE, NULL, "页面内容过多，无法显示");
    return 0;
}
