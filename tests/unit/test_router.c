/*
 * test_router.c - the route trie: precedence, parameters, 404 and 405,
 * pattern validation.
 */
#include "core/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "http/router.h"

static int h_a(struct http_request *req, struct err_ctx *ec)
{
    (void)req;
    (void)ec;
    return 0;
}

static const struct http_route routes[] = {
    {"GET", "/", h_a, HTTP_PUBLIC, 0},
    {"GET", "/healthz", h_a, HTTP_PUBLIC, 0},
    {"GET", "/api/v1/units", h_a, 0, 0},
    {"POST", "/api/v1/units", h_a, 0, 0},
    {"GET", "/api/v1/units/{id}", h_a, 0, 0},
    {"PATCH", "/api/v1/units/{id}", h_a, 0, 0},
    {"DELETE", "/api/v1/units/{uid}", h_a, 0, 0},
    {"GET", "/api/v1/units/tree", h_a, 0, 0},
    {"GET", "/api/v1/units/{id}/members/{mid}", h_a, 0, 0},
    {"GET", "/a/b", h_a, 0, 0},
    {"POST", "/a/{x}/c", h_a, 0, 0},
    {"GET", "/files/{name}", h_a, 0, 0},
    {"HEAD", "/only-head", h_a, 0, 0},
    {"PUT", "/open311/v2/services.json", h_a, 0, 0},
};

struct fixture {
    struct router *r;
    struct arena *a;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err_ctx ec = {0};

    f->r = router_new();
    f->a = arena_new();
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
        assert_int_equal(router_add(f->r, &routes[i], &ec), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    router_free(f->r);
    arena_free(f->a);
    free(f);
    return 0;
}

/* ---- matching ---- */

static const struct {
    const char *method, *path;
    int rc;
    int route; /* index into routes, or -1 */
    const char *p1, *v1, *p2, *v2;
    const char *allow;
} match_cases[] = {
    {"GET", "/", 0, 0, NULL, NULL, NULL, NULL, ""},
    {"GET", "/healthz", 0, 1, NULL, NULL, NULL, NULL, ""},
    {"HEAD", "/healthz", 0, 1, NULL, NULL, NULL, NULL, ""},
    {"POST", "/api/v1/units", 0, 3, NULL, NULL, NULL, NULL, ""},
    {"GET", "/api/v1/units/12", 0, 4, "id", "12", NULL, NULL, ""},
    {"PATCH", "/api/v1/units/12", 0, 5, "id", "12", NULL, NULL, ""},
    {"DELETE", "/api/v1/units/7", 0, 6, "uid", "7", NULL, NULL, ""},
    /* literal beats parameter */
    {"GET", "/api/v1/units/tree", 0, 7, NULL, NULL, NULL, NULL, ""},
    /* ...but only for the methods it has: PATCH falls through to {id} */
    {"PATCH", "/api/v1/units/tree", 0, 5, "id", "tree", NULL, NULL, ""},
    {"GET", "/api/v1/units/3/members/9", 0, 8, "id", "3", "mid", "9", ""},
    /* backtracking: the literal "b" leads nowhere for /a/b/c */
    {"POST", "/a/b/c", 0, 10, "x", "b", NULL, NULL, ""},
    {"POST", "/a/zz/c", 0, 10, "x", "zz", NULL, NULL, ""},
    /* parameters are percent-decoded; '+' stays '+' in paths */
    {"GET", "/files/a%20b", 0, 11, "name", "a b", NULL, NULL, ""},
    {"GET", "/files/a+b", 0, 11, "name", "a+b", NULL, NULL, ""},
    {"GET", "/files/%E4%B8%AD", 0, 11, "name", "中", NULL, NULL, ""},
    {"GET", "/files/%e4%b8%ad", 0, 11, "name", "中", NULL, NULL, ""},
    {"HEAD", "/only-head", 0, 12, NULL, NULL, NULL, NULL, ""},
    {"PUT", "/open311/v2/services.json", 0, 13, NULL, NULL, NULL, NULL, ""},
    /* not found */
    {"GET", "/nope", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "healthz", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/healthz/", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "//healthz", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/api/v1/units/", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/api/v1/units//members/1", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/api/v1/units/1/members", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/api/v1/units/1/members/2/x", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/Healthz", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    /* undecodable parameters name nothing */
    {"GET", "/files/a%2Fb", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/a%00b", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/%ff", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/%C0%AF", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/%zz", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/%4", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    {"GET", "/files/%0A", ERR_NOT_FOUND, -1, NULL, NULL, NULL, NULL, ""},
    /* wrong method: 405 with the allowed ones, HEAD implied by GET */
    {"PUT", "/api/v1/units", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "GET, HEAD, POST"},
    {"POST", "/api/v1/units/5", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "DELETE, GET, HEAD, PATCH"},
    {"DELETE", "/a/b", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "GET, HEAD"},
    {"GET", "/a/b/c", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "POST"},
    {"GET", "/only-head", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "HEAD"},
    {"OPTIONS", "/healthz", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "GET, HEAD"},
    {"get", "/healthz", ERR_METHOD, -1, NULL, NULL, NULL, NULL, "GET, HEAD"},
};

static void test_router_match__table(void **state)
{
    struct fixture *f = *state;

    for (size_t i = 0; i < ARRAY_SIZE(match_cases); i++) {
        struct router_match m;
        char allow[ROUTER_ALLOW_MAX];
        int rc = router_match(f->r, f->a, match_cases[i].method, match_cases[i].path, &m, allow,
                              sizeof(allow));
        if (rc != match_cases[i].rc)
            fail_msg("case %zu: %s %s gave %d, want %d", i, match_cases[i].method,
                     match_cases[i].path, rc, match_cases[i].rc);
        assert_string_equal(allow, match_cases[i].allow);
        if (rc != 0) {
            assert_null(m.route);
            continue;
        }
        assert_ptr_equal(m.route, &routes[match_cases[i].route]);
        if (match_cases[i].p1) {
            assert_true(m.nparams >= 1);
            assert_string_equal(m.names[0], match_cases[i].p1);
            assert_string_equal(m.values[0], match_cases[i].v1);
        } else {
            assert_int_equal(m.nparams, 0);
        }
        if (match_cases[i].p2) {
            assert_int_equal(m.nparams, 2);
            assert_string_equal(m.names[1], match_cases[i].p2);
            assert_string_equal(m.values[1], match_cases[i].v2);
        }
    }
}

static void test_router_match__empty_router(void **state)
{
    struct router *r = router_new();
    struct arena *a = arena_new();
    struct router_match m;
    char allow[ROUTER_ALLOW_MAX];

    (void)state;
    assert_int_equal(router_match(r, a, "GET", "/", &m, allow, sizeof(allow)), ERR_NOT_FOUND);
    assert_int_equal(router_match(r, a, "GET", "/x", &m, allow, sizeof(allow)), ERR_NOT_FOUND);
    router_free(r);
    arena_free(a);
}

static void test_router_match__max_params(void **state)
{
    static const struct http_route deep = {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", h_a, 0, 0};
    struct router *r = router_new();
    struct arena *a = arena_new();
    struct router_match m;
    struct err_ctx ec = {0};
    char allow[ROUTER_ALLOW_MAX];

    (void)state;
    assert_int_equal(router_add(r, &deep, &ec), 0);
    assert_int_equal(router_match(r, a, "GET", "/1/2/3/4/5/6/7/8", &m, allow, sizeof(allow)), 0);
    assert_int_equal(m.nparams, HTTP_MAX_PARAMS);
    assert_string_equal(m.names[7], "h");
    assert_string_equal(m.values[7], "8");
    assert_int_equal(router_match(r, a, "GET", "/1/2/3/4/5/6/7/8/9", &m, allow, sizeof(allow)),
                     ERR_NOT_FOUND);
    router_free(r);
    arena_free(a);
}

/* ---- building ---- */

static const struct {
    const char *method, *pattern;
    bool handler;
} bad_cases[] = {
    {"GET", "", true},         {"GET", "api", true},
    {"GET", "//a", true},      {"GET", "/a//b", true},
    {"GET", "/a/", true},      {"GET", "/a/{", true},
    {"GET", "/a/}", true},     {"GET", "/a/{id", true},
    {"GET", "/a/id}", true},   {"GET", "/a/{}", true},
    {"GET", "/a/{i{d}", true}, {"GET", "/a/{i}d}", true},
    {"GET", "/a/x{id}", true}, {"GET", "/a/{id}.json", true},
    {"GET", "/a/{i-d}", true}, {"GET", "/a/{id}/{id}", true},
    {"GET", "/a/b c", true},   {"GET", "/a/%20", true},
    {"GET", "/a?x=1", true},   {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", true},
    {"get", "/a", true},       {"", "/a", true},
    {NULL, "/a", true},        {"GET", NULL, true},
    {"GET", "/a", false},
};

static void test_router_add__bad_patterns(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        struct router *r = router_new();
        struct err_ctx ec = {0};
        struct http_route route = {bad_cases[i].method, bad_cases[i].pattern,
                                   bad_cases[i].handler ? h_a : NULL, 0, 0};
        int rc = router_add(r, &route, &ec);
        if (rc != ERR_INVALID)
            fail_msg("case %zu: %s %s accepted", i, bad_cases[i].method ? bad_cases[i].method : "",
                     bad_cases[i].pattern ? bad_cases[i].pattern : "");
        assert_string_equal(ec.field, "pattern");
        /* The message names the pattern. */
        if (bad_cases[i].pattern && bad_cases[i].pattern[0])
            assert_non_null(strstr(ec.message, bad_cases[i].pattern));
        router_free(r);
    }
}

static void test_router_add__bad_pattern_adds_nothing(void **state)
{
    static const struct http_route bad = {"GET", "/x/y/{", h_a, 0, 0};
    struct router *r = router_new();
    struct arena *a = arena_new();
    struct router_match m;
    struct err_ctx ec = {0};
    char allow[ROUTER_ALLOW_MAX];

    (void)state;
    assert_int_equal(router_add(r, &bad, &ec), ERR_INVALID);
    assert_int_equal(router_match(r, a, "GET", "/x/y/1", &m, allow, sizeof(allow)), ERR_NOT_FOUND);
    router_free(r);
    arena_free(a);
}

static const struct {
    const char *first, *second;
    int rc;
} dup_cases[] = {
    {"/a/{id}", "/a/{id}", ERR_INVALID},
    {"/a/{id}", "/a/{other}", ERR_INVALID}, /* same shape */
    {"/", "/", ERR_INVALID},
    {"/a/{id}", "/a/id", 0},
    {"/a/b", "/a/b/c", 0},
};

static void test_router_add__duplicates(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(dup_cases); i++) {
        struct router *r = router_new();
        struct err_ctx ec = {0};
        struct http_route one = {"GET", dup_cases[i].first, h_a, 0, 0};
        struct http_route two = {"GET", dup_cases[i].second, h_a, 0, 0};
        struct http_route post = {"POST", dup_cases[i].second, h_a, 0, 0};

        assert_int_equal(router_add(r, &one, &ec), 0);
        assert_int_equal(router_add(r, &two, &ec), dup_cases[i].rc);
        if (dup_cases[i].rc) {
            assert_non_null(strstr(ec.message, dup_cases[i].second));
            assert_non_null(strstr(ec.message, "重复"));
        }
        err_clear(&ec);
        /* Another method on the same pattern is fine. */
        assert_int_equal(router_add(r, &post, &ec), 0);
        router_free(r);
    }
}

static void test_router_match__allow_truncated(void **state)
{
    struct fixture *f = *state;
    struct router_match m;
    char allow[8];

    assert_int_equal(router_match(f->r, f->a, "PUT", "/api/v1/units", &m, allow, sizeof(allow)),
                     ERR_METHOD);
    assert_true(strlen(allow) < sizeof(allow));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_router_match__table, setup, teardown),
        cmocka_unit_test(test_router_match__empty_router),
        cmocka_unit_test(test_router_match__max_params),
        cmocka_unit_test(test_router_add__bad_patterns),
        cmocka_unit_test(test_router_add__bad_pattern_adds_nothing),
        cmocka_unit_test(test_router_add__duplicates),
        cmocka_unit_test_setup_teardown(test_router_match__allow_truncated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
