/*
 * test_template.c - the template engine (web/template.c): escaping in each
 * HTML context, sections, loops, partials, and every kind of compile error
 * with its file:line; then the real templates of assets/ rendered through
 * the page layer with a sample context.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "web/template.h"
#include "web/web.h"

/* ---- helpers ---- */

/* A partial every case may include. */
#define SRC(name, path, text)                                                                      \
    {                                                                                              \
        name, path, text, sizeof(text) - 1                                                         \
    }

static const struct template_source partial_p = SRC("p", "p.html", "<b>{{name}}</b>");

/*
 * Compiles 'text' as template "t" (file t.html) beside partial "p" and
 * renders it with the JSON context 'ctx'. Returns the malloc'd output, or
 * NULL with *ec set when it does not compile.
 */
static char *render(const char *text, const char *ctx_json, struct err_ctx *ec)
{
    struct template_source src[2] = {{"t", "t.html", text, strlen(text)}, partial_p};
    struct template_set *set;
    struct strbuf out = STRBUF_INIT;
    json_error_t jerr;
    json_t *ctx =
        ctx_json ? json_loads(ctx_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr) : json_object();
    json_t *frames[1] = {ctx};
    int rc;

    if (!ctx)
        fail_msg("bad test JSON %s: %s", ctx_json, jerr.text);
    err_clear(ec);
    if (template_set_new(src, 2, &set, ec) < 0) {
        json_decref(ctx);
        return NULL;
    }
    rc = template_render(set, "t", frames, 1, &out, ec);
    assert_int_equal(rc, 0);
    template_set_free(set);
    json_decref(ctx);
    return strbuf_detach(&out, NULL);
}

static void expect_render(const char *name, const char *text, const char *ctx, const char *want)
{
    struct err_ctx ec;
    char *got = render(text, ctx, &ec);

    if (!got)
        fail_msg("%s: does not compile: %s", name, ec.message);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n  template %s\n  got      %s\n  want     %s", name, text, got, want);
    free(got);
}

/* ---- escaping, context by context ---- */

static void test_template_render__escaping(void **state)
{
    static const struct {
        const char *name, *text, *ctx, *want;
    } cases[] = {
        /* HTML text */
        {"text", "<p>{{x}}</p>", "{\"x\":\"<script>alert('x')&\\\"</script>\"}",
         "<p>&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;</p>"},
        {"text utf-8", "{{x}}", "{\"x\":\"城西街道\"}", "城西街道"},
        {"text NUL", "{{x}}", "{\"x\":\"a\\u0000b\"}",
         "a\xef\xbf\xbd"
         "b"},
        {"spaces in tag", "{{ x }}", "{\"x\":\"1\"}", "1"},
        {"rcdata title", "<title>{{x}}</title>", "{\"x\":\"</title><script>\"}",
         "<title>&lt;/title&gt;&lt;script&gt;</title>"},
        {"rcdata textarea", "<textarea name=\"a\">{{x}}</textarea>", "{\"x\":\"</textarea>\"}",
         "<textarea name=\"a\">&lt;/textarea&gt;</textarea>"},
        /* quoted attributes: no way out of the quotes */
        {"attr dq break", "<p title=\"{{x}}\">", "{\"x\":\"\\\" onmouseover=\\\"alert(1)\"}",
         "<p title=\"&quot; onmouseover=&quot;alert(1)\">"},
        {"attr sq break", "<p title='{{x}}'>", "{\"x\":\"' onclick='alert(1)\"}",
         "<p title='&#39; onclick=&#39;alert(1)'>"},
        {"attr gt", "<p class=\"a {{x}}\">", "{\"x\":\"><script>\"}",
         "<p class=\"a &gt;&lt;script&gt;\">"},
        {"unquoted literal attr", "<input type=text value=\"{{x}}\">", "{\"x\":\"a b\"}",
         "<input type=text value=\"a b\">"},
        {"attr after spaces around =", "<a href = \"{{x}}\">", "{\"x\":\"javascript:1\"}",
         "<a href = \"about:invalid#blocked\">"},
        /* URL attributes, tag at the start: the scheme is checked */
        {"href javascript", "<a href=\"{{u}}\">", "{\"u\":\"javascript:alert(1)\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href JavaScript, spaces", "<a href=\"{{u}}\">", "{\"u\":\"  JaVaScRiPt:alert(1)\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href tab in scheme", "<a href=\"{{u}}\">", "{\"u\":\"java\\tscript:alert(1)\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href newline", "<a href=\"{{u}}\">", "{\"u\":\"/a\\nb\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href entity-looking", "<a href=\"{{u}}\">", "{\"u\":\"javascript&colon;alert(1)\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href data", "<a href=\"{{u}}\">", "{\"u\":\"data:text/html,<script>\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href vbscript", "<a href='{{u}}'>", "{\"u\":\"vbscript:x\"}",
         "<a href='about:invalid#blocked'>"},
        {"href protocol-relative", "<a href=\"{{u}}\">", "{\"u\":\"//evil.example/\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href backslash host", "<a href=\"{{u}}\">", "{\"u\":\"/\\\\evil.example\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href bare relative", "<a href=\"{{u}}\">", "{\"u\":\"cases/1\"}",
         "<a href=\"about:invalid#blocked\">"},
        {"href number", "<a href=\"{{u}}\">", "{\"u\":12}", "<a href=\"about:invalid#blocked\">"},
        {"href path with query", "<a href=\"{{u}}\">", "{\"u\":\"/cases?id=1&x=2\"}",
         "<a href=\"/cases?id=1&amp;x=2\">"},
        {"href query only", "<a href=\"{{u}}\">", "{\"u\":\"?page=2\"}", "<a href=\"?page=2\">"},
        {"href fragment", "<a href=\"{{u}}\">", "{\"u\":\"#top\"}", "<a href=\"#top\">"},
        {"href https normalised", "<a href=\"{{u}}\">", "{\"u\":\"https://www.gov.cn/a b?q=法\"}",
         "<a href=\"https://www.gov.cn/a%20b?q=%E6%B3%95\">"},
        {"href quote break", "<a href=\"{{u}}\">", "{\"u\":\"/x\\\" onclick=\\\"y\"}",
         "<a href=\"/x%22%20onclick=%22y\">"},
        {"href apostrophe", "<a href='{{u}}'>", "{\"u\":\"/it's\"}", "<a href='/it&#39;s'>"},
        {"mailto", "<a href=\"{{u}}\">", "{\"u\":\"mailto:fz@chengxi.gov.cn\"}",
         "<a href=\"mailto:fz@chengxi.gov.cn\">"},
        {"tel", "<a href=\"{{u}}\">", "{\"u\":\"tel:010-12345678\"}",
         "<a href=\"tel:010-12345678\">"},
        {"img src", "<img src=\"{{u}}\" alt=\"\">", "{\"u\":\"javascript:x\"}",
         "<img src=\"about:invalid#blocked\" alt=\"\">"},
        {"form action", "<form action=\"{{u}}\"></form>", "{\"u\":\"javascript:x\"}",
         "<form action=\"about:invalid#blocked\"></form>"},
        {"formaction", "<button formaction=\"{{u}}\">", "{\"u\":\"javascript:x\"}",
         "<button formaction=\"about:invalid#blocked\">"},
        {"data-*-src is a URL", "<span data-live-src=\"{{u}}\"></span>", "{\"u\":\"javascript:x\"}",
         "<span data-live-src=\"about:invalid#blocked\"></span>"},
        {"upper-case attribute name", "<a HREF=\"{{u}}\">", "{\"u\":\"javascript:x\"}",
         "<a HREF=\"about:invalid#blocked\">"},
        /* URL attributes, tag after literal text: one encoded component */
        {"href path part", "<a href=\"/cases/{{id}}\">", "{\"id\":\"1/../x?y=<z>\"}",
         "<a href=\"/cases/1/../x%3Fy%3D%3Cz%3E\">"},
        {"href path part number", "<a href=\"/cases/{{id}}\">", "{\"id\":12}",
         "<a href=\"/cases/12\">"},
        {"href query part", "<a href=\"/search?q={{q}}\">", "{\"q\":\"a&b=c d\"}",
         "<a href=\"/search?q=a%26b%3Dc%20d\">"},
        {"href part javascript", "<a href=\"/x/{{u}}\">", "{\"u\":\"javascript:1\"}",
         "<a href=\"/x/javascript%3A1\">"},
        {"second tag in URL", "<a href=\"{{a}}{{b}}\">", "{\"a\":\"/x\",\"b\":\"&y\"}",
         "<a href=\"/x%26y\">"},
        /* values by type */
        {"integer", "{{n}}", "{\"n\":-42}", "-42"},
        {"real", "{{n}}", "{\"n\":3.5}", "3.5"},
        {"real shortest", "{{n}}", "{\"n\":0.1}", "0.1"},
        {"real integral", "{{n}}", "{\"n\":2.0}", "2.0"},
        {"true false null", "[{{t}}|{{f}}|{{z}}]", "{\"t\":true,\"f\":false,\"z\":null}", "[||]"},
        {"object and array", "[{{o}}|{{a}}]", "{\"o\":{\"x\":1},\"a\":[1]}", "[|]"},
        {"missing", "[{{nope}}|{{a.b.c}}]", "{\"a\":{}}", "[|]"},
        /* raw, only for *_html */
        {"raw triple", "<div>{{{chart_html}}}</div>", "{\"chart_html\":\"<svg><g/></svg>\"}",
         "<div><svg><g/></svg></div>"},
        {"raw ampersand", "{{&chart_html}}", "{\"chart_html\":\"<b>1</b>\"}", "<b>1</b>"},
        {"raw dotted", "{{{r.table_html}}}", "{\"r\":{\"table_html\":\"<table></table>\"}}",
         "<table></table>"},
        {"raw non-string", "[{{{n_html}}}]", "{\"n_html\":5}", "[]"},
        /* comments write nothing and may span lines */
        {"comment", "a{{! note }}b{{!\nline 2\n}}c", NULL, "abc"},
        {"html comment literal", "<!-- 注释 -->{{x}}", "{\"x\":\"1\"}", "<!-- 注释 -->1"},
        {"doctype", "<!DOCTYPE html>{{x}}", "{\"x\":\"<\"}", "<!DOCTYPE html>&lt;"},
        {"lone less-than", "a < b {{x}}", "{\"x\":\"c\"}", "a < b c"},
        {"script without tags", "<script src=\"/a.js\"></script>{{x}}", "{\"x\":\"<\"}",
         "<script src=\"/a.js\"></script>&lt;"},
        {"style end tag with space", "<style>p{}</style >{{x}}", "{\"x\":\"&\"}",
         "<style>p{}</style >&amp;"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        expect_render(cases[i].name, cases[i].text, cases[i].ctx, cases[i].want);
}

/* ---- sections, loops, partials ---- */

static void test_template_render__sections(void **state)
{
    static const struct {
        const char *name, *text, *ctx, *want;
    } cases[] = {
        {"loop with @index", "{{#items}}{{@index}}:{{name}};{{/items}}",
         "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "0:a;1:b;"},
        {"loop of strings with @number and dot", "{{#items}}{{@number}}.{{.}} {{/items}}",
         "{\"items\":[\"甲\",\"<乙>\"]}", "1.甲 2.&lt;乙&gt; "},
        {"outer names seen from inside", "{{#items}}{{title}}-{{name}} {{/items}}",
         "{\"title\":\"T\",\"items\":[{\"name\":\"a\"},{\"title\":\"own\",\"name\":\"b\"}]}",
         "T-a own-b "},
        {"@index through an object section",
         "{{#items}}{{#meta}}{{@index}}{{k}}{{/meta}}{{/items}}",
         "{\"items\":[{\"meta\":{\"k\":\"x\"}},{\"meta\":{\"k\":\"y\"}}]}", "0x1y"},
        {"nested loops", "{{#rows}}[{{#cells}}{{@index}}{{.}}{{/cells}}]{{/rows}}",
         "{\"rows\":[{\"cells\":[1,2]},{\"cells\":[3]}]}", "[0112][03]"},
        {"@index outside a loop", "[{{@index}}]", NULL, "[]"},
        {"object section", "{{#user}}{{name}}（{{unit}}）{{/user}}",
         "{\"user\":{\"name\":\"张三\",\"unit\":\"综治办\"}}", "张三（综治办）"},
        {"true", "{{#t}}yes{{/t}}", "{\"t\":true}", "yes"},
        {"false", "{{#f}}yes{{/f}}", "{\"f\":false}", ""},
        {"null", "{{#z}}yes{{/z}}", "{\"z\":null}", ""},
        {"missing", "{{#nope}}yes{{/nope}}", NULL, ""},
        {"empty array", "{{#a}}yes{{/a}}", "{\"a\":[]}", ""},
        {"non-empty string pushed", "{{#s}}[{{.}}]{{/s}}", "{\"s\":\"x\"}", "[x]"},
        {"empty string", "{{#s}}yes{{/s}}", "{\"s\":\"\"}", ""},
        {"zero", "{{#n}}yes{{/n}}", "{\"n\":0}", ""},
        {"non-zero", "{{#n}}{{.}}{{/n}}", "{\"n\":7}", "7"},
        {"real zero", "{{#n}}yes{{/n}}", "{\"n\":0.0}", ""},
        {"empty object is truthy", "{{#o}}yes{{/o}}", "{\"o\":{}}", "yes"},
        {"inverted empty array", "{{^a}}无记录{{/a}}", "{\"a\":[]}", "无记录"},
        {"inverted missing", "{{^a}}无{{/a}}", NULL, "无"},
        {"inverted truthy", "{{^a}}无{{/a}}", "{\"a\":[1]}", ""},
        {"dotted path", "{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"深\"}}}", "深"},
        {"array index", "{{list.1}}|{{list.9}}", "{\"list\":[\"x\",\"y\"]}", "y|"},
        {"dotted section", "{{#errors.login}}<p>{{errors.login}}</p>{{/errors.login}}",
         "{\"errors\":{\"login\":\"必填\"}}", "<p>必填</p>"},
        {"dotted first segment found stops the search", "{{#o}}[{{a.b}}]{{/o}}",
         "{\"a\":{\"b\":\"outer\"},\"o\":{\"a\":{}}}", "[]"},
        {"section between attributes", "<option value=\"{{v}}\"{{#sel}} selected{{/sel}}>",
         "{\"v\":\"1\",\"sel\":true}", "<option value=\"1\" selected>"},
        {"section after tag name", "<input{{#r}} required{{/r}}>", "{\"r\":false}", "<input>"},
        {"section ends an attribute name", "<input a{{#r}} required{{/r}}>", "{\"r\":true}",
         "<input a required>"},
        {"two sections in a tag", "<input{{#a}} a{{/a}}{{#b}} b{{/b}}>", "{\"a\":true,\"b\":true}",
         "<input a b>"},
        {"section in attribute value", "<p class=\"btn{{#p}} btn-primary{{/p}}\">", "{\"p\":1}",
         "<p class=\"btn btn-primary\">"},
        {"sections choose a URL", "<a href=\"{{#a}}/x{{/a}}{{^a}}/y{{/a}}{{u}}\">",
         "{\"a\":false,\"u\":\"javascript:1\"}", "<a href=\"/yabout:invalid#blocked\">"},
        {"section in rcdata", "<title>{{#t}}{{t}} - {{/t}}站</title>", "{\"t\":\"页\"}",
         "<title>页 - 站</title>"},
        {"partial sees the context", "{{#people}}{{>p}}{{/people}}",
         "{\"people\":[{\"name\":\"甲\"},{\"name\":\"<乙>\"}]}", "<b>甲</b><b>&lt;乙&gt;</b>"},
        {"partial name with spaces", "{{> p }}", "{\"name\":\"x\"}", "<b>x</b>"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        expect_render(cases[i].name, cases[i].text, cases[i].ctx, cases[i].want);
}

/* ---- compile errors: file, line, and what ---- */

static void test_template_set_new__errors(void **state)
{
    static const struct {
        const char *name, *text, *want;
    } cases[] = {
        {"unclosed tag", "a\n{{name", "t.html:2: 未闭合的模板标签 \"{{\""},
        {"unclosed triple", "{{{a_html}}", "t.html:1: 未闭合的模板标签 \"{{{\""},
        {"unclosed section", "<p>\n{{#items}}\n{{name}}\n</p>",
         "t.html:2: 区块 {{#items}} 没有结束标签"},
        {"mismatched close", "{{#a}}\n{{/b}}",
         "t.html:2: 区块结束标签 {{/b}} 与第 1 行的 {{#a}} 不对应"},
        {"stray close", "x\n\n{{/a}}", "t.html:3: 多余的区块结束标签 {{/a}}"},
        {"empty tag", "{{}}", "t.html:1: 模板标签缺少名称"},
        {"bad name", "{{a..b}}", "t.html:1: 无效的名称 \"a..b\""},
        {"name with space", "{{a b}}", "t.html:1: 无效的名称 \"a b\""},
        {"delimiters", "{{=<% %>=}}", "t.html:1: 不支持更改分隔符"},
        {"in script", "<script>\nvar x = {{x}};\n</script>",
         "t.html:2: <script> 内不能使用模板标签"},
        {"section in script", "<script>{{#a}}{{/a}}</script>",
         "t.html:1: <script> 内不能使用模板标签"},
        {"in style", "<style>\np { color: {{c}} }</style>", "t.html:2: <style> 内不能使用模板标签"},
        {"in SCRIPT upper case", "<SCRIPT type=\"x\">{{x}}</SCRIPT>", "t.html:1: <script> 内"},
        {"unquoted value", "<a href={{u}}>", "t.html:1: 属性值须加引号才能使用模板标签"},
        {"unquoted value later", "<a class=x{{u}}>", "t.html:1: 属性值须加引号"},
        {"tag name", "<{{t}}>", "t.html:1: 标签名中不能使用模板标签"},
        {"end tag name", "</{{t}}>", "t.html:1: 标签名中不能使用模板标签"},
        {"tag name variable", "<h{{n}}>", "t.html:1: 标签名中不能使用模板标签"},
        {"attribute name", "<a {{attr}}=\"x\">", "t.html:1: 标签内属性名的位置不能输出变量"},
        {"attribute name suffix", "<a data-{{x}}=\"1\">",
         "t.html:1: 标签内属性名的位置不能输出变量"},
        {"attribute name in a loop", "<td{{#cls}} data-{{.}}=\"1\"{{/cls}}>",
         "t.html:1: 标签内属性名的位置不能输出变量"},
        {"event handler", "<a onclick=\"{{x}}\">", "t.html:1: 事件属性（on...）、style 和 srcdoc"},
        {"style attribute", "<p style=\"color: {{c}}\">", "t.html:1: 事件属性"},
        {"srcdoc", "<iframe srcdoc=\"{{h}}\"></iframe>", "t.html:1: 事件属性"},
        {"html comment", "<!--\n{{x}} -->", "t.html:2: HTML 注释或声明中不能使用模板标签"},
        {"doctype", "<!DOCTYPE {{x}}>", "t.html:1: HTML 注释或声明中"},
        {"raw without _html", "{{{name}}}",
         "t.html:1: {{{name}}} 原样输出 HTML，只能用于名称以 _html 结尾"},
        {"raw dot", "{{{.}}}", "t.html:1: {{{.}}} 原样输出 HTML"},
        {"raw ampersand without _html", "{{&name}}", "t.html:1: {{{name}}} 原样输出"},
        {"raw in attribute", "<p title=\"{{{x_html}}}\">",
         "t.html:1: 原样输出 {{{x_html}}} 只能用在 HTML 正文中"},
        {"raw in title", "<title>{{{x_html}}}</title>",
         "t.html:1: 原样输出 {{{x_html}}} 只能用在 HTML 正文中"},
        {"partial in attribute", "<p title=\"{{>p}}\">",
         "t.html:1: 局部模板 {{>p}} 只能用在 HTML 正文中"},
        {"unknown partial", "a\nb\n{{>nope}}", "t.html:3: 局部模板 \"nope\" 不存在"},
        {"self-including", "x\n{{>t}}", "t.html:2: 局部模板 \"t\" 递归包含了自身"},
        {"context differs", "{{#a}}<a href=\"{{/a}}\">",
         "t.html:1: 区块 {{#a}}（第 1 行）开始时在HTML 正文，结束时在属性值内"},
        {"section opens a tag", "{{#a}}<p{{/a}}>", "开始时在HTML 正文，结束时在标签内"},
        {"section enters script", "{{#a}}<script>{{/a}}</script>",
         "t.html:1: <script> 内不能使用模板标签"},
        {"glued name", "<input a{{#x}}b{{/x}}>", "t.html:1: 模板标签与其后的属性名之间需要空白"},
        {"glued after close", "<a hr{{#x}} x{{/x}}ef=\"1\">",
         "t.html:1: 模板标签与其后的属性名之间需要空白"},
        {"loop would glue names", "<input {{#xs}}a{{/xs}}>",
         "t.html:1: 区块 {{#xs}} 在标签内重复时属性名会相连"},
        {"equals where a name goes", "<a {{#x}} =\"1\"{{/x}}>",
         "t.html:1: 标签内出现意外的字符 '='"},
        {"quote in attribute name", "<a b\"c=\"1\">", "t.html:1: 属性名中出现意外的字符 '\"'"},
        {"value missing", "<a href=>", "t.html:1: 属性 href 缺少值"},
        {"bad unquoted value", "<a b=c\"d>", "t.html:1: 未加引号的属性值中出现意外的字符 '\"'"},
        {"ends in a tag", "<p>\n<div class=\"x\n",
         "t.html:2: 模板结束时此处开始的标签、注释或 <...> 元素尚未结束"},
        {"ends in a comment", "<!-- x", "t.html:1: 模板结束时"},
        {"ends in script", "x\n<script>",
         "t.html:2: 模板结束时此处开始的标签、注释或 <script> 元素尚未结束"},
        {"line after a long comment", "{{! a\nb\nc }}\n{{#x}}",
         "t.html:4: 区块 {{#x}} 没有结束标签"},
        {"line after a multi-line tag", "<p\n class=\"a\"\n>{{/z}}",
         "t.html:3: 多余的区块结束标签"},
        {"control character", "ok\nbad\x01\n", "t.html:2: 模板不是有效的 UTF-8 文本"},
        {"invalid utf-8", "a\n\n\xff", "t.html:3: 模板不是有效的 UTF-8 文本"},
        {"attribute name too long",
         "<p data-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\"1\">",
         "t.html:1: 属性名过长"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err_ctx ec;
        char *got = render(cases[i].text, NULL, &ec);
        if (got)
            fail_msg("%s: compiled, rendering %s", cases[i].name, got);
        assert_int_equal(ec.code, ERR_INVALID);
        assert_string_equal(ec.field, "");
        if (!strstr(ec.message, cases[i].want))
            fail_msg("%s: message %s, want %s", cases[i].name, ec.message, cases[i].want);
    }
}

static void test_template_set_new__set_errors(void **state)
{
    struct template_source a = SRC("a", "dir/a.html", "1\n{{>b}}");
    struct template_source b = SRC("b", "dir/b.html", "\n\n{{>a}}");
    struct template_source dup = SRC("a", "dir/a2.html", "x");
    struct template_source set1[] = {a, b}, set2[] = {a, dup};
    struct template_set *set;
    struct err_ctx ec;
    struct strbuf deep = STRBUF_INIT, deep2 = STRBUF_INIT;

    (void)state;
    /* recursion through another template */
    err_clear(&ec);
    assert_int_equal(template_set_new(set1, 2, &set, &ec), ERR_INVALID);
    assert_null(set);
    if (!strstr(ec.message, "递归包含了自身"))
        fail_msg("recursion: %s", ec.message);
    assert_true(strstr(ec.message, "dir/b.html:3: 局部模板 \"a\"") ||
                strstr(ec.message, "dir/a.html:2: 局部模板 \"b\""));

    /* two templates of one name */
    err_clear(&ec);
    assert_int_equal(template_set_new(set2, 2, &set, &ec), ERR_INVALID);
    assert_non_null(strstr(ec.message, "模板名 \"a\" 与"));

    /* nesting deeper than the limit, directly... */
    for (int i = 0; i <= TEMPLATE_MAX_DEPTH; i++)
        strbuf_addf(&deep, "{{#s%d}}\n", i);
    err_clear(&ec);
    {
        struct template_source s = {"d", "d.html", deep.buf, deep.len};
        assert_int_equal(template_set_new(&s, 1, &set, &ec), ERR_INVALID);
        assert_non_null(strstr(ec.message, "d.html:49: 区块嵌套超过 48 层"));
    }
    /* ...and through a partial */
    strbuf_reset(&deep);
    for (int i = 0; i < 30; i++)
        strbuf_addf(&deep, "{{#a%d}}", i);
    strbuf_adds(&deep, "\n{{>inner}}");
    for (int i = 29; i >= 0; i--)
        strbuf_addf(&deep, "{{/a%d}}", i);
    for (int i = 0; i < 30; i++)
        strbuf_addf(&deep2, "{{#b%d}}", i);
    for (int i = 29; i >= 0; i--)
        strbuf_addf(&deep2, "{{/b%d}}", i);
    err_clear(&ec);
    {
        struct template_source s[] = {{"outer", "outer.html", deep.buf, deep.len},
                                      {"inner", "inner.html", deep2.buf, deep2.len}};
        assert_int_equal(template_set_new(s, 2, &set, &ec), ERR_INVALID);
        assert_non_null(strstr(ec.message, "outer.html:2: 区块嵌套（含局部模板）超过 48 层"));
    }
    strbuf_release(&deep);
    strbuf_release(&deep2);
}

static void test_template_render__unknown_and_frames(void **state)
{
    struct template_source src[] = {SRC("a", "a.html", "{{x}}{{y}}")};
    struct template_set *set;
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec;
    json_t *outer = json_pack("{s:s, s:s}", "x", "1", "y", "2");
    json_t *inner = json_pack("{s:s}", "x", "3");
    json_t *frames[] = {outer, inner};
    json_t *many[TEMPLATE_MAX_FRAMES + 1] = {0};

    (void)state;
    err_clear(&ec);
    assert_int_equal(template_set_new(src, 1, &set, &ec), 0);
    assert_true(template_exists(set, "a"));
    assert_false(template_exists(set, "b"));
    assert_int_equal(template_render(set, "a", frames, 2, &out, &ec), 0);
    assert_string_equal(out.buf, "32"); /* innermost first */
    assert_int_equal(template_render(set, "nope", frames, 2, &out, &ec), ERR_INTERNAL);
    assert_non_null(strstr(ec.message, "nope"));
    err_clear(&ec);
    assert_int_equal(template_render(set, "a", many, ARRAY_SIZE(many), &out, &ec), ERR_INTERNAL);
    strbuf_release(&out);
    template_set_free(set);
    json_decref(outer);
    json_decref(inner);
}

/* Nested loops multiply; the render stops at its budget instead of hanging. */
static void test_template_render__budget(void **state)
{
    struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
    struct template_set *set;
    struct err_ctx ec;
    json_t *ctx = json_pack("{s:[i,i,i,i,i,i,i,i,i,i]}", "a", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    (void)state;
    for (int i = 0; i < 8; i++)
        strbuf_adds(&text, "{{#a}}");
    strbuf_adds(&text, "x");
    for (int i = 0; i < 8; i++)
        strbuf_adds(&text, "{{/a}}");
    {
        struct template_source s = {"t", "t.html", text.buf, text.len};
        err_clear(&ec);
        assert_int_equal(template_set_new(&s, 1, &set, &ec), 0);
    }
    assert_int_equal(template_render(set, "t", &ctx, 1, &out, &ec), ERR_TOO_LARGE);
    assert_true(out.len > 0 && out.len < 100u * 1000 * 1000);
    template_set_free(set);
    strbuf_release(&text);
    strbuf_release(&out);
    json_decref(ctx);
}

static void test_template_escape_url__direct(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"/", "/"},
        {" /a ", "/a"},
        {"HTTPS://x", "HTTPS://x"},
        {"https:", "https:"},
        {"ftp://x", "about:invalid#blocked"},
        {":x", "about:invalid#blocked"},
        {"\x7f/", "about:invalid#blocked"},
        {"/%41%zz", "/%41%zz"},
        {"/<>\"`{}|^\\", "/%3C%3E%22%60%7B%7D%7C%5E%5C"},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf sb = STRBUF_INIT;
        template_escape_url(&sb, cases[i].in, strlen(cases[i].in));
        if (strcmp(sb.buf, cases[i].want) != 0)
            fail_msg("url %s: got %s want %s", cases[i].in, sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

/* ---- the real templates of assets/, through the page layer ---- */

static char *render_page(const char *page, const char *ctx_json, const struct principal *p,
                         const char *path, const char *flash_json)
{
    struct web_page pg = {0};
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec;
    json_t *ctx = ctx_json ? json_loads(ctx_json, 0, NULL) : NULL;
    json_t *flash = flash_json ? json_loads(flash_json, 0, NULL) : NULL;

    pg.page = page;
    pg.ctx = ctx;
    pg.user = p;
    pg.csrf = p != NULL;
    pg.path = path;
    pg.flash = flash;
    err_clear(&ec);
    if (web_render_page(&pg, &out, &ec) < 0)
        fail_msg("%s: %s", page, ec.message);
    json_decref(ctx);
    json_decref(flash);
    return strbuf_detach(&out, NULL);
}

static void expect_all(const char *what, const char *html, const char *const *want)
{
    for (size_t i = 0; want[i]; i++)
        if (!strstr(html, want[i]))
            fail_msg("%s: missing %s in\n%s", what, want[i], html);
}

static void expect_none(const char *what, const char *html, const char *const *absent)
{
    for (size_t i = 0; absent[i]; i++)
        if (strstr(html, absent[i]))
            fail_msg("%s: unexpected %s", what, absent[i]);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static int web_setup(void **state)
{
    struct web_config cfg = {0};
    struct err_ctx ec;

    (void)state;
    err_clear(&ec);
    if (web_start(&cfg, &ec) < 0) /* the embedded assets: every template compiles */
        fail_msg("web_start: %s", ec.message);
    return 0;
}

static int web_teardown(void **state)
{
    (void)state;
    web_stop();
    return 0;
}

static void test_assets__portal_home(void **state)
{
    char *html = render_page("portal/home", NULL, NULL, "/", NULL);

    (void)state;
    expect_all("portal/home", html,
               LIST("<!DOCTYPE html>", "<html lang=\"zh-CN\">",
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
                    "<title>智慧城西 - 城西街道办事处</title>",
                    "/static/app.css?v=", "/static/app.js?v=", "class=\"layout-portal\"",
                    "<a class=\"skip-link\" href=\"#main\">跳到正文</a>",
                    "<a href=\"/\" aria-current=\"page\">首页</a>",
                    "<a href=\"/matters/new\">事项申报</a>", "进度查询", "政务公开", "依申请公开",
                    "<h1 id=\"hero-title\">城西街道办事处</h1>",
                    "<label for=\"track-code\">查询码</label>",
                    "<form class=\"form form-inline\" method=\"get\" action=\"/track\">",
                    "<main id=\"main\"", "工作人员登录"));
    expect_none("portal/home", html, LIST("{{", "}}", "csrf_token", "data-live-status"));
    free(html);
}

static void test_assets__login_with_errors(void **state)
{
    char *html = render_page("login",
                             "{\"title\":\"登录\",\"error\":\"请修改下面标出的项目后重新提交\","
                             "\"errors\":{\"login\":\"登录名不存在\"},"
                             "\"form\":{\"login\":\"<zhang\\\"san>\"},\"next\":\"/console/x\"}",
                             NULL, "/login", NULL);

    (void)state;
    expect_all(
        "login", html,
        LIST("<title>登录 - 法治工作平台 - 城西街道办事处</title>", "class=\"layout-console\"",
             "<form class=\"form\" method=\"post\" action=\"/login\">",
             "<input type=\"hidden\" name=\"next\" value=\"/console/x\">",
             "<label for=\"login\">登录名</label>",
             "value=\"&lt;zhang&quot;san&gt;\" aria-invalid=\"true\" "
             "aria-describedby=\"login-error\">",
             "<p class=\"field-error\" id=\"login-error\">登录名不存在</p>",
             "<label for=\"password\">密码</label>", "autocomplete=\"current-password\" required>",
             "role=\"alert\"", "请修改下面标出的项目后重新提交"));
    /* no navigation and no account before sign-in */
    expect_none("login", html, LIST("主导航", "退出登录", "password-error", "csrf_token"));
    free(html);
}

static void test_assets__console_signed_in(void **state)
{
    struct principal p = {0};
    char *html;

    (void)state;
    p.user_id = 7;
    p.roles = ROLE_STAFF | ROLE_LEADER;
    snprintf(p.login, sizeof(p.login), "wangfang");
    snprintf(p.csrf_token, sizeof(p.csrf_token), "tok-123");
    /* The page's own "user" (a user admin page) must not replace the
     * signed-in user in the header. */
    html = render_page("error",
                       "{\"title\":\"页面不存在\",\"heading\":\"页面不存在\",\"status\":404,"
                       "\"message\":\"<找不到>\",\"user\":{\"display\":\"EVIL\"}}",
                       &p, "/console/ledger/12", "[{\"kind\":\"success\",\"text\":\"已保存\"}]");
    expect_all(
        "console", html,
        LIST("<title>页面不存在 - 法治工作平台 - 城西街道办事处</title>",
             "<span class=\"account-name\">wangfang</span>",
             "<input type=\"hidden\" name=\"csrf_token\" value=\"tok-123\">",
             "<form class=\"inline-form\" method=\"post\" action=\"/logout\">",
             "<nav class=\"site-nav\" aria-label=\"主导航\">", "<a href=\"/console\">工作台</a>",
             "<a href=\"/console/ledger\" aria-current=\"page\">台账</a>",
             "<a href=\"/console/units\">组织与人员</a>", "data-live-src=\"/api/v1/events\"",
             "<p class=\"flash flash-success\">已保存</p>", "<p class=\"error-code\">404</p>",
             "&lt;找不到&gt;", "当前角色：工作人员、领导"));
    expect_none("console", html, LIST("系统管理", "EVIL", "aria-current=\"page\">工作台"));
    free(html);
}

static void test_assets__layout_none_and_unknown(void **state)
{
    struct web_page pg = {0};
    struct strbuf out = STRBUF_INIT;
    struct err_ctx ec;
    json_t *ctx = json_pack("{s:s, s:s}", "layout", "none", "status", "500");

    (void)state;
    pg.page = "error";
    pg.ctx = ctx;
    err_clear(&ec);
    assert_int_equal(web_render_page(&pg, &out, &ec), 0);
    assert_non_null(strstr(out.buf, "<section class=\"error-page\""));
    assert_null(strstr(out.buf, "<html"));
    strbuf_reset(&out);
    pg.page = "no/such/page";
    pg.ctx = NULL;
    assert_int_equal(web_render_page(&pg, &out, &ec), ERR_INTERNAL);
    strbuf_release(&out);
    json_decref(ctx);
}

/* The pages ship well under 100 KB of CSS and JavaScript together. */
static void test_assets__size_budget(void **state)
{
    size_t css_js = 0;

    (void)state;
    for (size_t i = 0; i < web_asset_files_count; i++) {
        const char *n = web_asset_files[i].name;
        size_t len = strlen(n);
        if (len > 4 && (!strcmp(n + len - 4, ".css") || !strcmp(n + len - 3, ".js")))
            css_js += web_asset_files[i].len;
    }
    assert_true(css_js > 0);
    assert_true(css_js < 100 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_render__escaping),
        cmocka_unit_test(test_template_render__sections),
        cmocka_unit_test(test_template_set_new__errors),
        cmocka_unit_test(test_template_set_new__set_errors),
        cmocka_unit_test(test_template_render__unknown_and_frames),
        cmocka_unit_test(test_template_render__budget),
        cmocka_unit_test(test_template_escape_url__direct),
        cmocka_unit_test_setup_teardown(test_assets__portal_home, web_setup, web_teardown),
        cmocka_unit_test_setup_teardown(test_assets__login_with_errors, web_setup, web_teardown),
        cmocka_unit_test_setup_teardown(test_assets__console_signed_in, web_setup, web_teardown),
        cmocka_unit_test_setup_teardown(test_assets__layout_none_and_unknown, web_setup,
                                        web_teardown),
        cmocka_unit_test(test_assets__size_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
