/*
 * router.c - a segment trie of routes.
 *
 * Each node is one path segment: literal children (a short array compared
 * by length then bytes), at most one parameter child, and the endpoints
 * (method, route, parameter names) of the patterns that end there. Matching
 * walks the raw path once, trying the literal child before the parameter
 * child and backtracking on a dead end, and allocates nothing except the
 * decoded parameter values. Parameter names live on the endpoint, not the
 * node, so "/units/{id}" and "/units/{uid}" may share a node for different
 * methods.
 */
#include "core/compat.h"
#include "http/router.h"
#include "core/str.h"
#include "http/parse.h"

struct endpoint {
    const struct http_route *route;
    size_t nparams;
    char *names[HTTP_MAX_PARAMS];
};

struct node {
    char *seg; /* literal text of this node (NULL for a parameter node) */
    size_t seg_len;
    struct node **lits;
    size_t nlits;
    struct node *param;
    struct endpoint *eps;
    size_t neps;
};

struct router {
    struct node root;
};

/* How many distinct methods an Allow list can collect. */
#define ALLOW_METHODS 16

struct match_state {
    const char *method;
    bool head;
    const struct endpoint *found;
    const char *caps[HTTP_MAX_PARAMS];
    size_t cap_lens[HTTP_MAX_PARAMS];
    const char *allow[ALLOW_METHODS];
    size_t nallow;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fputs("fazhi: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q) {
        fputs("fazhi: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xcalloc(n + 1, 1);
    memcpy(d, s, n);
    return d;
}

struct router *router_new(void)
{
    return xcalloc(1, sizeof(struct router));
}

static void node_release(struct node *n)
{
    for (size_t i = 0; i < n->nlits; i++) {
        node_release(n->lits[i]);
        free(n->lits[i]);
    }
    free(n->lits);
    if (n->param) {
        node_release(n->param);
        free(n->param);
    }
    for (size_t i = 0; i < n->neps; i++)
        for (size_t j = 0; j < n->eps[i].nparams; j++)
            free(n->eps[i].names[j]);
    free(n->eps);
    free(n->seg);
}

void router_free(struct router *r)
{
    if (!r)
        return;
    node_release(&r->root);
    free(r);
}

/* ---- building ---- */

static bool method_ok(const char *m)
{
    if (!m || !*m)
        return false;
    for (; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return false;
    return true;
}

/* Characters a literal segment may hold: they are compared undecoded. */
static bool literal_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("{}%?#", c);
}

static bool param_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static struct node *literal_child(struct node *n, const char *seg, size_t len, bool create)
{
    struct node *c;

    for (size_t i = 0; i < n->nlits; i++)
        if (n->lits[i]->seg_len == len && memcmp(n->lits[i]->seg, seg, len) == 0)
            return n->lits[i];
    if (!create)
        return NULL;
    c = xcalloc(1, sizeof(*c));
    c->seg = xstrndup(seg, len);
    c->seg_len = len;
    n->lits = xrealloc(n->lits, (n->nlits + 1) * sizeof(*n->lits));
    n->lits[n->nlits++] = c;
    return c;
}

static int bad_pattern(struct err_ctx *ec, const struct http_route *route, const char *why)
{
    return err_set(ec, ERR_INVALID, "pattern", "路由“%s %s”无效：%s",
                   route->method ? route->method : "(null)",
                   route->pattern ? route->pattern : "(null)", why);
}

int router_add(struct router *r, const struct http_route *route, struct err_ctx *ec)
{
    const char *p = route->pattern;
    const char *names[HTTP_MAX_PARAMS];
    size_t name_lens[HTTP_MAX_PARAMS];
    size_t nparams = 0;
    struct node *n = &r->root;
    struct endpoint *ep;

    if (!method_ok(route->method))
        return bad_pattern(ec, route, "请求方法应为大写字母");
    if (!route->handler)
        return bad_pattern(ec, route, "缺少处理函数");
    if (!p || p[0] != '/')
        return bad_pattern(ec, route, "应以“/”开头");

    /* First validate the whole pattern, so that a bad one adds no nodes. */
    if (p[1] != '\0') {
        for (const char *s = p + 1;;) {
            size_t len = strcspn(s, "/");
            if (len == 0)
                return bad_pattern(ec, route, "含有空的路径段");
            if (s[0] == '{') {
                if (len < 2 || s[len - 1] != '}' || memchr(s + 1, '{', len - 2) ||
                    memchr(s + 1, '}', len - 2))
                    return bad_pattern(ec, route, "花括号不配对或不在路径段两端");
                if (!param_name_ok(s + 1, len - 2))
                    return bad_pattern(ec, route, "参数名应由字母、数字和下划线组成");
                if (nparams == HTTP_MAX_PARAMS)
                    return bad_pattern(ec, route, "参数过多");
                for (size_t i = 0; i < nparams; i++)
                    if (name_lens[i] == len - 2 && memcmp(names[i], s + 1, len - 2) == 0)
                        return bad_pattern(ec, route, "参数名重复");
                names[nparams] = s + 1;
                name_lens[nparams++] = len - 2;
            } else {
                for (size_t i = 0; i < len; i++)
                    if (!literal_char_ok((unsigned char)s[i]))
                        return bad_pattern(ec, route, "路径段含有不允许的字符（如花括号）");
            }
            if (s[len] == '\0')
                break;
            s += len + 1;
        }
    }

    /* Then walk the trie, creating what is missing. */
    if (p[1] != '\0') {
        for (const char *s = p + 1;;) {
            size_t len = strcspn(s, "/");
            if (s[0] == '{') {
                if (!n->param)
                    n->param = xcalloc(1, sizeof(*n->param));
                n = n->param;
            } else {
                n = literal_child(n, s, len, true);
            }
            if (s[len] == '\0')
                break;
            s += len + 1;
        }
    }
    for (size_t i = 0; i < n->neps; i++)
        if (strcmp(n->eps[i].route->method, route->method) == 0)
            return err_set(ec, ERR_INVALID, "pattern", "路由“%s %s”与“%s %s”重复", route->method,
                           route->pattern, n->eps[i].route->method, n->eps[i].route->pattern);
    n->eps = xrealloc(n->eps, (n->neps + 1) * sizeof(*n->eps));
    ep = &n->eps[n->neps++];
    memset(ep, 0, sizeof(*ep));
    ep->route = route;
    ep->nparams = nparams;
    for (size_t i = 0; i < nparams; i++)
        ep->names[i] = xstrndup(names[i], name_lens[i]);
    return 0;
}

/* ---- matching ---- */

static void allow_add(struct match_state *st, const char *method)
{
    for (size_t i = 0; i < st->nallow; i++)
        if (strcmp(st->allow[i], method) == 0)
            return;
    if (st->nallow < ALLOW_METHODS)
        st->allow[st->nallow++] = method;
}

/* The path ended at node n: pick the endpoint for the method, if any. */
static bool at_end(const struct node *n, struct match_state *st)
{
    const struct endpoint *get = NULL;

    for (size_t i = 0; i < n->neps; i++) {
        const char *m = n->eps[i].route->method;
        if (strcmp(m, st->method) == 0) {
            st->found = &n->eps[i];
            return true;
        }
        if (st->head && strcmp(m, "GET") == 0)
            get = &n->eps[i];
    }
    if (get) {
        st->found = get;
        return true;
    }
    /* The path exists: remember its methods for a 405, keep searching. */
    for (size_t i = 0; i < n->neps; i++) {
        allow_add(st, n->eps[i].route->method);
        if (strcmp(n->eps[i].route->method, "GET") == 0)
            allow_add(st, "HEAD");
    }
    return false;
}

/* 'p' is at the '/' before the next segment, or at the end of the path. */
static bool walk(const struct node *n, const char *p, size_t depth, struct match_state *st)
{
    const char *seg;
    size_t len;

    if (*p == '\0')
        return at_end(n, st);
    seg = p + 1;
    len = strcspn(seg, "/");
    if (len == 0)
        return false;
    for (size_t i = 0; i < n->nlits; i++) {
        const struct node *c = n->lits[i];
        if (c->seg_len == len && memcmp(c->seg, seg, len) == 0) {
            if (walk(c, seg + len, depth, st))
                return true;
            break; /* literal children are distinct */
        }
    }
    if (n->param && depth < HTTP_MAX_PARAMS) {
        st->caps[depth] = seg;
        st->cap_lens[depth] = len;
        if (walk(n->param, seg + len, depth + 1, st))
            return true;
    }
    return false;
}

static bool param_value_ok(const char *v, size_t n)
{
    if (memchr(v, '/', n) || !str_is_clean_utf8(v, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] == '\t' || v[i] == '\r' || v[i] == '\n')
            return false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void format_allow(struct match_state *st, char *allow, size_t size)
{
    size_t used = 0;

    if (!size)
        return;
    allow[0] = '\0';
    qsort(st->allow, st->nallow, sizeof(st->allow[0]), cmp_str);
    for (size_t i = 0; i < st->nallow; i++) {
        int k = snprintf(allow + used, size - used, "%s%s", i ? ", " : "", st->allow[i]);
        if (k < 0 || (size_t)k >= size - used)
            return;
        used += (size_t)k;
    }
}

int router_match(const struct router *r, struct arena *a, const char *method, const char *path,
                 struct router_match *m, char *allow, size_t allow_size)
{
    struct match_state st;
    const struct endpoint *ep;

    st.method = method;
    st.head = strcmp(method, "HEAD") == 0;
    st.found = NULL;
    st.nallow = 0;
    m->route = NULL;
    m->nparams = 0;
    if (allow_size)
        allow[0] = '\0';
    if (path[0] != '/')
        return ERR_NOT_FOUND;
    if (!walk(&r->root, path[1] ? path : "", 0, &st)) {
        if (st.nallow == 0)
            return ERR_NOT_FOUND;
        format_allow(&st, allow, allow_size);
        return ERR_METHOD;
    }
    ep = st.found;
    for (size_t i = 0; i < ep->nparams; i++) {
        const char *raw = st.caps[i];
        size_t len = st.cap_lens[i];
        char *v;
        size_t vlen;

        if (parse_percent_decode(a, raw, len, false, &v, &vlen) < 0 || !param_value_ok(v, vlen))
            return ERR_NOT_FOUND;
        m->names[i] = ep->names[i];
        m->values[i] = v;
    }
    m->nparams = ep->nparams;
    m->route = ep->route;
    return 0;
}
