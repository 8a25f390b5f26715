/*
 * test_access.c - roles and unit scope: the one access check.
 */
#include "core/compat.h"
#include "core/access.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static struct principal make(unsigned roles, const char *path)
{
    struct principal p = {0};
    p.user_id = 7;
    p.roles = roles;
    snprintf(p.unit_path, sizeof(p.unit_path), "%s", path);
    return p;
}

static void test_access_in_scope__table(void **state)
{
    static const struct {
        const char *mine, *target;
        bool in;
    } cases[] = {
        {"/1/", "/1/", true},       {"/1/", "/1/4/", true},       {"/1/4/", "/1/4/12/", true},
        {"/1/4/", "/1/41/", false}, {"/1/4/", "/1/", false},      {"/1/4/", "/2/4/", false},
        {"/1/4/", "", false},       {"/1/4/12/", "/1/4/", false},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct principal p = make(ROLE_STAFF, cases[i].mine);
        assert_int_equal(access_in_scope(&p, cases[i].target), cases[i].in);
    }
    assert_false(access_in_scope(NULL, "/1/"));
}

static void test_access_require__codes(void **state)
{
    struct principal clerk = make(ROLE_STAFF, "/1/4/");
    struct principal admin = make(ROLE_ADMIN, "/1/");
    struct err_ctx ec = {0};

    (void)state;
    assert_int_equal(access_require(NULL, 0, NULL, &ec), ERR_UNAUTHENTICATED);
    err_clear(&ec);
    assert_int_equal(access_require(&clerk, ROLE_LEADER, NULL, &ec), ERR_FORBIDDEN);
    err_clear(&ec);
    assert_int_equal(access_require(&clerk, ROLE_STAFF, "/1/5/", &ec), ERR_FORBIDDEN);
    assert_string_equal(ec.field, "unit");
    err_clear(&ec);
    assert_int_equal(access_require(&clerk, ROLE_STAFF | ROLE_LEADER, "/1/4/9/", &ec), 0);
    /* admin holds every role, but not every unit */
    assert_int_equal(access_require(&admin, ROLE_MEDIATOR, "/1/4/", &ec), 0);
    assert_int_equal(access_require(&admin, ROLE_MEDIATOR, "/2/", &ec), ERR_FORBIDDEN);
}

static void test_role_parse_list__table(void **state)
{
    unsigned m = 0;
    char buf[128];

    (void)state;
    assert_int_equal(role_parse_list("staff", &m), 0);
    assert_int_equal(m, ROLE_STAFF);
    assert_int_equal(role_parse_list("leader,officer", &m), 0);
    assert_int_equal(m, ROLE_LEADER | ROLE_OFFICER);
    assert_int_equal(role_parse_list("staff,boss", &m), -1);
    assert_int_equal(role_parse_list("", &m), -1);
    assert_int_equal(role_parse_list("staf", &m), -1);
    role_format_list(ROLE_ADMIN | ROLE_STAFF, buf, sizeof(buf));
    assert_string_equal(buf, "staff,admin");
    assert_string_equal(role_label(ROLE_MEDIATOR), "调解员");
}

static void test_access_actor__forms(void **state)
{
    struct principal p = make(ROLE_STAFF, "/1/");
    char buf[ACTOR_MAX];

    (void)state;
    access_actor(&p, buf, sizeof(buf));
    assert_string_equal(buf, "user:7");
    p.user_id = 0;
    p.token_id = 3;
    access_actor(&p, buf, sizeof(buf));
    assert_string_equal(buf, "token:3");
    access_actor(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "system");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_in_scope__table),
        cmocka_unit_test(test_access_require__codes),
        cmocka_unit_test(test_role_parse_list__table),
        cmocka_unit_test(test_access_actor__forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
