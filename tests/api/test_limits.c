/*
 * test_limits.c - the per-address failed-login limit (20 in 15 minutes).
 *
 * It locks 127.0.0.1 out of signing in for 15 minutes, so it has a server of
 * its own: no other test could log in afterwards.
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    return 0;
}

static void test_login__address_locked_after_twenty_failures(void **state)
{
    struct client c, clerk;
    struct response r = {0};
    char login[32];

    (void)state;
    client_init(&c, &srv);
    /* 19 failures spread over logins (at most 4 each, below the account
     * limit), so only the address count can reach its limit. */
    for (int i = 0; i < 19; i++) {
        snprintf(login, sizeof(login), "ghost%d", i / 4);
        client_login(&c, login, "Wrong-pass-789", &r);
        assert_error(&r, 401, "unauthenticated", "password");
    }
    /* One below the limit, the right password still works. */
    client_init(&clerk, &srv);
    client_login_ok(&clerk, CLERKA_LOGIN, CLERK_PASSWORD);

    client_login(&c, "ghost9", "Wrong-pass-789", &r);
    assert_error(&r, 401, "unauthenticated", "password");

    /* The 20th failure locked the address: every account is refused. */
    client_login(&c, ADMIN_LOGIN, ADMIN_PASSWORD, &r);
    assert_error(&r, 429, "rate_limited", NULL);
    client_login(&c, CLERKB_LOGIN, CLERK_PASSWORD, &r);
    assert_error(&r, 429, "rate_limited", NULL);
    assert_int_equal(c.csrf[0], '\0');

    /* A session opened before the lock keeps working. */
    client_get(&clerk, &r, "/api/v1/session");
    assert_status(&r, 200);
    response_release(&r);
    client_release(&clerk);
    client_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login__address_locked_after_twenty_failures),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
