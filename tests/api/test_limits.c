/*
 * test_limits.c - the per-address failed-login limit (20 in 15 minutes).
 *
 * It locks 127.0.0.1 out of signing in for 15 minutes, so it has a server of
 * its own: no other test could log in afterwards. The same server limits
 * anonymous submissions of matters to 3 an address (--submit-limit 3).
 */
#include "core/compat.h"
#include "api/harness.h"

static struct test_server srv;

static int group_setup(void **state)
{
    (void)state;
    harness_serve_args((const char *const[]){"--submit-limit", "3", NULL});
    server_start(&srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    harness_serve_args(NULL);
    return 0;
}

/* A flood of anonymous submissions from one address stops at the limit;
 * an API token's submissions (an Open311 client, a gateway) do not count. */
static void test_matters__anonymous_submissions_limited_by_address(void **state)
{
    struct client anon, token;
    struct response r = {0};
    struct cli_result out = {0};
    char line[120];

    (void)state;
    client_init(&anon, &srv);
    for (int i = 0; i < 3; i++) {
        client_send(&anon, "POST", "/api/v1/matters",
                    json_pack("{s:s, s:s, s:s}", "type", "consultation", "description", "咨询",
                              "phone", "13912345678"),
                    &r);
        assert_status(&r, 201);
    }
    client_send(&anon, "POST", "/api/v1/matters",
                json_pack("{s:s, s:s, s:s}", "type", "consultation", "description", "第四件",
                          "phone", "13912345678"),
                &r);
    assert_error(&r, 429, "rate_limited", NULL);
    /* The limit is counted before anything is written: a bad one is 429 too. */
    client_send(&anon, "POST", "/api/v1/matters", json_object(), &r);
    assert_error(&r, 429, "rate_limited", NULL);

    assert_int_equal(cli(&srv, &out, NULL, "apikey", "add", "gateway", "--db", srv.db, "--role",
                         "staff", "--unit", "root"),
                     0);
    last_line(out.out, line, sizeof(line));
    client_init(&token, &srv);
    snprintf(token.bearer, sizeof(token.bearer), "%s", line);
    client_send(&token, "POST", "/api/v1/matters",
                json_pack("{s:s, s:s, s:s}", "type", "consultation", "description", "代为提交",
                          "phone", "13912345678"),
                &r);
    assert_status(&r, 201);
    cli_result_release(&out);
    response_release(&r);
    client_release(&anon);
    client_release(&token);
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
        cmocka_unit_test(test_matters__anonymous_submissions_limited_by_address),
        cmocka_unit_test(test_login__address_locked_after_twenty_failures),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
