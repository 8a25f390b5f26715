/*
 * test_session.c - signing in and out: the session cookie, the CSRF token,
 * the same answer for a wrong password and an unknown login, and the
 * per-account failed-login limit.
 */
#include "core/compat.h"
#include "api/harness.h"

#include <strings.h>

static struct test_server srv;
static struct client admin;

static int group_setup(void **state)
{
    (void)state;
    server_start(&srv);
    client_init(&admin, &srv);
    client_login_ok(&admin, ADMIN_LOGIN, ADMIN_PASSWORD);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    client_release(&admin);
    server_stop(&srv);
    return 0;
}

/* The Set-Cookie header that sets 'name', or NULL. */
static const char *set_cookie(const struct response *r, const char *name)
{
    const char *v;
    size_t n = strlen(name);

    for (size_t i = 0; (v = response_header_n(r, "Set-Cookie", i)); i++)
        if (strncmp(v, name, n) == 0 && v[n] == '=')
            return v;
    return NULL;
}

/* True if the cookie attribute list of 'header' holds 'attr' (case-insensitive). */
static bool cookie_has(const char *header, const char *attr)
{
    const char *p = header;
    size_t n = strlen(attr);

    while ((p = strchr(p, ';'))) {
        p++;
        while (*p == ' ')
            p++;
        if (strncasecmp(p, attr, n) == 0 && (p[n] == ';' || p[n] == '\0'))
            return true;
    }
    return false;
}

static void test_login__sets_session_cookie(void **state)
{
    struct client c;
    struct response r = {0};
    const char *cookie, *csrf;
    json_t *user;

    (void)state;
    client_init(&c, &srv);
    client_login(&c, ADMIN_LOGIN, ADMIN_PASSWORD, &r);
    assert_status(&r, 201);
    assert_security_headers(&r);
    cookie = set_cookie(&r, "fazhi_session");
    assert_non_null(cookie);
    assert_true(strlen(cookie) > strlen("fazhi_session=") + 16); /* a real token */
    assert_true(cookie_has(cookie, "HttpOnly"));
    assert_true(cookie_has(cookie, "SameSite=Lax"));
    assert_true(cookie_has(cookie, "Path=/"));

    user = json_object_get(r.json, "user");
    assert_string_equal(json_str_member(user, "login"), ADMIN_LOGIN);
    csrf = json_str_member(r.json, "csrf_token");
    assert_non_null(csrf);
    assert_true(strlen(csrf) >= 16);
    /* The session token must not be readable by scripts: not in the body. */
    {
        const char *v = cookie + strlen("fazhi_session=");
        size_t n = strcspn(v, ";");
        char token[128];
        snprintf(token, sizeof(token), "%.*s", (int)n, v);
        assert_null(strstr(r.body, token));
    }
    response_release(&r);
    client_release(&c);
}

static void test_session__get_with_cookie(void **state)
{
    struct response r = {0};
    struct client anon;

    (void)state;
    client_get(&admin, &r, "/api/v1/session");
    assert_status(&r, 200);
    assert_string_equal(json_str_member(json_object_get(r.json, "user"), "login"), ADMIN_LOGIN);
    assert_string_equal(json_str_member(r.json, "csrf_token"), admin.csrf);

    /* The cookie is what authenticates: a client without it is anonymous. */
    client_init(&anon, &srv);
    client_get(&anon, &r, "/api/v1/session");
    assert_error(&r, 401, "unauthenticated", NULL);
    client_release(&anon);
    response_release(&r);
}

static void test_login__wrong_password(void **state)
{
    struct client c;
    struct response r = {0};

    (void)state;
    client_init(&c, &srv);
    client_login(&c, CLERKB_LOGIN, "Not-the-password-1", &r);
    assert_error(&r, 401, "unauthenticated", "password");
    assert_null(set_cookie(&r, "fazhi_session"));
    assert_int_equal(c.csrf[0], '\0');
    /* Without a session the next request is anonymous. */
    client_get(&c, &r, "/api/v1/session");
    assert_error(&r, 401, "unauthenticated", NULL);
    response_release(&r);
    client_release(&c);
}

static void test_login__unknown_login_same_answer(void **state)
{
    struct client c;
    struct response wrong = {0}, unknown = {0};
    json_t *we, *ue;

    (void)state;
    client_init(&c, &srv);
    client_login(&c, CLERKB_LOGIN, "Not-the-password-2", &wrong);
    client_login(&c, "nobody-by-this-name", "Not-the-password-2", &unknown);
    assert_error(&wrong, 401, "unauthenticated", "password");
    assert_error(&unknown, 401, "unauthenticated", "password");
    we = json_object_get(wrong.json, "error");
    ue = json_object_get(unknown.json, "error");
    /* Nothing tells an attacker which logins exist. */
    assert_string_equal(json_str_member(we, "message"), json_str_member(ue, "message"));
    response_release(&wrong);
    response_release(&unknown);
    client_release(&c);
}

static void test_logout__needs_csrf_token(void **state)
{
    struct client c;
    struct response r = {0};

    (void)state;
    client_init(&c, &srv);
    client_login_ok(&c, CLERKB_LOGIN, CLERK_PASSWORD);

    c.omit_csrf = true;
    client_request(&c, "DELETE", "/api/v1/session", NULL, NULL, 0, NULL, &r);
    assert_error(&r, 403, "forbidden", "csrf_token");
    client_request(&c, "DELETE", "/api/v1/session", NULL, NULL, 0,
                   (const char *const[]){"X-CSRF-Token: forged-token-value", NULL}, &r);
    assert_error(&r, 403, "forbidden", "csrf_token");
    /* The refused attempts left the session alone. */
    client_get(&c, &r, "/api/v1/session");
    assert_status(&r, 200);

    c.omit_csrf = false;
    client_request(&c, "DELETE", "/api/v1/session", NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);
    client_get(&c, &r, "/api/v1/session");
    assert_error(&r, 401, "unauthenticated", NULL);
    response_release(&r);
    client_release(&c);
}

static void test_logout__old_cookie_stays_dead(void **state)
{
    struct client c;
    struct response r = {0};
    struct curl_slist *cookies = NULL;
    char saved[1024] = "";

    (void)state;
    client_init(&c, &srv);
    client_login_ok(&c, CLERKB_LOGIN, CLERK_PASSWORD);
    /* Keep the cookie as a thief would, then log out. */
    curl_easy_getinfo(c.curl, CURLINFO_COOKIELIST, &cookies);
    for (struct curl_slist *p = cookies; p; p = p->next)
        if (strstr(p->data, "fazhi_session"))
            snprintf(saved, sizeof(saved), "%s", p->data);
    curl_slist_free_all(cookies);
    assert_true(saved[0] != '\0');
    client_request(&c, "DELETE", "/api/v1/session", NULL, NULL, 0, NULL, &r);
    assert_status(&r, 204);

    curl_easy_setopt(c.curl, CURLOPT_COOKIELIST, "ALL");
    curl_easy_setopt(c.curl, CURLOPT_COOKIELIST, saved);
    client_get(&c, &r, "/api/v1/session");
    assert_error(&r, 401, "unauthenticated", NULL);
    response_release(&r);
    client_release(&c);
}

static void test_csrf__cookie_post_without_token_changes_nothing(void **state)
{
    struct response r = {0};
    char code[64];
    size_t before = unit_count(&admin);
    json_t *body;
    char *text;

    (void)state;
    unique_name("csrf", code, sizeof(code));
    admin.omit_csrf = true;
    body = json_pack("{s:s, s:s, s:s, s:I}", "code", code, "name", "跨站部门", "type", "department",
                     "parent_id", (json_int_t)srv.root_id);
    client_send(&admin, "POST", "/api/v1/units", json_incref(body), &r);
    assert_error(&r, 403, "forbidden", "csrf_token");
    text = json_dumps(body, JSON_COMPACT);
    client_request(&admin, "POST", "/api/v1/units", "application/json", text, strlen(text),
                   (const char *const[]){"X-CSRF-Token: 0123456789abcdef", NULL}, &r);
    free(text);
    assert_error(&r, 403, "forbidden", "csrf_token");
    admin.omit_csrf = false;
    assert_int_equal(unit_count(&admin), before);

    /* The same request with the token goes through. */
    client_send(&admin, "POST", "/api/v1/units", body, &r);
    assert_status(&r, 201);
    assert_string_equal(json_str_member(r.json, "code"), code);
    assert_int_equal(unit_count(&admin), before + 1);
    response_release(&r);
}

static void test_login__account_locked_after_five_failures(void **state)
{
    struct client c;
    struct response r = {0};
    char login[64];

    (void)state;
    unique_name("locked", login, sizeof(login));
    create_user(&admin, login, srv.ca_id, "staff", "Right-pass-123");
    client_init(&c, &srv);
    for (int i = 0; i < 5; i++) {
        client_login(&c, login, "Wrong-pass-123", &r);
        assert_error(&r, 401, "unauthenticated", "password");
    }
    /* Locked: even the right password is refused now. */
    client_login(&c, login, "Right-pass-123", &r);
    assert_error(&r, 429, "rate_limited", NULL);
    assert_int_equal(c.csrf[0], '\0');
    response_release(&r);
    client_release(&c);
}

static void test_login__password_reset_lifts_the_lock(void **state)
{
    struct cli_result out = {0};
    struct client c;
    struct response r = {0};
    char login[64];

    (void)state;
    unique_name("unlock", login, sizeof(login));
    create_user(&admin, login, srv.ca_id, "staff", "Right-pass-789");
    client_init(&c, &srv);
    for (int i = 0; i < 5; i++)
        client_login(&c, login, "Wrong-pass-789", &r);
    client_login(&c, login, "Right-pass-789", &r);
    assert_error(&r, 429, "rate_limited", NULL);

    /* An administrator resets the password from the command line, a
       process that cannot reach the server's counters: the lock goes. */
    assert_int_equal(cli(&srv, &out, "Fresh-pass-789\n", "user", "passwd", login, "--db", srv.db,
                         "--password-stdin"),
                     0);
    cli_result_release(&out);
    client_login(&c, login, "Fresh-pass-789", &r);
    assert_status(&r, 201);
    response_release(&r);
    client_release(&c);
}

static void test_login__four_failures_do_not_lock(void **state)
{
    struct client c;
    struct response r = {0};
    char login[64];

    (void)state;
    unique_name("typo", login, sizeof(login));
    create_user(&admin, login, srv.ca_id, "staff", "Right-pass-456");
    client_init(&c, &srv);
    for (int i = 0; i < 4; i++) {
        client_login(&c, login, "Wrong-pass-456", &r);
        assert_error(&r, 401, "unauthenticated", "password");
    }
    client_login(&c, login, "Right-pass-456", &r);
    assert_status(&r, 201);
    response_release(&r);
    client_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login__sets_session_cookie),
        cmocka_unit_test(test_session__get_with_cookie),
        cmocka_unit_test(test_login__wrong_password),
        cmocka_unit_test(test_login__unknown_login_same_answer),
        cmocka_unit_test(test_logout__needs_csrf_token),
        cmocka_unit_test(test_logout__old_cookie_stays_dead),
        cmocka_unit_test(test_csrf__cookie_post_without_token_changes_nothing),
        cmocka_unit_test(test_login__account_locked_after_five_failures),
        cmocka_unit_test(test_login__password_reset_lifts_the_lock),
        cmocka_unit_test(test_login__four_failures_do_not_lock),
    };
    return harness_done(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
